"""Reading ledgers (台账) from Excel/WPS/CSV files into rows ready for registration. Pure: no database.

:func:`read_table` turns the bytes of an ``.xlsx`` (openpyxl, read-only), ``.xls`` (xlrd 2) or CSV
(UTF-8 with or without BOM, else GB18030 ⊇ GBK) file into a grid of cell values. :func:`find_header`
finds the header row by its labels wherever it starts, below any title rows, reading two-row merged
headers as ``申请人·姓名``. :func:`parse_rows` converts every data row with the helpers of
:mod:`portal.validation`, repairing what Excel does to data and recording a note per repair, or an
error (with the column) where a value cannot be trusted. Villages, grids and dictionary labels are
matched against :class:`Lookups`, which the caller builds from the user's scope.

Every parsed row is a JSON-serialisable dict (dates as ISO strings, amounts as strings), so a dry run
can be stored and imported later (see :mod:`portal.ledger_io.services`).
"""
from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Iterable, Optional

from flask_babel import lazy_gettext as _l

from portal.validation import (InvalidValue, _is_organisation, fullwidth_to_ascii, normalize_phone, normalize_text,
                               parse_amount, parse_cn_date, parse_resident_id, validate_phone)

#: Date systems of spreadsheet serial numbers (day 0). 1900 system with Lotus' leap-year bug folded in.
EPOCH_1900 = datetime(1899, 12, 30)
EPOCH_1904 = datetime(1904, 1, 1)
MAX_ROWS = 50_000
HEADER_SCAN_ROWS = 30

# ---------------------------------------------------------------------------------------------------
# Column labels. Keys are the fields of a parsed row; values the labels (and synonyms) read.
# ---------------------------------------------------------------------------------------------------

FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "seq": ("序号",),
    "ledger_no": ("台账编号", "编号", "台账序号"),
    "found_date": ("排查日期", "登记日期", "发现时间", "发现日期", "排查时间", "排查发现日期"),
    "village": ("村（社区）", "村居", "所在村", "村社区", "村", "所在村（社区）", "村（居）", "社区", "村名", "所属村"),
    "grid": ("网格", "所在网格", "网格名称"),
    "finder_name": ("排查人", "发现人", "排查人员"),
    "title": ("纠纷名称", "事项名称"),
    "category": ("纠纷类型", "纠纷类别", "类型", "类别", "矛盾纠纷类型"),
    "summary": ("简要情况", "纠纷简要情况", "基本情况", "主要情况", "矛盾纠纷简要情况", "纠纷情况"),
    "persons_involved": ("涉及人数", "人数", "涉及人员"),
    "amount_involved": ("涉及金额（元）", "涉及金额", "金额（元）", "金额", "涉案金额"),
    "risk_level": ("风险等级", "风险级别"),
    "measures": ("化解措施", "措施", "调处措施"),
    "leader": ("包案领导", "责任领导", "包抓领导"),
    "responsible_unit": ("责任单位",),
    "status": ("化解状态", "化解情况", "结果", "化解结果", "办理状态", "状态", "调解结果", "进展情况"),
    "accepted_date": ("受理日期", "受理时间"),
    "resolved_date": ("化解日期", "结案日期", "化解时间", "办结日期"),
    "channel": ("受理渠道", "渠道", "来源渠道"),
    "source": ("案件来源", "来源"),
    "screening_method": ("排查方式",),
    "finder_force": ("排查力量",),
    "address": ("发生地点", "地点"),
    "remarks": ("备注",),
}
PARTY_GROUPS: dict[str, tuple[str, ...]] = {
    "APPLICANT": ("申请人", "当事人一", "甲方"),
    "RESPONDENT": ("被申请人", "当事人二", "乙方"),
}
PARTY_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名称", "姓名（名称）", "姓名或名称"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "证件号码", "身份证"),
    "phone": ("联系电话", "手机号", "电话", "手机", "手机号码", "联系方式"),
}
#: Human labels of the fields (the official wording, used in messages and in the export/template).
FIELD_TITLES = {key: labels[0] for key, labels in FIELD_LABELS.items()}
for _side, _groups in PARTY_GROUPS.items():
    for _key, _labels in PARTY_FIELDS.items():
        FIELD_TITLES[f"{_side}.{_key}"] = f"{_groups[0]}·{_labels[0]}"

_LABEL_DROP = re.compile(r"[\s*＊:：·•・\-—_/、]")


def norm_label(value: Any) -> str:
    """Normalise a header cell for comparison: full-width folded, （）→(), separators and spaces removed."""
    if isinstance(value, str):
        return _norm_label_text(value)
    return _norm_label_text(str(value)) if value is not None else ""


@functools.lru_cache(maxsize=8192)
def _norm_label_text(text: str) -> str:
    # Cached: the same village, grid, dictionary and status texts come back on every row.
    text = normalize_text(text).replace("（", "(").replace("）", ")")
    return _LABEL_DROP.sub("", text).lower()


