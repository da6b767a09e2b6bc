"""Normalising, validating and masking the values clerks type or import.

Pure functions: no database and no application context. Error messages are
``lazy_gettext`` strings, which render as the English msgid outside a request.

Every rejection raises :class:`InvalidValue`, a ``ValueError`` subclass. Its first
argument is the user-facing message and ``code`` is a stable machine-readable
reason. Callers that only know ``ValueError`` keep working.

Rules come from docs ``domain.md``: 8.1 (resident ID, GB 11643-1999), 8.2 (dates,
GB/T 9704-2012 7.3.5), 8.4 (phones, amounts) and 9.3 (masking).

Full-width characters are handled in two ways:

* Structured values (ID numbers, phones, dates, amounts) go through
  :func:`fullwidth_to_ascii`, which maps the whole full-width ASCII block
  U+FF01–U+FF5E and U+3000. There ``（`` ``－`` ``．`` ``／`` ``，`` are
  separators or decimal points.
* Free text (names, addresses, descriptions) goes through :func:`normalize_text`.
  It maps only full-width digits, Latin letters and U+3000. Chinese punctuation
  such as ``（）：，；！？`` is correct in Chinese prose, so it stays.

We do not use ``unicodedata.normalize("NFKC")``. NFKC turns ``（）`` and ``，`` into
ASCII and ``①`` into ``1``. Even NFC rewrites the CJK compatibility ideographs
(U+F900–U+FAFF) to other code points, which can change how a registered name
is spelled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

__all__ = [
    "InvalidValue",
    "ResidentId",
    "PROVINCE_CODES",
    "EARLIEST_BIRTH_DATE",
    "MAX_AMOUNT",
    "fullwidth_to_ascii",
    "normalize_text",
    "normalize_phone",
    "validate_phone",
    "id_check_char",
    "parse_resident_id",
    "age_on",
    "mask_id",
    "mask_phone",
    "mask_name_for_report",
    "COMPOUND_SURNAMES",
    "format_cn_date",
    "parse_cn_date",
    "parse_amount",
]


class InvalidValue(ValueError):
    """A value failed validation.

    ``args[0]`` (also ``message``) is the lazy, translatable user-facing message.
    ``code`` is a short stable reason such as ``"id_check_char"``, meant for tests
    and logs, never for display.
    """

    def __init__(self, message, code: str = "invalid"):
        super().__init__(message)
        self.code = code

    @property
    def message(self):
        """The user-facing (lazy) message."""
        return self.args[0]


# --------------------------------------------------------------------------
# Messages (English msgids; translated to Chinese in the catalogue)
# --------------------------------------------------------------------------

MSG_PHONE_EMPTY = _l("Enter a phone number.")
MSG_PHONE_INVALID = _l("Enter an 11-digit mobile number or a landline with its area code.")

MSG_ID_EMPTY = _l("Enter an ID number.")
MSG_ID_LENGTH = _l("An ID number has 18 characters (old cards: 15 digits).")
MSG_ID_CHARS = _l("An ID number has only digits, and X as the last character.")
MSG_ID_CHARS_15 = _l("An old 15-digit ID number has only digits.")
MSG_ID_PROVINCE = _l("The first two digits of the ID number are not a valid province code.")
MSG_ID_DATE_INVALID = _l("The birth date in the ID number is not a real date.")
MSG_ID_DATE_FUTURE = _l("The birth date in the ID number is in the future.")
MSG_ID_CHECK = _l("The ID number's last character does not match. Check for a typo.")
MSG_ID_FIRST17 = _l("The first 17 characters of an ID number must be digits.")

MSG_AGE_ORDER = _l("The date is before the birth date.")

MSG_DATE_EMPTY = _l("Enter a date.")
MSG_DATE_FORMAT = _l("Enter a date such as 2026年3月1日 or 2026-03-01.")
MSG_DATE_INVALID = _l("This date does not exist.")

MSG_AMOUNT_EMPTY = _l("Enter an amount.")
MSG_AMOUNT_FORMAT = _l("Enter an amount in yuan, such as 1200.50 or 1.2万.")
MSG_AMOUNT_NEGATIVE = _l("The amount cannot be negative.")
MSG_AMOUNT_DECIMALS = _l("Use at most two decimal places (fen).")
MSG_AMOUNT_TOO_LARGE = _l("The amount is too large.")


# --------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------

# U+FF01..U+FF5E -> U+0021..U+007E, and U+3000 ideographic space -> space.
_FULLWIDTH_ASCII = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH_ASCII[0x3000] = 0x20

# Only digits, Latin letters and the ideographic space (see module docstring).
_FULLWIDTH_ALNUM = {
    cp: cp - 0xFEE0
    for lo, hi in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for cp in range(lo, hi + 1)
}
_FULLWIDTH_ALNUM[0x3000] = 0x20

# Invisible characters that creep in from copy-paste and spreadsheets:
# ZERO WIDTH SPACE, WORD JOINER, BYTE ORDER MARK / ZWNBSP.
_INVISIBLE = {0x200B: None, 0x2060: None, 0xFEFF: None}


def fullwidth_to_ascii(s: str) -> str:
    """Map full-width ASCII forms (U+FF01–U+FF5E) and U+3000 to plain ASCII.

    For structured values (IDs, phones, dates, amounts): ``"１３８－００１３"`` →
    ``"138-0013"``. Takes and returns ``str``. Nothing else changes, including
    CJK characters and characters outside the BMP.
    """
    return s.translate(_FULLWIDTH_ASCII)


def normalize_text(s: str | None) -> str:
    """Tidy free text: half-width digits and letters, single spaces, trimmed.

    * Full-width digits and Latin letters (U+FF10–19, U+FF21–3A, U+FF41–5A)
      become ASCII. The ideographic space U+3000 becomes a space.
    * Zero-width space, word joiner and BOM are removed.
    * Runs of any Unicode whitespace (tabs and newlines too) become one space.
      Leading and trailing whitespace is removed.
    * CJK characters, Chinese full-width punctuation (``（），：；！？``) and
      characters outside the BMP (e.g. ``𠮷`` U+20BB7) are kept unchanged.
      We do this instead of NFKC (see the module docstring).

    ``None`` gives ``""``. Never raises.
    """
    if s is None:
        return ""
    s = str(s).translate(_FULLWIDTH_ALNUM).translate(_INVISIBLE)
    return " ".join(s.split())


# --------------------------------------------------------------------------
# Phones (domain.md 8.4)
# --------------------------------------------------------------------------

_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# Area code 0 + 2-3 digits, then a 7-8 digit local number.
_LANDLINE_RE = re.compile(r"^0\d{2,3}\d{7,8}$")
_PHONE_EXT_MARK_RE = re.compile(r"(?:转|轉|分机|分機|ext\.?|x|#)\s*(\d{1,6})$", re.IGNORECASE)
_PHONE_SEPARATORS_RE = re.compile(r"[\s\-‐‑–—−()（）\[\]]+")
_EXCEL_FLOAT_RE = re.compile(r"^(\d+)\.0+$")
_COUNTRY_PREFIX_RE = re.compile(r"^(?:\+86|0086|86)(1[3-9]\d{9})$")
_COUNTRY_PREFIX_LANDLINE_RE = re.compile(r"^(?:\+86|0086)([1-9]\d{8,10})$")


def _area_code_length(digits: str) -> int:
    """Length of the area code, including the leading 0: 3 for 010 and 02X, else 4."""
    return 3 if digits[:2] in ("01", "02") else 4


def normalize_phone(s: str | None) -> str:
    """Clean a phone number typed by a clerk or read from a spreadsheet.

    Steps: full-width → ASCII. A trailing ``.0`` from a spreadsheet float is
    dropped (``"13800138000.0"``). Spaces, hyphens, dashes and parentheses are
    removed. A ``+86`` / ``0086`` / ``86`` prefix before an 11-digit mobile is
    removed. A ``+86`` / ``0086`` prefix before a landline becomes the trunk
    ``0`` (``+86 10 6552 9988`` → ``01065529988``).

    Extensions are kept after a single hyphen: ``"010-6552 9988 转 123"`` →
    ``"01065529988-123"``. Markers are 转/分机/ext/x/#. A trailing hyphen group
    counts as an extension only when the number is not valid without it:
    ``"010-12345678-123"`` → ``"01012345678-123"``, but ``"010-6552-9988"`` →
    ``"01065529988"``.

    Returns the cleaned string. It may still be invalid: call
    :func:`validate_phone` to check. ``None`` gives ``""``. Never raises.
    """
    if s is None:
        return ""
    s = fullwidth_to_ascii(str(s)).translate(_INVISIBLE).strip()
    if not s:
        return ""
    m = _EXCEL_FLOAT_RE.match(s)
    if m:
        s = m.group(1)

    ext = ""
    m = _PHONE_EXT_MARK_RE.search(s)
    if m and m.start() > 0:
        ext = m.group(1)
        s = s[: m.start()]
    else:
        # "010-12345678-123": the hyphen group is an extension only if needed.
        parts = [p for p in re.split(r"\s*[-‐‑–—−]\s*", s.strip()) if p]
        if len(parts) >= 2 and parts[-1].isdigit() and len(parts[-1]) <= 6:
            whole = _strip_country_prefix(_PHONE_SEPARATORS_RE.sub("", s))
            head = _strip_country_prefix(_PHONE_SEPARATORS_RE.sub("", "".join(parts[:-1])))
            if not _is_phone(whole) and _is_phone(head) and not _MOBILE_RE.match(head):
                ext = parts[-1]
                s = "".join(parts[:-1])

    number = _strip_country_prefix(_PHONE_SEPARATORS_RE.sub("", s))
    return f"{number}-{ext}" if ext else number


def _strip_country_prefix(digits: str) -> str:
    m = _COUNTRY_PREFIX_RE.match(digits)
    if m:
        return m.group(1)
    m = _COUNTRY_PREFIX_LANDLINE_RE.match(digits)
    if m and _LANDLINE_RE.match("0" + m.group(1)):
        return "0" + m.group(1)
    return digits


def _is_phone(number: str) -> bool:
    if _MOBILE_RE.match(number):
        return True
    if not _LANDLINE_RE.match(number):
        return False
    # Local numbers never start with 0 or 1 (those are trunk and service prefixes).
    local = number[_area_code_length(number):]
    return 7 <= len(local) <= 8 and local[0] not in "01"


def validate_phone(s: str | None) -> str:
    """Normalise and validate a mainland mobile or landline number.

    Accepts a mobile number ``^1[3-9]\\d{9}$``, or a landline: area code
    ``0\\d{2,3}`` (010 and 02X have 3 digits, the others 4), then a 7–8 digit
    local number not starting with 0 or 1, then an optional extension of up to
    6 digits. Source: domain.md 8.4 and the national numbering plan.

    Returns the normalised number, as :func:`normalize_phone` gives it.
    Raises :class:`InvalidValue` (a ``ValueError``) when it is empty or invalid.
    """
    number = normalize_phone(s)
    if not number:
        raise InvalidValue(MSG_PHONE_EMPTY, "phone_empty")
    main, _, ext = number.partition("-")
    if not _is_phone(main) or (ext and _MOBILE_RE.match(main)):
        raise InvalidValue(MSG_PHONE_INVALID, "phone_invalid")
    return number


# --------------------------------------------------------------------------
# Resident identity number (GB 11643-1999, domain.md 8.1)
# --------------------------------------------------------------------------

#: First two digits of valid address codes (GB/T 2260 provinces, plus 71
#: Taiwan and 81/82/83 for HK/Macau/Taiwan residence permits).
PROVINCE_CODES = frozenset(
    f"{n:02d}"
    for n in (
        *range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47),
        *range(50, 55), *range(61, 66), 71, 81, 82, 83,
    )
)

#: Default earliest accepted birth date (domain.md 8.1: "not absurdly old").
EARLIEST_BIRTH_DATE = date(1900, 1, 1)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_ID18_RE = re.compile(r"^\d{17}[\dX]$")
_ID15_RE = re.compile(r"^\d{15}$")


@dataclass(frozen=True)
class ResidentId:
    """A valid 18-character resident identity number and what it encodes.

    Fields: ``number`` (18 characters, upper-case ``X``), ``birth_date``,
    ``sex`` (``"M"`` for an odd 17th digit, ``"F"`` for an even one),
    ``upgraded_from`` (the 15-digit original when the input was a legacy
    number, else ``None``) and ``province_code`` (first two digits).
    Built by :func:`parse_resident_id`.
    """

    number: str
    birth_date: date
    sex: str
    upgraded_from: str | None
    province_code: str

    def age_on(self, on_date: date) -> int:
        """Age in full years on ``on_date``. See :func:`age_on`."""
        return age_on(self.birth_date, on_date)


def id_check_char(first17: str) -> str:
    """Return the check character for the first 17 digits of a resident ID.

    ISO 7064:1983 MOD 11-2, as used by GB 11643-1999: S = Σ digit × weight,
    with weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2. Y = S mod 11 maps to
    ``1 0 X 9 8 7 6 5 4 3 2``. ``id_check_char("11010519491231002")`` → ``"X"``.

    Raises :class:`InvalidValue` (a ``ValueError``) unless given exactly 17
    ASCII digits.
    """
    if not (isinstance(first17, str) and len(first17) == 17 and first17.isascii()
            and first17.isdigit()):
        raise InvalidValue(MSG_ID_FIRST17, "id_first17")
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK_CHARS[total % 11]


def _today() -> date:
    """Today's date in Asia/Shanghai (portal.timeutil)."""
    from portal.timeutil import local_today

    return local_today()


