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
