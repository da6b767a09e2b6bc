"""The dispute workflow: the state machine of domain.md 5.1, the escalation matrix of 5.3 and the
rules of 8.4, enforced on the server.

:data:`TRANSITIONS` is the table ``action -> Transition(sources, target, capability, fields)``; every
action has a service function of the same name taking ``(dispute, user, **values)``. Services check
the state and the capability (:func:`check`), apply the rules, change the dispute, write a timeline
event with from/to status and old → new values, and flush; the caller commits.

Errors: :class:`NotPermitted` (the role may not do this: 403) and :class:`TransitionError` (a rule or
the state refuses it: 422, with a translated message and optionally the form field it concerns).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Callable, Iterable, Optional

from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, func, select

from portal.disputes.services import assign_case_number, record_event
from portal.extensions import db
from portal.models.dispute import (
    ACCEPTED, AGREED, AGREED_PENDING_SIGNATURE, ARCHIVED, CLOSED, DRAFT, ESCALATE, ESCALATED, FAILED, MEDIATING,
    NOT_ACCEPTED, NOT_PERFORMED, OPEN_STATUSES, PENDING, PERFORMED, PERFORMING, RECEIVED, REFER, REFERRED,
    REPORTED, RESOLVED_ON_SPOT, RETURNED, ANSWERED, VOIDED, WITHDRAWN, Dispute, DisputeEvent, Transfer)
from portal.models.org import COUNTY, GRID, TOWN, VILLAGE, MediationCommittee, Mediator, OrgUnit
from portal.models.user import TOWN_LEADER, User
from portal.permissions import can
from portal.timeutil import local_today, now_utc

#: Performance status (domain.md 3.9).
PERFORMANCE_LABELS = {"PENDING": _l("Being performed"), "PERFORMED_IMMEDIATE": _l("Performed on the spot"),
                      "PERFORMED": _l("Performed"), "NOT_PERFORMED": _l("Not performed")}
#: Timeline label of every event code written anywhere (record_event); tests/test_event_labels.py
#: checks that each code used in portal/ has one.
EVENT_LABELS = {
    "REGISTERED": _l("Registered"), "EDITED": _l("Edited"), "SUBMITTED": _l("Submitted"),
    "ACCEPTED": _l("Accepted"), "NOT_ACCEPTED": _l("Not accepted"), "SETTLED_ON_SPOT": _l("Settled on the spot"),
    "MEDIATORS_ASSIGNED": _l("Mediators assigned"), "FAILED": _l("Mediation failed"), "WITHDRAWN": _l("Withdrawn"),
    "AGREED": _l("Agreement reached"), "AGREEMENT_EFFECTIVE": _l("Agreement took effect"),
    "PERFORMANCE": _l("Performance recorded"), "ESCALATED": _l("Escalated"), "RECEIVED": _l("Escalation received"),
    "RETURNED": _l("Escalation returned"), "REFERRED": _l("Referred"), "REFERRAL_FEEDBACK": _l("Department feedback"),
    "CLOSED": _l("Closed"), "ARCHIVED": _l("Archived"), "DEADLINE_EXTENDED": _l("Deadline extended"),
    "LEADER_SET": _l("Responsible leader set"), "POLICE_REPORTED": _l("Reported to the police"),
    "VOIDED": _l("Voided"),
    # Written by the ledger import (portal/ledger_io/services.py).
    "IMPORTED": _l("Imported from a ledger file"),
    # Written by earlier demo data (portal/disputes/demo.py); kept for databases seeded with it.
    "MEDIATION_STARTED": _l("Mediators assigned"), "ESCALATION_RECEIVED": _l("Escalation received"),
    "PERFORMING": _l("Performance recorded"), "PERFORMED": _l("Performance recorded"),
}
#: States in which the mediation deadline runs (domain.md 5.2): from acceptance to the agreement.
DEADLINE_STATUSES = (ACCEPTED, MEDIATING, AGREED_PENDING_SIGNATURE, ESCALATED, REFERRED)
#: States from which a case can be escalated or referred (5.1: "any open state").
ESCALATABLE = (REPORTED, ACCEPTED, MEDIATING, AGREED_PENDING_SIGNATURE, AGREED, PERFORMING, NOT_PERFORMED)
#: Finished states waiting to be closed (结案).
CLOSABLE = (PERFORMED, FAILED, NOT_ACCEPTED, WITHDRAWN, RESOLVED_ON_SPOT)
#: Escalation goes one step up the tree (5.3): handling level -> the level it goes to.
NEXT_LEVEL = {"GRID": VILLAGE, "VILLAGE": TOWN, "TOWN": COUNTY}
#: Referral target that satisfies the police rule (人民调解法 第二十五条).
POLICE = "POLICE"

#: Extra checks before archiving (the records feature adds the dossier check): callables taking the
#: dispute and returning a list of error messages (empty when fine).
ARCHIVE_CHECKS: list[Callable[[Dispute], Iterable[str]]] = []


class TransitionError(Exception):
    """A transition refused by the state or a rule. ``message`` is shown to the user (422);
    ``field`` names the form field it concerns, if any."""

    def __init__(self, message: str, field: Optional[str] = None):
        super().__init__(str(message))
        self.message, self.field = str(message), field


class NotPermitted(Exception):
    """The user's role may not perform this action (403)."""


