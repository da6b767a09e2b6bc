"""PDF foundation: render_pdf, print.css, pdf/base.html, URL fetcher, glyph coverage.

The form below is a test-only template string extending the product base
template; everything is rendered through portal.pdf.render_pdf.
"""
from __future__ import annotations

import logging
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader, select_autoescape

from pdfutil import (
    pdf_fonts,
    pdf_image_count,
    pdf_page_count,
    pdf_page_sizes,
    pdf_page_texts,
    pdf_text,
    pdf_text_positions,
)
from portal.pdf import (
    STATIC_DIR,
    ResourceRefused,
    StaticOnlyURLFetcher,
    qr_data_uri,
    render_pdf,
    system_font_checks,
    unprintable_chars,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
A4_W, A4_H = 595.28, 841.89  # points
MM = 72 / 25.4  # points per millimetre

FORM = """{% extends "pdf/base.html" %}
{% block title %}人民调解申请书{% endblock %}
{% block content %}
<h1 class="title">人民调解申请书</h1>
<div class="field-row"><span class="label">姓名</span><span class="value">{{ name }}</span>
  <span class="label">性别</span><span class="value w2">男</span>
  <span class="label">民族</span><span class="value w3">汉</span>
  <span class="label">年龄</span><span class="value w2"></span></div>
<div class="field-row"><span class="label">单位或住址</span><span class="value left">龙泉镇石桥村3组12号</span></div>
<p class="section-label">纠纷简要情况：</p>
<div class="ruled lines-3">申请人与被申请人因宅基地边界发生争执。</div>
{% for i in range(extra_paragraphs) %}<p class="text">第{{ i }}段：双方对上述事实均无异议。</p>{% endfor %}
<div class="signatures"><div class="signature"><span class="label">申请人（签名）</span><span class="line"></span></div></div>
<div class="date-line">2025年7月1日</div>
{% for src in images %}<img src="{{ src }}" alt="">{% endfor %}
{% endblock %}"""


@pytest.fixture(scope="module")
def env() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"])
    )
    environment.globals["qr_data_uri"] = qr_data_uri
    return environment


def render_form(env, **context) -> bytes:
    context.setdefault("name", "张三")
    context.setdefault("extra_paragraphs", 0)
    context.setdefault("images", [])
    return render_pdf(env.from_string(FORM).render(**context))


@pytest.fixture(scope="module")
def one_page(env) -> bytes:
    return render_form(env, name="王<小>明")


@pytest.fixture(scope="module")
def two_pages(env) -> bytes:
    return render_form(env, extra_paragraphs=20)


def test_text_is_extractable_chinese_and_escaped(one_page):
    text = pdf_text(one_page)
    assert pdf_page_count(one_page) == 1
    for expected in ("人民调解申请书", "姓名", "单位或住址", "龙泉镇石桥村3组12号",
                     "宅基地边界", "2025年7月1日", "王<小>明"):
        assert expected in text
    assert pdf_page_sizes(one_page) == [pytest.approx((A4_W, A4_H), abs=0.5)]


def test_embeds_simplified_chinese_faces_only(one_page):
    fonts = {name.replace("-", "").lower() for name in pdf_fonts(one_page)}
    assert "notoserifcjksc" in fonts  # body: 仿宋 stand-in
    assert "notoserifcjkscbold" in fonts  # title: 小标宋 stand-in
    assert not [name for name in fonts if "jp" in name or "cjkkr" in name or "cjktc" in name]


def test_draft_watermark_only_on_drafts(env):
    draft = render_form(env, draft=True, extra_paragraphs=20)
    assert pdf_page_count(draft) == 2
    # repeated on each page (letter-spacing makes the extracted text "草 稿")
    assert all("草稿" in page.replace(" ", "") for page in pdf_page_texts(draft))
    assert "草稿" not in pdf_text(render_form(env, draft=False)).replace(" ", "")


def test_page_numbers_follow_gbt_9704(two_pages):
    """"— X —" 7 mm below the type area; odd pages right, even pages left."""
    assert pdf_page_count(two_pages) == 2
    first, second = pdf_page_texts(two_pages)
    assert "— 1 —" in first and "— 2 —" not in first
    assert "— 2 —" in second

    def number_run(page_index):
        [run] = [r for r in pdf_text_positions(two_pages, page_index) if r[0].startswith("—")]
        return run

    _, x1, y1 = number_run(0)
    _, x2, y2 = number_run(1)
    type_area_bottom = 35 * MM
    assert x1 > A4_W / 2  # odd page: right
    assert x2 == pytest.approx(28 * MM + 14, abs=1)  # even page: left margin + one 14pt character
    assert y1 == pytest.approx(y2)
    # baseline 7-10 mm below the type area (the dash sits ~2 mm above the baseline)
    assert 6 * MM < type_area_bottom - y1 < 10 * MM


def test_page_total_variant(env):
    pdf = render_form(env, extra_paragraphs=20, body_class="page-total")
    first, second = pdf_page_texts(pdf)
    assert "第 1 页 共 2 页" in first and "第 2 页 共 2 页" in second
    assert "— 1 —" not in first