def parse_resident_id(
    raw: str | None,
    *,
    today: date | None = None,
    earliest: date = EARLIEST_BIRTH_DATE,
) -> ResidentId:
    """Normalise and validate a resident identity number (GB 11643-1999).

    Normalisation: full-width → ASCII, whitespace removed (anywhere),
    ``x`` → ``X``. A legacy 15-digit number (GB 11643-1989: 6 address + YYMMDD
    + 3 sequence) is upgraded: ``"19"`` goes in after the address code and the
    check character is computed (``110105491231002`` → ``11010519491231002X``).

    Checks, in this order, each with its own message and ``code``:

    * ``id_empty``: nothing entered.
    * ``id_length``: not 18 (or 15) characters.
    * ``id_chars``: 18 characters but not ``^\\d{17}[\\dX]$``, or 15 but not digits.
    * ``id_province``: the first two digits are not in :data:`PROVINCE_CODES`.
    * ``id_date_invalid``: the birth date does not exist.
    * ``id_date_future``: born after ``today`` (default: today in Asia/Shanghai).
    * ``id_date_too_old``: born before ``earliest`` (default 1900-01-01).
    * ``id_check_char``: wrong check character.

    Returns a :class:`ResidentId`. Raises :class:`InvalidValue` (a ``ValueError``).
    """
    s = fullwidth_to_ascii("" if raw is None else str(raw))
    s = "".join(s.split()).translate(_INVISIBLE).upper()
    if not s:
        raise InvalidValue(MSG_ID_EMPTY, "id_empty")

    upgraded_from = None
    if len(s) == 15:
        if not _ID15_RE.match(s):
            raise InvalidValue(MSG_ID_CHARS_15, "id_chars")
        upgraded_from = s
        first17 = s[:6] + "19" + s[6:]
    elif len(s) == 18:
        if not _ID18_RE.match(s):
            raise InvalidValue(MSG_ID_CHARS, "id_chars")
        first17 = s[:17]
    else:
        raise InvalidValue(MSG_ID_LENGTH, "id_length")

    province = first17[:2]
    if province not in PROVINCE_CODES:
        raise InvalidValue(MSG_ID_PROVINCE, "id_province")

    try:
        birth = date(int(first17[6:10]), int(first17[10:12]), int(first17[12:14]))
    except ValueError:
        raise InvalidValue(MSG_ID_DATE_INVALID, "id_date_invalid") from None
    if today is None:
        today = _today()
    elif isinstance(today, datetime):
        today = today.date()
    if birth > today:
        raise InvalidValue(MSG_ID_DATE_FUTURE, "id_date_future")
    if birth < earliest:
        raise InvalidValue(
            _l("The birth date in the ID number is before %(date)s.",
               date=earliest.isoformat()),
            "id_date_too_old",
        )

    check = id_check_char(first17)
    if upgraded_from is None and s[17] != check:
        raise InvalidValue(MSG_ID_CHECK, "id_check_char")

    return ResidentId(
        number=first17 + check,
        birth_date=birth,
        sex="M" if int(first17[16]) % 2 else "F",
        upgraded_from=upgraded_from,
        province_code=province,
    )


