"""Ledger import: every repair of what Excel does to data, every rejection, and odd layouts/encodings.

Each test builds a workbook (or CSV) in memory, runs the dry run for a user and checks the stored
values, the notes (repairs) and the errors (code, column) of each row; a few import into the database.
"""
from __future__ import annotations

import codecs
import io
from datetime import date, datetime, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from portal.extensions import db
from portal.ledger_io import parser, services
from portal.models.dispute import Dispute
from tests.test_import_helpers import FLAT_HEADER, ID_A, ID_B, ID_X, sample_row, workbook_bytes

COL = {label: index for index, label in enumerate(FLAT_HEADER)}


@pytest.fixture
def dry_run(app, user):
    """``dry_run(data, name="x.xlsx", username="zhongxin")`` → the parsed rows."""
    def run(data: bytes, name: str = "x.xlsx", username: str = "zhongxin") -> list[dict]:
        return parser.parse_file(name, data, services.build_lookups(user(username))).rows
    return run


def one(rows: list[dict]) -> dict:
    assert len(rows) == 1
    return rows[0]


def codes(problems: list[dict]) -> set[str]:
    return {p["code"] for p in problems}


def applicant(row: dict) -> dict:
    return next(p for p in row["parties"] if p["side"] == "APPLICANT")


def test_a_clean_row_is_stored_as_written(dry_run, user):
    row = one(dry_run(workbook_bytes([sample_row()])))
    assert row["errors"] == [] and row["notes"] == []
    village = user("cun03").org_unit
    assert row["village_id"] == village.id and row["grid"] == "西坪村第一网格"
    assert row["fields"]["found_date"] == "2026-10-03" and row["fields"]["category"] == "FOREST_LAND"
    assert row["fields"]["title"] == "马志强与张海燕山林土地纠纷"
    assert applicant(row) | {} == {"side": "APPLICANT", "name": "马志强", "party_type": "PERSON", "id_number": ID_A,
                                   "sex": "M", "birth_date": "2003-10-03", "age": 23, "phone": "15915902851"}


@pytest.mark.parametrize("cell, stored, note", [
    (int("620521801013600"), ID_X, "id_number_cell"),             # stored as a (whole) number
    ("６２０５２１２００３１００３２５３６", ID_A, "id_fullwidth"),  # full-width digits
    (ID_X.lower(), ID_X, "id_lower_x"),                           # lower-case x
    ("620521801013600", ID_X, "id_upgraded"),                     # legacy 15 digits
    (620521801013600, ID_X, "id_upgraded"),                       # legacy 15 digits as a number
    (" 6205 2120 0310 0325 36 ", ID_A, None),                     # spaces
])
def test_id_repairs_are_stored_and_noted(dry_run, cell, stored, note):
    row = one(dry_run(workbook_bytes([sample_row(申请人身份证号=cell)])))
    assert row["errors"] == []
    assert applicant(row)["id_number"] == stored
    if note:
        assert note in codes(row["notes"]) and all(p["col"] == "H" for p in row["notes"])
    if note == "id_upgraded":
        assert applicant(row)["id_upgraded_from"] == "620521801013600"


@pytest.mark.parametrize("cell, code", [
    (6.20521200310033e17, "id_digits_lost"),   # Excel's double: the last digits are gone
    ("6.20521E+17", "id_e_notation"),          # what a CSV saved from Excel holds
    ("620521200310032537", "id_check_char"),
    ("62052120031003", "id_length"),
])
def test_untrustworthy_ids_reject_the_row_with_column(dry_run, cell, code):
    row = one(dry_run(workbook_bytes([sample_row(申请人身份证号=cell)])))
    assert [(p["code"], p["col"], p["label"]) for p in row["errors"]] == [(code, "H", "申请人身份证号")]
    assert "id_number" not in applicant(row)


@pytest.mark.parametrize("cell, stored, note", [
    (15915902851.0, "15915902851", "phone_number_cell"),
    (15915902851, "15915902851", "phone_number_cell"),
    ("159 1590 2851", "15915902851", "phone_cleaned"),
    ("15915902851.0", "15915902851", "phone_cleaned"),
    ("0938-7533721", "09387533721", None),
    ("0938-1398163", "09381398163", "phone_unusual"),  # kept: legacy data, flagged for checking
])
def test_phone_repairs(dry_run, cell, stored, note):
    row = one(dry_run(workbook_bytes([sample_row(申请人联系电话=cell)])))
    assert row["errors"] == [] and applicant(row)["phone"] == stored
    assert codes(row["notes"]) == ({note} if note else set())


