"""Printed documents of a dispute (domain.md 6, 10): the forms of the standard dossier and the whole
dossier as one PDF, rendered with WeasyPrint through :mod:`portal.pdf`.

* Every document is an HTML template under ``templates/pdf/`` (``_<kind>.html`` holds the body, so
  the same body is used alone and inside the dossier).
* The dossier is ONE HTML document: page numbers run on, and the contents page reads each part's
  first and last page with CSS ``target-counter()``, so it always matches.
* Drafts carry the 草稿 watermark; final prints carry a verification code and a QR code.
* :func:`content_disposition` builds RFC 6266 download headers with a Chinese file name.
"""
from __future__ import annotations

import base64
import functools
import html as htmllib
import re
from dataclasses import dataclass, field
from typing import Any, Optional
from urllib.parse import quote

from flask import render_template
from weasyprint import HTML
from weasyprint.urls import path2url

from portal.dictionaries import labels
from portal.models.dispute import APPLICANT, RESPONDENT, Dispute
from portal.pdf import STATIC_DIR, StaticOnlyURLFetcher, qr_data_uri, unprintable_chars
from portal.records import services

#: kind → printed title (domain.md 6). Order = the order offered on the case page.
DOCUMENTS: dict[str, str] = {
    "intake": "人民调解受理登记表",
    "notice": "人民调解当事人权利义务告知书",
    "investigation": "人民调解调查记录",
    "minutes": "人民调解记录",
    "agreement": "人民调解协议书",
    "oral": "人民调解口头协议登记表",
    "followup": "人民调解回访记录",
    "cover": "卷宗封面",
    "contents": "卷内目录",
    "dossier": "人民调解卷宗",
}

#: Characters not allowed in file names on Windows/macOS/Linux, plus control characters.
_ILLEGAL = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
#: Attachment kinds bound into the dossier, by position in the standard order (domain.md 6 table).
DOSSIER_ATTACHMENTS = {"ID_PROOF": "当事人身份证明", "POWER_OF_ATTORNEY": "授权委托书",
                       "EVIDENCE": "人民调解证据材料", "PHOTO": "人民调解证据材料",
                       "PERFORMANCE_RECEIPT": "履行凭证", "JUDICIAL": "司法确认有关材料"}


def safe_filename(name: str) -> str:
    """Replace characters that are illegal in file names (``\\ / : * ? " < > |``, control
    characters) with ``_`` and trim spaces and dots at the ends. Chinese text is kept."""
    cleaned = _ILLEGAL.sub("_", name or "").strip(" .")
    return cleaned or "document"


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """An RFC 6266 ``Content-Disposition`` value for a (Chinese) file name.

    Takes the wanted file name (illegal characters are replaced, see :func:`safe_filename`) and the
    disposition type. Returns e.g. ``attachment; filename="2026-012.pdf";
    filename*=UTF-8''%E4%BA%BA...`` — an ASCII fallback for old clients (non-ASCII characters
    dropped, the extension kept) and the UTF-8 name percent-encoded (RFC 5987/8187).
    """
    name = safe_filename(filename)
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ascii_stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.") or "document"
    fallback = f"{ascii_stem}.{ext}" if ext and ext.isascii() else ascii_stem
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def pdf_filename(kind: str, dispute: Dispute) -> str:
    """Download name such as ``人民调解协议书（2026）白沙人调字第012号.pdf`` (ledger number if no case number)."""
    number = dispute.case_no or f"台账{dispute.ledger_year}-{dispute.ledger_serial:04d}"
    return safe_filename(f"{DOCUMENTS[kind]}{number}.pdf")


def _names(parties: list[dict], side: Optional[str] = None) -> str:
    return "、".join(p["name"] for p in parties if side is None or p.get("side") == side)


def _image_uri(row) -> Optional[str]:
    """A data: URI of an image attachment (PDF attachments return None)."""
    if not row.content_type.startswith("image/"):
        return None
    data = services.attachment_path(row).read_bytes()
    return f"data:{row.content_type};base64,{base64.b64encode(data).decode()}"


@dataclass
class Part:
    """One item of the dossier: its title (as in the contents) and the template body to include."""

    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    remark: str = ""