def _build_label_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for key, labels in FIELD_LABELS.items():
        for label in labels:
            index.setdefault(norm_label(label), key)
    for side, groups in PARTY_GROUPS.items():
        for group in groups:
            index[norm_label(group)] = f"{side}.name"
            for key, labels in PARTY_FIELDS.items():
                for label in labels:
                    index[norm_label(group + label)] = f"{side}.{key}"
    return index


LABEL_INDEX = _build_label_index()

# ---------------------------------------------------------------------------------------------------
# Status column → workflow state (domain.md 5.1). The sample ledger writes 已化解 / 调解中 /
# 已上报镇综治中心 / 已移交司法所; resolved means performed (domain.md 4.2: resolved_date "after
# performance is complete"), so those rows count as accepted, mediated successfully and performed.
# ---------------------------------------------------------------------------------------------------

#: (prefixes of the normalised text, status, result)
STATUS_RULES: tuple[tuple[tuple[str, ...], str, Optional[str]], ...] = (
    (("不予受理",), "NOT_ACCEPTED", "NOT_ACCEPTED"),
    (("当场化解", "简易调解", "就地化解"), "RESOLVED_ON_SPOT", "AGREED_ORAL"),
    (("未化解", "调解不成", "调解失败", "终止调解", "调解终止"), "FAILED", "FAILED_TERMINATED"),
    (("已化解", "化解成功", "调解成功", "已调解", "已结案", "结案", "已办结", "化解", "已履行"), "PERFORMED",
     "AGREED_ORAL"),
    (("调解中", "正在调解", "化解中", "在办", "办理中"), "MEDIATING", None),
    (("已受理", "受理"), "ACCEPTED", None),
    (("已上报", "上报"), "ESCALATED", None),
    (("已移交", "移交"), "REFERRED", None),
    (("撤回", "已撤回"), "WITHDRAWN", "WITHDRAWN"),
    (("待受理", "已排查", "排查发现", "已登记", "登记"), "REPORTED", None),
)
#: The label written back on export for each state (re-imported through STATUS_RULES).
STATUS_LABELS = {
    "DRAFT": "草稿", "REPORTED": "待受理", "NOT_ACCEPTED": "不予受理", "RESOLVED_ON_SPOT": "当场化解",
    "ACCEPTED": "已受理", "MEDIATING": "调解中", "AGREED_PENDING_SIGNATURE": "调解中", "AGREED": "已化解",
    "PERFORMING": "已化解", "PERFORMED": "已化解", "NOT_PERFORMED": "已化解", "FAILED": "调解不成",
    "WITHDRAWN": "已撤回", "ESCALATED": "已上报", "REFERRED": "已移交", "CLOSED": "已结案", "ARCHIVED": "已结案",
    "VOIDED": "已作废",
}
ACCEPTED_STATES = {"ACCEPTED", "MEDIATING", "PERFORMED", "FAILED", "WITHDRAWN", "RESOLVED_ON_SPOT"}
RESOLVED_STATES = {"PERFORMED", "FAILED", "WITHDRAWN", "RESOLVED_ON_SPOT", "NOT_ACCEPTED"}


def match_status(text: str) -> Optional[tuple[str, Optional[str]]]:
    """Map the text of a status column to ``(status, result)``, or None when not recognised."""
    key = norm_label(text)
    for prefixes, status, result in _STATUS_RULES_NORM:
        if key.startswith(prefixes):
            return status, result
    return None


#: STATUS_RULES with the prefixes normalised once (``str.startswith`` takes the tuple).
_STATUS_RULES_NORM = tuple((tuple(norm_label(p) for p in prefixes), status, result)
                           for prefixes, status, result in STATUS_RULES)


# ---------------------------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------------------------

class FileError(ValueError):
    """The file cannot be read as a ledger (not a spreadsheet, no header found …). ``args[0]`` is
    the user-facing (lazy) message."""


@dataclass
class Table:
    """The cells of one sheet (values as the reader gives them) and its serial-date epoch."""

    rows: list[list[Any]]
    epoch: datetime = EPOCH_1900
    sheet: str = ""
    kind: str = "xlsx"


def read_table(filename: str, data: bytes) -> list[Table]:
    """Read the sheets of an ``.xlsx``, ``.xls`` or CSV file (detected by content, then name).

    :returns: one :class:`Table` per sheet (a CSV has one).
    :raises FileError: when the file is empty, damaged or of another type.
    """
    if not data:
        raise FileError(_l("The file is empty."))
    try:
        if data[:4] == b"PK\x03\x04":
            return _read_xlsx(data)
        if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            return _read_xls(data)
    except FileError:
        raise
    except Exception:  # damaged workbook: the readers raise many different errors
        raise FileError(_l("The file could not be read as an Excel workbook. Save it again as .xlsx and retry."))
    if filename.lower().rsplit(".", 1)[-1] in ("csv", "txt") or b"\x00" not in data[:4096]:
        return [_read_csv(data)]
    raise FileError(_l("Upload an Excel file (.xlsx or .xls) or a CSV file."))


