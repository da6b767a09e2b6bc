"""Every msgid in the code and the templates has a Chinese translation in the zh_CN catalog."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "portal" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}  # as `make i18n`: -k _l -k lazy_gettext


def extracted_msgids() -> dict[str, str]:
    """Run Babel's extraction with babel.cfg; returns ``{msgid: "file:line"}``."""
    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, tuple) else message  # plural: keyed by the singular
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def test_extraction_finds_code_and_template_strings():
    msgids = extracted_msgids()
    assert "Wrong user name or password." in msgids          # portal/auth/services.py, _()
    assert "User name" in msgids                              # portal/auth/forms.py, _l()
    assert "Log in" in msgids                                 # templates/auth/login.html
    assert "A division code has exactly 12 digits." in msgids  # portal/admin/services.py


def test_every_msgid_has_a_chinese_translation():
    with open(CATALOG, "rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    missing = []
    for msgid, where in sorted(extracted_msgids().items()):
        message = catalog.get(msgid)
        translated = message is not None and not message.fuzzy and (
            all(message.string) if isinstance(message.string, tuple) else bool(message.string))
        if not translated:
            missing.append(f"{where}: {msgid!r}")
    assert not missing, f"{len(missing)} msgids without a Chinese translation (run make i18n):\n" + "\n".join(missing)


def test_pages_are_chinese_by_default_and_english_on_request(client, auth, user):
    """The catalog is actually used: Chinese by default (zh_CN → Babel's zh_Hans_CN), English per user."""
    from portal.extensions import db

    assert "登录" in client.get("/auth/login").get_data(as_text=True)
    auth.login("zhongxin")
    page = client.get("/").get_data(as_text=True)
    assert "台账" in page and "演示账号" in page and ">Ledger<" not in page
    user("zhongxin").locale = "en"
    db.session.commit()
    assert ">Ledger<" in client.get("/").get_data(as_text=True)
