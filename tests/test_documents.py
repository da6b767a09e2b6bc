"""Printed documents read back from the PDF: names, terms, fonts (SC faces only), Chinese dates,
watermark on drafts only, verification code, dossier page numbers matching the contents page,
and characters that cannot print (warning + confirmation)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models.records import PrintLog
from portal.records import services
from portal.records.documents import DOCUMENTS
from tests.pdfutil import pdf_fonts, pdf_page_count, pdf_page_texts, pdf_text
from tests.test_records_support import TODAY, case, fill_case, make_case, sign_and_scan  # noqa: F401


def cn(day):
    return f"{day.year}年{day.month}月{day.day}日"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def filled(client, auth, case):
    auth.login("cun01")
    fill_case(client, case)
    return case


@pytest.mark.parametrize("kind", list(DOCUMENTS))
def test_every_document_renders_a4_with_sc_fonts(client, filled, kind):
    r = client.get(f"/records/{filled.id}/documents/{kind}.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in r.headers["Content-Disposition"]
    fonts = pdf_fonts(r.data)
    cjk = {f for f in fonts if "CJK" in f}
    assert cjk and all(re.search(r"CJK-?SC", f, re.I) for f in cjk), fonts     # never the JP/TC/KR faces
    text = _squash(pdf_text(r.data))
    assert "草稿" in text.replace("稿", "稿")                                   # draft watermark on previews


def test_agreement_text_names_terms_dates(client, filled):
    pdf = client.get(f"/records/{filled.id}/documents/agreement.pdf").data
    text = _squash(pdf_text(pdf))
    for needle in ("人民调解协议书", "张𠮷", "李四", "11010519491231002X", "440524188001010014",
                   "一、李四于十日内拆除占用通道部分的围墙。", "二、张𠮷不再追究其他责任。",
                   "本协议一式3份", "白沙村人民调解委员会（印章）", cn(TODAY - timedelta(days=2)),
                   filled.case_no):
        assert _squash(needle) in text, needle
    assert pdf_page_count(pdf) == 1
    assert not re.search(r"\d{4}年0\d月|月0\d日", text)       # no zero padding (GB/T 9704-2012 7.3.5)


def test_minutes_and_intake_content(client, filled):
    text = _squash(pdf_text(client.get(f"/records/{filled.id}/documents/minutes.pdf").data))
    assert "人民调解记录" in text and "张𠮷、李四" in text and "双方达成书面协议。" in text
    assert cn(TODAY - timedelta(days=5)) in text
    text = _squash(pdf_text(client.get(f"/records/{filled.id}/documents/intake.pdf").data))
    assert "人民调解受理登记表" in text and "房屋宅基地纠纷" in text and cn(filled.accepted_date) in text


def test_watermark_on_draft_not_on_final_with_verification(client, filled):
    draft = client.get(f"/records/{filled.id}/documents/agreement.pdf").data
    assert "草稿" in _squash(pdf_text(draft)) and "验证码" not in pdf_text(draft)
    final = client.post(f"/records/{filled.id}/documents/agreement.pdf", data={"print-copies": "3"})
    assert final.status_code == 200
    text = _squash(pdf_text(final.data))
    log = db.session.scalar(select(PrintLog))
    assert "草稿" not in text and f"验证码：{log.code}" in text
    assert "人民调解协议书" in final.headers["Content-Disposition"] or "%E4%BA%BA" in final.headers["Content-Disposition"]
    assert services.current_agreement(filled).status == "PRINTED"


def test_dossier_numbering_matches_contents(client, filled):
    sign_and_scan(client, filled, effective_on=TODAY - timedelta(days=1))
    for _ in range(2):   # more sessions: a longer, multi-page dossier
        client.post(f"/records/{filled.id}/investigation", data={
            "investigation-held_at": f"{(TODAY - timedelta(days=6)).isoformat()}T15:00",
            "investigation-place": "现场", "investigation-investigators": "赵某甲",
            "investigation-interviewee": "李四", "investigation-recorder": "王记录",
            "investigation-content": "问：围墙何时所建？\n答：去年十月。\n" * 30})
    pdf = client.post(f"/records/{filled.id}/documents/dossier.pdf", data={"print-copies": "1"}).data
    raw_pages = pdf_page_texts(pdf)
    pages = [_squash(t) for t in raw_pages]
    assert len(pages) >= 10
    # Page numbers "— N —" run on through the whole dossier (cover unnumbered).
    for number, text in enumerate(pages[1:-1], start=2):   # the back cover is unnumbered too
        assert f"—{number}—" in text, (number, text[-40:])
    contents = pages[1]
    assert "卷内目录" in contents
    rows = _contents_rows(raw_pages[1])
    assert rows
    for title, cell in rows:
        start, _sep, end = cell.partition("–")
        start = int(start)
        assert title in pages[start - 1] or title == "封底", (title, start)
        if end:
            assert int(end) > start
    assert f"本卷宗连面带底共计{len(pages)}页" in pages[-1]
    # The standalone contents PDF has the same numbers.
    alone = _squash(pdf_text(client.get(f"/records/{filled.id}/documents/contents.pdf").data))
    assert re.findall(r"\d+–\d+", alone) == re.findall(r"\d+–\d+", contents)


def test_rare_character_printable_with_fallback_font(client, auth, app, user):
    """𠮷 (U+20BB7) is in Noto CJK; 𧮞 (U+27B9E) prints through the fallback font when installed."""
    from portal.pdf import unprintable_chars
    dispute = make_case(user("cun01"), names=("王𧮞", "李四"))
    auth.login("cun01")
    fill_case(client, dispute)
    if unprintable_chars("𧮞"):
        pytest.skip("no font with U+27B9E installed (fonts-hanazono)")
    r = client.post(f"/records/{dispute.id}/documents/agreement.pdf", data={"print-copies": "3"})
    assert r.status_code == 200 and "王𧮞" in pdf_text(r.data)


def test_unprintable_name_blocks_until_confirmed(client, auth, user):
    """A character no installed font has (U+3134A, CJK Ext. G) is never printed silently."""
    dispute = make_case(user("cun01"), names=("陈\U0003134A", "李四"))
    auth.login("cun01")
    fill_case(client, dispute)
    panel = client.get(f"/records/{dispute.id}").get_data(as_text=True)
    assert "\U0003134A" in panel and "U+3134A" in panel
    r = client.post(f"/records/{dispute.id}/documents/agreement.pdf", data={"print-copies": "3"})
    assert r.status_code == 422 and r.mimetype == "text/html"
    assert "U+3134A" in r.get_data(as_text=True)
    assert db.session.scalar(select(PrintLog.id)) is None
    draft = _squash(pdf_text(client.get(f"/records/{dispute.id}/documents/agreement.pdf").data))
    assert "没有字形" in draft and "陈〔U+3134A〕" in draft and "\U0003134A" not in draft
    r = client.post(f"/records/{dispute.id}/documents/agreement.pdf",
                    data={"print-copies": "3", "print-confirm_unprintable": "y"})
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    final = _squash(pdf_text(r.data))
    assert "\U0003134A" not in final and "U+3134A" not in final and "李四" in final   # a blank to write in


def test_name_survives_storage_and_search(app, user):
    from portal.disputes.services import search_key
    dispute = make_case(user("cun01"), names=("张𠮷", "王𧮞"))
    db.session.expire_all()
    assert [p.name for p in dispute.parties] == ["张𠮷", "王𧮞"]
    assert search_key("王𧮞") in dispute.search_text


def _contents_rows(page_text: str) -> list[tuple[str, str]]:
    """(title, printed page cell) per row of the contents page (lines: 序号 文书名称 页号 [备注])."""
    rows = []
    for line in page_text.splitlines():
        if m := re.match(r"^\s*\d+\s+(\D+?)\s*(\d+(?:–\d+)?)(?:\s|$)", line):
            rows.append((_squash(m[1]), m[2]))
    return rows


def test_contents_print_one_number_for_one_page_and_a_range_otherwise(client, filled):
    """卷内目录 (domain.md 6.2): "3" for a document of one page, "3–5" for a longer one, never "3–3"."""
    sign_and_scan(client, filled, effective_on=TODAY - timedelta(days=1))
    client.post(f"/records/{filled.id}/investigation", data={   # a second, long investigation: 2+ pages
        "investigation-held_at": f"{(TODAY - timedelta(days=6)).isoformat()}T15:00",
        "investigation-place": "现场", "investigation-investigators": "赵某甲", "investigation-interviewee": "李四",
        "investigation-recorder": "王记录", "investigation-content": "问：围墙何时所建？\n答：去年十月。\n" * 40})
    pdf = client.post(f"/records/{filled.id}/documents/dossier.pdf", data={"print-copies": "1"}).data
    pages = pdf_page_texts(pdf)
    rows = _contents_rows(pages[1])
    assert [title for title, _cell in rows][-1] == "封底" and len(rows) >= 6, pages[1]
    # Each document runs from its first page to the page before the next document starts.
    starts = [int(cell.split("–")[0]) for _title, cell in rows] + [len(pages) + 1]
    for (title, cell), start, following in zip(rows, starts, starts[1:]):
        last = following - 1
        assert cell == (str(start) if last == start else f"{start}–{last}"), (title, cell, start, last)
        assert title in _squash(pages[start - 1]) or title == "封底", (title, start)
    cells = [cell for _title, cell in rows]
    assert any("–" in c for c in cells) and any("–" not in c for c in cells[:-1])
    assert not re.search(r"(\d+)–\1(?!\d)", _squash(pages[1]))
    # The standalone contents page prints the same cells.
    alone = pdf_page_texts(client.get(f"/records/{filled.id}/documents/contents.pdf").data)
    assert _contents_rows(alone[0]) == rows
