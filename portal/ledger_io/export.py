"""Ledger export (台账导出) to ``.xlsx`` and CSV, and the import template.

The layout is the one town offices file with the county (a title row, then a two-level header with
the parties in column groups, like ``ledger-sample-2026-10.xlsx``); its labels are the ones the
importer reads, so an exported file imports again unchanged. Cells: IDs and phones are text cells
(format ``@``), dates real dates (``yyyy-mm-dd``), and text starting with ``= + - @`` is written as a
string with Excel's quote prefix, never as a formula (CSV: prefixed with ``'``, which the importer
removes). Personal data is masked unless the caller asks otherwise (domain.md 9.3).

Rows stream: the ledger query is reduced to the columns a row needs and read with Core (no ORM
objects, no identity map) ``BATCH`` rows at a time; the parties of a batch come in one query, village,
grid and leader names from small caches. The workbook is written in openpyxl's write-only mode to a
temporary file, so memory stays flat however many rows there are.
"""
from __future__ import annotations

import csv
import io
import re
import tempfile
from datetime import date
from typing import IO, Any, Iterator, Optional

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import MultiCellRange
from sqlalchemy import func, select
from sqlalchemy.sql import Select

from portal.dictionaries import labels
from portal.extensions import db
from portal.ledger_io.parser import STATUS_LABELS, match_status
from portal.models.dispute import APPLICANT, RESPONDENT, Dispute, Party
from portal.models.org import OrgUnit
from portal.models.user import User
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


#: The columns of ``dispute`` a row reads (see :func:`iter_rows`).
ROW_COLUMNS = (Dispute.id, Dispute.ledger_year, Dispute.ledger_serial, Dispute.found_date, Dispute.village_id,
               Dispute.grid_id, Dispute.finder_name, Dispute.title, Dispute.category, Dispute.summary,
               Dispute.persons_involved, Dispute.amount_involved, Dispute.risk_level, Dispute.measures,
               Dispute.measures_note, Dispute.responsible_leader_id, Dispute.responsible_leader_name,
               Dispute.status, Dispute.status_reason, Dispute.accepted_date, Dispute.resolved_date,
               Dispute.remarks)


def _join(values) -> Optional[str]:
    return "、".join(v for v in values if v) or None


def status_label(status: str, reason: Optional[str]) -> str:
    """The 化解状态 cell: the dispute's own status text (``status_reason``) when it is short and reads
    back as the same status, else the standard label of ``status``."""
    if reason and len(reason) <= 20 and (match_status(reason) or ("",))[0] == status:
        return reason
    return STATUS_LABELS.get(status, status)


def export_statement(stmt: Select) -> Select:
    """``stmt`` (a ledger query: ``select(Dispute)`` filtered and sorted) reduced to :data:`ROW_COLUMNS`,
    fetched ``BATCH`` rows at a time."""
    return stmt.with_only_columns(*ROW_COLUMNS).execution_options(yield_per=BATCH)


def count_rows(stmt: Select) -> int:
    """Number of rows ``stmt`` returns (for the audit log, before the file is written)."""
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


#: Stored IDs and mobiles are nearly always in these canonical forms, for which masking is a slice.
_CANONICAL_ID = re.compile(r"[0-9]{17}[0-9X]")
_CANONICAL_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def masked_id(number: Optional[str]) -> str:
    """:func:`~portal.validation.mask_id` of ``number`` (same result), without its normalising for
    a canonical 18-character resident ID."""
    if number and _CANONICAL_ID.fullmatch(number):
        return number[:6] + "********" + number[14:]
    return mask_id(number)


def masked_phone(phone: Optional[str]) -> str:
    """:func:`~portal.validation.mask_phone` of ``phone`` (same result), without its normalising
    for a canonical 11-digit mobile."""
    if phone and _CANONICAL_MOBILE.fullmatch(phone):
        return phone[:3] + "****" + phone[7:]
    return mask_phone(phone)


def _party_cells(ids: list[int], masked: bool) -> dict[int, list]:
    """``{dispute id: [applicant names, IDs, phones, respondent names, IDs, phones]}`` for the disputes
    ``ids``, one query; each value is the parties' values joined with ``、`` (None when empty)."""
    found: dict[int, list[list[str]]] = {}
    rows = db.session.execute(
        select(Party.dispute_id, Party.side, Party.name, Party.id_number, Party.phone)
        .where(Party.dispute_id.in_(ids), Party.side.in_((APPLICANT, RESPONDENT)))
        .order_by(Party.dispute_id, Party.side, Party.sort, Party.id))
    for dispute_id, side, name, id_number, phone in rows:
        lists = found.get(dispute_id)
        if lists is None:
            lists = found[dispute_id] = [[], [], [], [], [], []]
        at = 0 if side == APPLICANT else 3
        lists[at].append(name)
        lists[at + 1].append(masked_id(id_number) if masked else id_number)
        lists[at + 2].append(masked_phone(phone) if masked else phone)
    return {key: [_join(values) for values in lists] for key, lists in found.items()}


