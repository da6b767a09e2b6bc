"""The report tables as an Excel workbook (openpyxl) in the official layout: title, units row, two
merged header rows, the rows, and the signature footer (domain.md 7.1, 7.6)."""
from __future__ import annotations

import io
from typing import Optional

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from portal.models.reports import ReportVersion

THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
FONT = "宋体"


def _title(ws, text: str, width: int, units: str) -> None:
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(1, 1, text).font = Font(name=FONT, size=18, bold=True)
    ws.cell(1, 1).alignment = CENTER
    ws.row_dimensions[1].height = 36
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    ws.cell(2, 1, units).alignment = Alignment(horizontal="right")
    ws.cell(2, 1).font = Font(name=FONT, size=10.5)


def _head(ws, row: int, col: int, text: str, rowspan: int = 1, colspan: int = 1) -> None:
    if rowspan > 1 or colspan > 1:
        ws.merge_cells(start_row=row, start_column=col, end_row=row + rowspan - 1, end_column=col + colspan - 1)
    for r in range(row, row + rowspan):
        for c in range(col, col + colspan):
            ws.cell(r, c).border = BOX
    cell = ws.cell(row, col, text)
    cell.font = Font(name=FONT, size=10.5, bold=True)
    cell.alignment = CENTER


def _value(text: str):
    """Numbers as numbers (so Excel can sum them), everything else as text."""
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def _body(ws, row: int, values: list, align=CENTER) -> None:
    for col, text in enumerate(values, start=1):
        cell = ws.cell(row, col, _value(text) if isinstance(text, str) and col > 1 else text)
        cell.border, cell.alignment = BOX, align if col > 1 else CENTER
        cell.font = Font(name=FONT, size=10.5)


def _footer(ws, row: int, width: int, f: dict, version: Optional[ReportVersion]) -> None:
    preparer = (version.preparer_name if version else None) or ""
    phone = (version.preparer_phone if version else None) or ""
    filled = version.submitted_at.date().isoformat() if version and version.submitted_at else ""
    text = (f"填报单位（盖章）：{f['unit_name']}        负责人（签字）：            填表人：{preparer}        "
            f"联系电话：{phone}        填报日期：{filled}")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    ws.cell(row, 1, text).font = Font(name=FONT, size=10.5)
    ws.row_dimensions[row].height = 28


def workbook_bytes(f: dict, version: Optional[ReportVersion]) -> bytes:
    """Build the workbook (sheets 表1 by unit, 表2 by category, 表3 major cases) from a figures dict."""
    from portal.reports.views import MAJOR_HEADER, TABLE1_HEADER, TABLE2_HEADER

    wb = Workbook()
    ws = wb.active
    ws.title = "表1 分单位"
    width = 1 + sum(len(sub) if sub else 1 for _l, sub in TABLE1_HEADER)
    _title(ws, f["title"], width, "单位：件、人、万元")
    _head(ws, 3, 1, "单位", rowspan=2)
    col = 2
    for label, sub in TABLE1_HEADER:
        if sub:
            _head(ws, 3, col, label, colspan=len(sub))
            for i, s in enumerate(sub):
                _head(ws, 4, col + i, s)
            col += len(sub)
        else:
            _head(ws, 3, col, label, rowspan=2)
            col += 1
    ws.row_dimensions[3].height = 42
    row = 5
    for r in f["table1"]:
        _body(ws, row, [r["label"]] + [c["text"] for c in r["cells"]])
        row += 1
    _footer(ws, row + 1, width, f, version)
    ws.column_dimensions["A"].width = 12
    for c in range(2, width + 1):
        ws.column_dimensions[get_column_letter(c)].width = 7.5
    ws.freeze_panes = "B5"

    ws2 = wb.create_sheet("表2 分类型")
    width2 = 1 + len(TABLE2_HEADER)
    _title(ws2, f["title"].replace("情况统计表", "分类统计表"), width2, "单位：件、%")
    _head(ws2, 3, 1, "纠纷类型")
    for i, label in enumerate(TABLE2_HEADER, start=2):
        _head(ws2, 3, i, label)
    row = 4
    for r in f["table2"]:
        _body(ws2, row, [r["label"]] + [c["text"] for c in r["cells"]])
        row += 1
    _footer(ws2, row + 1, width2, f, version)
    ws2.column_dimensions["A"].width = 22
    for c in range(2, width2 + 1):
        ws2.column_dimensions[get_column_letter(c)].width = 11

    ws3 = wb.create_sheet("表3 重大矛盾纠纷")
    width3 = len(MAJOR_HEADER)
    _title(ws3, f["title"].replace("情况统计表", "重大矛盾纠纷台账"), width3, "")
    for i, label in enumerate(MAJOR_HEADER, start=1):
        _head(ws3, 3, i, label)
    row = 4
    for i, m in enumerate(f["major"], start=1):
        _body(ws3, row, [str(i), m["number"], m["village"], m["category"], m["parties"], m["summary"], m["risk"],
                         m["leader"], m["unit"], m["measures"], m["deadline"], m["progress"], m["remarks"]], LEFT)
        row += 1
    if not f["major"]:
        ws3.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width3)
        ws3.cell(row, 1, "本期无重大矛盾纠纷").alignment = CENTER
        row += 1
    more = f.get("major_total", len(f["major"])) - len(f["major"])
    if more > 0:
        ws3.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width3)
        ws3.cell(row, 1, f"另有{more}件，详见台账").alignment = LEFT
        row += 1
    _footer(ws3, row + 1, width3, f, version)
    for c, w in enumerate((5, 20, 10, 14, 12, 30, 8, 10, 10, 16, 11, 10, 10), start=1):
        ws3.column_dimensions[get_column_letter(c)].width = w
    for sheet in (ws, ws2, ws3):
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.oddFooter.center.text = "第 &P 页 共 &N 页"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