def _read_xlsx(data: bytes) -> list[Table]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        epoch = EPOCH_1904 if workbook.epoch.year == 1904 else EPOCH_1900
        tables = []
        for sheet in workbook.worksheets:
            rows = []
            for values in sheet.iter_rows(values_only=True):
                rows.append(list(values))
                if len(rows) > MAX_ROWS + HEADER_SCAN_ROWS:
                    raise FileError(_l("The file has more than %(max)d rows. Split it and import the parts.",
                                       max=MAX_ROWS))
            tables.append(Table(rows=rows, epoch=epoch, sheet=sheet.title, kind="xlsx"))
        return tables
    finally:
        workbook.close()


def _read_xls(data: bytes) -> list[Table]:
    import xlrd

    book = xlrd.open_workbook(file_contents=data)
    epoch = EPOCH_1904 if book.datemode == 1 else EPOCH_1900
    tables = []
    for sheet in book.sheets():
        if sheet.nrows > MAX_ROWS + HEADER_SCAN_ROWS:
            raise FileError(_l("The file has more than %(max)d rows. Split it and import the parts.", max=MAX_ROWS))
        rows = []
        for r in range(sheet.nrows):
            row = []
            for cell in sheet.row(r):
                if cell.ctype == xlrd.XL_CELL_DATE:
                    row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                    row.append(None)
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    row.append(bool(cell.value))
                else:
                    row.append(cell.value)
            rows.append(row)
        tables.append(Table(rows=rows, epoch=epoch, sheet=sheet.name, kind="xls"))
    return tables


def decode_text(data: bytes) -> str:
    """Decode CSV bytes: UTF-8 (BOM optional) when valid, else GB18030 (a superset of GBK/GB2312).

    :raises FileError: when neither fits.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise FileError(_l("The CSV file is neither UTF-8 nor GBK text. Save it again as CSV (UTF-8).")) from None


def _read_csv(data: bytes) -> Table:
    text = decode_text(data)
    first = text.split("\n", 5)
    sample = "\n".join(first[:5])
    delimiter = max((",", "\t", ";"), key=sample.count)
    rows = []
    for values in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        rows.append([value if value.strip() else None for value in values])
        if len(rows) > MAX_ROWS + HEADER_SCAN_ROWS:
            raise FileError(_l("The file has more than %(max)d rows. Split it and import the parts.", max=MAX_ROWS))
    return Table(rows=rows, kind="csv")


# ---------------------------------------------------------------------------------------------------
# Header
# ---------------------------------------------------------------------------------------------------

@dataclass
class Header:
    """Where the header is (0-based row index, 1 or 2 rows) and which field each column holds."""

    start: int
    height: int
    columns: dict[int, str]          # column index → field key
    labels: dict[int, str]           # column index → label as written (二级: 申请人·姓名)

    @property
    def data_start(self) -> int:
        return self.start + self.height

    @functools.cached_property
    def by_key(self) -> dict[str, int]:
        """Field key → column index (computed once, read for every cell of every row)."""
        return {key: col for col, key in self.columns.items()}

    @functools.cached_property
    def data_keys(self) -> list[str]:
        """The fields that make a row non-blank (all but the serial and ledger numbers)."""
        return [key for key in self.columns.values() if key not in ("seq", "ledger_no")]


def _cell_text(value: Any) -> str:
    return "" if value is None else normalize_text(str(value))


def _header_candidate(rows: list[list[Any]], start: int, height: int) -> Optional[Header]:
    top = rows[start]
    sub = rows[start + 1] if height == 2 and start + 1 < len(rows) else []
    width = max(len(top), len(sub))
    columns: dict[int, str] = {}
    labels: dict[int, str] = {}
    group = ""
    for col in range(width):
        head = _cell_text(top[col]) if col < len(top) else ""
        below = _cell_text(sub[col]) if col < len(sub) else ""
        if head:
            group = head
        elif not below:
            group = ""
        if height == 2 and below:
            label = f"{head or group}·{below}" if (head or group) else below
        else:
            label = head
        if not label:
            continue
        key = LABEL_INDEX.get(norm_label(label))
        if key is None and height == 2 and below and not head and not group:
            key = LABEL_INDEX.get(norm_label(below))
        if key and key not in columns.values():
            columns[col] = key
            labels[col] = label
    return Header(start, height, columns, labels) if columns else None


def find_header(rows: list[list[Any]]) -> Optional[Header]:
    """Find the header among the first rows: the (one- or two-row) candidate naming most known fields.

    A header must name at least three fields, among them the applicant or the found date. Returns
    None when no such row exists.
    """
    best: Optional[Header] = None
    for start in range(min(HEADER_SCAN_ROWS, len(rows))):
        for height in (1, 2):
            candidate = _header_candidate(rows, start, height)
            if candidate is None or len(candidate.columns) < 3:
                continue
            keys = set(candidate.columns.values())
            if not keys & {"APPLICANT.name", "found_date", "summary"}:
                continue
            if best is None or len(candidate.columns) > len(best.columns):
                best = candidate
    return best


# ---------------------------------------------------------------------------------------------------
# Lookups (built from the database by the caller) and results
# ---------------------------------------------------------------------------------------------------

@dataclass
class Lookups:
    """What the parser matches against: the user's villages (and their grids), villages outside the
    user's scope (names only, for the message), and the dictionaries ``{kind: {code: label}}``."""

    villages: dict[int, str]
    grids: dict[int, list[tuple[int, str]]]
    other_villages: set[str] = field(default_factory=set)
    dictionaries: dict[str, dict[str, str]] = field(default_factory=dict)
    default_village_id: Optional[int] = None
    today: date = field(default_factory=date.today)

    @functools.cached_property
    def memo(self) -> dict:
        """Matches already made against these lookups (village, grid and dictionary texts repeat on
        every row of a ledger), so each distinct text is matched once per file."""
        return {}


