"""The dispute workflow (portal.disputes.workflow): every transition allowed and refused per role,
and the rules of domain.md 5.1 / 8.4 (reasons, channels explained, responsible leader, police
report, a party's refusal, dates), escalation up the tree and referral out."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from portal.disputes import workflow
from portal.disputes.services import create_dispute
from portal.disputes.services import search_key
from portal.extensions import db
from portal.models.dispute import Dispute, DisputeEvent, Transfer
from portal.models.org import MediationCommittee, Mediator, OrgUnit
from portal.models.user import User
from portal.timeutil import SHANGHAI, local_today, now_utc
from tests.conftest import ROLE_USERS

TODAY = local_today()


def _user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def village_of(username: str) -> OrgUnit:
    """The village of a demo village cadre (cun03 → 西坪村)."""
    return _user(username).org_unit


def make_dispute(village: OrgUnit | str = "cun03", *, title: str = "测试甲与测试乙邻里纠纷", grid: bool = False,
                 parties=None, **fields) -> Dispute:
    """Register a dispute in ``village`` (a unit or a cadre's user name) as zhongxin; extra ``fields``
    are set afterwards (e.g. ``risk_level="RED"``). Commits."""
    unit = village_of(village) if isinstance(village, str) else village
    if grid:
        unit = unit.children[0]
    values = {"title": title, "summary": "两户因排水沟堵塞发生争执，需要调解处理。", "category": "NEIGHBOUR",
              "found_date": TODAY - timedelta(days=3), "source": "APPLICATION"}
    dispute, _ = create_dispute(user=_user("zhongxin"), location=unit, fields=values, parties=parties or [
        {"side": "APPLICANT", "name": "测试甲", "id_number": "11010519491231002X", "phone": "13812345678"},
        {"side": "RESPONDENT", "name": "测试乙", "phone": "13900001111"}])
    for key, value in fields.items():
        setattr(dispute, key, value)
    dispute.handling_level = "GRID" if grid else fields.get("handling_level", "VILLAGE")
    db.session.commit()
    return dispute


def committee_of(unit_id: int) -> MediationCommittee:
    return db.session.scalar(select(MediationCommittee).where(MediationCommittee.org_unit_id == unit_id))


def accept(dispute: Dispute, user: str = "zhongxin", **kw) -> None:
    values = dict(category="NEIGHBOUR", source="APPLICATION", risk_level=dispute.risk_level,
                  committee_id=committee_of(dispute.village_id).id, accepted_date=TODAY)
    values.update(kw)
    workflow.accept(dispute, _user(user), **values)
    db.session.commit()


def mediate(dispute: Dispute, user: str = "zhongxin") -> None:
    mediator = dispute.committee.mediators[0]
    workflow.assign_mediators(dispute, _user(user), mediator_ids=[mediator.id])
    db.session.commit()


def add_dossier_records(dispute: Dispute, user: User, oral_agreement: bool = True) -> None:
    """The required dossier items of a mediated case (domain.md 6, 8.4), through the records services:
    the rights-and-duties notice, one mediation record and, with ``oral_agreement``, the oral-agreement
    registration (which tells the workflow the parties agreed: MEDIATING → AGREED). Flushes."""
    from portal.records import services as records

    names = [p.name for p in dispute.parties]
    mediators = [m.name for m in dispute.mediators]
    records.add_notice(dispute, user, {"method": "ORAL", "given_on": TODAY, "parties": names, "given_by": "王调解"})
    records.add_session(dispute, user, {
        "held_at": datetime.combine(TODAY, time(0, 5), SHANGHAI), "place": "村委会调解室", "subject": "排水沟纠纷",
        "parties_present": names, "mediators": mediators, "recorder": "王记录", "content": "双方陈述意见。",
        "result": "达成口头协议", "simplified": False, "read_back": True})
    if oral_agreement:
        records.add_oral_agreement(dispute, user, {
            "facts": "两户因排水沟堵塞发生争执。", "content": "双方共同疏通排水沟。", "performance": "当场履行",
            "agreed_date": TODAY, "mediators": mediators, "registrar": "王记录"})


def advance(dispute: Dispute, status: str) -> Dispute:
    """Bring a fresh REPORTED dispute to ``status`` through the real services (as zhongxin)."""
    staff = _user("zhongxin")
    if status == "DRAFT":
        dispute.status = "DRAFT"
    elif status == "REPORTED":
        pass
    elif status in ("NOT_ACCEPTED", "RESOLVED_ON_SPOT"):
        if status == "NOT_ACCEPTED":
            workflow.not_accept(dispute, staff, reason="不属于调解范围", channels_explained=True)
        else:
            workflow.settle_on_spot(dispute, staff, result_note="当场说和", resolved_date=TODAY)
    elif status == "ESCALATED":
        workflow.escalate(dispute, staff, reason="村里调不了")
    elif status == "REFERRED":
        workflow.refer(dispute, staff, department="COURT", reason="已起诉")
    elif status == "VOIDED":
        workflow.void(dispute, staff, reason="重复登记")
    else:
        accept(dispute)
        if status != "ACCEPTED":
            if status == "WITHDRAWN":
                workflow.withdraw(dispute, staff, reason="申请人撤回")
            else:
                mediate(dispute)
                if status == "FAILED":
                    workflow.fail(dispute, staff, reason="双方分歧大", channels_explained=True)
                elif status in ("AGREED", "PERFORMING", "PERFORMED", "NOT_PERFORMED", "CLOSED", "ARCHIVED"):
                    add_dossier_records(dispute, staff)  # notice, session, oral agreement → AGREED
                    if status != "AGREED":
                        outcome = {"PERFORMING": "PERFORMING", "NOT_PERFORMED": "NOT_PERFORMED"}.get(status, "PERFORMED")
                        workflow.performance(dispute, staff, outcome=outcome)
                    if status in ("CLOSED", "ARCHIVED"):
                        workflow.close(dispute, staff, closed_date=TODAY)
                    if status == "ARCHIVED":
                        workflow.archive(dispute, staff)
                elif status == "AGREED_PENDING_SIGNATURE":
                    workflow.mark_agreed(dispute, "WRITTEN", staff, TODAY)
    db.session.commit()
    assert dispute.status == status
    return dispute


# ---------------------------------------------------------------------------------------------------
# Permission matrix: who may do what (domain.md 2.2), over the demo roles.

#: action -> (state the case is brought to, roles allowed)
MATRIX = {
    "submit": ("DRAFT", {"TOWN_STAFF", "MEDIATOR", "VILLAGE_CADRE", "GRID_WORKER"}),
    "accept": ("REPORTED", {"TOWN_STAFF", "MEDIATOR", "VILLAGE_CADRE"}),
    "not_accept": ("REPORTED", {"TOWN_STAFF", "MEDIATOR", "VILLAGE_CADRE"}),
    "settle_on_spot": ("REPORTED", {"TOWN_STAFF", "MEDIATOR", "VILLAGE_CADRE", "GRID_WORKER"}),
    "assign_mediators": ("ACCEPTED", {"TOWN_STAFF", "MEDIATOR", "VILLAGE_CADRE"}),
    "fail": ("MEDIATING", {"TOWN_STAFF", "MEDIATOR", "VILLAGE_CADRE"}),
    "withdraw": ("MEDIATING", {"TOWN_STAFF", "MEDIATOR", "VILLAGE_CADRE"}),
    "performance": ("AGREED", {"TOWN_STAFF", "MEDIATOR", "VILLAGE_CADRE"}),
    "escalate": ("ACCEPTED", {"TOWN_STAFF", "MEDIATOR", "VILLAGE_CADRE", "GRID_WORKER"}),
    "refer": ("MEDIATING", {"TOWN_STAFF", "MEDIATOR", "VILLAGE_CADRE"}),
    "referral_feedback": ("REFERRED", {"TOWN_STAFF", "MEDIATOR", "VILLAGE_CADRE"}),
    "close": ("FAILED", {"TOWN_STAFF", "MEDIATOR", "VILLAGE_CADRE"}),
    "archive": ("CLOSED", {"TOWN_STAFF", "MEDIATOR", "VILLAGE_CADRE"}),
    "extend_deadline": ("MEDIATING", {"TOWN_STAFF", "MEDIATOR", "VILLAGE_CADRE"}),
    "set_leader": ("ACCEPTED", {"TOWN_STAFF", "TOWN_LEADER"}),
    "police_report": ("REPORTED", {"TOWN_STAFF", "MEDIATOR", "VILLAGE_CADRE", "GRID_WORKER"}),
    "void": ("REPORTED", {"TOWN_STAFF"}),
}

VALUES = {
    "submit": {}, "accept": None, "not_accept": {"reason": "超出范围", "channels_explained": True},
    "settle_on_spot": {"result_note": "当场化解", "resolved_date": TODAY}, "assign_mediators": None,
    "fail": {"reason": "分歧大", "channels_explained": True}, "withdraw": {"reason": "撤回"},
    "performance": {"outcome": "PERFORMED"}, "escalate": {"reason": "需要上报"},
    "refer": {"department": "COURT", "reason": "涉诉"}, "referral_feedback": {"feedback": "法院已立案"},
    "close": {"closed_date": TODAY}, "archive": {}, "extend_deadline": None,
    "set_leader": None, "police_report": {"reported_at": now_utc()}, "void": {"reason": "重复登记"},
}


DUMMY = {"accept": dict(category="NEIGHBOUR", source="APPLICATION", risk_level="GREEN", committee_id=1,
                        accepted_date=TODAY),
         "assign_mediators": {"mediator_ids": [1]}, "set_leader": {"leader_id": 1},
         "extend_deadline": {"new_deadline": TODAY, "reason": "x", "consent": True}}


def _values(action: str, dispute: Dispute) -> dict:
    if action == "accept":
        return dict(category="NEIGHBOUR", source="APPLICATION", risk_level="GREEN",
                    committee_id=committee_of(dispute.village_id).id, accepted_date=TODAY)
    if action == "assign_mediators":
        return {"mediator_ids": [dispute.committee.mediators[0].id]}
    if action == "extend_deadline":
        return {"new_deadline": dispute.effective_deadline + timedelta(days=15), "reason": "双方同意延期",
                "consent": True}
    if action == "set_leader":
        return {"leader_id": _user("lingdao").id}
    return VALUES[action]


@pytest.mark.parametrize("role", sorted(ROLE_USERS))
@pytest.mark.parametrize("action", sorted(MATRIX))
def test_permission_matrix(app, action, role):
    """Each role may do exactly the actions of its capabilities; others raise NotPermitted."""
    state, allowed = MATRIX[action]
    dispute = advance(make_dispute(grid=(action == "escalate" and role == "GRID_WORKER")), state)
    user = _user(ROLE_USERS[role])
    if role == "VILLAGE_CADRE" and action == "accept":
        pass  # cun03's own village committee is among the choices
    if role in allowed:
        event = workflow.perform(dispute, action, user, **_values(action, dispute))
        db.session.commit()
        assert event.user_id == user.id
        assert db.session.scalar(select(DisputeEvent).where(DisputeEvent.id == event.id)).action
    else:
        with pytest.raises(workflow.NotPermitted):
            workflow.perform(dispute, action, user, **_values(action, dispute))


@pytest.mark.parametrize("action", sorted(MATRIX))
def test_every_action_refused_in_a_wrong_state(app, action):
    """An action outside its source states is refused with a Chinese-ready message, not an error."""
    wrong = "VOIDED" if "REPORTED" in workflow.TRANSITIONS[action].sources else "REPORTED"
    dispute = advance(make_dispute(), wrong)
    with pytest.raises(workflow.TransitionError) as info:
        workflow.perform(dispute, action, _user("zhongxin"), **(DUMMY[action] if VALUES[action] is None else VALUES[action]))
    assert info.value.message


def test_every_transition_records_an_event_with_from_and_to(app):
    dispute = advance(make_dispute(), "CLOSED")
    events = db.session.scalars(select(DisputeEvent).where(DisputeEvent.dispute_id == dispute.id)
                                .order_by(DisputeEvent.id)).all()
    assert [(e.action, e.from_status, e.to_status) for e in events[1:]] == [
        ("ACCEPTED", "REPORTED", "ACCEPTED"),
        ("MEDIATORS_ASSIGNED", "ACCEPTED", "MEDIATING"), ("AGREED", "MEDIATING", "AGREED"),
        ("PERFORMANCE", "AGREED", "PERFORMED"), ("CLOSED", "PERFORMED", "CLOSED")]
    assert {"field": "status", "old": None, "new": None} not in events[1].changes
    assert any(c["field"] == "case_no" for c in events[1].changes)


# ---------------------------------------------------------------------------------------------------
# Acceptance (受理)

def test_accept_numbers_sets_deadline_and_level(app):
    dispute = make_dispute()
    accepted = TODAY - timedelta(days=1)
    accept(dispute, accepted_date=accepted)
    assert dispute.status == "ACCEPTED"
    assert dispute.case_no == f"（{accepted.year}）西坪人调字第001号"
    assert dispute.deadline == accepted + timedelta(days=app.config["DEFAULT_DEADLINE_DAYS"])
    assert dispute.handling_level == "VILLAGE"
    assert search_key(dispute.case_no) in dispute.search_text  # the ledger finds it by its number


def test_accept_by_town_committee_sets_town_level(app):
    dispute = make_dispute()
    accept(dispute, committee_id=committee_of(dispute.town_id).id)
    assert dispute.handling_level == "TOWN" and dispute.case_no.endswith("白沙人调字第001号")


@pytest.mark.parametrize("field, value, message_field", [
    ("source", "", "source"), ("category", "", "category"), ("risk_level", "", "risk_level"),
    ("accepted_date", TODAY + timedelta(days=1), "accepted_date"),
    ("accepted_date", TODAY - timedelta(days=30), "accepted_date"),  # before found_date
    ("accepted_date", None, "accepted_date"),
])
def test_accept_refuses_bad_input(app, field, value, message_field):
    dispute = make_dispute()
    with pytest.raises(workflow.TransitionError) as info:
        accept(dispute, **{field: value})
    assert info.value.field == message_field
    db.session.rollback()
    assert db.session.get(Dispute, dispute.id).status == "REPORTED"


def test_accept_refuses_a_committee_of_another_village(app):
    dispute = make_dispute()
    other = committee_of(village_of("cun01").id)
    with pytest.raises(workflow.TransitionError) as info:
        accept(dispute, committee_id=other.id)
    assert info.value.field == "committee_id"


def test_village_cadre_cannot_pick_the_town_committee(app):
    dispute = make_dispute()
    with pytest.raises(workflow.TransitionError):
        accept(dispute, user="cun03", committee_id=committee_of(dispute.town_id).id)


def test_not_accept_needs_reason_and_channels(app):
    dispute = make_dispute()
    staff = _user("zhongxin")
    with pytest.raises(workflow.TransitionError) as info:
        workflow.not_accept(dispute, staff, reason="  ", channels_explained=True)
    assert info.value.field == "reason"
    with pytest.raises(workflow.TransitionError) as info:
        workflow.not_accept(dispute, staff, reason="已由法院受理", channels_explained=False)
    assert info.value.field == "channels_explained"
    workflow.not_accept(dispute, staff, reason="已由法院受理", channels_explained=True)
    assert (dispute.status, dispute.result, dispute.status_reason) == ("NOT_ACCEPTED", "NOT_ACCEPTED", "已由法院受理")


# ---------------------------------------------------------------------------------------------------
# Rules of 5.1 / 8.4

@pytest.mark.parametrize("setup", [{"risk_level": "RED"}, {"major_flags": ["GROUP_10"]}])
def test_major_case_needs_a_responsible_leader_before_acceptance(app, setup):
    dispute = make_dispute(**setup)
    with pytest.raises(workflow.TransitionError, match="包案领导"):
        accept(dispute)
    db.session.rollback()
    workflow.set_leader(dispute, _user("zhongxin"), leader_id=_user("lingdao").id)
    db.session.commit()
    accept(dispute)
    assert dispute.status == "ACCEPTED" and dispute.responsible_leader.username == "lingdao"


def test_raising_risk_to_red_at_acceptance_needs_a_leader(app):
    dispute = make_dispute()
    with pytest.raises(workflow.TransitionError, match="包案领导"):
        accept(dispute, risk_level="RED")
    db.session.rollback()
    assert db.session.get(Dispute, dispute.id).risk_level == "GREEN"


def test_major_case_needs_a_leader_before_mediation(app):
    dispute = advance(make_dispute(), "ACCEPTED")
    dispute.risk_level = "RED"
    db.session.commit()
    with pytest.raises(workflow.TransitionError, match="包案领导"):
        mediate(dispute)


def test_leader_must_be_a_town_leader(app):
    dispute = make_dispute()
    with pytest.raises(workflow.TransitionError) as info:
        workflow.set_leader(dispute, _user("zhongxin"), leader_id=_user("tiaojie").id)
    assert info.value.field == "leader_id"


@pytest.mark.parametrize("step", ["accept", "mediate", "close"])
def test_criminal_risk_needs_a_police_report(app, step):
    dispute = make_dispute()
    if step == "mediate":
        advance(dispute, "ACCEPTED")
    if step == "close":
        advance(dispute, "FAILED")
    dispute.criminal_risk = True
    db.session.commit()
    run = {"accept": lambda: accept(dispute), "mediate": lambda: mediate(dispute),
           "close": lambda: workflow.close(dispute, _user("zhongxin"), closed_date=TODAY)}[step]
    with pytest.raises(workflow.TransitionError, match="公安机关"):
        run()
    db.session.rollback()
    workflow.police_report(dispute, _user("zhongxin"), reported_at=now_utc() - timedelta(hours=1))
    db.session.commit()
    run()
    assert dispute.police_reported_at is not None


def test_referral_to_the_police_satisfies_the_police_rule(app):
    dispute = make_dispute(criminal_risk=True)
    staff = _user("zhongxin")
    workflow.refer(dispute, staff, department="POLICE", reason="可能涉及刑事")
    workflow.referral_feedback(dispute, staff, feedback="派出所已处理")
    db.session.commit()
    assert (dispute.status, dispute.result, dispute.handling_level) == ("CLOSED", "REFERRED", "DEPARTMENT")
    assert dispute.transfers[0].status == "ANSWERED"


def test_police_report_cannot_be_in_the_future(app):
    dispute = make_dispute()
    with pytest.raises(workflow.TransitionError):
        workflow.police_report(dispute, _user("zhongxin"), reported_at=now_utc() + timedelta(days=1))


def test_party_refusal_blocks_mediation(app):
    dispute = advance(make_dispute(), "ACCEPTED")
    dispute.parties[1].refused_mediation = True
    db.session.commit()
    with pytest.raises(workflow.TransitionError, match="测试乙"):
        mediate(dispute)


def test_mediators_must_belong_to_the_committee(app):
    dispute = advance(make_dispute(), "ACCEPTED")
    foreign = committee_of(village_of("cun01").id).mediators[0]
    with pytest.raises(workflow.TransitionError) as info:
        workflow.assign_mediators(dispute, _user("zhongxin"), mediator_ids=[foreign.id])
    assert info.value.field == "mediator_ids"
    with pytest.raises(workflow.TransitionError):
        workflow.assign_mediators(dispute, _user("zhongxin"), mediator_ids=[])


def test_fail_needs_reason_and_channels_explained(app):
    dispute = advance(make_dispute(), "MEDIATING")
    with pytest.raises(workflow.TransitionError) as info:
        workflow.fail(dispute, _user("zhongxin"), reason="分歧大", channels_explained=False)
    assert info.value.field == "channels_explained"
    with pytest.raises(workflow.TransitionError) as info:
        workflow.fail(dispute, _user("zhongxin"), reason="", channels_explained=True)
    assert info.value.field == "reason"


def test_withdraw_needs_a_reason(app):
    dispute = advance(make_dispute(), "ACCEPTED")
    with pytest.raises(workflow.TransitionError):
        workflow.withdraw(dispute, _user("zhongxin"), reason="")
    workflow.withdraw(dispute, _user("zhongxin"), reason="申请人撤回申请")
    assert dispute.status == "WITHDRAWN" and dispute.result == "WITHDRAWN"


def test_written_agreement_waits_for_signatures(app):
    dispute = advance(make_dispute(), "AGREED_PENDING_SIGNATURE")
    assert dispute.agreement_form == "WRITTEN" and dispute.result == "AGREED_WRITTEN"
    workflow.mark_agreement_effective(dispute, _user("zhongxin"), TODAY)
    assert dispute.status == "AGREED" and dispute.resolved_date == TODAY


@pytest.mark.parametrize("start, outcome, ok", [
    ("AGREED", "PERFORMING", True), ("AGREED", "NOT_PERFORMED", True), ("PERFORMING", "PERFORMED", True),
    ("PERFORMING", "AGREED", False), ("NOT_PERFORMED", "PERFORMING", True), ("NOT_PERFORMED", "PERFORMED", False),
])
def test_performance_outcomes(app, start, outcome, ok):
    dispute = advance(make_dispute(), start)
    if ok:
        workflow.performance(dispute, _user("zhongxin"), outcome=outcome)
        assert dispute.status == outcome
    else:
        with pytest.raises(workflow.TransitionError):
            workflow.performance(dispute, _user("zhongxin"), outcome=outcome)


def test_not_performed_closes_only_with_a_told_to_sue_note(app):
    dispute = advance(make_dispute(), "NOT_PERFORMED")
    with pytest.raises(workflow.TransitionError) as info:
        workflow.performance(dispute, _user("zhongxin"), outcome="CLOSED")
    assert info.value.field == "note"
    workflow.performance(dispute, _user("zhongxin"), outcome="CLOSED", note="已告知可向法院起诉")
    assert dispute.status == "CLOSED" and dispute.closed_date == TODAY


def test_close_date_rules(app):
    dispute = advance(make_dispute(), "FAILED")
    with pytest.raises(workflow.TransitionError):
        workflow.close(dispute, _user("zhongxin"), closed_date=TODAY + timedelta(days=1))
    with pytest.raises(workflow.TransitionError):
        workflow.close(dispute, _user("zhongxin"), closed_date=dispute.accepted_date - timedelta(days=1))


def test_referred_case_is_closed_by_feedback_not_by_close(app):
    dispute = advance(make_dispute(), "REFERRED")
    with pytest.raises(workflow.TransitionError):
        workflow.close(dispute, _user("zhongxin"), closed_date=TODAY)


def test_archive_checks_hook(app, monkeypatch):
    dispute = advance(make_dispute(), "CLOSED")
    monkeypatch.setattr(workflow, "ARCHIVE_CHECKS", [lambda d: ["卷宗缺少调解协议书"]])
    with pytest.raises(workflow.TransitionError, match="卷宗缺少调解协议书"):
        workflow.archive(dispute, _user("zhongxin"))
    monkeypatch.setattr(workflow, "ARCHIVE_CHECKS", [lambda d: []])
    workflow.archive(dispute, _user("zhongxin"))
    assert dispute.status == "ARCHIVED"


def test_extend_deadline_rules(app):
    dispute = advance(make_dispute(), "MEDIATING")
    staff = _user("zhongxin")
    with pytest.raises(workflow.TransitionError) as info:
        workflow.extend_deadline(dispute, staff, new_deadline=dispute.deadline, reason="x", consent=True)
    assert info.value.field == "new_deadline"
    later = dispute.deadline + timedelta(days=10)
    with pytest.raises(workflow.TransitionError) as info:
        workflow.extend_deadline(dispute, staff, new_deadline=later, reason="需要鉴定", consent=False)
    assert info.value.field == "consent"
    workflow.extend_deadline(dispute, staff, new_deadline=later, reason="需要鉴定", consent=True)
    assert dispute.effective_deadline == later and dispute.extension_consent


def test_void_only_before_acceptance_and_never_deleted(app):
    dispute = make_dispute()
    with pytest.raises(workflow.TransitionError):
        workflow.void(dispute, _user("zhongxin"), reason="")
    workflow.void(dispute, _user("zhongxin"), reason="重复登记")
    db.session.commit()
    assert db.session.get(Dispute, dispute.id).status == "VOIDED"
    assert dispute.events[-1].action == "VOIDED" and dispute.events[-1].note == "重复登记"
    accepted = advance(make_dispute(title="另一起"), "ACCEPTED")
    with pytest.raises(workflow.TransitionError):
        workflow.void(accepted, _user("zhongxin"), reason="x")


# ---------------------------------------------------------------------------------------------------
# Escalation (上报) and referral (移交), domain.md 5.3 and 4.10

def test_escalation_goes_up_the_tree_and_town_receives(app):
    dispute = advance(make_dispute(), "ACCEPTED")
    old_no = dispute.case_no
    workflow.escalate(dispute, _user("cun03"), reason="村调委会调解不了")
    db.session.commit()
    transfer = dispute.transfers[0]
    assert (dispute.status, dispute.handling_level) == ("ESCALATED", "TOWN")
    assert (transfer.from_org_id, transfer.to_org_id, transfer.status) == (dispute.village_id, dispute.town_id, "PENDING")
    with pytest.raises(workflow.NotPermitted):
        workflow.receive(dispute, _user("wangge03"))
    with pytest.raises(workflow.TransitionError):  # addressed to the town, not the county
        workflow.receive(dispute, _user("xian"))
    workflow.receive(dispute, _user("zhongxin"), note="镇调委会接收")
    db.session.commit()
    assert (dispute.status, dispute.handling_level, transfer.status) == ("ACCEPTED", "TOWN", "RECEIVED")
    assert dispute.committee.org_unit_id == dispute.town_id
    assert dispute.case_no != old_no and "白沙人调字" in dispute.case_no
    assert dispute.mediators == []


def test_grid_escalates_to_the_village_then_town_then_county(app):
    dispute = make_dispute(grid=True)
    workflow.escalate(dispute, _user("wangge03"), reason="网格化解不了")
    assert dispute.transfers[-1].to_org_id == dispute.village_id and dispute.handling_level == "VILLAGE"
    workflow.receive(dispute, _user("cun03"))
    assert dispute.status == "ACCEPTED" and dispute.committee.org_unit_id == dispute.village_id
    workflow.escalate(dispute, _user("cun03"), reason="村里调不了")
    workflow.receive(dispute, _user("zhongxin"))
    workflow.escalate(dispute, _user("zhongxin"), reason="重大，报县")
    assert dispute.transfers[-1].to_org_id == dispute.town.parent_id and dispute.handling_level == "COUNTY"
    workflow.receive(dispute, _user("xian"))
    db.session.commit()
    assert (dispute.status, dispute.handling_level) == ("ACCEPTED", "COUNTY")
    with pytest.raises(workflow.TransitionError):
        workflow.escalate(dispute, _user("zhongxin"), reason="再往上")


def test_returned_escalation_goes_back_to_the_previous_state(app):
    dispute = advance(make_dispute(), "MEDIATING")
    workflow.escalate(dispute, _user("zhongxin"), reason="需要镇里")
    with pytest.raises(workflow.TransitionError):
        workflow.return_escalation(dispute, _user("zhongxin"), reason="")
    workflow.return_escalation(dispute, _user("zhongxin"), reason="村里可以处理")
    db.session.commit()
    assert (dispute.status, dispute.handling_level) == ("MEDIATING", "VILLAGE")
    assert dispute.transfers[0].status == "RETURNED" and dispute.transfers[0].response_note == "村里可以处理"


def test_escalation_needs_a_reason(app):
    with pytest.raises(workflow.TransitionError):
        workflow.escalate(make_dispute(), _user("zhongxin"), reason=" ")


def test_refer_needs_a_known_department(app):
    with pytest.raises(workflow.TransitionError) as info:
        workflow.refer(make_dispute(), _user("zhongxin"), department="NOPE", reason="x")
    assert info.value.field == "department"


# ---------------------------------------------------------------------------------------------------
# Deadlines

@pytest.mark.parametrize("offset, expected", [(-3, ("overdue", 3)), (0, ("due_soon", 0)), (7, ("due_soon", 7)),
                                              (8, ("ok", 8))])
def test_deadline_state(app, offset, expected):
    dispute = advance(make_dispute(), "MEDIATING")
    dispute.deadline = TODAY + timedelta(days=offset)
    assert workflow.deadline_state(dispute, TODAY) == expected
    db.session.commit()
    overdue = db.session.scalar(select(Dispute.id).where(workflow.overdue_clause(TODAY)))
    soon = db.session.scalar(select(Dispute.id).where(workflow.due_soon_clause(TODAY)))
    assert (overdue is not None, soon is not None) == (expected[0] == "overdue", expected[0] == "due_soon")


def test_no_deadline_state_for_finished_or_unaccepted_cases(app):
    assert workflow.deadline_state(make_dispute(), TODAY) == (None, None)
    closed = advance(make_dispute(title="已结"), "CLOSED")
    closed.deadline = TODAY - timedelta(days=5)
    assert workflow.deadline_state(closed, TODAY) == (None, None)


def test_extended_deadline_counts(app):
    dispute = advance(make_dispute(), "MEDIATING")
    dispute.deadline, dispute.deadline_extended_to = TODAY - timedelta(days=1), TODAY + timedelta(days=20)
    assert workflow.deadline_state(dispute, TODAY) == ("ok", 20)
