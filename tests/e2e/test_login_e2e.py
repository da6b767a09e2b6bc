"""Browser: log in as the town centre and see the 14 villages."""
from playwright.sync_api import expect


def test_town_centre_logs_in_and_sees_villages(page, login):
    login("zhongxin")
    expect(page.locator("#village-list li")).to_have_count(14)
    expect(page.locator("#village-list")).to_contain_text("白沙社区")


def test_village_cadre_sees_only_own_village(page, login):
    login("cun03")
    expect(page.locator("#village-list li")).to_have_count(1)
    expect(page.locator("#village-list")).to_contain_text("西坪村")
