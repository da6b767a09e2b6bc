"""PDF rows: agreement (1 page), dossier (~10 pages), monthly report; each against its floor, the same
HTML with every Chinese character replaced by Latin letters and every font replaced by DejaVu Serif.

The HTML of a PDF is captured where :func:`portal.pdf.render_pdf` hands it to WeasyPrint, so the floor
is exactly the document the endpoint printed, minus the Chinese text and fonts.
"""
from __future__ import annotations

import io
import re
import statistics
import time
from contextlib import contextmanager

from bench.context import Bench
from bench.harness import Row, p95, paired

LATIN_FONT_CSS = '<style>*, *::before, *::after { font-family: "DejaVu Serif" !important; }</style>'
#: Wide (CJK, full-width) characters; each becomes two Latin letters, about the same width on paper,
#: so the floor document has the same number of pages.
WIDE = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]")
LATIN = "abcdefghijklmnopqrstuvwxyz"


def latinize(html: str) -> str:
    """Return ``html`` with wide characters replaced by Latin letter pairs and a DejaVu Serif override."""
    counter = iter(range(10**9))

    def pair(match):
        n = next(counter)
        return LATIN[n % 26] + LATIN[(n * 7) % 26]

    text = WIDE.sub(pair, html)
    return text.replace("</head>", LATIN_FONT_CSS + "</head>", 1) if "</head>" in text else LATIN_FONT_CSS + text


@contextmanager
def captured_html():
    """Within the block, every HTML string handed to WeasyPrint by a ``portal`` module (through
    :func:`portal.pdf.render_pdf` or its own ``from weasyprint import HTML``) is appended to the list."""
    import sys

    import weasyprint
    documents: list[str] = []
    original = weasyprint.HTML

    def capture(*args, **kwargs):
        if "string" in kwargs:
            documents.append(kwargs["string"])
        return original(*args, **kwargs)

    patched = [m for name, m in list(sys.modules.items())
               if name.startswith("portal") and getattr(m, "HTML", None) is original]
    for module in patched:
        module.HTML = capture
    try:
        yield documents
    finally:
        for module in patched:
            module.HTML = original


def page_count(data: bytes) -> int:
    """Number of pages of a PDF."""
    from pypdf import PdfReader
    return len(PdfReader(io.BytesIO(data)).pages)


def pdf_row(bench: Bench, what: str, url: str, *, measured_on: str, budget: str,
            abs_max: float | None = None) -> Row:
    """Time GET ``url`` (a PDF) against rendering its latinized HTML; ok when ≤ 3× floor (and ≤ abs_max s)."""
    from portal.pdf import render_pdf
    s = bench.settings
    with captured_html() as documents:
        started = time.perf_counter()
        response = bench.get(url)
        first = time.perf_counter() - started
    if response.mimetype != "application/pdf" or not documents:
        raise RuntimeError(f"{url} did not render a PDF through WeasyPrint's HTML")
    html = latinize(documents[-1])
    pages = page_count(response.data)
    floor_pdf = []
    started = time.perf_counter()
    floor_pdf.append(render_pdf(html))
    floor_first = time.perf_counter() - started
    floor_pages = page_count(floor_pdf[0])
    if s.quick:  # one sample each: the capture run and the first floor render
        targets, floors = [first], [floor_first]
    else:  # those two were the warm-up
        targets, floors = paired(lambda: bench.get(url), lambda: render_pdf(html), warmup=0, reps=s.pdf_reps,
                                 budget=120, min_reps=3)
    row = Row(what, measured_on, value=statistics.median(targets), p95=p95(targets),
              floor=statistics.median(floors), budget=budget, unit="s")
    row.ok = row.ratio <= 3.0 and (abs_max is None or row.value <= abs_max)
    row.notes.append(f"{pages} pages (floor {floor_pages}); n={len(targets)}")
    return row