def age_on(birth_date: date, on_date: date) -> int:
    """Age in full years (周岁) on ``on_date``.

    The age goes up on the birthday itself. Someone born on 29 February turns
    a year older on 1 March in common years. Accepts ``date`` or ``datetime``
    (only the date part is used). Raises :class:`InvalidValue` (a
    ``ValueError``) if ``on_date`` is before ``birth_date``.
    """
    if isinstance(birth_date, datetime):
        birth_date = birth_date.date()
    if isinstance(on_date, datetime):
        on_date = on_date.date()
    if on_date < birth_date:
        raise InvalidValue(MSG_AGE_ORDER, "age_order")
    years = on_date.year - birth_date.year
    if (on_date.month, on_date.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


# --------------------------------------------------------------------------
# Masking (domain.md 9.3)
# --------------------------------------------------------------------------

MASK = "*"


def _mask_middle(s: str, head: int, tail: int) -> str:
    """Keep ``head`` leading and ``tail`` trailing characters; stars elsewhere."""
    if len(s) <= head + tail:
        return MASK * len(s)
    return s[:head] + MASK * (len(s) - head - tail) + s[len(s) - tail:]


def mask_id(number: str | None, *, head: int = 6, tail: int = 4) -> str:
    """Mask an ID number for lists and screens (domain.md 9.3).

    An 18-character resident ID keeps the first ``head`` (default 6, the
    address code) and the last ``tail`` (default 4) characters:
    ``11010519491231002X`` → ``110105********002X``. The 8 birth-date digits
    are never shown: ``head`` is capped at 6 and ``tail`` at 4. The
    alternative "first 1 + last 2" style is ``mask_id(n, head=1, tail=2)``.

    A legacy 15-digit ID keeps the first 6 and the last 3, because its 4th
    last digit is part of the birth date. Any other ID (passport, permits)
    keeps its first and last character: ``E12345678`` → ``E*******8``. Values
    of 1–2 characters become all stars. Empty or ``None`` gives ``""``.
    Never raises.
    """
    if not number:
        return ""
    s = "".join(fullwidth_to_ascii(str(number)).split()).upper()
    if _ID18_RE.match(s):
        return _mask_middle(s, max(0, min(head, 6)), max(0, min(tail, 4)))
    if _ID15_RE.match(s):
        return _mask_middle(s, max(0, min(head, 6)), max(0, min(tail, 3)))
    return _mask_middle(s, 1, 1)


def mask_phone(phone: str | None) -> str:
    """Mask a phone number for display (domain.md 9.3).

    A mobile keeps the first 3 and the last 4 digits: ``13812345678`` →
    ``138****5678``. A landline keeps its area code and the last 2 digits:
    ``010-65529988`` → ``010-******88``. Its extension is not shown. Anything
    unrecognised keeps only its first and last character. The input is
    normalised first (:func:`normalize_phone`). Empty or ``None`` gives ``""``.
    Never raises.
    """
    number = normalize_phone(phone)
    if not number:
        return ""
    main = number.partition("-")[0]
    if _MOBILE_RE.match(main):
        return main[:3] + MASK * 4 + main[7:]
    if _is_phone(main):
        area = _area_code_length(main)
        local = main[area:]
        return main[:area] + "-" + MASK * (len(local) - 2) + local[-2:]
    return _mask_middle(number, 1, 1)


#: Chinese compound (two-character) surnames, most common first.
COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "诸葛", "上官", "司徒", "东方", "皇甫", "尉迟", "公孙",
    "慕容", "长孙", "宇文", "夏侯", "令狐", "端木", "南宫", "西门", "百里",
    "呼延", "独孤", "轩辕", "钟离", "闻人", "澹台", "公冶", "宗政", "濮阳",
    "淳于", "单于", "太叔", "申屠", "司空", "万俟", "拓跋", "东郭", "第五",
})

