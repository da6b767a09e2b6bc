"""The case page (disputes.case): what the user sees, the actions as htmx partials (200 / 422 / 403 /
404), PII reveal with its audit row, and the optimistic-lock edit (409)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.disputes import workflow
from portal.extensions import db
from portal.models.dispute import Dispute, DisputeEvent
from portal.models.user import AuditLog
from tests.test_workflow import TODAY, _user, advance, committee_of, make_dispute

HX = {"HX-Request": "true"}


def test_case_page_shows_overview_parties_masked_and_timeline(client, auth):
    dispute = advance(make_dispute(), "ACCEPTED")
    auth.login("zhongxin")
    html = client.get(f"/disputes/{dispute.id}").get_data(as_text=True)
    assert dispute.title in html and dispute.case_no in html and "西坪村" in html
    assert "110105********002X" in html and "11010519491231002X" not in html
    assert "138****5678" in html and "13812345678" not in html
    assert 'id="case-body"' in html and "act-assign_mediators" in html
    assert html.count('class="event ') == 2  # registered + accepted


def test_actions_follow_role_and_state(client, auth):
    dispute = make_dispute(grid=True)
    auth.login("wangge03")
    html = client.get(f"/disputes/{dispute.id}").get_data(as_text=True)
    assert "act-settle_on_spot" in html and "act-escalate" in html
    assert "act-accept" not in html and "act-void" not in html
    auth.logout()
    auth.login("xian")
    html = client.get(f"/disputes/{dispute.id}").get_data(as_text=True)
    assert "act-" not in html.replace("facts-", "")


def test_accept_through_the_page_returns_the_refreshed_case(client, auth):
    dispute = make_dispute()
    auth.login("zhongxin")
    response = client.post(f"/disputes/{dispute.id}/actions/accept", headers=HX, data={
        "accept-category": "NEIGHBOUR", "accept-source": "APPLICATION", "accept-risk_level": "GREEN",
        "accept-committee_id": str(committee_of(dispute.village_id).id), "accept-accepted_date": TODAY.isoformat()})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.startswith('<div id="case-body"') or 'id="case-body"' in html[:200]
    db.session.expire_all()
    dispute = db.session.get(Dispute, dispute.id)
    assert dispute.status == "ACCEPTED" and dispute.case_no in html


def test_refused_action_answers_422_in_place_with_reason(client, auth):
    dispute = make_dispute()
    auth.login("zhongxin")
    response = client.post(f"/disputes/{dispute.id}/actions/not_accept", headers=HX,
                           data={"not_accept-reason": "不属于人民调解范围"})
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#act-not_accept"
    html = response.get_data(as_text=True)
    assert "不属于人民调解范围" in html  # input kept
    assert "Confirm that the other ways" in html or "其他" in html
    assert db.session.get(Dispute, dispute.id).status == "REPORTED"


def test_rule_refusal_is_422_not_500(client, auth):
    dispute = make_dispute(risk_level="RED")
    auth.login("zhongxin")
    response = client.post(f"/disputes/{dispute.id}/actions/accept", headers=HX, data={
        "accept-category": "NEIGHBOUR", "accept-source": "APPLICATION", "accept-risk_level": "RED",
        "accept-committee_id": str(committee_of(dispute.village_id).id), "accept-accepted_date": TODAY.isoformat()})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Dispute, dispute.id).status == "REPORTED"


def test_wrong_state_action_is_422(client, auth):
    dispute = advance(make_dispute(), "CLOSED")
    auth.login("zhongxin")
    response = client.post(f"/disputes/{dispute.id}/actions/accept", headers=HX, data={})
    assert response.status_code == 422


@pytest.mark.parametrize("username, action", [("wangge03", "accept"), ("xian", "escalate"), ("cun03", "void"),
                                              ("lingdao", "assign_mediators"), ("admin", "accept")])
def test_action_without_capability_is_403(client, auth, username, action):
    dispute = make_dispute(grid=True)
    auth.login(username)
    response = client.post(f"/disputes/{dispute.id}/actions/{action}", headers=HX, data={})
    assert response.status_code == 403
    assert db.session.get(Dispute, dispute.id).status == "REPORTED"


def test_action_on_another_village_is_404(client, auth):
    dispute = make_dispute("cun01")
    auth.login("cun03")
    assert client.get(f"/disputes/{dispute.id}").status_code == 404
    assert client.post(f"/disputes/{dispute.id}/actions/escalate", data={"escalate-reason": "x"}).status_code == 404


def test_unknown_action_is_404(client, auth):
    dispute = make_dispute()
    auth.login("zhongxin")
    assert client.post(f"/disputes/{dispute.id}/actions/mark_agreed", data={}).status_code == 404
    assert client.post(f"/disputes/{dispute.id}/actions/drop_table", data={}).status_code == 404


def test_non_htmx_action_redirects_to_the_case(client, auth):
    dispute = make_dispute()
    auth.login("zhongxin")
    response = client.post(f"/disputes/{dispute.id}/actions/escalate", data={"escalate-reason": "村里处理不了"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/disputes/{dispute.id}")
    page = client.get(f"/disputes/{dispute.id}").get_data(as_text=True)
    assert "村里处理不了" in page


def test_void_stays_in_timeline(client, auth):
    dispute = make_dispute()
    auth.login("zhongxin")
    response = client.post(f"/disputes/{dispute.id}/actions/void", headers=HX, data={"void-reason": "重复登记"})
    assert response.status_code == 200
    page = client.get(f"/disputes/{dispute.id}").get_data(as_text=True)
    assert "重复登记" in page and db.session.get(Dispute, dispute.id) is not None


# ---------------------------------------------------------------------------------------------------
# PII reveal

def test_reveal_shows_full_value_and_writes_audit_row(client, auth):
    dispute = make_dispute()
    party = dispute.parties[0]
    auth.login("zhongxin")
    response = client.post(f"/disputes/{dispute.id}/parties/{party.id}/reveal/id_number", headers=HX)
    assert response.status_code == 200 and "11010519491231002X" in response.get_data(as_text=True)
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "VIEW_UNMASKED"))
    assert (row.entity, row.entity_id, row.username) == ("party", party.id, "zhongxin")
    assert '"field": "id_number"' in row.detail and party.name in row.detail


@pytest.mark.parametrize("username", ["wangge03", "xian"])
def test_reveal_refused_without_capability(client, auth, username):
    dispute = make_dispute(grid=True)
    party = dispute.parties[0]
    auth.login(username)
    response = client.post(f"/disputes/{dispute.id}/parties/{party.id}/reveal/phone", headers=HX)
    assert response.status_code == 403 and "13812345678" not in response.get_data(as_text=True)
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "VIEW_UNMASKED")) is None


def test_reveal_of_party_of_another_dispute_is_404(client, auth):
    mine, other = make_dispute(), make_dispute("cun01", title="别村纠纷")
    auth.login("cun03")
    assert client.post(f"/disputes/{mine.id}/parties/{other.parties[0].id}/reveal/phone").status_code == 404
    assert client.post(f"/disputes/{mine.id}/parties/{mine.parties[0].id}/reveal/address").status_code == 404


# ---------------------------------------------------------------------------------------------------
# Editing with optimistic locking

def _edit_data(dispute, **changes):
    data = {"edit-version_id": str(dispute.version_id), "edit-title": dispute.title, "edit-summary": dispute.summary,
            "edit-category": dispute.category, "edit-risk_level": dispute.risk_level,
            "edit-location": str(dispute.village_id), "edit-address": "", "edit-amount_involved": "",
            "edit-persons_involved": "", "edit-measures_note": ""}
    data.update({f"edit-{k}": v for k, v in changes.items()})
    return data


def test_edit_records_old_and_new_and_refreshes_search(client, auth):
    dispute = make_dispute()
    auth.login("cun03")
    response = client.post(f"/disputes/{dispute.id}/edit", headers=HX,
                           data=_edit_data(dispute, title="测试甲与测试乙排水沟纠纷", **{"amount_involved": "１２００"}))
    assert response.status_code == 200
    db.session.expire_all()
    dispute = db.session.get(Dispute, dispute.id)
    assert dispute.title == "测试甲与测试乙排水沟纠纷" and str(dispute.amount_involved) == "1200.00"
    assert "排水沟纠纷" in dispute.search_text
    event = dispute.events[-1]
    assert event.action == "EDITED"
    assert {"field": "title", "old": "测试甲与测试乙邻里纠纷", "new": "测试甲与测试乙排水沟纠纷"} in event.changes


def test_stale_edit_is_refused_with_409_and_keeps_the_first(app, auth):
    dispute = make_dispute()
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        c.post("/auth/login", data={"username": "zhongxin", "password": "portal-demo-2026"})
    # Both load the form at the same version.
    data_a = _edit_data(dispute, title="第一个人改的标题")
    data_b = _edit_data(dispute, title="第二个人改的标题")
    assert first.post(f"/disputes/{dispute.id}/edit", headers=HX, data=data_a).status_code == 200
    response = second.post(f"/disputes/{dispute.id}/edit", headers=HX, data=data_b)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "This record was changed by someone else." in html or "该记录已被他人修改" in html
    assert "第一个人改的标题" in html  # the current values
    assert f'href="/disputes/{dispute.id}"' in html  # reload
    db.session.expire_all()
    assert db.session.get(Dispute, dispute.id).title == "第一个人改的标题"


def test_stale_edit_409_keeps_what_the_user_typed(app, auth):
    dispute = make_dispute()
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        c.post("/auth/login", data={"username": "zhongxin", "password": "portal-demo-2026"})
    data_a = _edit_data(dispute, title="第一个人改的标题")
    data_b = _edit_data(dispute, title="第二个人改的标题", summary="第二个人写的经过", address="第二个人的地点")
    assert first.post(f"/disputes/{dispute.id}/edit", headers=HX, data=data_a).status_code == 200
    for headers in (HX, {}):
        response = second.post(f"/disputes/{dispute.id}/edit", headers=headers, data=data_b)
        html = response.get_data(as_text=True)
        assert response.status_code == 409
        assert "第一个人改的标题" in html  # the stored value
        for typed in ("第二个人改的标题", "第二个人写的经过", "第二个人的地点"):  # nothing typed is lost
            assert f'value="{typed}"' in html or f">{typed}</textarea>" in html or f"\n{typed}</textarea>" in html, typed
    db.session.expire_all()
    current = db.session.get(Dispute, dispute.id)
    assert current.title == "第一个人改的标题"
    # The kept form carries the current version: saving it again knowingly overwrites.
    assert f'value="{current.version_id}"' in html


def test_stale_data_error_on_flush_is_409(client, auth, monkeypatch):
    from sqlalchemy.orm.exc import StaleDataError
    dispute = make_dispute()
    auth.login("zhongxin")

    def boom(*args, **kwargs):
        raise StaleDataError("concurrent")
    monkeypatch.setattr(workflow, "edit_case", boom)
    response = client.post(f"/disputes/{dispute.id}/edit", headers=HX, data=_edit_data(dispute, title="新的"))
    assert response.status_code == 409


def test_edit_invalid_input_is_422_with_values_kept(client, auth):
    dispute = make_dispute()
    auth.login("zhongxin")
    response = client.post(f"/disputes/{dispute.id}/edit", headers=HX,
                           data=_edit_data(dispute, title="", amount_involved="abc", summary="保留的内容"))
    assert response.status_code == 422 and "保留的内容" in response.get_data(as_text=True)
    assert response.headers["HX-Retarget"] == "#case-edit"


def test_edit_location_outside_scope_is_refused(client, auth):
    dispute = make_dispute()
    auth.login("cun03")
    other_village = _user("cun01").org_unit
    response = client.post(f"/disputes/{dispute.id}/edit", headers=HX,
                           data=_edit_data(dispute, location=str(other_village.id)))
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Dispute, dispute.id).village_id == dispute.village_id


def test_edit_needs_capability(client, auth):
    dispute = make_dispute(grid=True)
    auth.login("wangge03")
    assert client.post(f"/disputes/{dispute.id}/edit", data=_edit_data(dispute)).status_code == 403


# ---------------------------------------------------------------------------------------------------
# Inbox and deadlines

def test_inbox_lists_escalations_for_the_users_level(client, auth):
    dispute = make_dispute(title="需要镇里处理的纠纷")
    workflow.escalate(dispute, _user("cun03"), reason="村里调不了")
    db.session.commit()
    auth.login("zhongxin")
    assert "需要镇里处理的纠纷" in client.get("/disputes/inbox").get_data(as_text=True)
    auth.logout()
    auth.login("xian")
    assert "需要镇里处理的纠纷" not in client.get("/disputes/inbox").get_data(as_text=True)
    auth.logout()
    auth.login("cun01")
    assert "需要镇里处理的纠纷" not in client.get("/disputes/inbox").get_data(as_text=True)


def test_overdue_case_stands_out(client, auth):
    dispute = advance(make_dispute(), "MEDIATING")
    dispute.deadline = TODAY - timedelta(days=4)
    db.session.commit()
    auth.login("zhongxin")
    html = client.get(f"/disputes/{dispute.id}").get_data(as_text=True)
    assert 'class="badge red overdue"' in html and "4" in html


def test_stale_edit_without_htmx_is_a_full_409_page(client, auth):
    dispute = make_dispute()
    auth.login("zhongxin")
    data = _edit_data(dispute, title="过期的修改")
    data["edit-version_id"] = str(dispute.version_id - 1 if dispute.version_id > 1 else 999)
    response = client.post(f"/disputes/{dispute.id}/edit", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "<html" in html and html.count('id="case-edit"') == 1
    assert db.session.get(Dispute, dispute.id).title != "过期的修改"


def test_edit_page_opens_the_form(client, auth):
    dispute = make_dispute()
    auth.login("zhongxin")
    html = client.get(f"/disputes/{dispute.id}/edit").get_data(as_text=True)
    assert 'id="case-edit" open' in html and 'name="edit-version_id"' in html
