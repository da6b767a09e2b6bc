"""Helpers for inspecting generated PDFs in tests (pypdf based)."""

from __future__ import annotations

import io

from pypdf import PdfReader


def _reader(pdf_bytes: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf_bytes))


def pdf_text(pdf_bytes: bytes) -> str:
    """Return the extracted text of all pages, pages joined by a newline.

    Takes PDF bytes. Text comes from the fonts' ToUnicode maps, so it shows
    what a reader would copy, not glyph shapes. Raises ``pypdf.errors.PdfReadError``
    for invalid PDFs.
    """
    return "\n".join(page.extract_text() or "" for page in _reader(pdf_bytes).pages)


def pdf_page_texts(pdf_bytes: bytes) -> list[str]:
    """Return the extracted text of each page (list index = page number - 1)."""
    return [page.extract_text() or "" for page in _reader(pdf_bytes).pages]


def pdf_page_count(pdf_bytes: bytes) -> int:
    """Return the number of pages of the PDF in ``pdf_bytes``."""
    return len(_reader(pdf_bytes).pages)


def pdf_fonts(pdf_bytes: bytes) -> set[str]:
    """Return the base names of the fonts used in the PDF.

    Takes PDF bytes. Returns names such as ``"NotoSerifCJKsc-Regular"``, with the
    six-letter subset prefix (``"ABCDEF+"``) removed, collected from every page's
    resources, including fonts inside form XObjects and Type0 descendant fonts.
    """
    names: set[str] = set()
    seen: set[int] = set()

    def walk_resources(resources) -> None:
        if resources is None:
            return
        resources = resources.get_object()
        fonts = resources.get("/Font")
        if fonts is not None:
            for font in fonts.get_object().values():
                font = font.get_object()
                add_font(font)
        xobjects = resources.get("/XObject")
        if xobjects is not None:
            for ref in xobjects.get_object().values():
                key = getattr(ref, "idnum", None)
                if key is not None:
                    if key in seen:
                        continue
                    seen.add(key)
                xobject = ref.get_object()
                walk_resources(xobject.get("/Resources"))

    def add_font(font) -> None:
        base = font.get("/BaseFont")
        if base is not None:
            names.add(str(base).lstrip("/").split("+", 1)[-1])
        for descendant in font.get("/DescendantFonts", []) or []:
            add_font(descendant.get_object())

    for page in _reader(pdf_bytes).pages:
        walk_resources(page.get("/Resources"))
    return names


def pdf_text_positions(pdf_bytes: bytes, page_index: int = 0) -> list[tuple[str, float, float]]:
    """Return ``(text, x, y)`` for each non-blank text run drawn on a page.

    Takes PDF bytes and a zero-based page index. ``x``/``y`` are the start of the
    run's baseline in PDF points from the page's bottom-left corner (1 pt =
    1/72 in = 0.3528 mm). Assumes unrotated text (no skew), which is what
    WeasyPrint emits for normal content; rotated text (the draft watermark) gets
    approximate coordinates.
    """
    page = _reader(pdf_bytes).pages[page_index]
    runs: list[tuple[str, float, float]] = []

    def visit(text, cm, tm, font_dict, font_size) -> None:
        if text.strip():
            runs.append((text.strip(), cm[4] + tm[4] * cm[0], cm[5] + tm[5] * cm[3]))

    page.extract_text(visitor_text=visit)
    return runs


def pdf_page_sizes(pdf_bytes: bytes) -> list[tuple[float, float]]:
    """Return each page's (width, height) in PDF points (A4 portrait ≈ 595 × 842)."""
    return [
        (float(page.mediabox.width), float(page.mediabox.height))
        for page in _reader(pdf_bytes).pages
    ]


def pdf_image_count(pdf_bytes: bytes) -> int:
    """Return how many image XObjects the pages reference (SVG is drawn as paths, not counted)."""
    count = 0
    for page in _reader(pdf_bytes).pages:
        resources = page.get("/Resources")
        if resources is None:
            continue
        xobjects = resources.get_object().get("/XObject")
        if xobjects is None:
            continue
        for ref in xobjects.get_object().values():
            if ref.get_object().get("/Subtype") == "/Image":
                count += 1
    return count