@dataclass(frozen=True)
class Transition:
    """One row of the state machine: allowed source states, target state (None when it depends on
    the input or stays), the capability needed, the label and the fields the action requires."""

    action: str
    sources: tuple[str, ...]
    target: Optional[str]
    capability: str
    label: Any
    fields: tuple[str, ...] = ()
    ui: bool = True


TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    Transition("submit", (DRAFT,), REPORTED, "dispute.register", _l("Submit")),
    Transition("accept", (REPORTED,), ACCEPTED, "dispute.accept", _l("Accept"),
               ("category", "source", "risk_level", "committee_id", "accepted_date")),
    Transition("not_accept", (REPORTED,), NOT_ACCEPTED, "dispute.accept", _l("Do not accept"),
               ("reason", "channels_explained")),
    Transition("settle_on_spot", (REPORTED,), RESOLVED_ON_SPOT, "dispute.register", _l("Settled on the spot"),
               ("result_note", "resolved_date")),
    Transition("assign_mediators", (ACCEPTED, MEDIATING), MEDIATING, "dispute.mediate", _l("Assign mediators"),
               ("mediator_ids",)),
    Transition("fail", (MEDIATING,), FAILED, "dispute.mediate", _l("Mediation failed"),
               ("reason", "channels_explained")),
    Transition("withdraw", (ACCEPTED, MEDIATING), WITHDRAWN, "dispute.mediate", _l("Party withdraws"), ("reason",)),
    Transition("mark_agreed", (MEDIATING,), None, "dispute.mediate", _l("Agreement reached"), ("form",), ui=False),
    Transition("mark_agreement_effective", (AGREED_PENDING_SIGNATURE,), AGREED, "dispute.mediate",
               _l("Agreement took effect"), ui=False),
    Transition("performance", (AGREED, PERFORMING, NOT_PERFORMED), None, "dispute.mediate",
               _l("Record performance"), ("outcome",)),
    Transition("escalate", ESCALATABLE, ESCALATED, "dispute.escalate", _l("Escalate"), ("reason",)),
    Transition("receive", (ESCALATED,), ACCEPTED, "dispute.receive", _l("Receive escalation"), ("source",)),
    Transition("return_escalation", (ESCALATED,), None, "dispute.receive", _l("Return escalation"), ("reason",)),
    Transition("refer", ESCALATABLE, REFERRED, "dispute.accept", _l("Refer to a department"),
               ("department", "reason")),
    Transition("referral_feedback", (REFERRED,), CLOSED, "dispute.accept", _l("Record department feedback"),
               ("feedback",)),
    Transition("close", CLOSABLE + (REFERRED,), CLOSED,
               "dispute.accept", _l("Close"), ("closed_date",)),
    Transition("archive", (CLOSED,), ARCHIVED, "dispute.accept", _l("Archive")),
    Transition("extend_deadline", (ACCEPTED, MEDIATING, AGREED_PENDING_SIGNATURE), None, "dispute.mediate",
               _l("Extend deadline"), ("new_deadline", "reason", "consent")),
    Transition("set_leader", OPEN_STATUSES, None, "dispute.assign_leader", _l("Set responsible leader"),
               ("leader_id",)),
    Transition("police_report", OPEN_STATUSES + CLOSABLE, None, "dispute.escalate", _l("Reported to the police"),
               ("reported_at",)),
    Transition("void", (DRAFT, REPORTED), VOIDED, "dispute.void", _l("Void"), ("reason",)),
)}


# ---------------------------------------------------------------------------------------------------
# Reading helpers

def deadline_state(dispute: Dispute, today: Optional[date] = None) -> tuple[Optional[str], Optional[int]]:
    """Where a case stands against its mediation deadline (domain.md 5.2).

    :param today: the Shanghai calendar day (default :func:`timeutil.local_today`).
    :returns: ``("overdue", days_late)``, ``("due_soon", days_left)`` when ``days_left`` ≤
        ``DUE_SOON_DAYS``, ``("ok", days_left)``, or ``(None, None)`` when no deadline runs (no
        effective deadline, or a state outside :data:`DEADLINE_STATUSES`).
    """
    deadline = dispute.effective_deadline
    if deadline is None or dispute.status not in DEADLINE_STATUSES:
        return None, None
    days = (deadline - (today or local_today())).days
    if days < 0:
        return "overdue", -days
    if days <= current_app.config["DUE_SOON_DAYS"]:
        return "due_soon", days
    return "ok", days


def _effective_deadline_column():
    return func.coalesce(Dispute.deadline_extended_to, Dispute.deadline)


def overdue_clause(today: Optional[date] = None) -> ColumnElement[bool]:
    """SQL condition on :class:`Dispute` matching what :func:`deadline_state` calls ``overdue``."""
    return and_(Dispute.status.in_(DEADLINE_STATUSES), _effective_deadline_column() < (today or local_today()))


