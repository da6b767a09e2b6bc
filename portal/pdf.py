"""PDF rendering foundation for printed documents and reports.

Everything printed by the portal (mediation forms, dossiers, monthly reports) goes
through :func:`render_pdf`. Templates live in ``templates/pdf/`` and extend
``pdf/base.html``; the stylesheet is ``static/css/print.css``.

Rules followed here (see docs/style.md 3.12 and docs/domain.md 6 and 10):

* Fonts are selected by their installed fontconfig family name ("Noto Serif CJK SC",
  "Noto Sans CJK SC"), never through ``@font-face`` on the ``.ttc`` collection, which
  embeds the Japanese face (different glyph shapes for 骨, 直, 今, ...).
* Only files under the project's ``static/`` directory and ``data:`` URLs can be
  loaded while rendering. Network access and every other local file are refused,
  because printed documents contain user text.
* Fast rendering needs ``libharfbuzz-subset0`` (WeasyPrint subsets fonts with
  HarfBuzz; without it fontTools subsets the 20 MB CJK fonts, ~10 s per PDF).
* :func:`unprintable_chars` checks, before printing, that every character of a
  document (for example a rare name in CJK Extension B) has a glyph in some
  installed font; otherwise the PDF would show an empty "tofu" box.
"""

from __future__ import annotations

import bisect
import ctypes.util
import functools
import mimetypes
import shutil
import subprocess
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import segno
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STATIC_DIR = PROJECT_ROOT / "static"

#: Font families the print stylesheet relies on (fontconfig family names).
REQUIRED_FONT_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC")


class ResourceRefused(ValueError):
    """A resource URL was refused by :class:`StaticOnlyURLFetcher`.

    WeasyPrint catches it, logs a warning and renders without the resource.
    """


class StaticOnlyURLFetcher(URLFetcher):
    """WeasyPrint URL fetcher that serves only ``static/`` files and ``data:`` URLs.

    Uses the class API of ``weasyprint.urls.URLFetcher`` (WeasyPrint 68+).

    Allowed:

    * ``data:`` URLs (inline QR codes, small images);
    * ``file://`` URLs whose resolved path (symlinks followed) is a file inside
      ``static_dir``;
    * ``file:///static/<path>`` is mapped to ``static_dir/<path>``, so
      ``url_for('static', filename=...)`` style absolute paths also work.

    Everything else (``http``, ``https``, ``ftp``, ``file://`` outside ``static_dir``,
    ``file://`` with a host name, missing files) raises :class:`ResourceRefused`,
    which WeasyPrint turns into a logged warning: the resource is skipped and no
    exception reaches the caller.

    Source: WeasyPrint docs "URL Fetchers" and "Access to Local Files";
    docs/style.md 3.12 (security).
    """

    def __init__(self, static_dir: Path | str = STATIC_DIR, **kwargs):
        """Takes ``static_dir``, the only directory served (default: project ``static/``).

        Extra keyword arguments go to ``weasyprint.urls.URLFetcher``.
        """
        kwargs.setdefault("allowed_protocols", ("file", "data"))
        super().__init__(**kwargs)
        self.static_dir = Path(static_dir).resolve()

    def _static_path(self, url: str) -> Path:
        """Map a ``file:`` URL to a file inside ``static_dir`` or raise ResourceRefused."""
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise ResourceRefused(f"file URL with a host is not allowed: {url}")
        raw_path = url2pathname(unquote(parts.path))
        candidates = [Path(raw_path)]
        if parts.path.startswith("/static/"):
            candidates.append(self.static_dir / unquote(parts.path[len("/static/"):]))
        for candidate in candidates:
            try:
                resolved = candidate.resolve(strict=True)
            except (OSError, RuntimeError):
                continue
            if resolved.is_relative_to(self.static_dir) and resolved.is_file():
                return resolved
        raise ResourceRefused(f"only files under static/ can be loaded: {url}")

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        """Fetch ``url`` if allowed.

        Takes an absolute URL (WeasyPrint resolves relative ones against
        ``base_url`` first) and optional request headers (ignored for files).
        Returns a ``URLFetcherResponse``. Raises :class:`ResourceRefused` for any
        URL that is not ``data:`` or a file under ``static_dir``.
        """
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme != "file":
            raise ResourceRefused(f"network and other schemes are not allowed: {url[:80]}")
        path = self._static_path(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path2url(path), body=path.read_bytes(), headers={"Content-Type": content_type}
        )


