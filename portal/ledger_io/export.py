"""Ledger export (台账导出) to ``.xlsx`` and CSV, and the import template.

The layout is the one town offices file with the county (a title row, then a two-level header with
the parties in column groups, like ``ledger-sample-2026-10.xlsx``); its labels are the ones the
importer reads, so an exported file imports again unchanged. Cells: IDs and phones are text cells
(format ``@``), dates real dates (``yyyy-mm-dd``), and text starting with ``= + - @`` is written as a
string with Excel's quote prefix, never as a formula (CSV: prefixed with ``'``, which the importer
removes). Personal data is masked unless the caller asks otherwise (domain.md 9.3).

Rows stream: the query runs with ``yield_per`` and eager loading per batch, every written dispute is
expunged from the session, and the workbook is written in openpyxl's write-only mode to a temporary
file, so memory stays flat however many rows there are.
"""
from __future__ import annotations

import csv
import io
import tempfile
from datetime import date
from typing import IO, Any, Iterator, Optional

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import MultiCellRange
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import Select

from portal.dictionaries import labels
from portal.extensions import db
from portal.ledger_io.parser import STATUS_LABELS, match_status
from portal.models.dispute import Dispute
from portal.validation import mask_id, mask_phone

#: (group or None, label, key, width, kind). Kinds: text, id, phone, date, int, amount.
COLUMNS: list[tuple[Optional[str], str, str, float, str]] = [
    (None, "序号", "seq", 6, "int"),
    (None, "台账编号", "ledger_no", 11, "text"),
    (None, "排查日期", "found_date", 12, "date"),
    (None, "村（社区）", "village", 10, "text"),
    (None, "网格", "grid", 16, "text"),
    (None, "排查人", "finder_name", 9, "text"),
    (None, "纠纷名称", "title", 26, "text"),
    (None, "纠纷类型", "category", 14, "text"),
    ("申请人", "姓名", "APPLICANT.name", 12, "text"),
    ("申请人", "身份证号", "APPLICANT.id_number", 21, "id"),
    ("申请人", "联系电话", "APPLICANT.phone", 14, "phone"),
    ("被申请人", "姓名", "RESPONDENT.name", 12, "text"),
    ("被申请人", "身份证号", "RESPONDENT.id_number", 21, "id"),
    ("被申请人", "联系电话", "RESPONDENT.phone", 14, "phone"),
    (None, "简要情况", "summary", 40, "text"),
    (None, "涉及人数", "persons_involved", 8, "int"),
    (None, "涉及金额（元）", "amount_involved", 12, "amount"),
    (None, "风险等级", "risk_level", 12, "text"),
    (None, "化解措施", "measures", 20, "text"),
    (None, "包案领导", "leader", 10, "text"),
    (None, "化解状态", "status", 14, "text"),
    (None, "受理日期", "accepted_date", 12, "date"),
    (None, "化解日期", "resolved_date", 12, "date"),
    (None, "备注", "remarks", 20, "text"),
]
#: The template leaves out what the portal numbers itself.
TEMPLATE_SKIP = {"ledger_no"}
BATCH = 500
DATE_FORMAT = "yyyy-mm-dd"
FORMULA_START = ("=", "+", "-", "@")

_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="DDE4EE")


def text_cell(sheet, value: Any) -> WriteOnlyCell:
    """A write-only string cell that Excel shows as the literal text: a value starting with
    ``= + - @`` keeps data type ``s`` (openpyxl would make ``=…`` a formula) and gets the quote prefix."""
    cell = WriteOnlyCell(sheet, value=None if value is None else str(value))
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def _join(values: list[str]) -> str:
    return "、".join(v for v in values if v)