def due_soon_clause(today: Optional[date] = None) -> ColumnElement[bool]:
    """SQL condition on :class:`Dispute` matching what :func:`deadline_state` calls ``due_soon``."""
    today = today or local_today()
    limit = today + timedelta(days=current_app.config["DUE_SOON_DAYS"])
    column = _effective_deadline_column()
    return and_(Dispute.status.in_(DEADLINE_STATUSES), column >= today, column <= limit)


def is_major(dispute: Dispute) -> bool:
    """True for a RED risk level or any major flag (domain.md 3.4, 8.4)."""
    return dispute.risk_level == "RED" or bool(dispute.major_flags)


def pending_escalation(dispute: Dispute) -> Optional[Transfer]:
    """The escalation waiting for its receiver, if any."""
    return next((t for t in reversed(dispute.transfers) if t.kind == ESCALATE and t.status == PENDING), None)


def open_referral(dispute: Dispute) -> Optional[Transfer]:
    """The referral waiting for the department's feedback, if any."""
    return next((t for t in reversed(dispute.transfers) if t.kind == REFER and t.status == PENDING), None)


def escalation_target(dispute: Dispute) -> Optional[OrgUnit]:
    """The unit one level up from the case's handling level (grid → village → town → county), or None."""
    level = NEXT_LEVEL.get(dispute.handling_level)
    if level == VILLAGE:
        return dispute.village or dispute.town
    if level == TOWN:
        return dispute.town
    if level == COUNTY:
        return dispute.town.parent
    return None


def handling_unit(dispute: Dispute) -> OrgUnit:
    """The unit at the case's current handling level (grid, village, town or county)."""
    level = dispute.handling_level
    if level == GRID and dispute.grid:
        return dispute.grid
    if level in (GRID, VILLAGE) and dispute.village:
        return dispute.village
    if level == COUNTY and dispute.town.parent:
        return dispute.town.parent
    return dispute.town


def committee_choices(dispute: Dispute, user: User) -> list[MediationCommittee]:
    """Committees that may accept ``dispute``: the town committee and the committee of its village,
    limited to those in ``user``'s part of the tree (a village cadre sees only the village's)."""
    from portal.scoping import visible_org_ids
    units = [u for u in (dispute.town_id, dispute.village_id) if u and u in visible_org_ids(user)]
    return list(db.session.scalars(select(MediationCommittee).where(
        MediationCommittee.org_unit_id.in_(units), MediationCommittee.active.is_(True))
        .order_by(MediationCommittee.id)))


def leader_choices(dispute: Dispute) -> list[User]:
    """Active TOWN_LEADER users of the case's town (包案领导)."""
    return list(db.session.scalars(select(User).where(User.role == TOWN_LEADER, User.active.is_(True),
                                                      User.org_unit_id == dispute.town_id).order_by(User.id)))


def _precondition(dispute: Dispute, action: str, user: User) -> Optional[str]:
    """A state-dependent reason why ``action`` does not apply now (beyond the source states)."""
    if action in ("receive", "return_escalation"):
        transfer = pending_escalation(dispute)
        if transfer is None:
            return _("There is no escalation waiting to be received.")
        if transfer.to_org_id != user.org_unit_id:
            return _("This escalation is addressed to %(unit)s.", unit=transfer.to_org.name)
    if action == "escalate" and escalation_target(dispute) is None:
        return _("This case cannot be escalated further.")
    if action == "referral_feedback" and open_referral(dispute) is None:
        return _("There is no referral waiting for feedback.")
    if action == "close" and dispute.status == REFERRED and not any(
            t.kind == REFER and t.status == ANSWERED for t in dispute.transfers):
        return _("A referred case is closed by recording the department's feedback.")
    if action == "void" and (dispute.accepted_date or dispute.case_no):
        return _("An accepted case cannot be voided.")
    if action == "extend_deadline" and dispute.effective_deadline is None:
        return _("This case has no deadline.")
    return None


def check(dispute: Dispute, action: str, user: User) -> Transition:
    """Check that ``user`` may do ``action`` on ``dispute`` now.

    Raises :class:`NotPermitted` (role lacks the capability) or :class:`TransitionError` (wrong
    state or precondition). Returns the :class:`Transition`.
    """
    transition = TRANSITIONS[action]
    if not can(user, transition.capability):
        raise NotPermitted(action)
    if dispute.status not in transition.sources:
        from portal.disputes.forms import STATUS_LABELS
        raise TransitionError(_("This action is not possible while the case is “%(status)s”.",
                                status=STATUS_LABELS[dispute.status]))
    problem = _precondition(dispute, action, user)
    if problem:
        raise TransitionError(problem)
    return transition


def available_actions(dispute: Dispute, user: User) -> list[Transition]:
    """The UI actions ``user`` may take on ``dispute`` in its current state (rules that need input,
    e.g. the responsible-leader rule, are checked on submission and answered with 422)."""
    # The same tests as :func:`check`, without building the refusal messages of the ~20 actions
    # that do not apply (each a translated string).
    return [transition for transition in TRANSITIONS.values()
            if transition.ui and dispute.status in transition.sources and can(user, transition.capability)
            and _precondition(dispute, transition.action, user) is None]