def test_a_phone_with_letters_is_rejected(dry_run):
    row = one(dry_run(workbook_bytes([sample_row(申请人联系电话="无")])))
    assert [(p["code"], p["col"]) for p in row["errors"]] == [("phone_invalid", "I")]


@pytest.mark.parametrize("cell", [datetime(2026, 10, 3), date(2026, 10, 3), "2026年10月3日", "2026.10.3",
                                  "2026-10-03", "二〇二六年十月三日", "２０２６年１０月３日", "2026/10/3",
                                  "2026-10-03 00:00:00"])
def test_dates_in_every_form(dry_run, cell):
    row = one(dry_run(workbook_bytes([sample_row(排查日期=cell)])))
    assert row["errors"] == [] and row["fields"]["found_date"] == "2026-10-03"


def test_serial_number_dates_in_the_1900_system(dry_run):
    serial = (date(2026, 10, 3) - date(1899, 12, 30)).days
    row = one(dry_run(workbook_bytes([sample_row(排查日期=serial)])))
    assert row["fields"]["found_date"] == "2026-10-03"
    assert [(p["code"], p["col"]) for p in row["notes"]] == [("date_serial", "B")]
    assert "1900" in row["notes"][0]["message"]


def test_a_1904_workbook_reads_date_cells_and_serials_in_its_own_system(dry_run):
    serial = (date(2026, 10, 3) - date(1904, 1, 1)).days
    data = workbook_bytes([sample_row(), sample_row(排查日期=serial, 申请人姓名="序列号")], epoch_1904=True)
    first, second = dry_run(data)
    assert first["fields"]["found_date"] == second["fields"]["found_date"] == "2026-10-03"
    assert "1904" in second["notes"][0]["message"]


@pytest.mark.parametrize("cell, code", [("2026-13-45", "date_invalid"), ("2026年2月30日", "date_invalid"),
                                        ("下周", "date_format"), (None, "found_date_empty")])
def test_bad_dates_are_rejected(dry_run, cell, code):
    row = one(dry_run(workbook_bytes([sample_row(排查日期=cell)])))
    assert codes(row["errors"]) == {code} and row["errors"][0]["col"] == "B"


def test_future_dates_and_resolution_before_finding_are_rejected(dry_run):
    future = datetime.now() + timedelta(days=40)
    rows = dry_run(workbook_bytes([sample_row(排查日期=future, 化解日期=None, 化解状态="调解中"),
                                   sample_row(化解日期=datetime(2026, 9, 1))]))
    assert codes(rows[0]["errors"]) == {"date_future"}
    assert [(p["code"], p["col"]) for p in rows[1]["errors"]] == [("date_order", "T")]


@pytest.mark.parametrize("village, grid", [("西坪村", "第1网格"), ("西坪", "第一网格"), ("西坪村", "西坪村第一网格"),
                                           (" 西坪村 ", "1网格")])
def test_villages_and_grids_match_with_or_without_suffixes(dry_run, user, village, grid):
    row = one(dry_run(workbook_bytes([sample_row(**{"村（社区）": village, "网格": grid})])))
    assert row["errors"] == [] and row["village"] == "西坪村" and row["grid"] == "西坪村第一网格"


def test_baisha_village_and_community_are_told_apart(dry_run):
    rows = dry_run(workbook_bytes([sample_row(**{"村（社区）": "白沙村", "网格": None}),
                                   sample_row(**{"村（社区）": "白沙社区", "网格": None, "申请人姓名": "乙"})]))
    assert [r["village"] for r in rows] == ["白沙村", "白沙社区"]


