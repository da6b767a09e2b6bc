"""Who sees which villages: the town centre sees 14, a village cadre only their own, others 404."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models.org import OrgUnit
from portal.scoping import get_org_unit_or_404, scoped_org_units


def village(name: str) -> OrgUnit:
    return db.session.scalar(select(OrgUnit).where(OrgUnit.name == name, OrgUnit.level == "VILLAGE"))


def listed(html: str) -> list[str]:
    section = html.split('id="village-list"')[1].split("</section>")[0]
    return re.findall(r'<a href="/villages/\d+">([^<]+)</a>', section)


def test_town_centre_sees_fourteen_villages(client, auth):
    auth.login("zhongxin")
    names = listed(client.get("/villages").text)
    assert len(names) == 14
    assert names[0] == "白沙村" and names[-1] == "白沙社区"


def test_village_cadre_sees_only_own_village(client, auth):
    auth.login("cun03")
    assert listed(client.get("/villages").text) == ["西坪村"]
    own = client.get(f"/villages/{village('西坪村').id}")
    assert own.status_code == 200 and "西坪村第一网格" in own.text


@pytest.mark.parametrize("other", ["上庄村", "白沙社区"])
def test_other_village_is_404_for_cadre(client, auth, other):
    auth.login("cun03")
    response = client.get(f"/villages/{village(other).id}")
    assert response.status_code == 404
    assert other not in response.text


def test_grid_or_town_id_as_village_is_404(client, auth):
    auth.login("zhongxin")
    town = db.session.scalar(select(OrgUnit).where(OrgUnit.level == "TOWN"))
    assert client.get(f"/villages/{town.id}").status_code == 404
    assert client.get("/villages/999999").status_code == 404


@pytest.mark.parametrize("username, count", [("zhongxin", 14), ("lingdao", 14), ("xian", 14), ("admin", 14),
                                             ("cun03", 1), ("cun14", 1)])
def test_scoped_org_units_per_role(app, user, username, count):
    with app.test_request_context():
        assert len(db.session.scalars(scoped_org_units(user(username), "VILLAGE")).all()) == count


def test_get_org_unit_or_404_outside_scope(app, user):
    from werkzeug.exceptions import NotFound
    with app.test_request_context():
        assert get_org_unit_or_404(village("西坪村").id, user("cun03")).name == "西坪村"
        with pytest.raises(NotFound):
            get_org_unit_or_404(village("上庄村").id, user("cun03"))


def test_village_n_belongs_to_cun0n(user):
    for n, name in ((1, "白沙村"), (3, "西坪村"), (14, "白沙社区")):
        assert user(f"cun{n:02d}").org_unit.name == name
        assert all(g.parent.name == name for g in user(f"wangge{n:02d}").grids)