def _fill_names(cache: dict[int, Optional[str]], id_column, name_column, wanted: set) -> None:
    """Add the names of the ids in ``wanted`` not yet in ``cache`` (None for an id that does not exist)."""
    missing = {key for key in wanted if key is not None and key not in cache}
    if missing:
        cache.update(dict.fromkeys(missing))
        cache.update(db.session.execute(select(id_column, name_column).where(id_column.in_(missing))).all())


def iter_rows(stmt: Select, masked: bool) -> Iterator[list[Any]]:
    """Yield the rows of ``stmt`` (a ledger query) as lists of values in :data:`COLUMNS` order: dates
    as ``date``, numbers as numbers, dictionary codes as their labels, IDs and phones masked when
    ``masked``, empty text as None. Reads ``BATCH`` disputes at a time (see the module docstring)."""
    category, risk_level, measure = (labels(kind) for kind in ("category", "risk_level", "measure"))
    org_names: dict[int, Optional[str]] = {}
    leader_names: dict[int, Optional[str]] = {}
    statuses: dict[tuple, str] = {}
    no_parties = [None] * 6
    seq = 0
    for batch in db.session.execute(export_statement(stmt)).partitions():
        parties = _party_cells([row[0] for row in batch], masked)
        _fill_names(org_names, OrgUnit.id, OrgUnit.name, {row[4] for row in batch} | {row[5] for row in batch})
        _fill_names(leader_names, User.id, User.display_name, {row[15] for row in batch})
        for (dispute_id, ledger_year, ledger_serial, found_date, village_id, grid_id, finder_name, title, code,
             summary, persons, amount, risk, measures, measures_note, leader_id, leader_name, status, reason,
             accepted_date, resolved_date, remarks) in batch:
            seq += 1
            key = (status, reason if reason and len(reason) <= 20 else None)  # long reasons never count
            label = statuses.get(key)
            if label is None:
                label = statuses[key] = status_label(*key)
            leader = leader_names.get(leader_id) if leader_id is not None else None
            if leader is None:
                leader = leader_name or None
            applicant_name, applicant_id, applicant_phone, respondent_name, respondent_id, respondent_phone = (
                parties.get(dispute_id, no_parties))
            yield [seq, f"{ledger_year}-{ledger_serial:04d}", found_date,
                   org_names.get(village_id) or None, org_names.get(grid_id) or None,
                   finder_name or None, title or None, category.get(code, code) or None,
                   applicant_name, applicant_id, applicant_phone, respondent_name, respondent_id, respondent_phone,
                   summary or None, persons, amount, risk_level.get(risk, risk) or None,
                   _join([measure.get(m, m) for m in measures or ()] + [measures_note]),
                   leader or None, label or None, accepted_date, resolved_date, remarks or None]


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


def write_xlsx(rows: Iterator[list[Any]], title: str, out: IO[bytes]) -> int:
    """Write ``rows`` (value lists as :func:`iter_rows` yields them) to ``out`` as the official ledger
    layout. Only the cells that need it are cell objects (IDs/phones: text with format ``@``; text that
    would read as a formula: quote prefix); dates get ``yyyy-mm-dd`` from openpyxl itself. Each row
    list is changed in place. Returns the number of rows written."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("台账")
    _header(sheet, title, COLUMNS)
    plain = [index for index, column in enumerate(COLUMNS) if column[4] in ("text", "int")]
    # One "@" cell per ID/phone column, refilled for every row: write-only sheets write a row when it
    # is appended, so the cell is free again for the next row (a new cell per value costs ~10% here).
    as_text = {}
    for index, column in enumerate(COLUMNS):
        if column[4] in ("id", "phone"):
            as_text[index] = WriteOnlyCell(sheet)
            as_text[index].number_format = "@"
    count = 0
    for cells in rows:
        for index in plain:
            value = cells[index]
            if isinstance(value, str) and value.startswith(FORMULA_START):
                cells[index] = text_cell(sheet, value)
        for index, cell in as_text.items():
            value = cells[index]
            if value is None:
                continue
            if value.startswith(FORMULA_START):
                cell = text_cell(sheet, value)
                cell.number_format = "@"
            else:
                cell.value = value
            cells[index] = cell
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


def write_csv(rows: Iterator[list[Any]], out: IO[bytes]) -> int:
    """Write ``rows`` as CSV in UTF-8 with a BOM (Excel on Chinese Windows then reads it as UTF-8).
    Returns the number of rows written."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(csv_header())
    count = 0
    for values in rows:
        writer.writerow([_csv_value(value) for value in values])
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