def dispute_values(dispute: Dispute, seq: int, masked: bool, dicts: dict[str, dict[str, str]]) -> dict[str, Any]:
    """One ledger row as ``{column key: value}`` (dates as ``date``, IDs/phones masked when ``masked``)."""
    values: dict[str, Any] = {
        "seq": seq,
        "ledger_no": f"{dispute.ledger_year}-{dispute.ledger_serial:04d}",
        "found_date": dispute.found_date,
        "village": dispute.village.name if dispute.village else "",
        "grid": dispute.grid.name if dispute.grid else "",
        "finder_name": dispute.finder_name or "",
        "title": dispute.title,
        "category": dicts["category"].get(dispute.category, dispute.category),
        "summary": dispute.summary or "",
        "persons_involved": dispute.persons_involved,
        "amount_involved": dispute.amount_involved,
        "risk_level": dicts["risk_level"].get(dispute.risk_level, dispute.risk_level),
        "measures": _join([dicts["measure"].get(code, code) for code in dispute.measures or []]
                          + [dispute.measures_note or ""]),
        "leader": (dispute.responsible_leader.display_name if dispute.responsible_leader
                   else dispute.responsible_leader_name or ""),
        "status": _status_label(dispute),
        "accepted_date": dispute.accepted_date,
        "resolved_date": dispute.resolved_date,
        "remarks": dispute.remarks or "",
    }
    for side in ("APPLICANT", "RESPONDENT"):
        parties = [p for p in dispute.parties if p.side == side]
        values[f"{side}.name"] = _join([p.name for p in parties])
        values[f"{side}.id_number"] = _join([(mask_id(p.id_number) if masked else p.id_number) or "" for p in parties])
        values[f"{side}.phone"] = _join([(mask_phone(p.phone) if masked else p.phone) or "" for p in parties])
    return values


def _status_label(dispute: Dispute) -> str:
    reason = dispute.status_reason or ""
    if reason and len(reason) <= 20 and (match_status(reason) or ("",))[0] == dispute.status:
        return reason
    return STATUS_LABELS.get(dispute.status, dispute.status)


def export_statement(stmt: Select) -> Select:
    """``stmt`` (a ledger query) with the eager loading an export row needs and ``yield_per``."""
    return stmt.options(selectinload(Dispute.parties), selectinload(Dispute.village), selectinload(Dispute.grid),
                        selectinload(Dispute.responsible_leader)).execution_options(yield_per=BATCH)


def count_rows(stmt: Select) -> int:
    """Number of rows ``stmt`` returns (for the audit log, before the file is written)."""
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def iter_rows(stmt: Select, masked: bool) -> Iterator[dict[str, Any]]:
    """Yield the rows of ``stmt`` as column values, ``BATCH`` disputes at a time; each batch is
    expunged from the session once written, so the identity map does not grow."""
    dicts = {kind: labels(kind) for kind in ("category", "risk_level", "measure")}
    result = db.session.scalars(export_statement(stmt))
    seq = 0
    for partition in result.partitions():
        for dispute in partition:
            seq += 1
            yield dispute_values(dispute, seq, masked, dicts)
        for dispute in partition:
            db.session.expunge(dispute)


def _header(sheet, title: str, columns: list[tuple]) -> None:
    last = get_column_letter(len(columns))
    sheet.merged_cells = MultiCellRange()
    sheet.merged_cells.add(f"A1:{last}1")
    for index, (_group, _label, _key, width, _kind) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A4"
    head_font, centre = Font(bold=True), Alignment(horizontal="center", vertical="center", wrap_text=True)
    title_cell = text_cell(sheet, title)
    title_cell.font = Font(bold=True, size=14)
    title_cell.alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 28
    top, sub = [], []
    col = 1
    while col <= len(columns):
        group, label = columns[col - 1][0], columns[col - 1][1]
        if group is None:
            sheet.merged_cells.add(f"{get_column_letter(col)}2:{get_column_letter(col)}3")
            top.append(label)
            sub.append(None)
            col += 1
            continue
        span = 0
        while col + span <= len(columns) and columns[col + span - 1][0] == group:
            top.append(group if span == 0 else None)
            sub.append(columns[col + span - 1][1])
            span += 1
        sheet.merged_cells.add(f"{get_column_letter(col)}2:{get_column_letter(col + span - 1)}2")
        col += span
    sheet.append([title_cell])
    for values in (top, sub):
        cells = []
        for value in values:
            cell = text_cell(sheet, value)
            cell.font, cell.alignment, cell.border, cell.fill = head_font, centre, _BORDER, _HEAD_FILL
            cells.append(cell)
        sheet.append(cells)