#: Chinese labels of coded values printed on the forms (the PDFs are Chinese documents).
ZH = {
    "sex": {"M": "男", "F": "女"},
    "side": {"APPLICANT": "申请人", "RESPONDENT": "被申请人", "THIRD": "第三人"},
    "notice": {"ORAL": "口头告知", "WRITTEN": "书面告知"},
    "visit": {"VISIT": "上门回访", "PHONE": "电话回访", "WECHAT": "微信回访"},
    "satisfaction": {"SATISFIED": "满意", "FAIRLY": "基本满意", "UNSATISFIED": "不满意"},
    "performance": {"PENDING": "待履行", "PERFORMED_IMMEDIATE": "当场履行", "PERFORMED": "已履行完毕",
                    "PARTIAL": "部分履行", "NOT_PERFORMED": "未履行", "JUDICIALLY_CONFIRMED": "已司法确认",
                    "IN_LITIGATION": "已起诉"},
    "id_type": {"RESIDENT_ID": "居民身份证", "HOUSEHOLD_REGISTER": "户口簿", "PASSPORT": "护照",
                "HK_MACAU_PERMIT": "港澳居民来往内地通行证", "TAIWAN_PERMIT": "台湾居民来往大陆通行证",
                "FOREIGNER_PR": "外国人永久居留身份证", "CREDIT_CODE": "统一社会信用代码", "OTHER": "其他证件"},
}
_CN_DIGITS = "〇一二三四五六七八九"


def cn_numeral(n: int) -> str:
    """1..99 as Chinese numerals for numbered terms: 一, 十, 十一, 二十三."""
    tens, units = divmod(n, 10)
    if tens == 0:
        return _CN_DIGITS[units]
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[units] if units else "")


def base_context(dispute: Dispute) -> dict[str, Any]:
    """What every document template needs: the dispute, its records, parties, committee, labels."""
    recs = services.records_of(dispute)
    parties = services.snapshot_parties(dispute)
    mediator_names = [m.name for m in dispute.mediators]
    return {
        "dispute": dispute,
        "recs": recs,
        "parties": parties,
        "applicants": _names(parties, APPLICANT),
        "respondents": _names(parties, RESPONDENT) or _names(parties[1:]),
        "committee_name": dispute.committee.name if dispute.committee else "",
        "category_label": labels("category").get(dispute.category, dispute.category or ""),
        "source": dispute.source,
        "source_label": labels("source").get(dispute.source or "", dispute.source or ""),
        "mediator_names": mediator_names,
        "signature_items": services.signature_items,
        "confirmation_deadline": services.confirmation_deadline(recs["agreement"]),
        "zh": ZH,
        "cn_numeral": cn_numeral,
    }


def dossier_parts(ctx: dict[str, Any]) -> list[Part]:
    """The items of the dossier actually present, in binding order (domain.md 6 table, 4.12)."""
    recs = ctx["recs"]
    attachments = recs["attachments"]

    def attached(*kinds):
        rows = [row for row in attachments if row.kind in kinds]
        return [{"row": row, "uri": _image_uri(row)} for row in rows]

    parts = [Part(DOCUMENTS["intake"], "pdf/_intake.html"), Part(DOCUMENTS["notice"], "pdf/_notice.html")]
    for kinds, title in ((("ID_PROOF",), "当事人身份证明"), (("POWER_OF_ATTORNEY",), "授权委托书")):
        if files := attached(*kinds):
            parts.append(Part(title, "pdf/_attachments.html", {"files": files, "part_title": title}))
    if recs["investigations"]:
        parts.append(Part(DOCUMENTS["investigation"], "pdf/_investigation.html"))
    if files := attached("EVIDENCE", "PHOTO"):
        parts.append(Part("人民调解证据材料", "pdf/_attachments.html", {"files": files, "part_title": "人民调解证据材料"}))
    if recs["sessions"]:
        parts.append(Part(DOCUMENTS["minutes"], "pdf/_minutes.html"))
    if recs["agreement"]:
        parts.append(Part(DOCUMENTS["agreement"], "pdf/_agreement.html"))
    if recs["oral_agreements"]:
        parts.append(Part(DOCUMENTS["oral"], "pdf/_oral.html"))
    if files := attached("PERFORMANCE_RECEIPT"):
        parts.append(Part("收条或汇款单等履行凭证", "pdf/_attachments.html",
                          {"files": files, "part_title": "收条或汇款单等履行凭证"}))
    if recs["follow_ups"]:
        parts.append(Part(DOCUMENTS["followup"], "pdf/_followup.html"))
    if files := attached("JUDICIAL"):
        parts.append(Part("司法确认有关材料", "pdf/_attachments.html", {"files": files, "part_title": "司法确认有关材料"}))
    for part in parts:
        if part.template == "pdf/_attachments.html" and any(f["uri"] is None for f in part.context["files"]):
            part.remark = "含PDF原件，另附"
    return parts