def _problem(column: Optional[int], label: str, message, code: str) -> dict:
    from openpyxl.utils import get_column_letter

    return {"col": get_column_letter(column + 1) if column is not None else "", "label": label,
            "message": str(message), "code": code}


def _cell_value(value: Any) -> Any:
    """A cell as the converters read it: blank text counts as empty."""
    return None if isinstance(value, str) and not value.strip() else value


class _Row:
    """Accumulates one row's values, errors and notes."""

    def __init__(self, number: int, header: Header, values: list[Any]):
        self.number = number
        self.header = header
        self.values = values
        self.by_key = header.by_key
        width = len(values)
        #: field key → the cell's value (None when empty or missing), read once per row.
        self.cells = {key: _cell_value(values[col]) if col < width else None for key, col in self.by_key.items()}
        self.errors: list[dict] = []
        self.notes: list[dict] = []

    def col(self, key: str) -> Optional[int]:
        return self.by_key.get(key)

    def get(self, key: str) -> Any:
        return self.cells.get(key)

    def label(self, key: str) -> str:
        col = self.by_key.get(key)
        return self.header.labels.get(col, FIELD_TITLES.get(key, key)) if col is not None else FIELD_TITLES.get(key, key)

    def error(self, key: str, message, code: str) -> None:
        self.errors.append(_problem(self.col(key), self.label(key), message, code))

    def note(self, key: str, message, code: str) -> None:
        self.notes.append(_problem(self.col(key), self.label(key), message, code))


# ---------------------------------------------------------------------------------------------------
# Cell converters
# ---------------------------------------------------------------------------------------------------

#: A line under the table (填表人：…, 合计 …) is no data row.
_FOOTER = re.compile(r"^(填表|制表|审核|负责人|联系电话|填报|合计|总计|小计|备注|说明|注[:：])")
_E_NOTATION = re.compile(r"^[+-]?\d+(?:\.\d+)?[eE][+-]?\d+$")
_FORMULA_QUOTE = re.compile(r"^'(?=[=+\-@])")
_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_HAS_FULLWIDTH_DIGIT = re.compile(r"[０-９Ｘｘ]")