# ---------------------------------------------------------------------------------------------------
# Rules

def _require_leader(dispute: Dispute, risk_level: Optional[str] = None) -> None:
    """RED or major cases need a responsible leader (包案领导) first (domain.md 8.4).

    :param risk_level: the level about to be set, if it changes now.
    """
    major = (risk_level or dispute.risk_level) == "RED" or bool(dispute.major_flags)
    if major and dispute.responsible_leader_id is None:
        raise TransitionError(_("A red-risk or major case needs a responsible leader first."))


def _require_police(dispute: Dispute) -> None:
    """A public-order or criminal risk needs a police report or a referral to the police first
    (人民调解法 第二十五条)."""
    if dispute.criminal_risk and dispute.police_reported_at is None and not any(
            t.kind == REFER and t.to_department == POLICE for t in dispute.transfers):
        raise TransitionError(_("This case has a public-order or criminal risk: record the report to the "
                                "police (or refer it to the police) first."))


def _check_date(value: Optional[date], field: str, *, not_before: Optional[date] = None,
                not_before_label: str = "") -> date:
    """A date no later than today and no earlier than ``not_before`` (domain.md 8.2)."""
    if value is None:
        raise TransitionError(_("Enter a date."), field)
    if value > local_today():
        raise TransitionError(_("The date cannot be in the future."), field)
    if not_before and value < not_before:
        raise TransitionError(_("The date cannot be before %(what)s (%(day)s).", what=not_before_label,
                                day=not_before.isoformat()), field)
    return value