def render_pdf(html: str, *, base_url: str | Path | None = None) -> bytes:
    """Render an HTML document to PDF bytes with WeasyPrint.

    Takes ``html``, a complete HTML document (normally a rendered ``pdf/*.html``
    template with ``<html lang="zh-CN">`` linking ``css/print.css``), and
    ``base_url``, the base for relative URLs (default: the project's ``static/``
    directory, so ``href="css/print.css"`` works). Whatever the base, only files
    under ``static/`` and ``data:`` URLs are loaded (:class:`StaticOnlyURLFetcher`);
    refused or missing resources are skipped with a WeasyPrint warning.

    Returns the PDF as bytes. Fonts are taken from fontconfig by family name and
    embedded as subsets. Raises whatever WeasyPrint raises for broken input
    (rare: HTML parsing is lenient).

    Timing on the 2-core dev VM (Noto Serif CJK SC, libharfbuzz-subset0 present):
    median ~0.25 s (0.18-0.3 s) for a one-page form, roughly +0.2 s per extra
    page; ~11 s without libharfbuzz-subset0 (fontTools subsetting).
    No ``FontConfiguration`` is passed: it only matters for ``@font-face``, and a
    shared module-level one made no measurable difference with system fonts
    (measured 0.43 s vs 0.45 s median for a two-page form; docs/style.md 3.12).
    """
    if base_url is None:
        base_url = path2url(STATIC_DIR)
    elif isinstance(base_url, Path):
        base_url = path2url(base_url)
    document = HTML(string=html, base_url=str(base_url), url_fetcher=StaticOnlyURLFetcher())
    return document.write_pdf()


def qr_data_uri(text: str, *, error: str = "m") -> str:
    """Encode ``text`` as a QR code and return it as an SVG ``data:`` URI.

    Takes the text to encode (a verification URL or code; any length a QR code
    holds) and the minimum error-correction level ``error`` ("l", "m", "q", "h";
    segno raises it when that costs no extra size). Returns a string usable as
    ``<img src>``; size the image with CSS (e.g. ``width: 22mm``), SVG scales
    without blur. Raises ``segno.DataOverflowError`` if the text is too long.
    """
    qr = segno.make(text, error=error, micro=False)
    return qr.svg_data_uri(border=0)


def init_app(app) -> None:
    """Register the PDF template helpers on a Flask ``app``.

    Takes the Flask application; adds ``qr_data_uri`` to the Jinja globals so
    ``pdf/base.html`` can print the verification QR code. Returns nothing.
    """
    app.jinja_env.globals["qr_data_uri"] = qr_data_uri


# --- Glyph coverage -------------------------------------------------------------

def _parse_charset(charset: str) -> list[tuple[int, int]]:
    """Parse a fontconfig charset ("20-7e a0 4e00-9fff") into (start, end) pairs."""
    ranges = []
    for token in charset.split():
        start, _, end = token.partition("-")
        ranges.append((int(start, 16), int(end or start, 16)))
    return ranges