def _text(value: Any) -> Optional[str]:
    """Free text of a cell: numbers without a spurious ``.0``, dates as ISO, CSV quote-prefix removed."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return _clean_text(value if isinstance(value, str) else str(value))


@functools.lru_cache(maxsize=4096)
def _clean_text(text: str) -> Optional[str]:
    # Cached: a ledger repeats its village, grid, category, status … texts on every row.
    return normalize_text(_FORMULA_QUOTE.sub("", text)) or None


def _date(row: _Row, key: str, epoch: datetime) -> Optional[str]:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    serial = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        serial = value
    elif isinstance(value, str) and re.fullmatch(r"\d{5}(\.0+)?", value.strip()):
        serial = float(value)
    if serial is not None:
        if not 1 <= serial < 2958466:
            row.error(key, _l("This number is not a date."), "date_serial")
            return None
        day = (epoch + timedelta(days=int(serial))).date()
        system = "1904" if epoch == EPOCH_1904 else "1900"
        row.note(key, _l("The date was stored as the number %(serial)s and read as %(date)s (%(system)s date system).",
                         serial=_text(serial), date=day.isoformat(), system=system), "date_serial")
        return day.isoformat()
    text = fullwidth_to_ascii(str(value)).strip()
    text = re.split(r"[ T]\d{1,2}:\d{2}", text)[0]
    try:
        return parse_cn_date(text).isoformat()
    except InvalidValue as exc:
        row.error(key, exc.message, exc.code)
        return None


def _check_dates(row: _Row, fields: dict, today: date) -> None:
    found = fields.get("found_date")
    if found and date.fromisoformat(found) > today:
        row.error("found_date", _l("The date is in the future."), "date_future")
    for key in ("accepted_date", "resolved_date"):
        value = fields.get(key)
        if value and found and value < found:
            row.error(key, _l("This date is before the found date."), "date_order")
        if value and date.fromisoformat(value) > today:
            row.error(key, _l("The date is in the future."), "date_future")


def _id_number(row: _Row, key: str, organisation: bool) -> tuple[Optional[str], dict]:
    """Read an ID cell. Returns ``(number, extra party values)``; errors and notes go on ``row``."""
    value = row.get(key)
    if value is None:
        return None, {}
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
        if isinstance(value, float) and (not value.is_integer() or abs(value) >= 1e15):
            row.error(key, _l("The ID number was stored as a number and Excel has dropped its last digits "
                              "(it reads %(shown)s). Format the column as text and type the number again.",
                              shown=f"{value:.15g}"), "id_digits_lost")
            return None, {}
        text = str(int(value))
        row.note(key, _l("The ID number was stored as a number; read as text."), "id_number_cell")
    else:
        text = _FORMULA_QUOTE.sub("", str(value)).strip().lstrip("'")
        compact = "".join(fullwidth_to_ascii(text).split())
        if _E_NOTATION.match(compact):
            row.error(key, _l("The ID number is shown in scientific notation (%(shown)s), so its digits are lost. "
                              "Format the column as text and type the number again.", shown=compact),
                      "id_e_notation")
            return None, {}
        if _HAS_FULLWIDTH_DIGIT.search(text):
            row.note(key, _l("Full-width characters in the ID number were converted."), "id_fullwidth")
        text = compact
    if organisation and _CREDIT_CODE.match(text.upper()):
        return text.upper(), {"id_type": "CREDIT_CODE"}
    try:
        parsed = parse_resident_id(text)
    except InvalidValue as exc:
        row.error(key, exc.message, exc.code)
        return None, {}
    if text.endswith("x"):
        row.note(key, _l("Lower-case x in the ID number was changed to X."), "id_lower_x")
    extra = {"sex": parsed.sex, "birth_date": parsed.birth_date.isoformat()}
    if parsed.upgraded_from:
        extra["id_upgraded_from"] = parsed.upgraded_from
        row.note(key, _l("The old 15-digit ID number %(old)s was upgraded to 18 digits.", old=parsed.upgraded_from),
                 "id_upgraded")
    return parsed.number, extra


_SPACED_DIGITS = re.compile(r"\d\s+\d")
_TRAILING_ZERO = re.compile(r"\s*\d+\.0+\s*")
_DIGITS_ONLY = re.compile(r"\d{7,15}(-\d{1,6})?")


def _phone(row: _Row, key: str) -> Optional[str]:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = str(int(value)) if float(value).is_integer() else str(value)
        row.note(key, _l("The phone number was stored as a number; read as text."), "phone_number_cell")
    else:
        text = str(value)
        if _SPACED_DIGITS.search(text.strip()) or _TRAILING_ZERO.fullmatch(text):
            row.note(key, _l("Spaces or a trailing .0 were removed from the phone number."), "phone_cleaned")
    try:
        return validate_phone(text)
    except InvalidValue as exc:
        # Old ledgers hold numbers the strict check refuses (a landline whose local part starts with
        # 1, e.g. 0938-1398163). Digits only: keep them and say so; anything else is an error.
        number = normalize_phone(text)
        if _DIGITS_ONLY.fullmatch(number):
            row.note(key, _l("Kept as written, but check this phone number: %(message)s", message=exc.message),
                     "phone_unusual")
            return number
        row.error(key, exc.message, exc.code)
        return None


def _int(row: _Row, key: str) -> Optional[int]:
    value = row.get(key)
    if value is None:
        return None
    text = fullwidth_to_ascii(_text(value) or "").rstrip("人名个").strip()
    if not text.isdigit():
        row.error(key, _l("Enter a whole number."), "int")
        return None
    return int(text)


def _amount(row: _Row, key: str) -> Optional[str]:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, float):
        value = f"{value:.2f}" if abs(value * 100 - round(value * 100)) < 1e-6 else repr(value)
    try:
        return str(parse_amount(value if isinstance(value, (int, Decimal)) else str(value)))
    except InvalidValue as exc:
        row.error(key, exc.message, exc.code)
        return None


@functools.lru_cache(maxsize=256)
def _label_forms(items: tuple[tuple[str, str], ...], stripped: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """The normalised forms of each ``(code, label)`` of a dictionary, computed once per dictionary
    (not once per cell): the label, the code, the label without the suffix ``stripped`` and its parts."""
    forms = []
    for code, label in items:
        norm = norm_label(label)
        variants = {norm, norm_label(code)}
        if stripped and norm.endswith(stripped):
            variants.add(norm[: -len(stripped)])
        variants.update(part for part in re.split(r"[()/]", norm) if part)
        forms.append((code, frozenset(variants)))
    return tuple(forms)


def match_dictionary(text: str, entries: dict[str, str], suffix: str = "") -> Optional[str]:
    """Match ``text`` to a dictionary code: by code, label, label without ``suffix`` (e.g. 纠纷), a part
    of the label (黄色（较大）→ 黄色 / 较大) or a unique label prefix (黄 → 黄色（较大）).
    Returns the code or None. The labels' normalised forms are cached per dictionary content."""
    key = norm_label(text)
    if not key:
        return None
    stripped = norm_label(suffix)
    forms = _label_forms(tuple(entries.items()), stripped)
    for code, variants in forms:
        if key in variants or (stripped and key.endswith(stripped) and key[: -len(stripped)] in variants):
            return code
    prefixed = [code for code, variants in forms if any(v.startswith(key) for v in variants)]
    return prefixed[0] if len(prefixed) == 1 else None


