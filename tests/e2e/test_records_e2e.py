"""Browser test: the agreement form (validation error kept in place, then saved) and a PDF download."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models.user import User
from tests.test_records_support import make_case


@pytest.fixture
def live_case(live_app):
    with live_app.app_context():
        cadre = db.session.scalar(select(User).where(User.username == "cun01"))
        dispute = make_case(cadre, names=("张𠮷", "李四"))
        return dispute.id


def test_agreement_form_error_then_pdf_download(page, login, live_case):
    login("cun01")
    page.goto(f"/records/{live_case}")
    page.click("#records-agreement > summary")
    form = page.locator("#records-form-agreement")
    form.locator("textarea[name=agreement-terms]").fill("一、李四于十日内拆除围墙。")
    form.locator("textarea[name=agreement-performance]").fill("李四自行拆除")        # no time limit
    form.locator("input[name=agreement-recorder]").fill("王记录")
    form.locator("button[type=submit]").click()
    error = page.locator("#records-form-agreement .error", has_text="时限").or_(
        page.locator("#records-form-agreement #agreement-performance-error"))
    error.first.wait_for()
    # Everything typed is still there.
    assert page.locator("textarea[name=agreement-terms]").input_value() == "一、李四于十日内拆除围墙。"
    assert page.locator("input[name=agreement-recorder]").input_value() == "王记录"
    page.locator("textarea[name=agreement-performance]").fill("李四于签字后十日内自行拆除围墙")
    page.locator("#records-form-agreement button[type=submit]").click()
    page.locator("#records-agreement [data-status=DRAFT]").wait_for()
    page.click("#records-documents > summary")
    with page.expect_download() as info:
        page.locator("form.print-form[action$='/documents/agreement.pdf'] button[type=submit]").click()
    download = info.value
    assert download.suggested_filename.startswith("人民调解协议书") and download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"