#: Substrings that mark the name of an organisation, not a person.
ORGANISATION_MARKERS = (
    "公司", "合作社", "委员会", "村委会", "居委会", "集团", "中心", "学校", "小学",
    "中学", "大学", "学院", "幼儿园", "医院", "卫生院", "卫生室", "诊所", "银行",
    "信用社", "协会", "商会", "事务所", "研究所", "派出所", "司法所", "工作室",
    "经营部", "门市部", "商行", "超市", "政府", "办事处", "法院", "检察院",
    "村民小组", "企业", "工厂", "农场", "林场", "养殖场", "酒店", "饭店", "宾馆",
    "有限", "股份", "个体户", "联社", "基金会", "厂",
)

#: Final characters that mark an organisation ("红星机械厂", "张记饭店").
#: Characters that also occur in personal names (社, 园, 行…) are left out,
#: because calling a person an organisation would show their full name.
ORGANISATION_SUFFIXES = ("店", "局", "场", "站", "馆")


def _is_organisation(name: str) -> bool:
    if any(marker in name for marker in ORGANISATION_MARKERS):
        return True
    return len(name) >= 3 and name.endswith(ORGANISATION_SUFFIXES)


def mask_name_for_report(name: str | None) -> str:
    """Pseudonymise a party's name for reports: surname + 某 (domain.md 9.3).

    Follows the SPC practice for published judgments: ``张三`` → ``张某``,
    ``欧阳娜娜`` → ``欧阳某``. Compound surnames from :data:`COMPOUND_SURNAMES`
    are recognised for names of 3 or more characters. Characters outside the
    BMP count as one character (``𠮷明`` → ``𠮷某``).

    Organisations are returned unchanged (``"某某村股份经济合作社"``). The test
    is :data:`ORGANISATION_MARKERS`, or a final character in
    :data:`ORGANISATION_SUFFIXES`. Other names, including minority names with
    ``·``, keep their first character. The text is tidied first
    (:func:`normalize_text`). Empty or ``None`` gives ``""``. Never raises.
    """
    s = normalize_text(name)
    if not s:
        return ""
    if _is_organisation(s):
        return s
    if len(s) >= 3 and s[:2] in COMPOUND_SURNAMES:
        return s[:2] + "某"
    return s[0] + "某"


