"""Ledger export (issue 6): layout and cell types, masking, permission and reason, audit, scope,
CSV, the export → import round trip, LibreOffice, and flat memory."""
from __future__ import annotations

import codecs
import csv
import io
import json
import shutil
import subprocess
import tracemalloc
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, func, insert, select

from portal.extensions import db
from portal.ledger_io import export
from portal.models.dispute import Dispute, DisputeEvent, Party, Transfer
from portal.models.user import AuditLog
from tests.test_import import last_batch, run_import, upload
from tests.test_import_helpers import ID_A, SAMPLE, add_sample_villages, sample_row, workbook_bytes


@pytest.fixture
def imported(client, auth):
    """The sample ledger imported by the town centre (logged in as zhongxin afterwards)."""
    add_sample_villages()
    auth.login("zhongxin")
    upload(client, SAMPLE.read_bytes(), "ledger-sample-2026-10.xlsx")
    run_import(client, last_batch().id)
    return client


def do_export(client, fmt="xlsx", unmasked=False, reason="", **filters):
    data = {"fmt": fmt, **filters}
    if unmasked:
        data["unmasked"] = "y"
        data["reason"] = reason
    response = client.post("/ledger-io/export", data=data)
    if response.status_code != 303:
        return response
    return client.get(response.headers["Location"])


def sheet_of(response):
    return load_workbook(io.BytesIO(response.data)).worksheets[0]


def test_xlsx_layout_and_cell_types(imported):
    response = do_export(imported)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = sheet_of(response)
    assert "矛盾纠纷排查化解工作台账" in sheet["A1"].value
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A1:X1", "A2:A3", "I2:K2", "L2:N2"} <= merged
    assert sheet.freeze_panes == "A4"
    assert [sheet.cell(2, c).value for c in (1, 3, 9, 12)] == ["序号", "排查日期", "申请人", "被申请人"]
    assert [sheet.cell(3, c).value for c in (9, 10, 11)] == ["姓名", "身份证号", "联系电话"]
    assert sheet.column_dimensions["J"].width == 21
    rows = [r for r in sheet.iter_rows(min_row=4)]
    assert len(rows) == 40
    first = rows[0]
    id_cell, phone_cell, found = first[9], first[10], first[2]
    assert id_cell.data_type == "s" and id_cell.number_format == "@"
    assert phone_cell.data_type == "s" and isinstance(phone_cell.value, str)
    assert found.is_date and found.number_format == "yyyy-mm-dd"


def test_export_is_masked_by_default_and_audited(imported, user):
    response = do_export(imported)
    values = [c.value for c in next(sheet_of(response).iter_rows(min_row=4))]
    ids = {v for v in values if isinstance(v, str) and "********" in v}
    assert ids and not any(v == ID_A for v in values)
    assert any(isinstance(v, str) and "****" in v and v.startswith("1") for v in values)  # phone
    log = db.session.scalars(select(AuditLog).where(AuditLog.action == "EXPORT")).one()
    detail = json.loads(log.detail)
    assert (log.user_id, detail["rows"], detail["masked"], detail["format"], detail["reason"]) == (
        user("zhongxin").id, 40, True, "xlsx", None)


def test_unmasked_export_needs_reason_and_capability(imported, auth, client, zh_text):
    response = do_export(imported, unmasked=True, reason="")
    assert response.status_code == 422
    assert zh_text("State why the full personal data is needed (at least 4 characters).") in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "EXPORT")) == 0
    response = do_export(imported, unmasked=True, reason="县综治中心核查名单")
    assert response.status_code == 200
    values = [c.value for row in sheet_of(response).iter_rows(min_row=4) for c in row]
    assert "620521200310032536" in values and "15915902851" in values
    log = db.session.scalars(select(AuditLog).where(AuditLog.action == "EXPORT")).one()
    assert json.loads(log.detail)["masked"] is False and json.loads(log.detail)["reason"] == "县综治中心核查名单"
    auth.logout()
    auth.login("lingdao")  # may export, not unmasked
    assert do_export(client, unmasked=True, reason="想看看完整号码").status_code == 403


def test_download_ticket_is_personal_and_writes_nothing(imported, auth, client):
    response = client.post("/ledger-io/export", data={"fmt": "csv"})
    url = response.headers["Location"]
    before = db.session.scalar(select(func.count(AuditLog.id)))
    assert client.get(url).status_code == 200
    assert db.session.scalar(select(func.count(AuditLog.id))) == before
    assert client.get(url.replace(".csv", ".xlsx")).status_code == 404
    auth.logout()
    auth.login("lingdao")
    assert client.get(url).status_code == 404