def _match(lookups: Lookups, kind: str, text: str, suffix: str = "") -> Optional[str]:
    """:func:`match_dictionary` against the dictionary ``kind`` of ``lookups``, once per distinct text."""
    key = ("dictionary", kind, text, suffix)
    if key not in lookups.memo:
        lookups.memo[key] = match_dictionary(text, lookups.dictionaries.get(kind, {}), suffix)
    return lookups.memo[key]


def _dict_value(row: _Row, key: str, kind: str, lookups: Lookups, suffix: str = "") -> Optional[str]:
    text = _text(row.get(key))
    if text is None:
        return None
    code = _match(lookups, kind, text, suffix)
    if code is None:
        choices = "、".join(lookups.dictionaries.get(kind, {}).values())
        row.error(key, _l("“%(value)s” is not in the list. Use one of: %(choices)s.", value=text, choices=choices),
                  f"unknown_{kind}")
    return code


@functools.lru_cache(maxsize=4096)
def village_key(name: str) -> str:
    """Village name for matching: normalised, without a trailing 村/社区/居委会."""
    key = norm_label(name)
    for suffix in ("村民委员会", "居民委员会", "村委会", "居委会", "社区", "村"):
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


_CN_NUM = {c: i for i, c in enumerate("〇一二三四五六七八九")}


@functools.lru_cache(maxsize=4096)
def grid_key(name: str, village: str) -> str:
    """Grid name for matching: without the village prefix, 第 and 网格, Chinese numerals as digits."""
    key = norm_label(name)
    for prefix in (norm_label(village), village_key(village)):
        if prefix and key.startswith(prefix):
            key = key[len(prefix):]
            break
    key = key.removeprefix("村").removeprefix("社区")
    key = key.replace("第", "").replace("网格", "")

    def cn(match: re.Match) -> str:
        text = match.group(0)
        if text == "十":
            return "10"
        if text.startswith("十"):
            return "1" + str(_CN_NUM[text[1]])
        if "十" in text:
            tens, _, units = text.partition("十")
            return str(_CN_NUM[tens]) + (str(_CN_NUM[units]) if units else "0")
        return "".join(str(_CN_NUM[c]) for c in text)

    key = re.sub(r"[〇一二三四五六七八九十]+", cn, key)
    return key.lstrip("0") or key


def _location(row: _Row, lookups: Lookups) -> tuple[Optional[int], Optional[int]]:
    name = _text(row.get("village"))
    if name is None:
        if lookups.default_village_id:
            village_id = lookups.default_village_id
        else:
            row.error("village", _l("Enter the village or community."), "village_empty")
            return None, None
    else:
        key = village_key(name)
        matches = lookups.memo.get(("village", name))
        if matches is None:
            matches = [vid for vid, vname in lookups.villages.items() if norm_label(vname) == norm_label(name)]
            matches = matches or [vid for vid, vname in lookups.villages.items() if village_key(vname) == key]
            lookups.memo[("village", name)] = matches
        if len(matches) != 1:
            if key in {village_key(other) for other in lookups.other_villages}:
                row.error("village", _l("“%(name)s” is not in your area: you can only import rows of your own "
                                        "villages.", name=name), "village_out_of_scope")
            else:
                row.error("village", _l("There is no village or community called “%(name)s” in your area.", name=name),
                          "village_unknown")
            return None, None
        village_id = matches[0]
    grid_name = _text(row.get("grid"))
    if grid_name is None:
        return village_id, None
    village_name = lookups.villages[village_id]
    grids = lookups.memo.get(("grid", village_id, grid_name))
    if grids is None:
        wanted = grid_key(grid_name, village_name)
        grids = [gid for gid, gname in lookups.grids.get(village_id, []) if grid_key(gname, village_name) == wanted]
        lookups.memo[("grid", village_id, grid_name)] = grids
    if len(grids) != 1:
        known = "、".join(gname for _, gname in lookups.grids.get(village_id, [])) or "—"
        row.error("grid", _l("%(village)s has no grid “%(name)s” (grids: %(known)s).", village=village_name,
                             name=grid_name, known=known), "grid_unknown")
        return village_id, None
    return village_id, grids[0]


