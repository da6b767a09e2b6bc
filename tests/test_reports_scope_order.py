"""Report POST routes load and authorise the unit first: a unit outside the user's area answers 404
before any capability check (403 only for a unit the user may see)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models.org import OrgUnit
from portal.models.reports import ReportVersion
from portal.models.user import User

ROUTES = ("/save", "/submit", "/sign", "/reopen")


def _unit(username: str) -> OrgUnit:
    return db.session.scalar(select(User).where(User.username == username)).org_unit


@pytest.mark.parametrize("suffix", ROUTES)
def test_other_village_report_post_is_404_not_403(client, auth, suffix):
    other = _unit("cun01")
    auth.login("cun03")
    response = client.post(f"/reports/V{other.id}/2026-10{suffix}", data={"narrative": "x", "reason": "x"})
    assert response.status_code == 404
    assert db.session.scalar(select(ReportVersion)) is None


@pytest.mark.parametrize("suffix", ["/sign"])
def test_own_village_without_capability_is_403(client, auth, suffix):
    own = _unit("cun03")
    auth.login("cun03")
    response = client.post(f"/reports/V{own.id}/2026-10{suffix}")
    assert response.status_code == 403