def test_export_follows_the_ledger_filters_and_scope(imported, auth, client, user):
    village = db.session.scalar(select(Dispute.village_id).where(Dispute.village.has(name="新民村")))
    rows = list(sheet_of(do_export(client, village=str(village))).iter_rows(min_row=4, values_only=True))
    assert len(rows) == 5 and {r[3] for r in rows} == {"新民村"}
    log = db.session.scalars(select(AuditLog).where(AuditLog.action == "EXPORT")).one()
    assert json.loads(log.detail)["filters"] == {"village": [str(village)]}
    auth.logout()
    auth.login("cun03")  # 西坪村: one row of the sample
    rows = list(sheet_of(do_export(client)).iter_rows(min_row=4, values_only=True))
    assert [r[3] for r in rows] == ["西坪村"]
    # Another village's filter gives nothing, never their rows.
    assert list(sheet_of(do_export(client, village=str(village))).iter_rows(min_row=4, values_only=True)) == []


def test_csv_is_utf8_with_bom_and_keeps_ids(imported):
    response = do_export(imported, fmt="csv", unmasked=True, reason="上报县里核对")
    assert response.data.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["序号", "台账编号", "排查日期"] and rows[0][8] == "申请人·姓名"
    assert len(rows) == 41 and "620521200310032536" in {r[9] for r in rows}
    assert rows[1][2].count("-") == 2  # ISO dates


def test_formula_text_is_exported_as_literal_text(client, auth):
    auth.login("cun03")
    text = "=HYPERLINK(\"http://evil\",\"点\")"
    upload(client, workbook_bytes([sample_row(简要情况=text, 排查人="@SUM(A1)")]))
    run_import(client, last_batch().id)
    sheet = sheet_of(do_export(client))
    row = next(sheet.iter_rows(min_row=4))
    cell = row[14]
    assert cell.value == text and cell.data_type == "s" and cell.quotePrefix
    assert row[5].value == "@SUM(A1)" and row[5].data_type == "s"
    csv_rows = list(csv.reader(io.StringIO(do_export(client, fmt="csv").data.decode("utf-8-sig"))))
    assert csv_rows[1][14] == "'" + text


def _snapshot() -> list[tuple]:
    result = []
    for d in db.session.scalars(select(Dispute).order_by(Dispute.found_date, Dispute.id)):
        parties = tuple((p.side, p.name, p.id_number, p.phone, p.party_type, p.sex, p.birth_date) for p in d.parties)
        result.append((d.found_date, d.village_id, d.grid_id, d.finder_name, d.title, d.category, d.summary,
                       d.persons_involved, d.amount_involved, d.risk_level, d.measures, d.measures_note,
                       d.responsible_leader_name, d.status, d.result, d.status_reason, d.accepted_date,
                       d.resolved_date, d.import_key, parties))
    return sorted(result, key=repr)


def test_export_then_import_is_lossless(imported, client):
    before = _snapshot()
    exported = do_export(client, unmasked=True, reason="迁移到新系统").data
    for model in (Transfer, DisputeEvent, Party):
        db.session.execute(delete(model))
    db.session.execute(delete(Dispute))
    db.session.commit()
    upload(client, exported, "export.xlsx")
    batch = last_batch()
    assert (batch.good_rows, batch.bad_rows) == (40, 0)
    run_import(client, batch.id)
    # Same values, down to the import keys (a hash of the normalised content of each row).
    assert _snapshot() == before


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed; the lead decides whether make test installs it")
def test_libreoffice_converts_the_export_with_ids_intact(imported, tmp_path):
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(do_export(imported, unmasked=True, reason="格式检查").data)
    subprocess.run(["soffice", "--headless", "--convert-to", "csv", "--outdir", str(tmp_path), str(path)],
                   check=True, capture_output=True, timeout=120)
    text = (tmp_path / "ledger.csv").read_text(encoding="utf-8", errors="replace")
    assert "620521200310032536" in text and "E+17" not in text


def _bulk_disputes(count: int, town_id: int, village_id: int) -> None:
    rows = [{"ledger_year": 2026, "ledger_serial": 1000 + n, "title": f"批量纠纷{n}", "summary": "=1+1 测试",
             "found_date": date(2026, 10, 1 + n % 28), "town_id": town_id, "village_id": village_id,
             "category": "NEIGHBOUR", "risk_level": "GREEN", "handling_level": "VILLAGE", "status": "REPORTED",
             "measures": [], "major_flags": [], "prevention_flags": {}, "search_text": "", "version_id": 1}
            for n in range(count)]
    db.session.execute(insert(Dispute), rows)
    ids = db.session.scalars(select(Dispute.id)).all()
    db.session.execute(insert(Party), [{"dispute_id": i, "side": "APPLICANT", "name": "张三", "name_norm": "张三",
                                        "id_number": ID_A, "phone": "13800138000", "sort": 0} for i in ids])
    db.session.commit()


def test_export_memory_is_flat(app, user):
    """Peak memory of exporting 6,000 rows stays close to that of 1,500 rows (streaming)."""
    cadre = user("cun03")
    _bulk_disputes(6000, cadre.org_unit.parent_id, cadre.org_unit_id)
    stmt = select(Dispute).order_by(Dispute.id)
    peaks = []
    for limit in (1500, 6000):
        db.session.expunge_all()
        tracemalloc.start()
        out, count = export.export_file(stmt.limit(limit), "xlsx", True, "测试")
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        out.close()
        assert count == limit
    assert peaks[1] < peaks[0] * 1.5, peaks
