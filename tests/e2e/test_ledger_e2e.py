"""Browser: the ledger's filters live in the URL; back and forward restore the list and the form."""
from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.models.dispute import Dispute


def _ledger_disputes(live_app) -> None:
    from portal.disputes.services import create_dispute
    from portal.models.org import OrgUnit
    from portal.models.user import User
    with live_app.app_context():
        if db.session.scalar(select(Dispute).where(Dispute.title.like("E2E台账%"))):
            return
        user = db.session.scalar(select(User).where(User.username == "zhongxin"))
        for i, (village, category) in enumerate([("上庄村", "NEIGHBOUR"), ("西坪村", "MARRIAGE_FAMILY"),
                                                 ("南山村", "NEIGHBOUR")]):
            unit = db.session.scalar(select(OrgUnit).where(OrgUnit.name == village))
            create_dispute(user=user, location=unit, fields={
                "title": f"E2E台账{i}", "summary": "浏览器测试", "category": category,
                "found_date": date(2026, 10, 1 + i)}, parties=[{"name": f"台账人{i}", "side": "APPLICANT"}])
        db.session.commit()


def test_ledger_filters_with_back_and_forward(page, login, live_app):
    _ledger_disputes(live_app)
    login("zhongxin")
    page.goto("/disputes/")
    total = page.locator("#ledger-total")

    page.fill("#f-q", "E2E台账")
    expect(page).to_have_url(re.compile(r"q=E2E"))
    expect(total).to_have_attribute("data-total", "3")
    assert "village=" not in page.url  # history gets the tidy URL, without the empty fields

    page.select_option("#f-category", "MARRIAGE_FAMILY")
    expect(page).to_have_url(re.compile(r"category=MARRIAGE_FAMILY"))
    expect(total).to_have_attribute("data-total", "1")
    expect(page.locator("tr.ledger-row")).to_contain_text("E2E台账1")

    page.select_option("#ledger-sort", "found")
    expect(page).to_have_url(re.compile(r"sort=found"))

    page.go_back()
    expect(page).not_to_have_url(re.compile(r"sort=found"))
    expect(total).to_have_attribute("data-total", "1")
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"category=MARRIAGE"))
    expect(total).to_have_attribute("data-total", "3")
    expect(page.locator("#f-category")).to_have_value("")
    expect(page.locator("#f-q")).to_have_value("E2E台账")

    page.go_forward()
    expect(total).to_have_attribute("data-total", "1")
    expect(page.locator("#f-category")).to_have_value("MARRIAGE_FAMILY")

    page.reload()
    expect(total).to_have_attribute("data-total", "1")
    expect(page.locator("#f-category")).to_have_value("MARRIAGE_FAMILY")
    expect(page.locator("#f-q")).to_have_value("E2E台账")

    # A pasted link shows the same list.
    url = page.url
    other = page.context.new_page()
    other.goto(url)
    expect(other.locator("#ledger-total")).to_have_attribute("data-total", "1")
    other.close()


def test_ledger_on_a_phone_shows_cards_without_sideways_scrolling(page, login, live_app):
    _ledger_disputes(live_app)
    page.set_viewport_size({"width": 390, "height": 844})
    login("cun03")
    page.goto("/disputes/?q=E2E台账")
    expect(page.locator("#ledger-total")).to_have_attribute("data-total", "1")  # only 西坪村's
    expect(page.locator("tr.ledger-row")).to_contain_text("E2E台账1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
