"""Ledger import (issue 6): the sample ledger end to end, duplicates, scope, progress, bad-rows file."""
from __future__ import annotations

import io
from collections import Counter
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.extensions import db
from portal.ledger_io import services
from portal.models.dispute import Dispute, DisputeEvent, Party, Transfer
from portal.models.ledger_io import ImportBatch
from portal.models.org import OrgUnit
from tests.test_import_helpers import (ID_A, ID_B, SAMPLE, add_sample_villages, read_xlsx, sample_row,
                                       workbook_bytes)


def upload(client, data: bytes | None, name: str = "ledger.xlsx"):
    payload = {"file": (io.BytesIO(data), name)} if data is not None else {}
    return client.post("/ledger-io/upload", data=payload, content_type="multipart/form-data")


def run_import(client, batch_id: int, htmx: bool = True, limit: int = 100):
    """Post import steps as the progress fragment does until the batch is done; returns the last HTML."""
    headers = {"HX-Request": "true"} if htmx else {}
    html = ""
    for _ in range(limit):
        response = client.post(f"/ledger-io/batches/{batch_id}/import", headers=headers)
        assert response.status_code in (200, 303)
        html = response.get_data(as_text=True)
        if db.session.get(ImportBatch, batch_id).status == "DONE":
            return html
    raise AssertionError("import did not finish")


def last_batch() -> ImportBatch:
    return db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()


@pytest.fixture
def sample_town(app):
    add_sample_villages()


def sample_rows() -> list[tuple]:
    return [row for row in read_xlsx(SAMPLE.read_bytes(), min_row=4) if row[0] is not None]


def test_sample_ledger_imports_every_row(client, auth, sample_town):
    auth.login("zhongxin")
    response = upload(client, SAMPLE.read_bytes(), "ledger-sample-2026-10.xlsx")
    assert response.status_code == 303
    batch = last_batch()
    assert (batch.total_rows, batch.good_rows, batch.bad_rows, batch.known_rows) == (40, 40, 0, 0)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "ledger-sample-2026-10.xlsx" in page and page.count('class="state-good"') == 40
    assert "620521********2536" in page and ID_A not in page  # masked in the dry run

    html = run_import(client, batch.id)
    assert 'id="to-ledger"' in html or "40" in html
    expected = sample_rows()
    assert db.session.scalar(select(func.count(Dispute.id))) == len(expected) == 40
    disputes = db.session.scalars(select(Dispute).order_by(Dispute.id)).all()
    for row, dispute in zip(expected, disputes):
        applicant = next(p for p in dispute.parties if p.side == "APPLICANT")
        respondent = next(p for p in dispute.parties if p.side == "RESPONDENT")
        assert dispute.found_date == row[1].date()
        assert dispute.village.name == row[2]
        assert dispute.grid.name == f"{row[2]}第{'一二三'[int(row[3][1]) - 1]}网格"
        assert (dispute.finder_name, applicant.name, applicant.id_number, applicant.phone) == (
            row[4], row[6], row[7], row[8])
        assert (respondent.name, respondent.id_number or None) == (row[9], row[10])
        assert dispute.summary == row[12] and dispute.persons_involved == row[13]
        assert dispute.amount_involved == row[14]
        assert dispute.responsible_leader_name == row[17]
        assert dispute.resolved_date == (row[19].date() if row[19] else None)
        assert dispute.import_key and dispute.events[-1].action == "IMPORTED"
        assert dispute.events[-1].note == "ledger-sample-2026-10.xlsx"
    statuses = Counter(d.status for d in disputes)
    assert statuses == {"PERFORMED": 20, "REFERRED": 9, "ESCALATED": 9, "MEDIATING": 2}
    performed = [d for d in disputes if d.status == "PERFORMED"]
    assert all(d.result == "AGREED_ORAL" and d.accepted_date == d.found_date and d.case_no for d in performed)
    assert db.session.scalar(select(func.count(Transfer.id))) == 18
    # The organisation respondent has no ID and is a legal person; 0938-7533721 is kept as digits.
    labour = disputes[1]
    assert labour.parties[1].party_type == "LEGAL_PERSON" and labour.parties[1].phone == "09387533721"
    assert labour.measures == ["POLICY_EXPLANATION"] and labour.risk_level == "RED" and labour.category == "LABOUR"


