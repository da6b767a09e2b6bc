"""Browser: a grid worker registers a dispute with two parties on a 390-px phone, through a
validation error (bad ID number), adding/removing a party row and the repeat-dispute warning."""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.models.dispute import Dispute, Party


def _earlier_dispute(live_app) -> None:
    """An earlier dispute in 白沙村第一网格 with the party 测试丙 (for the repeat warning)."""
    from portal.disputes.services import create_dispute
    from portal.models.org import OrgUnit
    from portal.models.user import User
    with live_app.app_context():
        if db.session.scalar(select(Party).where(Party.name == "测试丙")):
            return
        grid = db.session.scalar(select(OrgUnit).where(OrgUnit.name == "白沙村第一网格"))
        user = db.session.scalar(select(User).where(User.username == "cun01"))
        create_dispute(user=user, location=grid, fields={"title": "测试丙邻里纠纷", "summary": "旧纠纷", "category": "NEIGHBOUR"},
                       parties=[{"name": "测试丙", "side": "APPLICANT"}])
        db.session.commit()


def test_grid_worker_registers_a_dispute_on_a_phone(page, login, live_app):
    _earlier_dispute(live_app)
    page.set_viewport_size({"width": 390, "height": 844})
    login("wangge01")
    page.goto("/disputes/new")
    page.select_option("#location", label="白沙村第一网格")
    page.select_option("#category", "NEIGHBOUR")
    page.fill("#summary", "两家因排水沟堵塞发生争吵（浏览器测试）")
    page.check("input[name=risk_level][value=YELLOW]")
    page.fill("#parties-0-name", "测试甲")
    page.fill("#parties-0-phone", "+86 138-0000-1111")
    page.fill("#parties-0-id_number", "110105194912310021")  # wrong check character

    # Add a third row in place, then remove it again.
    page.click("#add-party")
    expect(page.locator(".party-row")).to_have_count(3)
    page.locator("#party-2 .remove-party").click()
    expect(page.locator(".party-row")).to_have_count(2)

    # Typing a known name shows the other dispute of the same person.
    page.locator("#parties-1-name").press_sequentially("测试丙", delay=50)
    expect(page.locator("#party-1-repeat .repeat-warning")).to_contain_text("测试丙")

    page.click("#intake-form button[type=submit]")
    expect(page.locator("#parties-0-id_number-error")).to_be_visible()
    expect(page.locator("#parties-0-name")).to_have_value("测试甲")
    expect(page.locator("#parties-1-name")).to_have_value("测试丙")
    expect(page.locator("#parties-0-phone")).to_have_value("13800001111")  # normalised, kept
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling

    page.fill("#parties-0-id_number", "11010519491231002x")
    page.click("#intake-form button[type=submit]")
    page.wait_for_url(lambda url: "/disputes/new" not in url)
    expect(page.locator("main")).to_contain_text("测某与测某邻里纠纷")

    with live_app.app_context():
        dispute = db.session.scalar(select(Dispute).where(Dispute.summary == "两家因排水沟堵塞发生争吵（浏览器测试）"))
        assert dispute is not None and dispute.risk_level == "YELLOW" and dispute.title == "测某与测某邻里纠纷"
        assert [(p.name, p.id_number, p.phone) for p in dispute.parties] == [
            ("测试甲", "11010519491231002X", "13800001111"), ("测试丙", None, None)]
        assert db.session.query(Dispute).filter(Dispute.summary == dispute.summary).count() == 1