def version_of(kind: str, ctx: dict[str, Any]) -> str:
    """A short description of what is printed, stored in the print log and shown on verification
    (e.g. ``第2稿`` for an agreement revision, ``3份记录`` for minutes)."""
    recs = ctx["recs"]
    if kind == "agreement" and recs["agreement"]:
        return f"第{recs['agreement'].revision}稿"
    counts = {"investigation": "investigations", "minutes": "sessions", "oral": "oral_agreements",
              "followup": "follow_ups", "notice": "notices"}
    if kind in counts:
        return f"{len(recs[counts[kind]])}份记录"
    if kind in ("dossier", "contents", "cover"):
        return f"{len(dossier_parts(ctx))}项材料"
    return "—"


def render_html(dispute: Dispute, kind: str, *, draft: bool, code: Optional[str] = None,
                verify_url: Optional[str] = None, unprintable: Optional[list[str]] = None,
                single_pages: frozenset[int] = frozenset()) -> str:
    """Render the HTML of document ``kind`` for ``dispute``.

    ``draft`` adds the 草稿 watermark and, when ``unprintable`` characters are given, a warning box
    listing them; ``code``/``verify_url`` print the verification footer with its QR code.
    ``single_pages`` (dossier and contents): numbers of the parts that fit on one page, whose
    contents row prints one page number instead of a range (see :func:`document_pdf`).
    Raises KeyError for an unknown kind.
    """
    title = DOCUMENTS[kind]
    ctx = base_context(dispute)
    ctx.update(kind=kind, doc_title=title, draft=draft, body_class="small", verification_code=code, verification_url=verify_url,
               qr_data_uri=qr_data_uri, unprintable=unprintable or [], single_pages=single_pages)
    if kind in ("dossier", "contents", "cover"):
        ctx["parts"] = dossier_parts(ctx)
        ctx["only"] = kind
        ctx["code_on"] = ("contents" if kind == "contents" else "cover") if code else None
        html = render_template("pdf/dossier.html", **ctx)
    else:
        html = render_template("pdf/document.html", body=f"pdf/_{kind}.html", **ctx)
    return mark_unprintable(html, unprintable or [], draft=draft)


def mark_unprintable(html: str, chars: list[str], *, draft: bool) -> str:
    """Replace characters no font can print so that no empty box is printed silently.

    On drafts each becomes a red ``〔U+XXXXX〕`` marker; on final prints (printed only after the user
    confirmed they will write them by hand) an underlined blank of one character to write in.
    The warning box of the draft keeps the characters themselves.
    """
    head, sep, body = html.partition("<body")
    for char in chars:
        code = "U+%04X" % ord(char)
        marker = f'<span class="hand-draft">〔{code}〕</span>' if draft else f'<span class="hand" title="{code}"></span>'
        body = body.replace(char, marker)
    return head + sep + body


_TAG = re.compile(r"<(style|script)[^>]*>.*?</\1>|<[^>]+>", re.S)


def html_text(html: str) -> str:
    """The visible text of rendered HTML (tags and styles removed, entities decoded)."""
    return htmllib.unescape(_TAG.sub(" ", html))


def check_printable(dispute: Dispute, kind: str) -> list[str]:
    """Characters of document ``kind`` that no installed font can print (portal.pdf.unprintable_chars).

    Empty when everything prints. A box must never be printed silently on a document people sign:
    the caller warns and asks for confirmation (see views.print_document).
    """
    return unprintable_chars(html_text(render_html(dispute, kind, draft=False)))


def _strings(value: Any):
    """Every string inside ``value`` (a column value: text, or a JSON list/dict of them)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


#: Derived columns (normalised copies for searching) that are never printed.
_NOT_PRINTED = frozenset({"search_text", "name_norm"})


@functools.lru_cache(maxsize=None)
def _printed_keys(table) -> tuple[str, ...]:
    """The attribute keys of ``table``'s columns that may be printed (all but :data:`_NOT_PRINTED`)."""
    return tuple(column.key for column in table.columns if column.key not in _NOT_PRINTED)