def test_verification_footer_with_qr(env):
    uri = qr_data_uri("https://portal.example/v/K7Q2-93XD")
    assert uri.startswith("data:image/svg+xml")
    pdf = render_form(env, verification_code="K7Q2-93XD",
                      verification_url="https://portal.example/v/K7Q2-93XD")
    assert "验证码：K7Q2-93XD" in pdf_text(pdf)


def test_landscape_pages(env):
    html = env.from_string(
        '{% extends "pdf/base.html" %}{% block content %}<p>封面</p>'
        '<div class="landscape"><table class="grid report"><thead><tr><th>单位</th><th>件数</th>'
        '</tr></thead><tbody>{% for i in range(60) %}<tr><td>第{{ i }}村</td><td class="num">0</td>'
        '</tr>{% endfor %}</tbody></table></div>{% endblock %}').render()
    pdf = render_pdf(html)
    sizes = pdf_page_sizes(pdf)
    assert sizes[0] == pytest.approx((A4_W, A4_H), abs=0.5)
    assert len(sizes) >= 3 and all(s == pytest.approx((A4_H, A4_W), abs=0.5) for s in sizes[1:])
    assert all("单位" in text for text in pdf_page_texts(pdf)[1:])  # thead repeated


# --- URL fetcher -----------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "http://127.0.0.1:9/logo.png",
    "https://example.com/logo.png",
    "ftp://example.com/logo.png",
    f"file://{STATIC_DIR}/../portal/pdf.py",
    "file://otherhost" + str(STATIC_DIR / "css" / "print.css"),
    f"file://{STATIC_DIR}/css/missing.css",
])
def test_fetcher_refuses(url):
    with pytest.raises(ResourceRefused):
        StaticOnlyURLFetcher().fetch(url)


def test_fetcher_serves_static_and_data():
    fetcher = StaticOnlyURLFetcher()
    response = fetcher.fetch(f"file://{STATIC_DIR}/css/print.css")
    assert response.content_type == "text/css" and b"@page" in response.read()
    response = fetcher.fetch("file:///static/css/print.css")  # url_for('static', ...) form
    assert b"@page" in response.read()
    assert fetcher.fetch("data:text/plain;base64,5Lit").read() == "中".encode()


def test_fetcher_refuses_symlink_out_of_static(tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (static / "link.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(ResourceRefused):
        StaticOnlyURLFetcher(static).fetch(f"file://{static}/link.txt")


def test_render_skips_refused_resources(env, caplog):
    png = "data:image/png;base64," + (
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
    caplog.set_level(logging.WARNING, logger="weasyprint")
    pdf = render_form(env, images=["file:///etc/passwd", "http://192.0.2.1/x.png", png])
    assert pdf_image_count(pdf) == 1  # only the data: image
    assert "root:" not in pdf_text(pdf)
    assert "/etc/passwd" in caplog.text and "192.0.2.1" in caplog.text


# --- Glyph coverage --------------------------------------------------------------

def _font_covering(codepoint: int) -> str:
    """Family of an installed font covering codepoint, or '' (asks fontconfig directly)."""
    if shutil.which("fc-list") is None:
        return ""
    out = subprocess.run(["fc-list", f":charset={codepoint:x}", "family"],
                         capture_output=True, text=True, check=False).stdout
    return out.strip().splitlines()[0].split(",")[0] if out.strip() else ""


def test_plain_chinese_is_printable():
    assert unprintable_chars("人民调解协议书：张三与李四，2025年7月1日。（一）\n\t骨直今") == []
    assert unprintable_chars("plain ASCII text 123") == []
    assert unprintable_chars("") == []


def test_ext_b_in_noto_is_printable():
    assert unprintable_chars("吉𠮷") == []  # U+20BB7 is in Noto CJK SC


def test_ext_b_outside_noto(env):
    """𧮞 U+27B9E: reported unless a fallback font (fonts-hanazono: HanaMinB) covers it."""
    family = _font_covering(0x27B9E)
    if not family:
        assert unprintable_chars("张𧮞") == ["𧮞"]
        assert unprintable_chars("𧮞a𧮞\ue000") == ["𧮞", "\ue000"]  # private use: no font
        return
    assert unprintable_chars("张𧮞") == []
    fonts = {name.replace("-", "").lower() for name in pdf_fonts(render_form(env, name="张𧮞"))}
    assert any(family.replace(" ", "").lower() in name for name in fonts), fonts


# --- System ------------------------------------------------------------------------

def test_system_font_checks_pass():
    checks = system_font_checks()
    assert len(checks) == 4
    assert any("harfbuzz-subset" in en for _, _, en in checks)
    failed = [en for ok, _, en in checks if not ok]
    assert not failed, failed


def test_text_positions_helper_units(one_page):
    runs = pdf_text_positions(one_page, 0)
    title = [r for r in runs if "人民调解申请书" in r[0]]
    assert title and re.match(r"^人民调解申请书", title[0][0])
    # title baseline within the first lines below the 37 mm top margin
    assert A4_H - 37 * MM - 40 < title[0][2] < A4_H - 37 * MM