def test_sample_rows_appear_in_ledger_and_monthly_figures(client, auth, sample_town, user):
    auth.login("zhongxin")
    upload(client, SAMPLE.read_bytes())
    run_import(client, last_batch().id)
    for name in ("马志强", "林芳", "何玉兰"):
        ledger = client.get("/disputes/", query_string={"q": name})
        if ledger.status_code != 404:  # the ledger page (issue 3)
            assert name in ledger.get_data(as_text=True)
    reports = pytest.importorskip("portal.reports.services")
    town_ids = [d.id for d in db.session.scalars(select(Dispute))]

    def figure(key, month=10):
        return db.session.scalar(select(func.count(Dispute.id)).where(
            reports.figure_condition(key, reports.month_period(2026, month), today=date(2026, 12, 1)),
            Dispute.id.in_(town_ids)))

    assert figure("found") == 40
    assert figure("mediated") == 22      # 20 resolved + 2 mediating, accepted on the found date
    # Outcomes belong to the month of acceptance (column 4's cohort, domain.md 7.1): all 20 resolved rows
    # were accepted in October, although 5 have a 化解日期 in November.
    resolved = Counter(row[19].month for row in sample_rows() if row[19])
    assert (figure("success"), figure("success", 11)) == (resolved[10] + resolved[11], 0) == (20, 0)
    assert figure("performed") == 20
    assert figure("transferred") == 18   # 9 escalations + 9 referrals, sent on the found date


def test_same_file_twice_creates_no_duplicates(client, auth, sample_town):
    auth.login("zhongxin")
    upload(client, SAMPLE.read_bytes())
    run_import(client, last_batch().id)
    response = upload(client, SAMPLE.read_bytes())
    batch = last_batch()
    assert (batch.good_rows, batch.known_rows) == (0, 40)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert page.count('class="state-known"') == 40
    # Importing anyway (e.g. two tabs) still creates nothing.
    services.import_chunk(batch, batch.user)
    db.session.commit()
    assert db.session.scalar(select(func.count(Dispute.id))) == 40


def test_rows_already_imported_are_skipped_at_import_time(client, auth, sample_town):
    auth.login("zhongxin")
    upload(client, SAMPLE.read_bytes())
    first = last_batch()
    upload(client, SAMPLE.read_bytes())
    second = last_batch()
    run_import(client, first.id)
    run_import(client, second.id)
    db.session.refresh(second)
    assert (second.imported, second.skipped) == (0, 40)
    assert db.session.scalar(select(func.count(Dispute.id))) == 40


def test_import_runs_in_chunks_with_a_self_polling_progress_fragment(client, auth, sample_town, monkeypatch):
    monkeypatch.setattr(services, "IMPORT_CHUNK", 15)
    auth.login("zhongxin")
    upload(client, SAMPLE.read_bytes())
    batch = last_batch()
    first = client.post(f"/ledger-io/batches/{batch.id}/import", headers={"HX-Request": "true"})
    html = first.get_data(as_text=True)
    assert 'hx-trigger="load delay:500ms"' in html and 'id="import-progress"' in html
    assert '<progress max="40" value="15">' in html
    assert db.session.scalar(select(func.count(Dispute.id))) == 15  # committed chunk
    html = run_import(client, batch.id)
    assert "load delay" not in html and db.session.scalar(select(func.count(Dispute.id))) == 40
    # Without JavaScript the step redirects back to the batch page.
    assert client.post(f"/ledger-io/batches/{batch.id}/import").status_code == 303


def test_cadre_imports_only_into_own_village(client, auth, user):
    auth.login("cun03")  # 西坪村
    rows = [sample_row(), sample_row(**{"村（社区）": "白沙村", "申请人姓名": "外村人"}),
            sample_row(**{"村（社区）": None, "申请人姓名": "无村名", "网格": None})]
    upload(client, workbook_bytes(rows))
    batch = last_batch()
    assert (batch.good_rows, batch.bad_rows) == (2, 1)
    page = client.get(f"/ledger-io/batches/{batch.id}").get_data(as_text=True)
    assert "白沙村" in page and "C" in page
    stored = services.load_batch_rows(batch)["rows"]
    assert stored[1]["errors"][0]["code"] == "village_out_of_scope"
    run_import(client, batch.id)
    village = user("cun03").org_unit
    assert {d.village_id for d in db.session.scalars(select(Dispute))} == {village.id}
    assert db.session.scalar(select(func.count(Dispute.id))) == 2