# --------------------------------------------------------------------------
# Dates (domain.md 8.2)
# --------------------------------------------------------------------------

_CN_DIGITS = "〇一二三四五六七八九"
_CN_DIGIT_VALUE = {c: i for i, c in enumerate(_CN_DIGITS)}
# Zero variants: 零, WHITE CIRCLE ○ (U+25CB), Latin O/o (also from full-width Ｏ),
# the digit 0, and the LARGE CIRCLE ◯ (U+25EF).
_CN_DIGIT_VALUE.update({"零": 0, "○": 0, "◯": 0, "O": 0, "o": 0, "0": 0})

_YMD_CN_RE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$")
_YMD_SEP_RE = re.compile(r"^(\d{4})([./-])(\d{1,2})\2(\d{1,2})$")
_YMD_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YMD_HANZI_RE = re.compile(
    r"^([〇零○◯Oo0一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月"
    r"([一二三四五六七八九十廿卅]{1,3})[日号]$"
)


def format_cn_date(d: date, *, chinese_numerals: bool = False) -> str:
    """Format a date for printed documents: ``2026年3月1日``.

    Full 4-digit year, month and day not zero-padded (GB/T 9704-2012 7.3.5).
    With ``chinese_numerals=True`` it gives ``二〇二六年三月一日``, the optional
    style of domain.md 8.2. Accepts ``date`` or ``datetime``. Takes the date as
    given: convert datetimes to Asia/Shanghai first.
    """
    if chinese_numerals:
        year = "".join(_CN_DIGITS[int(c)] for c in f"{d.year:04d}")
        return f"{year}年{_cn_number(d.month)}月{_cn_number(d.day)}日"
    return f"{d.year}年{d.month}月{d.day}日"


