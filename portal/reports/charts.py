"""Server-side SVG charts (pygal) with Chinese labels, for the dashboard and the report PDF.

Charts are rendered without JavaScript (``js=[]``; the config ``<script>`` pygal still writes is
removed) and shown as ``data:image/svg+xml`` images, which the CSP allows (``img-src 'self' data:``)
and WeasyPrint embeds in PDFs. The output is deterministic (fixed element id, no generation-date
comment), so the same figures always give the same bytes.
"""
from __future__ import annotations

import base64
import re

import pygal
from pygal.style import Style

FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', sans-serif"
COLORS = ("#1f5fae", "#e07b00", "#2e7d32", "#c62828", "#6a4c93", "#00838f", "#8d6e63", "#546e7a")

STYLE = Style(
    font_family=FONT, label_font_family=FONT, major_label_font_family=FONT, value_font_family=FONT,
    value_label_font_family=FONT, tooltip_font_family=FONT, title_font_family=FONT, legend_font_family=FONT,
    no_data_font_family=FONT, background="#ffffff", plot_background="#ffffff", foreground="#1d2330",
    foreground_strong="#1d2330", foreground_subtle="#667085", colors=COLORS, title_font_size=17,
    label_font_size=14, major_label_font_size=14, legend_font_size=14, value_font_size=13,
    value_label_font_size=13, no_data_font_size=16,
)

_SCRIPT = re.compile(r"<script.*?</script>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _config(**extra) -> dict:
    base = dict(style=STYLE, js=[], disable_xml_declaration=True, width=640, height=320, legend_at_bottom=True,
                legend_at_bottom_columns=3, print_values=False, show_y_guides=True, no_data_text="暂无数据",
                margin=12, truncate_label=-1, truncate_legend=-1)
    base.update(extra)
    return base


def _render(chart, name: str) -> str:
    svg = _COMMENT.sub("", _SCRIPT.sub("", chart.render(is_unicode=True)))
    return _UUID.sub(name, svg)


def data_uri(svg: str) -> str:
    """An SVG string as a ``data:image/svg+xml;base64`` URI (for ``<img src>``)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def trend_chart(months: list[str], found: list[int], mediated: list[int], success: list[int],
                title: str = "近12个月矛盾纠纷趋势") -> str:
    """Line chart of monthly counts: ``months`` labels ("11月"), three series of equal length."""
    chart = pygal.Line(**_config(title=title, x_label_rotation=0, dots_size=3, min_scale=4, max_scale=8,
                                 include_x_axis=True, show_minor_x_labels=True))
    chart.x_labels = months
    chart.add("排查发现", found)
    chart.add("受理调解", mediated)
    chart.add("调解成功", success)
    return _render(chart, "trend")


def bar_chart(labels: list[str], values: list[int], title: str, name: str, horizontal: bool = True,
              series: str = "件数") -> str:
    """A single-series bar chart (horizontal by default, for long Chinese labels)."""
    cls = pygal.HorizontalBar if horizontal else pygal.Bar
    extra = {}
    if horizontal:  # first label on top; pygal under-estimates the width of CJK labels
        labels, values = labels[::-1], values[::-1]
        widest = max((len(label) for label in labels), default=0)
        extra["margin_left"] = int(widest * STYLE.label_font_size * 0.5) + 8
    height = max(240, 80 + 26 * len(labels)) if horizontal else 320
    chart = cls(**_config(title=title, show_legend=False, height=height, print_values=True, min_scale=4,
                          max_scale=8, print_zeroes=True, **extra))
    chart.x_labels = labels
    chart.add(series, values)
    return _render(chart, name)


def share_chart(parts: list[tuple[str, int]], title: str = "枫桥经验：处置层级") -> str:
    """Pie (donut) chart of shares: ``[(label, count)]``; empty when all counts are zero."""
    chart = pygal.Pie(**_config(title=title, inner_radius=0.45, legend_at_bottom_columns=1, height=320))
    for label, count in parts:
        chart.add(label, count)
    return _render(chart, "shares")