def test_batches_are_private_to_their_uploader(client, auth, sample_town):
    auth.login("zhongxin")
    upload(client, SAMPLE.read_bytes())
    batch = last_batch()
    auth.logout()
    auth.login("cun03")
    assert client.get(f"/ledger-io/batches/{batch.id}").status_code == 404
    assert client.post(f"/ledger-io/batches/{batch.id}/import").status_code == 404
    assert client.get(f"/ledger-io/batches/{batch.id}/errors.xlsx").status_code == 404


@pytest.mark.parametrize("username, status", [("wangge03", 403), ("lingdao", 403), ("xian", 403)])
def test_import_needs_the_capability(client, auth, username, status):
    auth.login(username)
    assert upload(client, workbook_bytes([sample_row()])).status_code == status


@pytest.mark.parametrize("data, name, message", [
    (b"", "empty.xlsx", "The file is empty."),
    (None, "", "Choose a file to upload."),
    (b"hello", "notes.txt", "Upload an Excel file (.xlsx or .xls) or a CSV file."),
    (b"PK\x03\x04broken", "broken.xlsx",
     "The file could not be read as an Excel workbook. Save it again as .xlsx and retry."),
    ("标题\n甲,乙\n1,2\n".encode("utf-8"), "x.csv",
     "No header row found. The table needs column titles such as 排查日期, 村（社区）, 纠纷类型 and 申请人."),
])
def test_unreadable_files_answer_422_next_to_the_field(client, auth, zh_text, data, name, message):
    auth.login("zhongxin")
    response = upload(client, data, name)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert zh_text(message) in html and 'id="file-error"' in html


def test_bad_rows_download_in_the_same_layout_with_an_error_column(client, auth):
    auth.login("cun03")
    rows = [sample_row(), sample_row(**{"申请人身份证号": 6.20521200310033e17, "申请人姓名": "数字号"}),
            sample_row(**{"纠纷类型": "外星纠纷", "申请人姓名": "怪类型"})]
    upload(client, workbook_bytes(rows, title="西坪村2026年10月台账"))
    batch = last_batch()
    response = client.get(f"/ledger-io/batches/{batch.id}/errors.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][:3] == ("序号", "排查日期", "村（社区）") and values[1][-1] == "错误说明"
    assert [v[6] for v in values[2:]] == ["数字号", "怪类型"]
    assert values[2][-1].startswith("第4行：H列（申请人身份证号）") and "外星纠纷" in values[3][-1]
    # Fix the file and upload it again: both rows import, the good row of the first file is not touched.
    sheet.cell(3, 8).value = ID_A
    sheet.cell(4, 6).value = "邻里纠纷"
    fixed = io.BytesIO()
    sheet.parent.save(fixed)
    upload(client, fixed.getvalue(), "fixed.xlsx")
    again = last_batch()
    assert (again.good_rows, again.bad_rows) == (2, 0)


def test_template_has_the_importer_headers_and_text_formatted_id_columns(client, auth):
    from portal.ledger_io import parser

    auth.login("cun03")
    response = client.get("/ledger-io/template.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook["台账"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = parser.find_header(rows)
    assert header.start == 1 and header.height == 2
    assert {"found_date", "village", "APPLICANT.id_number", "RESPONDENT.phone"} <= set(header.columns.values())
    id_col = next(c for c, k in header.columns.items() if k == "APPLICANT.id_number") + 1
    date_col = next(c for c, k in header.columns.items() if k == "found_date") + 1
    assert sheet.cell(4, id_col).number_format == "@"
    assert sheet.cell(4, date_col).number_format == "yyyy-mm-dd"
    assert "西坪村" in [r for r in workbook["填写说明"].iter_rows(values_only=True)][3][1]
    # An empty template uploads as "no rows", never a 500.
    assert upload(client, response.data, "template.xlsx").status_code == 303


def test_index_page_shows_import_and_export(client, auth):
    auth.login("zhongxin")
    html = client.get("/ledger-io/").get_data(as_text=True)
    assert 'id="upload-form"' in html and 'id="export-form"' in html and "template.xlsx" in html
    auth.logout()
    auth.login("lingdao")  # may export, not import
    html = client.get("/ledger-io/").get_data(as_text=True)
    assert 'id="upload-form"' not in html and 'id="export-form"' in html