def _cn_number(n: int) -> str:
    """1..31 in Chinese numerals: 三, 十, 十一, 二十, 三十一."""
    tens, units = divmod(n, 10)
    if tens == 0:
        return _CN_DIGITS[units]
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[units] if units else "")


def _parse_cn_number(s: str) -> int | None:
    """Parse 1..39 in Chinese numerals (三, 十, 十一, 二十, 廿一, 三十一); else ``None``."""
    s = s.replace("廿", "二十").replace("卅", "三十")
    if "十" not in s:
        return _CN_DIGIT_VALUE[s] if len(s) == 1 and s in "一二三四五六七八九" else None
    m = re.fullmatch(r"([一二三]?)十([一二三四五六七八九]?)", s)
    if not m:
        return None
    tens = _CN_DIGIT_VALUE[m[1]] if m[1] else 1
    return tens * 10 + (_CN_DIGIT_VALUE[m[2]] if m[2] else 0)


def parse_cn_date(s: str | None) -> date:
    """Parse a date typed in any of the usual Chinese forms.

    Accepted (full-width digits and spaces allowed):
    ``2026年10月3日`` (日 or 号, or none), ``2026.10.3``, ``2026-10-03``,
    ``2026/10/3`` (one separator used throughout), ``20261003``, and
    Chinese numerals ``二〇二六年十月三日`` (year digits 〇/零/○/O, months
    一…十二, days 一…三十一, 廿/卅 allowed).

    Returns a ``date``. Raises :class:`InvalidValue` (a ``ValueError``):
    ``date_empty``, ``date_format`` (not a recognised form) or
    ``date_invalid`` (e.g. 2026年2月30日).
    """
    text = "".join(fullwidth_to_ascii("" if s is None else str(s)).split())
    text = text.translate(_INVISIBLE)
    if not text:
        raise InvalidValue(MSG_DATE_EMPTY, "date_empty")

    parts: tuple[int, int, int] | None = None
    if m := _YMD_CN_RE.match(text):
        parts = (int(m[1]), int(m[2]), int(m[3]))
    elif m := _YMD_SEP_RE.match(text):
        parts = (int(m[1]), int(m[3]), int(m[4]))
    elif m := _YMD_COMPACT_RE.match(text):
        parts = (int(m[1]), int(m[2]), int(m[3]))
    elif m := _YMD_HANZI_RE.match(text):
        year = int("".join(str(_CN_DIGIT_VALUE[c]) for c in m[1]))
        month, day = _parse_cn_number(m[2]), _parse_cn_number(m[3])
        if month is not None and day is not None:
            parts = (year, month, day)
    if parts is None:
        raise InvalidValue(MSG_DATE_FORMAT, "date_format")
    try:
        return date(*parts)
    except ValueError:
        raise InvalidValue(MSG_DATE_INVALID, "date_invalid") from None


