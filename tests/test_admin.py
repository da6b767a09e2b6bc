"""Administration: org tree, committees and mediators, accounts; scope, capability, audit."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models.org import GRID, VILLAGE, MediationCommittee, Mediator, OrgUnit
from portal.models.user import AuditLog, User
from portal.timeutil import now_utc

HX = {"HX-Request": "true"}


def unit(name: str) -> OrgUnit:
    return db.session.scalar(select(OrgUnit).where(OrgUnit.name == name))


def last_audit(action: str) -> AuditLog | None:
    return db.session.scalar(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id.desc()))


@pytest.fixture
def admin(client, auth):
    auth.login("admin")
    return client


@pytest.mark.parametrize("role", ["TOWN_STAFF", "TOWN_LEADER", "MEDIATOR", "VILLAGE_CADRE", "GRID_WORKER",
                                  "COUNTY_VIEWER"])
def test_only_admins_reach_admin_pages(client, auth, role):
    auth.login_role(role)
    for path in ("/admin/org", "/admin/users", "/admin/committees"):
        assert client.get(path).status_code == 403
    assert client.post(f"/admin/org/{unit('西坪村').id}/active/0").status_code == 403


def test_tree_shows_the_whole_area(admin):
    page = admin.get("/admin/org")
    assert page.status_code == 200
    for name in ("清河县", "白沙镇", "西坪村", "白沙社区第四网格"):
        assert name in page.text
    assert "620599101203" in page.text


def test_add_grid_with_htmx_returns_tree(admin):
    village = unit("西坪村")
    form = admin.get(f"/admin/org/{village.id}/new", headers=HX)
    assert form.status_code == 200 and "<html" not in form.text and 'id="unit-form-new-' in form.text
    response = admin.post(f"/admin/org/{village.id}/new", data={"name": "西坪村第三网格", "division_code": ""},
                          headers=HX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<section") and "西坪村第三网格" in response.text
    grid = unit("西坪村第三网格")
    assert grid.level == GRID and grid.parent_id == village.id and grid.sort == 3 and grid.active
    assert last_audit("ORG_CREATED").entity_id == grid.id


@pytest.mark.parametrize("name, code, field_error", [
    ("", "", "name"),
    ("西坪村第一网格", "", "name"),                 # taken among siblings
    ("新村", "12345", "division_code"),             # not 12 digits
    ("新村", "62059910120A", "division_code"),
    ("新村", "110105101201", "division_code"),      # does not start with the town's 620599101
    ("新村", "620599101201", "division_code"),      # used by 白沙村
])
def test_add_unit_errors_in_place_keep_input(admin, name, code, field_error):
    parent = unit("西坪村") if name.startswith("西坪") else unit("白沙镇")
    count = db.session.scalar(select(func.count(OrgUnit.id)))
    response = admin.post(f"/admin/org/{parent.id}/new", data={"name": name, "division_code": code}, headers=HX)
    assert response.status_code == 422
    assert response.text.lstrip().startswith("<form")
    assert f'id="{field_error}-error"' in response.text
    assert f'value="{code}"' in response.text if code else True
    assert db.session.scalar(select(func.count(OrgUnit.id))) == count


def test_add_village_with_valid_code(admin):
    town = unit("白沙镇")
    response = admin.post(f"/admin/org/{town.id}/new", data={"name": "新建村", "division_code": "620599101215"})
    assert response.status_code == 302  # without htmx: back to the tree
    village = unit("新建村")
    assert village.level == VILLAGE and village.division_code == "620599101215"


def test_rename_and_set_code(admin):
    village = unit("西坪村")
    response = admin.post(f"/admin/org/{village.id}/edit", data={"name": "西坪社区", "division_code": "620599101299"},
                          headers=HX)
    assert response.status_code == 200
    db.session.refresh(village)
    assert (village.name, village.division_code) == ("西坪社区", "620599101299")
    assert "西坪村" in last_audit("ORG_UPDATED").detail


def test_reorder_up_and_down(admin):
    town = unit("白沙镇")
    names = lambda: [u.name for u in db.session.scalars(select(OrgUnit).where(OrgUnit.parent_id == town.id)
                                                         .order_by(OrgUnit.sort, OrgUnit.id))]
    assert names()[:3] == ["白沙村", "上庄村", "西坪村"]
    assert admin.post(f"/admin/org/{unit('西坪村').id}/move/up", headers=HX).status_code == 200
    assert names()[:3] == ["白沙村", "西坪村", "上庄村"]
    admin.post(f"/admin/org/{unit('白沙村').id}/move/down", headers=HX)
    assert names()[:3] == ["西坪村", "白沙村", "上庄村"]
    admin.post(f"/admin/org/{unit('西坪村').id}/move/up", headers=HX)  # already first: no change
    assert names()[0] == "西坪村"


def test_deactivate_cascades_and_reactivate(admin, auth, client):
    village = unit("西坪村")
    response = admin.post(f"/admin/org/{village.id}/active/0", headers=HX)
    assert response.status_code == 200
    assert not unit("西坪村").active and not unit("西坪村第一网格").active
    grid = unit("西坪村第一网格")
    response = admin.post(f"/admin/org/{grid.id}/active/1", headers=HX)
    assert response.status_code == 422 and "flash-error" in response.text  # parent inactive
    admin.post(f"/admin/org/{village.id}/active/1", headers=HX)
    assert unit("西坪村").active
    assert db.session.get(OrgUnit, village.id) is not None  # never deleted
    actions = [a.action for a in db.session.scalars(select(AuditLog).where(AuditLog.entity_id == village.id,
                                                                          AuditLog.entity == "org_unit"))]
    assert actions == ["ORG_DEACTIVATED", "ORG_REACTIVATED"]


def test_units_in_use_are_not_deleted(admin):
    village = unit("西坪村")  # has grids, users, a committee
    response = admin.post(f"/admin/org/{village.id}/delete", headers=HX)
    assert response.status_code == 422
    assert unit("西坪村") is not None
    grid = unit("西坪村第一网格")  # wangge03 covers it
    assert admin.post(f"/admin/org/{grid.id}/delete", headers=HX).status_code == 422
    assert unit("西坪村第一网格") is not None


def test_unused_unit_can_be_deleted(admin):
    village = unit("西坪村")
    admin.post(f"/admin/org/{village.id}/new", data={"name": "错字网格"}, headers=HX)
    typo = unit("错字网格")
    assert admin.post(f"/admin/org/{typo.id}/delete", headers=HX).status_code == 200
    assert unit("错字网格") is None


def test_tree_page_hides_delete_for_units_in_use(admin):
    page = admin.get("/admin/org").text
    assert f"/admin/org/{unit('西坪村').id}/delete" not in page
    assert f"/admin/org/{unit('西坪村第二网格').id}/delete" not in page   # wangge03's
    assert f"/admin/org/{unit('白沙村第三网格').id}/delete" in page        # nobody's yet


def test_own_root_cannot_be_deactivated(admin, user):
    root = user("admin").org_unit
    assert admin.post(f"/admin/org/{root.id}/active/0", headers=HX).status_code == 422
    assert db.session.get(OrgUnit, root.id).active


def test_town_admin_sees_only_own_subtree(client, auth, user, app):
    from portal.auth.services import set_password
    town = unit("白沙镇")
    other_town = OrgUnit(level="TOWN", name="河口镇", parent=town.parent, sort=9, active=True)
    db.session.add(other_town)
    town_admin = User(username="zhenadmin", display_name="镇管理员", role="ADMIN", org_unit=town, password_hash="")
    set_password(town_admin, "Town-Admin-2026")
    town_admin.must_change_password = False
    db.session.add(town_admin)
    db.session.commit()
    auth.login("zhenadmin", "Town-Admin-2026")
    tree = client.get("/admin/org").text
    assert "白沙镇" in tree and "河口镇" not in tree and "清河县" not in tree
    assert client.get(f"/admin/org/{other_town.id}/edit").status_code == 404
    assert client.post(f"/admin/org/{other_town.id}/active/0").status_code == 404
    assert client.get(f"/admin/users/{user('xian').id}").status_code == 404  # county viewer: outside
    assert "xian" not in client.get("/admin/users").text


# --- committees ---------------------------------------------------------------------------------

def committee_of(name: str) -> MediationCommittee:
    return db.session.scalar(select(MediationCommittee).join(OrgUnit).where(OrgUnit.name == name))


def test_committee_list_shows_every_village(admin):
    page = admin.get("/admin/committees").text
    assert page.count("人民调解委员会") >= 15


def test_add_mediators_and_composition_warnings(admin, zh_text):
    committee = committee_of("西坪村")
    page = admin.get(f"/admin/committees/{committee.id}").text
    assert 'id="committee-warnings"' not in page  # 3 members, one woman, a chair
    for mediator in committee.mediators:
        if mediator.sex == "F":
            admin.post(f"/admin/mediators/{mediator.id}/active/0", headers=HX)
    response = admin.get(f"/admin/committees/{committee.id}")
    assert zh_text("No woman among the committee members.") in response.text
    assert zh_text("Only %(n)d committee members; the law asks for 3 to 9.", n=2) in response.text
    response = admin.post(f"/admin/committees/{committee.id}/mediators", headers=HX, data={
        "name": "刘某芳", "sex": "F", "position": "MEMBER", "appointment_type": "MEMBER", "phone": "13800138000"})
    assert response.status_code == 200 and response.text.lstrip().startswith("<section")
    assert 'id="committee-warnings"' not in response.text
    added = db.session.scalar(select(Mediator).where(Mediator.name == "刘某芳"))
    assert added.committee_id == committee.id and added.phone == "13800138000"
    assert "138****8000" in response.text


def test_too_many_members_warns(admin, zh_text):
    committee = committee_of("上庄村")
    for i in range(7):
        admin.post(f"/admin/committees/{committee.id}/mediators", headers=HX,
                   data={"name": f"委员{i}", "sex": "M", "position": "MEMBER", "appointment_type": "MEMBER"})
    page = admin.get(f"/admin/committees/{committee.id}").text
    assert zh_text("%(n)d committee members; the law asks for 3 to 9.", n=10) in page


@pytest.mark.parametrize("data, field", [
    ({"name": "", "sex": "F"}, "name"),
    ({"name": "某人", "sex": ""}, "sex"),
    ({"name": "某人", "sex": "F", "phone": "12345"}, "phone"),
])
def test_mediator_errors_in_place(admin, data, field):
    committee = committee_of("西坪村")
    before = len(committee.mediators)
    response = admin.post(f"/admin/committees/{committee.id}/mediators", headers=HX,
                          data={"position": "MEMBER", "appointment_type": "MEMBER", **data})
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    if data["name"]:
        assert f'value="{data["name"]}"' in response.text
    db.session.expire_all()
    assert len(committee_of("西坪村").mediators) == before


def test_edit_committee_in_place(admin):
    committee = committee_of("西坪村")
    response = admin.post(f"/admin/committees/{committee.id}", headers=HX, data={
        "name": "西坪村人民调解委员会", "case_prefix": "西坪村", "committee_type": "VILLAGE",
        "term_start": "2026-01-01", "term_end": "2025-01-01"})
    assert response.status_code == 422 and 'id="term_end-error"' in response.text
    response = admin.post(f"/admin/committees/{committee.id}", headers=HX, data={
        "name": "西坪村人民调解委员会", "case_prefix": "西坪村", "committee_type": "VILLAGE",
        "term_start": "2026-01-01", "term_end": "2028-12-31"})
    assert response.status_code == 200
    db.session.refresh(committee)
    assert committee.case_prefix == "西坪村" and str(committee.term_end) == "2028-12-31"


def test_set_up_committee_for_new_village(admin):
    town = unit("白沙镇")
    admin.post(f"/admin/org/{town.id}/new", data={"name": "新建村"}, headers=HX)
    village = unit("新建村")
    form = admin.get(f"/admin/committees/new/{village.id}").text
    assert 'value="新建村人民调解委员会"' in form
    response = admin.post(f"/admin/committees/new/{village.id}", headers=HX, data={
        "name": "新建村人民调解委员会", "case_prefix": "新建", "committee_type": "VILLAGE"})
    assert response.headers["HX-Redirect"].startswith("/admin/committees/")
    assert committee_of("新建村").case_prefix == "新建"
    again = admin.post(f"/admin/committees/new/{village.id}", headers=HX, data={
        "name": "x", "case_prefix": "x", "committee_type": "VILLAGE"})
    assert again.status_code == 422


# --- accounts -----------------------------------------------------------------------------------

def new_user_data(**overrides) -> dict:
    data = {"username": "liuwg", "display_name": "刘网格", "role": "GRID_WORKER", "org_unit_id": "",
            "password": "Start-Pass-2026", "confirm": "Start-Pass-2026", "phone": ""}
    data.update(overrides)
    return data


def test_create_grid_worker(admin):
    grids = [unit("西坪村第一网格").id, unit("西坪村第二网格").id]
    response = admin.post("/admin/users/new", headers=HX, data={**new_user_data(), "grids": grids})
    assert response.status_code == 200 and response.headers["HX-Redirect"].startswith("/admin/users/")
    created = db.session.scalar(select(User).where(User.username == "liuwg"))
    assert created.org_unit.name == "西坪村" and sorted(g.id for g in created.grids) == sorted(grids)
    assert created.must_change_password and not created.is_demo
    entry = last_audit("USER_CREATED")
    assert entry.entity_id == created.id and entry.username == "admin" and "Start-Pass" not in entry.detail


@pytest.mark.parametrize("overrides, field", [
    ({"password": "weakpass", "confirm": "weakpass"}, "password"),
    ({"password": "Liuwg-2026x", "confirm": "Liuwg-2026x"}, "password"),   # contains the user name
    ({"confirm": "Other-Pass-2026"}, "confirm"),
    ({"username": "zhongxin"}, "username"),
    ({"username": "ZhongXin"}, "username"),
    ({"username": "有 空格"}, "username"),
    ({}, "grids"),                                                     # grid worker without grids
    ({"role": "VILLAGE_CADRE"}, "org_unit_id"),                        # no unit
    ({"role": "TOWN_STAFF", "org_unit_id": "VILLAGE"}, "org_unit_id"),  # wrong level for the role
])
def test_create_user_errors_in_place(admin, overrides, field):
    if overrides.get("org_unit_id") == "VILLAGE":
        overrides["org_unit_id"] = unit("西坪村").id
    count = db.session.scalar(select(func.count(User.id)))
    response = admin.post("/admin/users/new", headers=HX, data=new_user_data(**overrides))
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    assert 'value="刘网格"' in response.text  # typed values kept
    assert db.session.scalar(select(func.count(User.id))) == count


def test_cannot_assign_unit_outside_scope(client, auth, user):
    from portal.auth.services import set_password
    town_admin = User(username="zhenadmin", display_name="镇管理员", role="ADMIN", org_unit=unit("白沙镇"),
                      password_hash="")
    set_password(town_admin, "Town-Admin-2026")
    town_admin.must_change_password = False
    db.session.add(town_admin)
    db.session.commit()
    auth.login("zhenadmin", "Town-Admin-2026")
    county = unit("清河县")
    response = client.post("/admin/users/new", data=new_user_data(role="COUNTY_VIEWER", org_unit_id=county.id))
    assert response.status_code == 404
    assert db.session.scalar(select(User).where(User.username == "liuwg")) is None


def test_change_role_and_scope_ends_sessions_and_is_audited(app, admin, user):
    other = app.test_client()
    other.post("/auth/login", data={"username": "cun03", "password": "portal-demo-2026"})
    assert other.get("/villages").status_code == 200
    target = user("cun03")
    response = admin.post(f"/admin/users/{target.id}", headers=HX, data={
        "display_name": "西坪村干部", "role": "MEDIATOR", "org_unit_id": unit("西坪村").id, "phone": ""})
    assert response.status_code == 200
    db.session.refresh(target)
    assert target.role == "MEDIATOR"
    assert other.get("/villages").status_code == 302
    detail = last_audit("USER_UPDATED").detail
    assert "VILLAGE_CADRE" in detail and "MEDIATOR" in detail


def test_admin_cannot_demote_or_deactivate_self(admin, user):
    me = user("admin")
    response = admin.post(f"/admin/users/{me.id}", headers=HX, data={
        "display_name": "x", "role": "TOWN_STAFF", "org_unit_id": unit("白沙镇").id})
    assert response.status_code == 422
    admin.post(f"/admin/users/{me.id}/active/0")
    assert user("admin").active and user("admin").role == "ADMIN"


def test_reset_password_forces_change_and_unlocks(app, admin, auth, user, client):
    target = user("cun03")
    target.locked_until = now_utc() + timedelta(minutes=10)
    db.session.commit()
    weak = admin.post(f"/admin/users/{target.id}/password", headers=HX, data={"password": "weak", "confirm": "weak"})
    assert weak.status_code == 422 and 'id="password-error"' in weak.text
    response = admin.post(f"/admin/users/{target.id}/password", headers=HX,
                          data={"password": "Temp-Pass-2026", "confirm": "Temp-Pass-2026"})
    assert response.status_code == 200
    target = user("cun03")
    assert target.must_change_password and target.locked_until is None
    assert last_audit("PASSWORD_RESET").entity_id == target.id
    target.is_demo = False  # demo accounts skip the forced change
    db.session.commit()
    auth.logout()
    assert auth.login("cun03", "Temp-Pass-2026").headers["Location"] == "/auth/password"


def test_deactivate_and_reactivate_account(app, admin, user):
    other = app.test_client()
    other.post("/auth/login", data={"username": "cun03", "password": "portal-demo-2026"})
    target = user("cun03")
    assert admin.post(f"/admin/users/{target.id}/active/0").status_code == 302
    assert not user("cun03").active
    assert other.get("/villages").status_code == 302  # session ended
    refused = other.post("/auth/login", data={"username": "cun03", "password": "portal-demo-2026"})
    assert refused.status_code == 422
    admin.post(f"/admin/users/{target.id}/active/1")
    assert user("cun03").active
    assert [a.action for a in db.session.scalars(select(AuditLog).where(
        AuditLog.entity == "user", AuditLog.entity_id == target.id, AuditLog.action.like("USER_%")))] == [
        "USER_DEACTIVATED", "USER_REACTIVATED"]


def test_unlock(admin, user):
    target = user("cun03")
    target.locked_until = now_utc() + timedelta(minutes=10)
    target.failed_logins = 0
    db.session.commit()
    assert "badge red" in admin.get(f"/admin/users/{target.id}").text
    admin.post(f"/admin/users/{target.id}/unlock")
    assert user("cun03").locked_until is None
    assert last_audit("USER_UNLOCKED").entity_id == target.id


def test_user_list_filters(admin):
    page = admin.get("/admin/users?q=cun0&role=VILLAGE_CADRE").text
    assert "cun03" in page and "wangge03" not in page and "zhongxin" not in page
    fragment = admin.get("/admin/users?q=wangge", headers=HX)
    assert fragment.text.lstrip().startswith('<div class="card table-wrap" id="user-list">')
    assert "HX-Request" in fragment.headers["Vary"]