def _text(value: Optional[str], field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise TransitionError(_("Please give the reason."), field)
    return value


def _json(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    return value


class _Changes(list):
    """Collects ``{"field", "old", "new"}`` while setting attributes."""

    def set(self, obj: Any, field: str, value: Any) -> None:
        old = getattr(obj, field)
        if old != value:
            self.append({"field": field, "old": _json(old), "new": _json(value)})
            setattr(obj, field, value)


def _finish(dispute: Dispute, user: User, action_code: str, changes: _Changes, *, to_status: Optional[str] = None,
            note: Optional[str] = None) -> DisputeEvent:
    """Move to ``to_status`` (if given) and write the event."""
    old = dispute.status
    if to_status and to_status != old:
        dispute.status = to_status
    event = record_event(dispute, action_code, user=user, note=note, changes=list(changes),
                         from_status=old, to_status=dispute.status)
    db.session.flush()
    return event


# ---------------------------------------------------------------------------------------------------
# Services, one per action

def submit(dispute: Dispute, user: User, *, note: Optional[str] = None) -> DisputeEvent:
    """DRAFT → REPORTED (排查上报)."""
    check(dispute, "submit", user)
    return _finish(dispute, user, "SUBMITTED", _Changes(), to_status=REPORTED, note=note)


def accept(dispute: Dispute, user: User, *, category: str, source: str, risk_level: str, committee_id: int,
           accepted_date: date, note: Optional[str] = None) -> DisputeEvent:
    """REPORTED → ACCEPTED (受理): category, source and risk level are required (domain.md 8.4); the
    committee is the town's or the village's; the case number is assigned; accepted_date is between
    found_date and today; deadline = accepted_date + ``DEFAULT_DEADLINE_DAYS`` (5.2).

    Raises TransitionError for a missing field, a foreign committee, a bad date, or the leader and
    police rules.
    """
    check(dispute, "accept", user)
    for field, value in (("category", category), ("source", source), ("risk_level", risk_level)):
        if not value:
            raise TransitionError(_("This field is required for acceptance."), field)
    committee = next((c for c in committee_choices(dispute, user) if c.id == committee_id), None)
    if committee is None:
        raise TransitionError(_("Choose the town committee or the committee of the case's village."),
                              "committee_id")
    _check_date(accepted_date, "accepted_date", not_before=dispute.found_date,
                not_before_label=_("the date it was found"))
    _require_leader(dispute, risk_level)
    _require_police(dispute)
    changes = _Changes()
    for field, value in (("category", category), ("source", source), ("risk_level", risk_level)):
        changes.set(dispute, field, value)
    _take_over(dispute, committee, changes, accepted_date)
    changes.set(dispute, "handling_level", TOWN if committee.org_unit.level == TOWN else VILLAGE)
    return _finish(dispute, user, "ACCEPTED", changes, to_status=ACCEPTED, note=note)


def _take_over(dispute: Dispute, committee: Optional[MediationCommittee], changes: _Changes, on: date) -> None:
    """Give the case to ``committee`` (numbering it, or renumbering it when it changes committee: an
    old number is never reused) and start the deadline if none runs yet."""
    if committee is not None and committee.id != dispute.committee_id:
        old_no = dispute.case_no
        if dispute.mediators:
            changes.append({"field": "mediators", "old": [m.name for m in dispute.mediators], "new": []})
            dispute.mediators = []
        dispute.case_no = dispute.case_year = dispute.case_seq = None
        old_committee = dispute.committee.name if dispute.committee else None
        assign_case_number(dispute, committee, on)
        changes.append({"field": "committee", "old": old_committee, "new": committee.name})
        changes.append({"field": "case_no", "old": old_no, "new": dispute.case_no})
    if dispute.accepted_date is None:
        changes.set(dispute, "accepted_date", on)
    if dispute.deadline is None:
        changes.set(dispute, "deadline", dispute.accepted_date + timedelta(
            days=current_app.config["DEFAULT_DEADLINE_DAYS"]))


def _end_with_channels_explained(dispute: Dispute, user: User, action: str, event: str, to_status: str,
                                 result: str, reason: str, channels_explained: bool) -> DisputeEvent:
    """End a case with a reason after the other channels were explained (人民调解法 第二十六条):
    shared by not accepting and failed mediation. Raises TransitionError."""
    check(dispute, action, user)
    reason = _text(reason, "reason")
    if not channels_explained:
        raise TransitionError(_("Confirm that the other ways of resolving the dispute were explained."),
                              "channels_explained")
    changes = _Changes()
    changes.set(dispute, "status_reason", reason)
    changes.set(dispute, "channels_explained", True)
    changes.set(dispute, "result", result)
    return _finish(dispute, user, event, changes, to_status=to_status, note=reason)


def not_accept(dispute: Dispute, user: User, *, reason: str, channels_explained: bool) -> DisputeEvent:
    """REPORTED → NOT_ACCEPTED (不予受理): a reason and "other channels explained" are required
    (人民调解法 第十七条, 第二十六条; domain.md 8.4)."""
    return _end_with_channels_explained(dispute, user, "not_accept", "NOT_ACCEPTED", NOT_ACCEPTED, "NOT_ACCEPTED",
                                        reason, channels_explained)


def settle_on_spot(dispute: Dispute, user: User, *, result_note: str, resolved_date: date) -> DisputeEvent:
    """REPORTED → RESOLVED_ON_SPOT (当场化解): an oral agreement with a result note (人民调解法
    第二十八条). The police rule applies."""
    check(dispute, "settle_on_spot", user)
    result_note = (result_note or "").strip()
    if not result_note:
        raise TransitionError(_("Describe how it was settled."), "result_note")
    _check_date(resolved_date, "resolved_date", not_before=dispute.found_date,
                not_before_label=_("the date it was found"))
    _require_police(dispute)
    changes = _Changes()
    changes.set(dispute, "agreement_form", "ORAL")
    changes.set(dispute, "result", "AGREED_ORAL")
    changes.set(dispute, "resolved_date", resolved_date)
    return _finish(dispute, user, "SETTLED_ON_SPOT", changes, to_status=RESOLVED_ON_SPOT, note=result_note)


def assign_mediators(dispute: Dispute, user: User, *, mediator_ids: list[int],
                     chosen_by_parties: bool = False) -> DisputeEvent:
    """ACCEPTED/MEDIATING → MEDIATING: at least one active mediator of the case's committee
    (人民调解法 第十九条). Blocked when a party refused mediation (第十七条), and by the leader and
    police rules."""
    check(dispute, "assign_mediators", user)
    refused = [p.name for p in dispute.parties if p.refused_mediation]
    if refused:
        raise TransitionError(_("%(names)s refused mediation: the case cannot be mediated (Art. 17).",
                                names="、".join(refused)))
    _require_leader(dispute)
    _require_police(dispute)
    mediators = list(db.session.scalars(select(Mediator).where(
        Mediator.id.in_(mediator_ids or []), Mediator.committee_id == dispute.committee_id,
        Mediator.active.is_(True)).order_by(Mediator.id)))
    if not mediators or len(mediators) != len(set(mediator_ids)):
        raise TransitionError(_("Choose at least one mediator of the accepting committee."), "mediator_ids")
    changes = _Changes()
    old = [m.name for m in dispute.mediators]
    if old != [m.name for m in mediators]:
        changes.append({"field": "mediators", "old": old, "new": [m.name for m in mediators]})
        dispute.mediators = mediators
    changes.set(dispute, "mediators_chosen_by_parties", bool(chosen_by_parties))
    return _finish(dispute, user, "MEDIATORS_ASSIGNED", changes, to_status=MEDIATING)


def fail(dispute: Dispute, user: User, *, reason: str, channels_explained: bool) -> DisputeEvent:
    """MEDIATING → FAILED (调解终止): reason and "other channels explained" (人民调解法 第二十六条)."""
    return _end_with_channels_explained(dispute, user, "fail", "FAILED", FAILED, "FAILED_TERMINATED",
                                        reason, channels_explained)


def withdraw(dispute: Dispute, user: User, *, reason: str) -> DisputeEvent:
    """ACCEPTED/MEDIATING → WITHDRAWN: a party withdraws or asks to end it (人民调解法 第二十三条)."""
    check(dispute, "withdraw", user)
    reason = _text(reason, "reason")
    changes = _Changes()
    changes.set(dispute, "status_reason", reason)
    changes.set(dispute, "result", "WITHDRAWN")
    return _finish(dispute, user, "WITHDRAWN", changes, to_status=WITHDRAWN, note=reason)


def mark_agreed(dispute: Dispute, form: str, user: User, on: date) -> DisputeEvent:
    """MEDIATING → AGREED_PENDING_SIGNATURE (``form="WRITTEN"``, until signed: 人民调解法 第二十九条)
    or AGREED (``form="ORAL"``, effective at once: 第三十条). Called by the records feature.

    :param on: the agreement date (Shanghai calendar), between acceptance and today.
    Raises TransitionError (state, form, date) or NotPermitted.
    """
    check(dispute, "mark_agreed", user)
    if form not in ("WRITTEN", "ORAL"):
        raise TransitionError(_("Unknown agreement form."), "form")
    _check_date(on, "date", not_before=dispute.accepted_date, not_before_label=_("the acceptance date"))
    changes = _Changes()
    changes.set(dispute, "agreement_form", form)
    changes.set(dispute, "result", f"AGREED_{form}")
    if form == "ORAL":
        changes.set(dispute, "resolved_date", on)
    target = AGREED if form == "ORAL" else AGREED_PENDING_SIGNATURE
    return _finish(dispute, user, "AGREED", changes, to_status=target)


def mark_agreement_effective(dispute: Dispute, user: User, on: date) -> DisputeEvent:
    """AGREED_PENDING_SIGNATURE → AGREED when the last signature or seal is on the written agreement
    (人民调解法 第二十九条). Called by the records feature."""
    check(dispute, "mark_agreement_effective", user)
    _check_date(on, "date", not_before=dispute.accepted_date, not_before_label=_("the acceptance date"))
    changes = _Changes()
    changes.set(dispute, "resolved_date", on)
    return _finish(dispute, user, "AGREEMENT_EFFECTIVE", changes, to_status=AGREED)


#: Performance outcomes allowed from each state (domain.md 5.1).
PERFORMANCE_OUTCOMES = {AGREED: (PERFORMING, PERFORMED, NOT_PERFORMED), PERFORMING: (PERFORMED, NOT_PERFORMED),
                        NOT_PERFORMED: (PERFORMING, CLOSED)}


def performance(dispute: Dispute, user: User, *, outcome: str, note: Optional[str] = None) -> DisputeEvent:
    """Record performance of an agreement (人民调解法 第三十一条): AGREED → PERFORMING / PERFORMED /
    NOT_PERFORMED; PERFORMING → PERFORMED / NOT_PERFORMED; NOT_PERFORMED → PERFORMING (urged) or
    CLOSED, which needs a note that the party was told to sue (第三十二条)."""
    check(dispute, "performance", user)
    if outcome not in PERFORMANCE_OUTCOMES[dispute.status]:
        raise TransitionError(_("This outcome is not possible from the current state."), "outcome")
    note = (note or "").strip() or None
    changes = _Changes()
    if outcome == CLOSED:
        if not note:
            raise TransitionError(_("Note that the party was told they can sue in court (Art. 32)."), "note")
        _require_police(dispute)
        changes.set(dispute, "closed_date", local_today())
    elif outcome == PERFORMED:
        changes.set(dispute, "performance_status", "PERFORMED_IMMEDIATE" if dispute.status == AGREED else "PERFORMED")
    else:
        changes.set(dispute, "performance_status", "PENDING" if outcome == PERFORMING else "NOT_PERFORMED")
    return _finish(dispute, user, "PERFORMANCE", changes, to_status=outcome, note=note)


def escalate(dispute: Dispute, user: User, *, reason: str) -> DisputeEvent:
    """Any open state → ESCALATED (上报): to the unit one level up (grid → village → town → county,
    domain.md 5.3), with a reason; creates a :class:`Transfer` and moves the handling level up."""
    check(dispute, "escalate", user)
    reason = _text(reason, "reason")
    target = escalation_target(dispute)
    source = handling_unit(dispute)
    transfer = Transfer(dispute=dispute, kind=ESCALATE, from_org_id=source.id, to_org_id=target.id,
                        from_level=dispute.handling_level, to_level=target.level, reason=reason,
                        sent_by_id=user.id, sent_at=now_utc())
    db.session.add(transfer)
    changes = _Changes()
    changes.set(dispute, "handling_level", target.level)
    changes.append({"field": "to_org", "old": source.name, "new": target.name})
    return _finish(dispute, user, "ESCALATED", changes, to_status=ESCALATED, note=reason)


def receive(dispute: Dispute, user: User, *, source: Optional[str] = None, note: Optional[str] = None) -> DisputeEvent:
    """ESCALATED → ACCEPTED at the receiving level (上级接收). The receiver's committee (the town
    committee for the town) takes the case over; it is numbered (or renumbered) and its deadline
    starts if it had none. The leader and police rules apply."""
    check(dispute, "receive", user)
    transfer = pending_escalation(dispute)
    if not (source or dispute.source):
        raise TransitionError(_("This field is required for acceptance."), "source")
    _require_leader(dispute)
    _require_police(dispute)
    changes = _Changes()
    if source:
        changes.set(dispute, "source", source)
    committee = db.session.scalar(select(MediationCommittee).where(
        MediationCommittee.org_unit_id == transfer.to_org_id, MediationCommittee.active.is_(True)))
    if committee is None and dispute.committee is None:
        committee = db.session.scalar(select(MediationCommittee).where(
            MediationCommittee.org_unit_id == dispute.town_id, MediationCommittee.active.is_(True)))
    _take_over(dispute, committee, changes, local_today())
    transfer.status, transfer.responded_at, transfer.responded_by_id = RECEIVED, now_utc(), user.id
    transfer.response_note = (note or "").strip() or None
    changes.set(dispute, "handling_level", transfer.to_level)
    return _finish(dispute, user, "RECEIVED", changes, to_status=ACCEPTED, note=transfer.response_note)


def return_escalation(dispute: Dispute, user: User, *, reason: str) -> DisputeEvent:
    """ESCALATED → the state before escalating (退回), with a reason; the handling level goes back."""
    check(dispute, "return_escalation", user)
    reason = _text(reason, "reason")
    transfer = pending_escalation(dispute)
    before = db.session.scalar(select(DisputeEvent.from_status).where(
        DisputeEvent.dispute_id == dispute.id, DisputeEvent.action == "ESCALATED").order_by(DisputeEvent.id.desc()))
    transfer.status, transfer.responded_at, transfer.responded_by_id = RETURNED, now_utc(), user.id
    transfer.response_note = reason
    changes = _Changes()
    changes.set(dispute, "handling_level", transfer.from_level or dispute.handling_level)
    return _finish(dispute, user, "RETURNED", changes, to_status=before or REPORTED, note=reason)


def refer(dispute: Dispute, user: User, *, department: str, reason: str) -> DisputeEvent:
    """Open state → REFERRED (移交) to a department of the ``referral_target`` dictionary, with a
    reason; creates a REFER :class:`Transfer`; handling level DEPARTMENT (domain.md 3.5, 4.10)."""
    from portal.dictionaries import labels
    check(dispute, "refer", user)
    if department not in labels("referral_target"):
        raise TransitionError(_("Choose a department."), "department")
    reason = _text(reason, "reason")
    source = handling_unit(dispute)
    db.session.add(Transfer(dispute=dispute, kind=REFER, from_org_id=source.id, to_department=department,
                            from_level=dispute.handling_level, to_level="DEPARTMENT", reason=reason,
                            sent_by_id=user.id, sent_at=now_utc()))
    changes = _Changes()
    changes.set(dispute, "handling_level", "DEPARTMENT")
    changes.append({"field": "to_department", "old": None, "new": labels("referral_target")[department]})
    return _finish(dispute, user, "REFERRED", changes, to_status=REFERRED, note=reason)


def referral_feedback(dispute: Dispute, user: User, *, feedback: str) -> DisputeEvent:
    """REFERRED → CLOSED with result REFERRED: the department's feedback (反馈) closes the case."""
    check(dispute, "referral_feedback", user)
    feedback = (feedback or "").strip()
    if not feedback:
        raise TransitionError(_("Enter the department's feedback."), "feedback")
    transfer = open_referral(dispute)
    transfer.status, transfer.responded_at, transfer.responded_by_id = ANSWERED, now_utc(), user.id
    transfer.response_note = feedback
    changes = _Changes()
    changes.set(dispute, "result", "REFERRED")
    changes.set(dispute, "closed_date", local_today())
    return _finish(dispute, user, "REFERRAL_FEEDBACK", changes, to_status=CLOSED, note=feedback)


def close(dispute: Dispute, user: User, *, closed_date: date, note: Optional[str] = None) -> DisputeEvent:
    """PERFORMED / FAILED / NOT_ACCEPTED / WITHDRAWN / RESOLVED_ON_SPOT / REFERRED (answered) → CLOSED
    (结案) on ``closed_date`` (not before acceptance or finding, not in the future). Police rule."""
    check(dispute, "close", user)
    _check_date(closed_date, "closed_date", not_before=dispute.accepted_date or dispute.found_date,
                not_before_label=_("the acceptance date") if dispute.accepted_date else _("the date it was found"))
    _require_police(dispute)
    changes = _Changes()
    changes.set(dispute, "closed_date", closed_date)
    return _finish(dispute, user, "CLOSED", changes, to_status=CLOSED, note=(note or "").strip() or None)


def archive(dispute: Dispute, user: User) -> DisputeEvent:
    """CLOSED → ARCHIVED (立卷归档) once every :data:`ARCHIVE_CHECKS` passes (domain.md 8.4)."""
    check(dispute, "archive", user)
    problems = [str(message) for checker in ARCHIVE_CHECKS for message in checker(dispute)]
    if problems:
        raise TransitionError(" ".join(problems))
    return _finish(dispute, user, "ARCHIVED", _Changes(), to_status=ARCHIVED)


def extend_deadline(dispute: Dispute, user: User, *, new_deadline: date, reason: str, consent: bool) -> DisputeEvent:
    """Extend the mediation deadline (延期): a later date, a reason, and the parties' consent recorded
    (domain.md 4.2, 5.2)."""
    check(dispute, "extend_deadline", user)
    if new_deadline is None or new_deadline <= dispute.effective_deadline:
        raise TransitionError(_("The new deadline must be after the current one (%(day)s).",
                                day=dispute.effective_deadline.isoformat()), "new_deadline")
    reason = _text(reason, "reason")
    if not consent:
        raise TransitionError(_("An extension needs the parties' consent."), "consent")
    changes = _Changes()
    changes.set(dispute, "deadline_extended_to", new_deadline)
    changes.set(dispute, "extension_reason", reason)
    changes.set(dispute, "extension_consent", True)
    return _finish(dispute, user, "DEADLINE_EXTENDED", changes, note=reason)


def set_leader(dispute: Dispute, user: User, *, leader_id: int) -> DisputeEvent:
    """Set the responsible leader (包案领导): an active TOWN_LEADER of the case's town."""
    check(dispute, "set_leader", user)
    leader = next((u for u in leader_choices(dispute) if u.id == leader_id), None)
    if leader is None:
        raise TransitionError(_("Choose a leader of the town."), "leader_id")
    changes = _Changes()
    old = dispute.responsible_leader.display_name if dispute.responsible_leader else None
    if dispute.responsible_leader_id != leader.id:
        changes.append({"field": "responsible_leader", "old": old, "new": leader.display_name})
        dispute.responsible_leader = leader
    return _finish(dispute, user, "LEADER_SET", changes)


def police_report(dispute: Dispute, user: User, *, reported_at: datetime, note: Optional[str] = None) -> DisputeEvent:
    """Record when the case was reported to the police (报告公安, 人民调解法 第二十五条).

    :param reported_at: aware datetime, not in the future.
    """
    check(dispute, "police_report", user)
    if reported_at is None:
        raise TransitionError(_("Enter when it was reported."), "reported_at")
    if reported_at > now_utc() + timedelta(minutes=5):
        raise TransitionError(_("The time cannot be in the future."), "reported_at")
    changes = _Changes()
    changes.set(dispute, "police_reported_at", reported_at)
    return _finish(dispute, user, "POLICE_REPORTED", changes, note=(note or "").strip() or None)


def void(dispute: Dispute, user: User, *, reason: str) -> DisputeEvent:
    """Void a registered, never accepted case (作废) with a reason. Nothing is deleted: the case
    stays with its timeline, status VOIDED (files are kept, 人民调解法 第二十七条; domain.md 8.4)."""
    check(dispute, "void", user)
    reason = _text(reason, "reason")
    changes = _Changes()
    changes.set(dispute, "void_reason", reason)
    return _finish(dispute, user, "VOIDED", changes, to_status=VOIDED, note=reason)


def perform(dispute: Dispute, action: str, user: User, **values: Any) -> DisputeEvent:
    """Run the UI action ``action`` with the submitted ``values`` (the service's keyword arguments).

    Raises KeyError for an unknown action, NotPermitted or TransitionError.
    """
    if action not in TRANSITIONS or not TRANSITIONS[action].ui:
        raise KeyError(action)
    return globals()[action](dispute, user, **values)


#: Basic fields editable on the case page (any state but archived or voided).
EDITABLE_FIELDS = ("title", "summary", "category", "risk_level", "address", "major_flags", "criminal_risk",
                   "public_opinion_risk", "wage_arrears", "measures", "measures_note", "amount_involved",
                   "persons_involved")


def edit_case(dispute: Dispute, user: User, *, values: dict[str, Any], location: Optional[OrgUnit] = None
              ) -> Optional[DisputeEvent]:
    """Change the basic fields of a case (EDITED event with old → new per field; search text refreshed).

    :param values: new values of :data:`EDITABLE_FIELDS` (validated; missing keys are left alone).
    :param location: a new village or grid unit inside the case's town, or None to keep it.
    :returns: the event, or None when nothing changed.
    Raises NotPermitted without ``dispute.edit``, TransitionError for an archived or voided case or a
    location in another town. The optimistic lock (``version_id``) is checked by the caller and on flush.
    """
    from portal.disputes.services import location_columns, refresh_search_text
    if not can(user, "dispute.edit"):
        raise NotPermitted("edit")
    if dispute.status in (ARCHIVED, VOIDED):
        raise TransitionError(_("An archived or voided case cannot be edited."))
    changes = _Changes()
    for field in EDITABLE_FIELDS:
        if field in values:
            changes.set(dispute, field, values[field])
    if location is not None and location.id != (dispute.grid_id or dispute.village_id):
        columns = location_columns(location)
        if columns["town_id"] != dispute.town_id:
            raise TransitionError(_("The case must stay in its town."), "location")
        old = (dispute.grid or dispute.village or dispute.town).name
        for column, value in columns.items():
            setattr(dispute, column, value)
        changes.append({"field": "location", "old": old, "new": location.name})
    if not changes:
        return None
    refresh_search_text(dispute)
    event = _finish(dispute, user, "EDITED", changes)
    db.session.expire(dispute, ["grid", "village", "town"])
    return event