@functools.lru_cache(maxsize=1)
def _font_coverage() -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Union of the charsets of all installed fonts, as sorted disjoint ranges.

    Returns (starts, ends) with inclusive ends; empty if fontconfig is missing.
    Loaded once per process (one ``fc-list`` call, ~0.1 s); see
    :func:`refresh_font_coverage`.
    """
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return (), ()
    output = subprocess.run(
        [fc_list, "--format", "%{charset}\n"],
        capture_output=True, text=True, check=False, timeout=30,
    ).stdout
    ranges: list[tuple[int, int]] = []
    for charset in set(output.splitlines()):
        ranges.extend(_parse_charset(charset))
    ranges.sort()
    merged: list[list[int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple(r[0] for r in merged), tuple(r[1] for r in merged)


@functools.lru_cache(maxsize=65536)
def _char_printable(char: str) -> bool:
    """Whether ``char`` needs no glyph or some installed font has one."""
    if char.isspace() or unicodedata.category(char) in ("Cc", "Cf"):
        return True  # line breaks, tabs, zero-width joiners: no glyph needed
    code = ord(char)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:
        return True  # variation selectors modify the previous glyph
    starts, ends = _font_coverage()
    index = bisect.bisect_right(starts, code) - 1
    return index >= 0 and code <= ends[index]


@functools.lru_cache(maxsize=1)
def _ascii_covered() -> bool:
    """Whether every printable ASCII character has a glyph in some font."""
    return all(_char_printable(chr(code)) for code in range(0x20, 0x7F))


def refresh_font_coverage() -> None:
    """Forget the cached font coverage used by :func:`unprintable_chars`.

    Takes and returns nothing. Call it after installing or removing fonts in a
    running process; the next check re-reads ``fc-list``.
    """
    _font_coverage.cache_clear()
    _char_printable.cache_clear()
    _ascii_covered.cache_clear()


def unprintable_chars(text: str) -> list[str]:
    """Return the characters of ``text`` that no installed font can render.

    Takes any text (a whole document's user data can be joined into one string).
    Returns the distinct offending characters in order of first appearance, or
    ``[]`` when everything can print. Whitespace, control and format characters
    and variation selectors count as printable (they need no glyph).

    Coverage is the union of all fonts fontconfig knows (Pango falls back to any
    installed font with the glyph), read once per process via ``fc-list``. Plain
    ASCII/Latin and common CJK text is checked in microseconds (per-character
    cache). With only fonts-noto-cjk, most of CJK Extension B is missing
    (e.g. 𧮞 U+27B9E; 𠮷 U+20BB7 is covered); fonts-hanazono (HanaMinB) covers
    Extensions B-F. If fontconfig is not installed every non-space character is
    reported. Raises nothing.
    """
    if text.isascii() and _ascii_covered():
        return []
    missing: dict[str, None] = {}
    for char in text:
        if char not in missing and not _char_printable(char):
            missing[char] = None
    return list(missing)


# --- System checks (for `flask doctor`) -------------------------------------------

def _installed_families() -> set[str]:
    """Family names known to fontconfig (all aliases), empty if fc-list is missing."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return set()
    output = subprocess.run(
        [fc_list, ":", "family"], capture_output=True, text=True, check=False, timeout=30
    ).stdout
    return {name.strip() for line in output.splitlines() for name in line.split(",")}


def system_font_checks() -> list[tuple[bool, str, str]]:
    """Check the system libraries and fonts that PDF printing needs.

    Returns ``[(ok, message in Chinese, message in English)]`` for ``flask doctor``. A message says
    what was found, or how to fix it (Debian/Ubuntu package names). Checks:

    * Pango (WeasyPrint loads it; version >= 1.44 required);
    * ``libharfbuzz-subset0``: without it WeasyPrint subsets fonts with fontTools
      and a one-page Chinese PDF takes ~10 s instead of ~0.15 s;
    * fonts "Noto Serif CJK SC" and "Noto Sans CJK SC" (package ``fonts-noto-cjk``).

    Raises nothing: failures are reported as ``ok=False``.
    Sources: docs/style.md 3.12; WeasyPrint "first steps" installation notes.
    """
    checks: list[tuple[bool, str, str]] = []

    try:
        from weasyprint.text.ffi import harfbuzz_subset, pango

        version = pango.pango_version()
        label = f"{version // 10000}.{version // 100 % 100}.{version % 100}"
        ok = version >= 14400
        checks.append((ok, f"Pango {label}" + ("" if ok else "：版本过低（需要 1.44 以上），请升级系统"),
                       f"Pango {label}" + ("" if ok else ": too old (WeasyPrint needs >= 1.44), upgrade the system")))
    except Exception as exc:  # OSError from dlopen, ImportError, ...
        harfbuzz_subset = None
        checks.append((False, f"WeasyPrint 无法加载 Pango（{exc}）：请安装 libpango-1.0-0 libpangoft2-1.0-0",
                       f"WeasyPrint cannot load Pango ({exc}): install libpango-1.0-0 libpangoft2-1.0-0 (apt)"))

    found = ctypes.util.find_library("harfbuzz-subset")
    ok = harfbuzz_subset is not None or found is not None
    checks.append((
        ok,
        "已安装 libharfbuzz-subset0" if ok else
        "缺少 libharfbuzz-subset0：请运行 apt install libharfbuzz-subset0。缺少时 WeasyPrint 改用 fontTools "
        "裁剪字体，一页中文 PDF 约需 10 秒（正常约 0.15 秒）",
        "libharfbuzz-subset0 present" if ok else
        "libharfbuzz-subset0 missing: run apt install libharfbuzz-subset0. Without it WeasyPrint subsets fonts "
        "with fontTools and a one-page Chinese PDF takes ~10 s instead of ~0.15 s",
    ))

    families = _installed_families()
    for family in REQUIRED_FONT_FAMILIES:
        ok = family in families
        checks.append((
            ok,
            f"已安装字体 {family}" if ok else f"缺少字体 {family}：请运行 apt install fonts-noto-cjk（否则中文会显示为方框）",
            f"Font {family} installed" if ok else
            f"Font {family} missing: run apt install fonts-noto-cjk (Chinese text would print as boxes)",
        ))
    return checks