_SEPARATORS = re.compile(r"[、，,；;\n]")


def _split(value: Optional[str]) -> list[str]:
    if not value:
        return []
    return [part.strip() for part in _SEPARATORS.split(value) if part.strip()]


def _parties(row: _Row, found: Optional[str]) -> list[dict]:
    from portal.validation import age_on

    parties: list[dict] = []
    for side in PARTY_GROUPS:
        names = _split(_text(row.get(f"{side}.name")))
        raw_ids, raw_phones = row.get(f"{side}.id_number"), row.get(f"{side}.phone")
        many = len(names) > 1
        ids = _split(_text(raw_ids)) if many and isinstance(raw_ids, str) else [raw_ids]
        phones = _split(_text(raw_phones)) if many and isinstance(raw_phones, str) else [raw_phones]
        if not names:
            if raw_ids is not None or raw_phones is not None:
                row.error(f"{side}.name", _l("Enter the party's name."), "party_name_empty")
            continue
        if many and (len(ids) > len(names) or len(phones) > len(names)):
            row.error(f"{side}.id_number", _l("Give one ID number and one phone per name, separated by 、."),
                      "party_count")
            continue
        for index, name in enumerate(names):
            organisation = _is_organisation(name)
            party: dict[str, Any] = {"side": side, "name": name,
                                     "party_type": "LEGAL_PERSON" if organisation else "PERSON"}
            cells = row.cells
            # Parse each party's ID/phone through the row's converters with a temporary cell value.
            for key, source in (("id_number", ids), ("phone", phones)):
                value = source[index] if index < len(source) else None
                cell = f"{side}.{key}"
                override = many and cell in cells
                if override:
                    saved = cells[cell]
                    cells[cell] = _cell_value(value)
                try:
                    if key == "id_number":
                        number, extra = _id_number(row, f"{side}.id_number", organisation)
                        if number:
                            party["id_number"] = number
                            party.update(extra)
                            if extra.get("birth_date") and found:
                                born, on = date.fromisoformat(extra["birth_date"]), date.fromisoformat(found)
                                if on >= born:
                                    party["age"] = age_on(born, on)
                    else:
                        number = _phone(row, f"{side}.phone")
                        if number:
                            party["phone"] = number
                finally:
                    if override:
                        cells[cell] = saved
            parties.append(party)
    if not any(p["side"] == "APPLICANT" for p in parties):
        row.error("APPLICANT.name", _l("Enter the applicant's name."), "applicant_empty")
    return parties


def _default_title(parties: list[dict], category_label: Optional[str]) -> str:
    names = [p["name"] for p in parties[:2]]
    kind = category_label or "纠纷"
    return (f"{names[0]}与{names[1]}{kind}" if len(names) == 2 else f"{names[0] if names else ''}{kind}")[:120]


