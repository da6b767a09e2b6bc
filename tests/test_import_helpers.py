"""Shared helpers of the ledger import/export tests: the sample ledger, its villages, workbook builders."""
from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from typing import Any, Optional

from openpyxl import Workbook
from sqlalchemy import select

from portal.extensions import db
from portal.models.org import GRID, TOWN, VILLAGE, MediationCommittee, OrgUnit

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "ledger-sample-2026-10.xlsx"

#: The villages the sample ledger names (all of them are villages of the demo town).
SAMPLE_VILLAGES = ("上庄村", "杨家村", "王家庄村", "南山村", "李家村", "下庄村", "北川村", "新民村", "河湾村",
                   "东沟村")

#: A flat header (one row) in the importer's words, for hand-built workbooks.
FLAT_HEADER = ["序号", "排查日期", "村（社区）", "网格", "排查人", "纠纷类型", "申请人姓名", "申请人身份证号",
               "申请人联系电话", "被申请人姓名", "被申请人身份证号", "被申请人联系电话", "简要情况", "涉及人数",
               "涉及金额（元）", "风险等级", "化解措施", "包案领导", "化解状态", "化解日期"]

#: Valid IDs (GB 11643-1999 check characters) used by the tests.
ID_A = "620521200310032536"
ID_B = "620521195305062913"
ID_X = "62052119801013600X"


def add_sample_villages() -> None:
    """Make sure the sample's villages exist, each with 第一–第三网格 and a committee.

    The demo town already has them (portal/seed.py); this only adds what a test database lacks.
    """
    town = db.session.scalar(select(OrgUnit).where(OrgUnit.level == TOWN))
    existing = set(db.session.scalars(select(OrgUnit.name).where(OrgUnit.level == VILLAGE)))
    for index, name in enumerate(SAMPLE_VILLAGES, start=20):
        if name in existing:
            continue
        village = OrgUnit(level=VILLAGE, name=name, parent=town, sort=index)
        db.session.add(village)
        for n, numeral in enumerate("一二三", start=1):
            db.session.add(OrgUnit(level=GRID, name=f"{name}第{numeral}网格", parent=village, sort=n))
        db.session.add(MediationCommittee(org_unit=village, name=f"{name}人民调解委员会", case_prefix=name[:-1],
                                          committee_type="VILLAGE"))
    db.session.commit()


def sample_row(**changes: Any) -> list[Any]:
    """One good data row in :data:`FLAT_HEADER` order (a 西坪村 row), with ``changes`` by label."""
    values = {
        "序号": 1, "排查日期": datetime(2026, 10, 3), "村（社区）": "西坪村", "网格": "第1网格", "排查人": "罗红梅",
        "纠纷类型": "山林土地纠纷", "申请人姓名": "马志强", "申请人身份证号": ID_A, "申请人联系电话": "15915902851",
        "被申请人姓名": "张海燕", "被申请人身份证号": ID_B, "被申请人联系电话": "18507099769",
        "简要情况": "承包地边界界桩丢失，双方对地界位置各执一词", "涉及人数": 2, "涉及金额（元）": 1200,
        "风险等级": "黄", "化解措施": "帮扶救助", "包案领导": "马某某", "化解状态": "已化解",
        "化解日期": datetime(2026, 10, 18),
    }
    values.update(changes)
    return [values.get(label) for label in FLAT_HEADER]


def workbook_bytes(rows: list[list[Any]], *, title: Optional[str] = None, header: Optional[list] = None,
                   epoch_1904: bool = False, text_cols: tuple[str, ...] = (), formats: dict | None = None) -> bytes:
    """An .xlsx with an optional title row, a header (default :data:`FLAT_HEADER`) and ``rows``.

    String cells are written as strings even when they start with ``=`` (data type forced to ``s``).
    ``formats`` maps (row index in ``rows``, column index) → number format.
    """
    workbook = Workbook()
    if epoch_1904:
        from openpyxl.utils.datetime import CALENDAR_MAC_1904
        workbook.epoch = CALENDAR_MAC_1904
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(header or FLAT_HEADER)
    for r, values in enumerate(rows):
        sheet.append(values)
        row_no = sheet.max_row
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(row_no, c)
            if isinstance(value, str):
                cell.data_type = "s"
            if formats and (r, c - 1) in formats:
                cell.number_format = formats[(r, c - 1)]
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def read_xlsx(data: bytes, min_row: int = 1) -> list[tuple]:
    """All rows of the first sheet of an .xlsx (values only)."""
    from openpyxl import load_workbook
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return list(sheet.iter_rows(min_row=min_row, values_only=True))


def day(text: str) -> date:
    return date.fromisoformat(text)
