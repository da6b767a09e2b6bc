"""Dashboard (main.index): work lists, red-risk cases, missing returns, charts; all within scope."""
from __future__ import annotations

import base64
import re

import pytest

from tests.reports_fixture import build_october


@pytest.fixture
def october(app):
    return build_october()


def _svgs(html: str) -> list[str]:
    return [base64.b64decode(m).decode() for m in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)]


def test_town_dashboard(october, client, auth):
    auth.login("zhongxin")
    html = client.get("/").get_data(as_text=True)
    assert html.count('<li><a href="/villages/') == 14
    assert 'id="my-work"' in html and "d4纠纷" in html  # red-risk case listed
    svgs = _svgs(html)
    assert len(svgs) == 4
    assert all("<script" not in s for s in svgs)
    assert "排查发现" in svgs[0] and "Noto Sans CJK SC" in svgs[0]
    assert 'id="missing-returns"' in html


def test_cadre_dashboard_covers_own_village_only(october, client, auth):
    auth.login("cun03")
    html = client.get("/").get_data(as_text=True)
    assert html.count('<li><a href="/villages/') == 1
    assert "d4纠纷" not in html
    village_chart = _svgs(html)[3]
    assert "西坪村" in village_chart and "白沙村" not in village_chart


@pytest.mark.parametrize("username", ["xian", "wangge03", "tiaojie", "lingdao", "admin"])
def test_dashboard_renders_for_every_role(october, client, auth, username):
    auth.login(username)
    assert client.get("/").status_code == 200


def test_trend_success_follows_the_mediated_cohort(october, app, user, monkeypatch):
    """The trend's 调解成功 line counts each month's accepted disputes that succeeded, like column 5 of the
    report: d13 (accepted September, agreed October) in September, d14 (accepted October, agreed November)
    in October; so success never exceeds mediated."""
    from datetime import date

    from portal.reports import charts, dashboard
    captured = {}

    def fake_trend(months, found, mediated, success):
        captured.update(zip(months, zip(found, mediated, success)))
        return "<svg/>"

    monkeypatch.setattr(charts, "trend_chart", fake_trend)
    with app.test_request_context():
        dashboard.build(user("zhongxin"), today=date(2026, 11, 15))
    # (mediated, success): September d7, d12, d13 → d13; October d1, d2, d3, d6, d14 → d1, d3, d14;
    # November d9 → none (tests/reports_fixture.py)
    assert [captured[m][1:] for m in ("9月", "10月", "11月")] == [(3, 1), (5, 3), (1, 0)]