def _row_text(row) -> list[str]:
    """The text columns (and JSON lists of text) of one ORM row."""
    texts: list[str] = []
    for key in _printed_keys(row.__table__):
        value = getattr(row, key)
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, (dict, list, tuple)):
            texts.extend(_strings(value))
    return texts


def source_text(dispute: Dispute, recs: Optional[dict[str, Any]] = None) -> str:
    """All user-entered text that goes into the case's documents, joined by newlines: the dispute
    (title, summary, place, …), its parties, village/grid/committee/mediator names, the category and
    source labels, and every record (notice, investigations, sessions, agreement with its party
    snapshot, oral agreements, follow-ups, confirmations, attachment titles).

    Takes the dispute and optionally its :func:`services.records_of` (loaded when omitted). The printed
    templates add only fixed Chinese text, which Noto CJK covers, so checking this text finds the same
    unprintable characters as checking the rendered dossier, without rendering it.
    """
    recs = recs if recs is not None else services.records_of(dispute)
    parts = _row_text(dispute)
    for party in dispute.parties:
        parts += _row_text(party)
    parts += [unit.name for unit in (dispute.village, dispute.grid, dispute.town) if unit is not None]
    if dispute.committee:
        parts.append(dispute.committee.name)
    parts += [mediator.name for mediator in dispute.mediators]
    parts.append(labels("category").get(dispute.category or "", ""))
    parts.append(labels("source").get(dispute.source or "", ""))
    for key in ("notices", "investigations", "sessions", "oral_agreements", "follow_ups", "confirmations",
                "attachments"):
        for row in recs[key]:
            parts += _row_text(row)
    if recs["agreement"] is not None:
        parts += _row_text(recs["agreement"])
    return "\n".join(parts)


def check_printable_source(dispute: Dispute, recs: Optional[dict[str, Any]] = None) -> list[str]:
    """Characters of the case's documents that no installed font can print, found in
    :func:`source_text` (cheap: no template is rendered). Same result as ``check_printable(dispute,
    "dossier")`` for the warnings of the case page; the print views still check the rendered document.
    """
    text = source_text(dispute, recs)
    # Each distinct character checked once (~20× fewer than the text's), then ordered by first appearance.
    return sorted(unprintable_chars("".join(set(text))), key=text.index)


def _layout(html: str):
    return HTML(string=html, base_url=path2url(STATIC_DIR), url_fetcher=StaticOnlyURLFetcher()).render()


def single_page_parts(document) -> frozenset[int]:
    """Numbers (1-based, binding order) of the dossier parts of a rendered ``document`` whose first
    page (anchor ``part-N``) is also their last (anchor ``part-N-end``)."""
    where: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for anchor in page.anchors:
            where.setdefault(anchor, index)
    return frozenset(n for n in range(1, len(where) + 1)
                     if f"part-{n}" in where and where[f"part-{n}"] == where.get(f"part-{n}-end"))


def document_pdf(dispute: Dispute, kind: str, **options: Any) -> tuple[bytes, int]:
    """Render document ``kind`` of ``dispute`` to PDF; returns ``(pdf bytes, page count)``.

    ``options`` are those of :func:`render_html`. The contents of the dossier (卷内目录, domain.md
    6.2) print "3" for a one-page document and "3–5" for a range: CSS cannot compare two page
    numbers, so the dossier is laid out once to find the one-page parts and rendered again with
    those rows reduced to their first page (same layout, numbers still from ``target-counter``).
    """
    html = render_html(dispute, kind, **options)
    if kind in ("dossier", "contents"):
        singles = single_page_parts(_layout(html))
        if singles:
            html = render_html(dispute, kind, single_pages=singles, **options)
    return write_pdf(html, kind)


def write_pdf(html: str, kind: str) -> tuple[bytes, int]:
    """Render ``html`` to PDF and return ``(pdf bytes, page count)``.

    Uses WeasyPrint's document API with portal.pdf's static-only URL fetcher. For ``contents``
    only the contents page(s) of the dossier are kept, so their numbers match the whole dossier.
    """
    document = _layout(html)
    pages = document.pages
    if kind == "contents":
        start = next(i for i, page in enumerate(pages) if "contents" in page.anchors)
        end = next((i for i, page in enumerate(pages) if "part-1" in page.anchors), len(pages))
        pages = pages[start:end]
        document = document.copy(pages)
    return document.write_pdf(), len(pages)