@pytest.mark.parametrize("changes, code, col", [
    ({"村（社区）": "火星村"}, "village_unknown", "C"),
    ({"网格": "第9网格"}, "grid_unknown", "D"),
    ({"纠纷类型": "外星纠纷"}, "unknown_category", "F"),
    ({"纠纷类型": None}, "category_empty", "F"),
    ({"风险等级": "紫"}, "unknown_risk_level", "P"),
    ({"化解状态": "不知道"}, "status_unknown", "S"),
    ({"化解日期": None}, "resolved_date_empty", "T"),
    ({"申请人姓名": None}, "party_name_empty", "G"),
    ({"涉及人数": "很多"}, "int", "N"),
    ({"涉及金额（元）": "-5"}, "amount_negative", "O"),
])
def test_rejections_name_the_column(dry_run, changes, code, col):
    row = one(dry_run(workbook_bytes([sample_row(**changes)])))
    assert (code, col) in {(p["code"], p["col"]) for p in row["errors"]}


def test_out_of_scope_village_is_rejected_for_a_cadre(dry_run):
    row = one(dry_run(workbook_bytes([sample_row(**{"村（社区）": "上庄村", "网格": None})]), username="cun03"))
    assert [(p["code"], p["col"]) for p in row["errors"]] == [("village_out_of_scope", "C")]
    assert "上庄村" in row["errors"][0]["message"]


@pytest.mark.parametrize("category, risk, measures, codes_", [
    ("山林土地", "黄", "帮扶救助", ("FOREST_LAND", "YELLOW", ["HARDSHIP_HELP"])),
    ("劳动争议纠纷", "红色", "走访解释、政策宣传解释", ("LABOUR", "RED", ["VISIT_TALK", "POLICY_EXPLANATION"])),
    ("邻里", "绿色（一般）", "政策宣传解释，合理诉求解决到位", ("NEIGHBOUR", "GREEN", ["POLICY_EXPLANATION", "DEMAND_SOLVED"])),
    ("MARRIAGE_FAMILY", "较大", None, ("MARRIAGE_FAMILY", "YELLOW", [])),
])
def test_dictionary_values_match_labels_with_or_without_suffix(dry_run, category, risk, measures, codes_):
    row = one(dry_run(workbook_bytes([sample_row(纠纷类型=category, 风险等级=risk, 化解措施=measures)])))
    assert row["errors"] == []
    assert (row["fields"]["category"], row["fields"]["risk_level"], row["fields"]["measures"]) == codes_


def test_an_unlisted_measure_is_kept_as_a_note(dry_run):
    row = one(dry_run(workbook_bytes([sample_row(化解措施="帮扶救助、请村老人出面")])))
    assert row["fields"]["measures"] == ["HARDSHIP_HELP"] and row["fields"]["measures_note"] == "请村老人出面"
    assert codes(row["notes"]) == {"measure_note"}


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://evil\",\"点\")", "+1+2", "-3+4", "@SUM(A1)"])
def test_formula_text_is_stored_as_literal_text(client, auth, text):
    auth.login("cun03")
    data = workbook_bytes([sample_row(简要情况=text, 排查人=text)])
    client.post("/ledger-io/upload", data={"file": (io.BytesIO(data), "f.xlsx")}, content_type="multipart/form-data")
    batch_id = db.session.scalar(select(services.ImportBatch.id).order_by(services.ImportBatch.id.desc()))
    client.post(f"/ledger-io/batches/{batch_id}/import")
    dispute = db.session.scalar(select(Dispute))
    assert (dispute.summary, dispute.finder_name) == (text, text)


def test_title_rows_blank_inserted_columns_and_shuffled_columns(dry_run):
    header = list(FLAT_HEADER)
    order = list(reversed(range(len(header))))
    shuffled = [header[i] for i in order]
    shuffled.insert(3, None)  # a blank inserted column
    row_values = sample_row()
    values = [row_values[i] for i in order]
    values.insert(3, "忽略我")
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["白沙镇矛盾纠纷排查化解工作台账"])
    sheet.append(["填报单位：西坪村", None, None, "2026年10月"])
    sheet.append([])
    sheet.append(shuffled + ["无关的列"])
    sheet.append(values + ["x"])
    sheet.append([None] * 5)            # blank row
    sheet.append(["填表人：张三"])          # footer text in the first column only
    out = io.BytesIO()
    workbook.save(out)
    row = one(dry_run(out.getvalue()))
    assert row["errors"] == [] and row["row"] == 5
    assert applicant(row)["id_number"] == ID_A and row["fields"]["found_date"] == "2026-10-03"