# --------------------------------------------------------------------------
# Money (domain.md 8.4)
# --------------------------------------------------------------------------

#: Largest accepted amount: fits NUMERIC(14, 2).
MAX_AMOUNT = Decimal("999999999999.99")
_CENT = Decimal("0.01")
_AMOUNT_RE = re.compile(r"^(?P<num>\d+(?:\.\d*)?|\.\d+)(?P<wan>万)?$")
_THOUSANDS_RE = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?(?=万?$)")
_CURRENCY_PREFIXES = ("人民币", "RMB", "CNY", "¥", "￥")
_CURRENCY_SUFFIXES = ("元整", "元", "圆整", "圆", "块钱", "块")


def parse_amount(s: str | int | Decimal | None) -> Decimal:
    """Parse a money amount in yuan: ≥ 0, at most two decimals (domain.md 8.4).

    Accepts ``"1200"``, ``"1,200.50"`` (thousands separators must group by
    three), ``"1200元"``, ``"¥1200"``, ``"人民币1200元整"``, full-width digits,
    and ``万`` (ten thousand): ``"1.2万"`` / ``"1.2万元"`` → ``12000.00``.
    ``int``, ``Decimal`` and ``float`` inputs (spreadsheet cells) are read
    through ``str()``.

    Returns a ``Decimal`` quantised to 0.01. Raises :class:`InvalidValue`
    (a ``ValueError``): ``amount_empty``, ``amount_format``,
    ``amount_negative``, ``amount_decimals`` (more than 2 decimals after
    applying 万, never rounded) or ``amount_too_large`` (above
    :data:`MAX_AMOUNT`).
    """
    if s is None or isinstance(s, bool):
        text = ""
    else:
        text = str(s)
    text = "".join(fullwidth_to_ascii(text).split()).translate(_INVISIBLE)
    if not text:
        raise InvalidValue(MSG_AMOUNT_EMPTY, "amount_empty")

    # One optional sign, before or after one optional currency prefix.
    sign = prefix_seen = ""
    for _ in range(2):
        if not sign and text[:1] in ("-", "−", "+"):
            sign, text = text[0], text[1:]
        for prefix in () if prefix_seen else _CURRENCY_PREFIXES:
            if text.upper().startswith(prefix):
                prefix_seen, text = prefix, text[len(prefix):]
                break
    negative = sign in ("-", "−")
    for suffix in _CURRENCY_SUFFIXES:
        if text.endswith(suffix):
            text = text[: -len(suffix)]
            break

    if "," in text:
        if not _THOUSANDS_RE.match(text):
            raise InvalidValue(MSG_AMOUNT_FORMAT, "amount_format")
        text = text.replace(",", "")
    m = _AMOUNT_RE.match(text)
    if not m:
        raise InvalidValue(MSG_AMOUNT_FORMAT, "amount_format")
    try:
        value = Decimal(m["num"])
    except InvalidOperation:  # pragma: no cover - the regex admits only numbers
        raise InvalidValue(MSG_AMOUNT_FORMAT, "amount_format") from None
    if m["wan"]:
        value *= 10000
    if negative and value:
        raise InvalidValue(MSG_AMOUNT_NEGATIVE, "amount_negative")
    if value > MAX_AMOUNT:
        raise InvalidValue(MSG_AMOUNT_TOO_LARGE, "amount_too_large")
    if value != value.quantize(_CENT):
        raise InvalidValue(MSG_AMOUNT_DECIMALS, "amount_decimals")
    return value.quantize(_CENT)