def parse_row(number: int, values: list[Any], header: Header, lookups: Lookups, epoch: datetime) -> Optional[dict]:
    """Convert one data row. Returns None for a blank row (nothing but a serial number), else a dict:

    ``row`` (sheet row number), ``raw`` (cell texts), ``village_id``/``grid_id``, ``fields`` (Dispute
    values, JSON-ready), ``parties``, ``extra`` (status text, leader), ``errors``/``notes`` (``col``,
    ``label``, ``message``, ``code``) and ``key`` (the import key: sha256 of the normalised content).
    """
    row = _Row(number, header, values)
    filled = [value for value in map(row.get, header.data_keys) if value is not None]
    if not filled or (len(filled) == 1 and _FOOTER.match(_text(filled[0]) or "")):
        return None
    fields: dict[str, Any] = {}
    found = _date(row, "found_date", epoch)
    if found is None and not any(e["code"].startswith("date") for e in row.errors):
        row.error("found_date", _l("Enter the date the dispute was found."), "found_date_empty")
    fields["found_date"] = found
    fields["accepted_date"] = _date(row, "accepted_date", epoch)
    fields["resolved_date"] = _date(row, "resolved_date", epoch)
    village_id, grid_id = _location(row, lookups)
    for key in ("finder_name", "summary", "address", "remarks", "responsible_unit"):
        fields[key] = _text(row.get(key))
    fields["summary"] = fields["summary"] or ""
    fields["category"] = _dict_value(row, "category", "category", lookups, "纠纷")
    if fields["category"] is None and row.get("category") is None:
        row.error("category", _l("Enter the dispute category."), "category_empty")
    for key, kind in (("channel", "channel"), ("source", "source"), ("screening_method", "screening_method"),
                      ("finder_force", "finder_force")):
        fields[key] = _dict_value(row, key, kind, lookups)
    fields["risk_level"] = _dict_value(row, "risk_level", "risk_level", lookups) or "GREEN"
    fields["persons_involved"] = _int(row, "persons_involved")
    fields["amount_involved"] = _amount(row, "amount_involved")
    measures, unmatched = [], []
    for part in _split(_text(row.get("measures"))):
        code = _match(lookups, "measure", part)
        (measures.append(code) if code and code not in measures else unmatched.append(part) if not code else None)
    fields["measures"] = measures
    fields["measures_note"] = "、".join(unmatched) or None
    if unmatched:
        row.note("measures", _l("“%(value)s” is not a listed measure; kept as a note.", value="、".join(unmatched)),
                 "measure_note")
    fields["responsible_leader_name"] = _text(row.get("leader"))
    status_text = _text(row.get("status"))
    status, result = "REPORTED", None
    if status_text:
        matched = match_status(status_text)
        if matched is None:
            row.error("status", _l("“%(value)s” is not a known status (e.g. 已化解, 调解中, 已上报, 已移交).",
                                   value=status_text), "status_unknown")
        else:
            status, result = matched
    fields["status"], fields["result"] = status, result
    if status in ("ESCALATED", "REFERRED", "NOT_ACCEPTED", "FAILED", "WITHDRAWN") and status_text:
        fields["status_reason"] = status_text
    if status in ACCEPTED_STATES and not fields["accepted_date"]:
        fields["accepted_date"] = found
    if status in RESOLVED_STATES and not fields["resolved_date"] and status != "NOT_ACCEPTED":
        row.error("resolved_date", _l("Enter the date the dispute was resolved."), "resolved_date_empty")
    _check_dates(row, fields, lookups.today)
    parties = _parties(row, found)
    title = _text(row.get("title"))
    category_label = lookups.dictionaries.get("category", {}).get(fields["category"] or "")
    fields["title"] = title or _default_title(parties, category_label)
    fields = {key: value for key, value in fields.items() if value not in (None, "") or key == "summary"}
    content = {"village": village_id, "grid": grid_id, "fields": fields, "parties": parties}
    return {
        "row": number,
        "raw": [v if v is None or type(v) in _JSON_SCALARS else _raw(v) for v in values],
        "village_id": village_id,
        "grid_id": grid_id,
        "village": lookups.villages.get(village_id or 0, _text(row.get("village")) or ""),
        "grid": next((g for gid, g in lookups.grids.get(village_id or 0, []) if gid == grid_id), ""),
        "fields": fields,
        "parties": parties,
        "errors": row.errors,
        "notes": row.notes,
        "key": hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest(),
    }


_JSON_SCALARS = frozenset({str, int, float, bool})


def _raw(value: Any) -> Any:
    """A cell value as stored for the bad-rows file: JSON types, dates as ISO strings."""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)


@dataclass
class ParseResult:
    """The outcome of reading a file: the header found and every non-blank data row."""

    header: Header
    header_rows: list[list[Any]]
    rows: list[dict]
    sheet: str


def parse_file(filename: str, data: bytes, lookups: Lookups) -> ParseResult:
    """Read ``data`` and parse every row (the dry run). Duplicate rows inside the file are errors.

    :raises FileError: unreadable file, or no sheet with a recognisable header.
    """
    for table in read_table(filename, data):
        header = find_header(table.rows)
        if header is None:
            continue
        rows, seen = [], {}
        for index in range(header.data_start, len(table.rows)):
            parsed = parse_row(index + 1, table.rows[index], header, lookups, table.epoch)
            if parsed is None:
                continue
            if parsed["key"] in seen and not parsed["errors"]:
                parsed["errors"].append(_problem(None, "", _l("Same as row %(row)d of this file.",
                                                               row=seen[parsed["key"]]), "duplicate_in_file"))
            seen.setdefault(parsed["key"], parsed["row"])
            rows.append(parsed)
        header_rows = [[_raw(v) for v in table.rows[i]] for i in range(header.start, header.data_start)]
        return ParseResult(header=header, header_rows=header_rows, rows=rows, sheet=table.sheet)
    raise FileError(_l("No header row found. The table needs column titles such as 排查日期, 村（社区）, "
                       "纠纷类型 and 申请人."))


def iter_chunks(items: list, size: int) -> Iterable[list]:
    """Split ``items`` into lists of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start:start + size]
