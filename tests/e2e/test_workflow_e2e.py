"""Browser: the town centre finds a dispute in the ledger, accepts it, assigns a mediator and
escalates it through the case page's htmx forms (one refusal shown in place), and sees every step
in the timeline; a PII reveal shows the full number."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.extensions import db

TITLE = "浏览器测试甲与测试乙宅基地纠纷"


@pytest.fixture
def dispute_id(live_app):
    from tests.test_workflow import make_dispute
    with live_app.app_context():
        dispute = make_dispute(title=TITLE, parties=[
            {"side": "APPLICANT", "name": "浏览器甲", "id_number": "11010519491231002X", "phone": "13812345678"},
            {"side": "RESPONDENT", "name": "浏览器乙"}])
        ident = dispute.id
        db.session.remove()
    return ident


def test_accept_mediate_escalate_with_timeline(page, login, dispute_id):
    login("zhongxin")
    page.goto("/disputes/?q=浏览器　甲")  # full-width space in the party's name
    page.get_by_role("link", name=TITLE).click()
    expect(page.locator("#case-title")).to_have_text(TITLE)

    # Accept (受理): defaults are the case's values and the village committee.
    page.locator("#act-accept summary").click()
    page.locator("#act-accept button[type=submit]").click()
    expect(page.locator(".case-numbers")).to_contain_text(re.compile(r"西坪人调字第\d{3}号"))

    # Assign a mediator.
    page.locator("#act-assign_mediators summary").click()
    page.locator("#act-assign_mediators input[type=checkbox]").first.check()
    page.locator("#act-assign_mediators button[type=submit]").click()
    expect(page.locator(".badge.status")).to_have_text(re.compile("Mediating|调解中"))

    # Escalate: first without a reason (refused in place, 422), then with one.
    page.locator("#act-escalate summary").click()
    page.locator("#act-escalate button[type=submit]").click()
    expect(page.locator("#act-escalate .error").first).to_be_visible()
    expect(page.locator("#act-escalate")).to_have_attribute("open", "")
    page.locator("#act-escalate textarea").fill("村调委会多次调解未果，申请镇里处理")
    page.locator("#act-escalate button[type=submit]").click()
    expect(page.locator(".badge.status")).to_have_text(re.compile("Escalated|已上报"))

    timeline = page.locator("ol.timeline")
    expect(timeline.locator("li.event")).to_have_count(4)
    for code in ("REGISTERED", "ACCEPTED", "MEDIATORS_ASSIGNED", "ESCALATED"):
        expect(timeline.locator(f"li.event-{code}")).to_have_count(1)
    expect(timeline).to_contain_text("村调委会多次调解未果，申请镇里处理")
    expect(page.locator(".transfers")).to_contain_text("白沙镇")

    # The centre receives it back at town level from its inbox.
    page.goto("/disputes/inbox")
    page.get_by_role("link", name=TITLE).click()
    page.locator("#act-receive summary").click()
    page.locator("#act-receive button[type=submit]").click()
    expect(page.locator(".case-numbers")).to_contain_text("白沙人调字")
    expect(page.locator("ol.timeline li.event-RECEIVED")).to_have_count(1)


def test_reveal_shows_full_id(page, login, dispute_id):
    login("zhongxin")
    page.goto(f"/disputes/{dispute_id}")
    cell = page.locator(f"[id^=pii-][id$=-id_number]").first
    expect(cell).to_contain_text("110105********002X")
    cell.locator("button").click()
    expect(page.locator(f"[id^=pii-][id$=-id_number]").first).to_contain_text("11010519491231002X")
