"""Report workflow (issue 5): draft → submitted (frozen figures and PDF, sha256) → signed; re-opening
creates a new version; Excel layout."""
from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models.reports import ReportVersion
from tests.reports_fixture import build_october


@pytest.fixture
def october(app):
    return build_october()


def _url(units, suffix=""):
    return f"/reports/T{units['T'].id}/2026-10{suffix}"


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_report_page_shows_linked_figures(october, client, auth):
    auth.login("zhongxin")
    html = client.get(_url(october)).get_data(as_text=True)
    assert "白沙镇2026年10月矛盾纠纷排查化解情况统计表" in html
    assert 'data-figure="found|2026-10|T' in html
    assert "张某" in html and "张三" not in html
    assert "data:image/svg+xml;base64," in html


def test_submit_freezes_pdf_and_later_edits_only_reach_a_new_version(october, client, auth, user):
    auth.login("zhongxin")
    response = client.post(_url(october, "/submit"), data={"narrative": "本月情况良好。", "preparer_name": "王某",
                                                           "preparer_phone": "0931-1234567"})
    assert response.status_code == 302
    v1 = db.session.scalar(select(ReportVersion))
    assert v1.status == "SUBMITTED" and v1.version == 1
    first = client.get(_url(october, "/report.pdf")).data
    assert hashlib.sha256(first).hexdigest() == v1.pdf_sha256
    text = _pdf_text(first)
    for needle in ("白沙镇2026年10月矛盾纠纷排查化解情况统计表", "单位：件、人、万元", "填报单位（盖章）", "负责人（签字）",
                   "填表人", "联系电话", "填报日期", "第 1 页", "本月情况良好", "王某"):
        assert needle in text, needle
    assert "草稿" not in text.replace(" ", "")

    d3 = october["d"]["d3"]
    d3.result, d3.status = "FAILED_TERMINATED", "FAILED"  # no longer a success
    db.session.commit()
    assert client.get(_url(october, "/report.pdf")).data == first  # byte-identical
    page = client.get(_url(october)).get_data(as_text=True)
    assert 'data-row="ALL"' in page

    assert client.post(_url(october, "/reopen"), data={"reason": ""}).status_code == 422
    assert client.post(_url(october, "/reopen"), data={"reason": "上庄村一件纠纷结果更正"}).status_code == 302
    versions = db.session.scalars(select(ReportVersion).order_by(ReportVersion.version)).all()
    assert [(v.version, v.status) for v in versions] == [(1, "SUBMITTED"), (2, "DRAFT")]
    assert versions[0].superseded_by_id == versions[1].id
    client.post(_url(october, "/submit"), data={"narrative": "更正后。"})
    db.session.expire_all()
    v2 = db.session.scalar(select(ReportVersion).where(ReportVersion.version == 2))
    totals = [c["text"] for c in v2.figures["table1"][-1]["cells"]]
    assert totals[7:9] == ["2", "40.0"]  # successes d1, d3, d14 → d1, d14 of 5 mediated after the edit
    assert [c["text"] for c in versions[0].figures["table1"][-1]["cells"]][7:9] == ["3", "60.0"]
    assert client.get(_url(october, "/report.pdf?v=1")).data == first
    assert client.get(_url(october, "/report.pdf?v=2")).data != first


def test_leader_signs_submitted_report(october, client, auth):
    auth.login("zhongxin")
    client.post(_url(october, "/submit"), data={"narrative": "x"})
    assert client.post(_url(october, "/sign")).status_code == 403
    auth.logout()
    auth.login("lingdao")
    assert client.post(_url(october, "/sign")).status_code == 302
    version = db.session.scalar(select(ReportVersion))
    assert version.status == "SIGNED" and version.signed_by.username == "lingdao"
    assert client.post(_url(october, "/sign")).status_code == 409


@pytest.mark.parametrize("username,status", [("cun03", 404), ("xian", 403), ("lingdao", 403), ("zhongxin", 302)])  # cun03: the town is outside its area
def test_only_town_staff_prepare(october, client, auth, username, status):
    auth.login(username)
    assert client.post(_url(october, "/save"), data={"narrative": "x"}).status_code == status


def test_draft_pdf_is_watermarked(october, client, auth):
    auth.login("zhongxin")
    response = client.get(_url(october, "/report.pdf"))
    assert response.mimetype == "application/pdf"
    text = "".join(_pdf_text(response.data).split())
    assert "草稿" in text
    assert "受理调解5件，其中调解成功3件，调解成功率60.0%" in text  # the default narrative, same rate as table 1


def test_excel_has_official_layout(october, client, auth):
    from openpyxl import load_workbook
    auth.login("zhongxin")
    response = client.get(_url(october, "/report.xlsx"))
    wb = load_workbook(io.BytesIO(response.data))
    ws = wb["表1 分单位"]
    assert ws["A1"].value == "白沙镇2026年10月矛盾纠纷排查化解情况统计表"
    assert ws["A2"].value == "单位：件、人、万元"
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert "A1:Z1" in merged and "A3:A4" in merged
    assert ws["A5"].value == "白沙村" and ws["C5"].value == 2
    labels = [ws.cell(r, 1).value for r in range(5, 25)]
    total_row = 5 + labels.index("合计")
    assert ws.cell(total_row, 3).value == 7
    # 调解纠纷数, 调解成功数, 调解成功率 of the total row: 3 ÷ 5 (domain.md 7.1)
    assert [ws.cell(total_row, c).value for c in (5, 9, 10)] == [5, 3, 60.0]
    sheet2 = wb["表2 分类型"]
    total2 = next(r for r in sheet2.iter_rows(values_only=True) if r[0] == "合计")
    assert total2[1:5] == (5, 100.0, 3, 60.0)
    assert "填报单位（盖章）" in ws.cell(total_row + 2, 1).value
