"""Browser: the admin adds a grid with htmx (error in place first); an expired session on an htmx
action goes to the login page and comes back."""
import re

from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.models.org import OrgUnit
from tests.conftest import DEMO_PASSWORD


def unit_id(live_app, name: str) -> int:
    with live_app.app_context():
        return db.session.scalar(select(OrgUnit.id).where(OrgUnit.name == name))


def test_admin_adds_grid_with_error_in_place(page, login, live_app):
    village = unit_id(live_app, "西坪村")
    login("admin")
    page.goto("/admin/org")
    page.click(f"a[href='/admin/org/{village}/new']")
    form = page.locator(f"#unit-form-new-{village}")
    expect(form).to_be_visible()
    form.locator("input[name=name]").fill("西坪村第一网格")   # taken: error in place
    form.locator("button[type=submit]").click()
    expect(form.locator("#name-error")).to_be_visible()
    expect(form.locator("input[name=name]")).to_have_value("西坪村第一网格")  # typed value kept
    form.locator("input[name=name]").fill("西坪村第九网格")
    form.locator("input[name=division_code]").fill("12345")  # not 12 digits
    form.locator("button[type=submit]").click()
    expect(form.locator("#division_code-error")).to_be_visible()
    expect(form.locator("#name-error")).to_have_count(0)
    expect(form.locator("input[name=division_code]")).to_have_value("12345")
    assert page.url.endswith("/admin/org")
    form.locator("input[name=name]").fill("西坪村第九网格")
    form.locator("input[name=division_code]").fill("")
    form.locator("button[type=submit]").click()
    expect(page.locator(f"#unit-{village}")).to_contain_text("西坪村第九网格")
    expect(page.locator(f"#unit-form-new-{village}")).to_have_count(0)
    assert unit_id(live_app, "西坪村第九网格") is not None


def test_expired_session_on_htmx_action_goes_to_login_and_back(page, login, live_app):
    village = unit_id(live_app, "上庄村")
    login("admin")
    page.goto("/admin/org")
    page.context.clear_cookies()  # the session is gone (expired cookie dropped by the browser)
    page.click(f"#unit-{village} > .unit-row form[action$='/move/down'] button")
    page.wait_for_url(re.compile(r"/auth/login\?next="))
    expect(page.locator("#org-tree")).to_have_count(0)  # a whole page, not a fragment swap
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/org$"))
    expect(page.locator("#org-tree")).to_be_visible()