def test_synonym_headers(dry_run):
    header = ["所在村", "登记日期", "纠纷类别", "当事人一", "当事人一身份证号码", "手机号", "被申请人", "被申请人证件号码",
              "基本情况", "化解情况", "结案日期"]
    data = workbook_bytes([["西坪村", "2026-10-03", "邻里纠纷", "甲某", ID_A, "13800138000", "乙某", ID_B, "院墙",
                            "已化解", "2026-10-09"]], header=header)
    row = one(dry_run(data))
    assert row["errors"] == []
    assert row["fields"]["status"] == "PERFORMED" and row["fields"]["resolved_date"] == "2026-10-09"
    # "手机号" alone is no party column: the phone is only read under a party group.
    assert [p["name"] for p in row["parties"]] == ["甲某", "乙某"]


def test_two_row_merged_header_is_read_as_group_and_field(dry_run):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["台账"])
    sheet.append(["排查日期", "村（社区）", "纠纷类型", "申请人", None, "被申请人", None, "简要情况"])
    sheet.append([None, None, None, "姓名", "身份证号", "姓名", "联系电话", None])
    sheet.merge_cells("D2:E2")
    sheet.merge_cells("F2:G2")
    sheet.append(["2026-10-03", "西坪村", "邻里纠纷", "甲某", ID_A, "乙某", "13800138000", "院墙"])
    out = io.BytesIO()
    workbook.save(out)
    row = one(dry_run(out.getvalue()))
    assert row["errors"] == []
    assert [(p["side"], p["name"], p.get("id_number"), p.get("phone")) for p in row["parties"]] == [
        ("APPLICANT", "甲某", ID_A, None), ("RESPONDENT", "乙某", None, "13800138000")]


def _csv(rows: list[list]) -> str:
    lines = [",".join(FLAT_HEADER)]
    for row in rows:
        lines.append(",".join("" if v is None else (v.strftime("%Y-%m-%d") if isinstance(v, datetime) else str(v))
                              for v in row))
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize("encode", [
    lambda text: text.encode("gbk"),
    lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    lambda text: text.encode("utf-8"),
], ids=["gbk", "utf8-bom", "utf8"])
def test_csv_encodings(dry_run, encode):
    data = encode(_csv([sample_row(), sample_row(申请人身份证号="6.20521E+17", 申请人姓名="科学计数")]))
    good, bad = dry_run(data, "ledger.csv")
    assert good["errors"] == [] and applicant(good)["name"] == "马志强" and applicant(good)["id_number"] == ID_A
    assert good["village"] == "西坪村" and good["fields"]["category"] == "FOREST_LAND"
    assert codes(bad["errors"]) == {"id_e_notation"}


def test_duplicate_rows_inside_one_file(dry_run):
    first, second = dry_run(workbook_bytes([sample_row(), sample_row(序号=2)]))
    assert first["errors"] == [] and codes(second["errors"]) == {"duplicate_in_file"}
    assert first["key"] == second["key"]


def test_several_parties_per_side(dry_run):
    row = one(dry_run(workbook_bytes([sample_row(申请人姓名="甲某、乙某", 申请人身份证号=f"{ID_A}、{ID_X}",
                                                 申请人联系电话="13800138000、13900139000")])))
    assert row["errors"] == []
    assert [(p["name"], p["id_number"], p["phone"]) for p in row["parties"] if p["side"] == "APPLICANT"] == [
        ("甲某", ID_A, "13800138000"), ("乙某", ID_X, "13900139000")]


@pytest.mark.parametrize("status, expected", [
    ("已化解", ("PERFORMED", "AGREED_ORAL")), ("调解中", ("MEDIATING", None)),
    ("已上报镇综治中心", ("ESCALATED", None)), ("已移交司法所", ("REFERRED", None)),
    ("调解不成", ("FAILED", "FAILED_TERMINATED")), ("待受理", ("REPORTED", None)), (None, ("REPORTED", None)),
])
def test_status_column_maps_to_the_workflow(dry_run, status, expected):
    resolved = datetime(2026, 10, 18) if expected[0] in ("PERFORMED", "FAILED") else None
    row = one(dry_run(workbook_bytes([sample_row(化解状态=status, 化解日期=resolved)])))
    assert row["errors"] == []
    assert (row["fields"]["status"], row["fields"].get("result")) == expected