def write_xlsx(rows: Iterator[dict[str, Any]], title: str, out: IO[bytes]) -> int:
    """Write ``rows`` to ``out`` as the official ledger layout. Returns the number of rows written."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("台账")
    _header(sheet, title, COLUMNS)
    count = 0
    for values in rows:
        cells = []
        for _group, _label, key, _width, kind in COLUMNS:
            value = values.get(key)
            if value is None or value == "":
                cells.append(None)
            elif kind == "date":
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = DATE_FORMAT
                cells.append(cell)
            elif kind in ("id", "phone"):
                cell = text_cell(sheet, value)
                cell.number_format = "@"
                cells.append(cell)
            elif kind == "amount":
                cells.append(value)
            elif isinstance(value, str) and value.startswith(FORMULA_START):
                cells.append(text_cell(sheet, value))
            else:
                cells.append(value)
        sheet.append(cells)
        count += 1
    workbook.save(out)
    return count


def csv_header() -> list[str]:
    """The one-row CSV header: grouped columns read as 申请人·姓名 …"""
    return [f"{group}·{label}" if group else label for group, label, *_ in COLUMNS]


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def write_csv(rows: Iterator[dict[str, Any]], out: IO[bytes]) -> int:
    """Write ``rows`` as CSV in UTF-8 with a BOM (Excel on Chinese Windows then reads it as UTF-8).
    Returns the number of rows written."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(csv_header())
    count = 0
    for values in rows:
        writer.writerow([_csv_value(values.get(key)) for _g, _l, key, *_ in COLUMNS])
        count += 1
    text.flush()
    text.detach()
    return count


def export_file(stmt: Select, fmt: str, masked: bool, title: str) -> tuple[IO[bytes], int]:
    """Write the export of ``stmt`` to a temporary file. Returns ``(file at position 0, row count)``."""
    out = tempfile.TemporaryFile()
    rows = iter_rows(stmt, masked)
    count = write_csv(rows, out) if fmt == "csv" else write_xlsx(rows, title, out)
    out.seek(0)
    return out, count


def template_workbook(villages: list[str], dictionaries: dict[str, dict[str, str]]) -> IO[bytes]:
    """The import template: the ledger header, ID and phone columns formatted as text and date
    columns as dates (so Excel keeps every digit), and a second sheet listing the accepted values."""
    columns = [c for c in COLUMNS if c[2] not in TEMPLATE_SKIP]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("台账")
    for index, (_g, _l, _k, _w, kind) in enumerate(columns, start=1):
        if kind in ("id", "phone", "date"):
            sheet.column_dimensions[get_column_letter(index)].number_format = "@" if kind != "date" else DATE_FORMAT
    _header(sheet, "矛盾纠纷排查化解工作台账（导入模板）", columns)
    for _ in range(200):  # pre-formatted empty rows: Excel keeps the cell format when people type in
        cells = []
        for _g, _l, _k, _w, kind in columns:
            if kind in ("id", "phone", "date"):
                cell = WriteOnlyCell(sheet, value=None)
                cell.number_format = "@" if kind != "date" else DATE_FORMAT
                cells.append(cell)
            else:
                cells.append(None)
        sheet.append(cells)
    notes = workbook.create_sheet("填写说明")
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 100
    notes.append(["填写说明", "第1行为标题，第2–3行为表头，请从第4行起逐行填写；列的顺序可以调整，多余的列会被忽略。"])
    notes.append(["身份证号", "按文本填写18位号码（末位可为X）；15位旧号码将自动升级。"])
    notes.append(["日期", "如 2026-10-03、2026年10月3日、2026.10.3。"])
    notes.append(["村（社区）", "、".join(villages)])
    for kind, label in (("category", "纠纷类型"), ("risk_level", "风险等级"), ("measure", "化解措施")):
        notes.append([label, "、".join(dictionaries.get(kind, {}).values())])
    notes.append(["化解状态", "待受理、调解中、已化解、调解不成、已上报……、已移交……、不予受理"])
    out = tempfile.TemporaryFile()
    workbook.save(out)
    out.seek(0)
    return out
