"""The case page (案件详情), its workflow actions, PII reveal, editing with optimistic locking, and the
escalation inbox.

Every view loads the dispute through :func:`portal.scoping.get_dispute_or_404` first (out of scope:
404), then checks the capability (403), then acts; write views commit once. htmx requests get
fragments: a successful action answers the refreshed case body, a refusal answers its own form
(422), a missing capability a 403 fragment, a stale edit a 409 conflict fragment, each placed with
``HX-Retarget`` so it lands where the user clicked.
"""
from __future__ import annotations

import weakref
from datetime import datetime
from typing import Any, Optional

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_translations, gettext as _
from flask_login import current_user, login_required
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from portal.audit import audit
from portal.dictionaries import labels
from portal.disputes import bp, workflow
from portal.disputes.case_forms import action_form, edit_form
from portal.disputes.forms import (HANDLING_LEVEL_LABELS, ID_TYPE_LABELS, MAJOR_FLAG_LABELS, RESULT_LABELS,
                                   SIDE_LABELS, STATUS_LABELS)
from portal.extensions import db
from portal.htmx import add_vary, is_htmx, is_partial
from portal.models.dispute import ESCALATE, PENDING, REFER, Dispute, DisputeEvent, Transfer, dispute_mediator
from portal.models.org import Mediator, OrgUnit
from portal.permissions import can, require
from portal.scoping import dispute_scope, get_dispute_or_404
from portal.timeutil import local_today, to_local

def _field_labels() -> dict[str, str]:
    """Labels of the fields that appear in timeline changes (translated into the current locale)."""
    from portal.disputes.party_views import party_field_labels
    return {
        "title": _("Title"), "summary": _("What happened"), "category": _("Category"), "source": _("Case source"),
        "risk_level": _("Risk level"), "address": _("Place"), "location": _("Village / grid"),
        "major_flags": _("Major criteria"), "criminal_risk": _("Risk of a public-order or criminal case"),
        "public_opinion_risk": _("Risk of negative public opinion"),
        "wage_arrears": _("Unpaid wages of migrant workers"), "measures": _("Resolution measures"),
        "measures_note": _("Measures taken"), "amount_involved": _("Amount involved (yuan)"),
        "persons_involved": _("Persons involved"), "committee": _("Accepting committee"), "case_no": _("Case number"),
        "accepted_date": _("Date accepted"), "deadline": _("Deadline"), "handling_level": _("Handling level"),
        "mediators": _("Mediators"), "mediators_chosen_by_parties": _("Chosen by the parties"),
        "result": _("Result"), "agreement_form": _("Agreement form"), "resolved_date": _("Date resolved"),
        "closed_date": _("Date closed"), "performance_status": _("Performance"), "status_reason": _("Reason"),
        "channels_explained": _("Other channels explained"), "to_org": _("Escalated to"),
        "to_department": _("Referred to"), "responsible_leader": _("Responsible leader"),
        "police_reported_at": _("Reported to the police at"), "void_reason": _("Reason for voiding"),
        "deadline_extended_to": _("Extended deadline"), "extension_reason": _("Reason for the extension"),
        "extension_consent": _("Parties consented"),
        **party_field_labels(),
    }


#: Translated fixed texts per catalog (a ``Translations`` object of Flask-Babel, one per locale and
#: process): the catalogs do not change while the process runs, so the label tables and the field
#: labels are translated once, not on every view (~100 gettext calls).
_TRANSLATED: "weakref.WeakKeyDictionary[Any, dict[str, dict[str, str]]]" = weakref.WeakKeyDictionary()


def translated_labels() -> dict[str, dict[str, str]]:
    """The case page's fixed label tables (code → text) in the current locale: ``status``, ``event``,
    ``side``, ``id_type``, ``level``, ``result``, ``major``, ``performance``, ``agreement_form``, ``yes_no``,
    ``action`` (workflow actions) and ``field`` (timeline field labels). Cached per catalog."""
    translations = get_translations()
    table = _TRANSLATED.get(translations)
    if table is None:
        def text(labels_: dict) -> dict[str, str]:
            return {code: str(label) for code, label in labels_.items()}
        table = {
            "status": text(STATUS_LABELS), "event": text(workflow.EVENT_LABELS), "side": text(SIDE_LABELS),
            "id_type": text(ID_TYPE_LABELS), "level": text(HANDLING_LEVEL_LABELS), "result": text(RESULT_LABELS),
            "major": text(MAJOR_FLAG_LABELS), "performance": text(workflow.PERFORMANCE_LABELS),
            "agreement_form": {"WRITTEN": _("Written"), "ORAL": _("Oral")},
            "yes_no": {True: _("Yes"), False: _("No")},
            "action": {action: str(transition.label) for action, transition in workflow.TRANSITIONS.items()},
            "field": _field_labels(),
        }
        _TRANSLATED[translations] = table
    return table


#: Fields whose timeline values are codes: field → fixed table (key of :func:`translated_labels`) or
#: admin dictionary kind (``portal.dictionaries.labels``).
_FIXED_VALUE_TABLES = {"handling_level": "level", "result": "result", "performance_status": "performance",
                       "major_flags": "major", "agreement_form": "agreement_form"}
_DICT_VALUE_TABLES = {"category": "category", "source": "source", "risk_level": "risk_level", "measures": "measure"}


def show_value(field: str, value: Any) -> str:
    """A timeline value as the user reads it: codes as labels, booleans as 是/否, lists joined."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return translated_labels()["yes_no"][value]
    if isinstance(value, list):
        return "、".join(show_value(field, v) for v in value)
    if field in _FIXED_VALUE_TABLES:
        return str(translated_labels()[_FIXED_VALUE_TABLES[field]].get(value, value))
    if field in _DICT_VALUE_TABLES:
        return str(labels(_DICT_VALUE_TABLES[field]).get(value, value))
    if field == "police_reported_at":
        try:
            return to_local(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
        except (TypeError, ValueError):
            return str(value)
    return str(value)


#: The case page's statements, built once (SQLAlchemy reuses their cache keys and compiled forms): the
#: dispute with its units, committee, leader and parties (joined: a few rows; each view adds the user's
#: scope, :func:`portal.scoping.dispute_scope`), then each other collection in the order of its
#: relationship. A fixed number of statements, whatever the history; plain statements cost about a
#: third of selectinload's per collection.
_PAGE_STATEMENT = select(Dispute).where(Dispute.id == bindparam("dispute_id")).options(
    joinedload(Dispute.town), joinedload(Dispute.village), joinedload(Dispute.grid),
    joinedload(Dispute.committee), joinedload(Dispute.responsible_leader), joinedload(Dispute.parties))
_PAGE_COLLECTIONS = {
    "mediators": select(Mediator).join(dispute_mediator, dispute_mediator.c.mediator_id == Mediator.id)
    .where(dispute_mediator.c.dispute_id == bindparam("dispute_id")).order_by(Mediator.id),
    "transfers": select(Transfer).where(Transfer.dispute_id == bindparam("dispute_id")).order_by(Transfer.id)
    .options(joinedload(Transfer.from_org), joinedload(Transfer.to_org)),
    "events": select(DisputeEvent).where(DisputeEvent.dispute_id == bindparam("dispute_id"))
    .order_by(DisputeEvent.id).options(joinedload(DisputeEvent.user)),
}


def _load(dispute_id: int, *, page: bool = False) -> Dispute:
    """The dispute if ``current_user`` may see it, else 404 (:mod:`portal.scoping`); with ``page``,
    together with everything the case page shows of it (:data:`_PAGE_STATEMENT`,
    :data:`_PAGE_COLLECTIONS`)."""
    if not page:
        return get_dispute_or_404(dispute_id, current_user)
    params = {"dispute_id": dispute_id}
    statement = _PAGE_STATEMENT.where(dispute_scope(current_user))
    dispute = db.session.execute(statement, params).unique().scalar_one_or_none()
    if dispute is None:
        abort(404)
    for key, statement in _PAGE_COLLECTIONS.items():
        set_committed_value(dispute, key, list(db.session.scalars(statement, params)))
    return dispute


def _may_edit(dispute: Dispute) -> bool:
    return can(current_user, "dispute.edit") and dispute.status not in ("ARCHIVED", "VOIDED")


def _case_context(dispute: Dispute, *, forms: Optional[dict] = None, edit=None,
                  open_action: Optional[str] = None, edit_open: bool = False) -> dict[str, Any]:
    """What the case page shows. Only the forms it shows open are built: erroring ``forms`` (action →
    form), ``open_action`` and, with ``edit_open``, the edit form (``edit`` passes one, ``False`` hides
    it). Every other action form and the edit form are fetched when their section is first opened
    (:func:`action_form_page`, GET :func:`edit` as htmx), so a view does not build and render ~15 forms."""
    actions = workflow.available_actions(dispute, current_user)
    forms = dict(forms or {})
    if open_action and any(t.action == open_action for t in actions):
        forms.setdefault(open_action, action_form(open_action, dispute, current_user))
    state, days = workflow.deadline_state(dispute)
    can_edit = _may_edit(dispute)
    if edit is None and edit_open and can_edit:
        edit = edit_form(dispute, current_user)
    text = translated_labels()
    return {
        "dispute": dispute, "actions": actions, "forms": forms, "deadline": (state, days),
        "open_action": open_action, "edit_open": edit_open,
        "edit": edit or None, "edit_lazy": edit is None and can_edit,
        "field_labels": text["field"], "show_value": show_value, "status_labels": text["status"],
        "event_labels": text["event"], "side_labels": text["side"], "id_type_labels": text["id_type"],
        "level_labels": text["level"], "result_labels": text["result"],
        "major_labels": text["major"], "dict_labels": labels, "is_major": workflow.is_major(dispute),
        "performance_labels": text["performance"], "action_labels": text["action"],
    }


@bp.route("/<int:dispute_id>/actions/<action>", methods=["GET"], endpoint="action_form")
@login_required
def action_form_page(dispute_id: int, action: str):
    """The empty form of workflow action ``action``, fetched by htmx when the user first opens it
    (fragment); without htmx the case page with that action open. 404 for an unknown action or one not
    open in this state or to this user (out of scope: 404 too)."""
    dispute = _load(dispute_id)
    transition = next((t for t in workflow.available_actions(dispute, current_user) if t.action == action), None)
    if transition is None:
        abort(404)
    if not is_partial():
        return _render_case(dispute, open_action=action)
    form = action_form(action, dispute, current_user)
    return add_vary(current_app.make_response(render_template(
        "disputes/_case_action_form.html", dispute=dispute, transition=transition, form=form)))


def _render_case(dispute: Dispute, status: int = 200, **kwargs):
    """The full case page, or the case body alone for an htmx request."""
    template = "disputes/_case_body.html" if is_htmx() and request.method == "POST" else "disputes/case.html"
    return add_vary(current_app.make_response((render_template(template, **_case_context(dispute, **kwargs)),
                                               status)))


def _retarget(response, target: str):
    response.headers["HX-Retarget"] = target
    response.headers["HX-Reswap"] = "outerHTML"
    return response


@bp.route("/<int:dispute_id>")
@require("dispute.view")
def case(dispute_id: int):
    """The case page: overview, parties (masked), records, timeline, transfers and allowed actions."""
    return _render_case(_load(dispute_id, page=True))


@bp.route("/<int:dispute_id>/actions/<action>", methods=["POST"])
@login_required
def act(dispute_id: int, action: str):
    """Run one workflow action (see :data:`workflow.TRANSITIONS`): 200 with the refreshed case body,
    422 with the form and the reason when a rule refuses, 403 when the role may not, 404 out of scope."""
    dispute = _load(dispute_id)
    transition = workflow.TRANSITIONS.get(action)
    if transition is None or not transition.ui:
        abort(404)
    if not can(current_user, transition.capability):
        return _refuse(403, f"#act-{action}")
    form = action_form(action, dispute, current_user, submitted=True)
    if form.validate_on_submit():
        try:
            workflow.perform(dispute, action, current_user, **form.values())
            db.session.commit()
        except workflow.TransitionError as error:
            db.session.rollback()
            form.add_error(error.message, error.field)
        except workflow.NotPermitted:
            db.session.rollback()
            return _refuse(403, f"#act-{action}")
        except StaleDataError:
            db.session.rollback()
            return _conflict(_load(dispute_id, page=True), f"#act-{action}")
        else:
            if is_htmx():
                return _render_case(_load(dispute_id, page=True))
            return redirect(url_for("disputes.case", dispute_id=dispute_id), 303)
    dispute = _load(dispute_id)
    if is_htmx():
        html = render_template("disputes/_case_action.html", dispute=dispute, transition=transition, form=form,
                               open=True)
        return _retarget(add_vary(current_app.make_response((html, 422))), f"#act-{action}")
    return _render_case(dispute, 422, forms={action: form})


def _refuse(code: int, target: str):
    html = render_template("errors/_error.html", code=code,
                           message=_("You do not have permission to do this."))
    response = add_vary(current_app.make_response((html, code)))
    return _retarget(response, target) if is_htmx() else response


def _conflict(dispute: Dispute, target: str, form=None):
    """409: somebody else changed the case; show its current values and a reload button. With the
    user's submitted ``form`` (the edit form), it is shown again with everything typed kept, its
    ``version_id`` moved to the current one so saving it again knowingly overwrites (style.md 3.10)."""
    context = _case_context(dispute, edit=form if form is not None else False)
    if form is not None:
        form.version_id.data = str(dispute.version_id)
        context["edit_open"] = True
    if is_htmx():
        html = render_template("disputes/_case_conflict.html", typed=form, **context)
    else:
        html = render_template("disputes/case.html", conflict=True, **context)
    return _retarget(add_vary(current_app.make_response((html, 409))), target)


@bp.route("/<int:dispute_id>/edit", methods=["GET", "POST"])
@require("dispute.edit")
def edit(dispute_id: int):
    """Edit the case's basic fields with optimistic locking: a stale ``version_id`` (or a
    StaleDataError on flush) answers 409 "该记录已被他人修改" with the current values; nothing is
    overwritten."""
    dispute = _load(dispute_id)
    if request.method == "GET":
        if is_partial():  # fetched when the edit section of the case page is first opened
            if not _may_edit(dispute):
                abort(403)
            return add_vary(current_app.make_response(render_template(
                "disputes/_case_edit_form.html", dispute=dispute, edit=edit_form(dispute, current_user))))
        return add_vary(current_app.make_response(render_template(
            "disputes/case.html", **_case_context(dispute, edit_open=True))))
    form = edit_form(dispute, current_user, submitted=True)
    if form.version_id.data != str(dispute.version_id):
        return _conflict(dispute, "#case-edit", form)
    if form.validate_on_submit():
        location = None
        if form.location.data not in form.allowed_locations:
            form.location.errors.append(_("Choose the village or grid."))
        else:
            location = db.session.get(OrgUnit, form.location.data)
        if location is not None:
            values = {name: getattr(form, name).data for name in workflow.EDITABLE_FIELDS
                      if name != "amount_involved"}
            values["amount_involved"] = form.amount
            values["address"] = values["address"] or None
            values["measures_note"] = values["measures_note"] or None
            try:
                workflow.edit_case(dispute, current_user, values=values, location=location)
                db.session.commit()
            except workflow.TransitionError as error:
                db.session.rollback()
                (form[error.field].errors.append(error.message) if error.field in form
                 else form.title.errors.append(error.message))
            except StaleDataError:
                db.session.rollback()
                return _conflict(_load(dispute_id, page=True), "#case-edit", form)
            else:
                if is_htmx():
                    return _render_case(_load(dispute_id, page=True))
                return redirect(url_for("disputes.case", dispute_id=dispute_id), 303)
    dispute = _load(dispute_id)
    if is_htmx():
        html = render_template("disputes/_case_edit.html", dispute=dispute, edit=form, edit_open=True)
        return _retarget(add_vary(current_app.make_response((html, 422))), "#case-edit")
    return add_vary(current_app.make_response((render_template(
        "disputes/case.html", **_case_context(dispute, edit=form, edit_open=True)), 422)))


REVEALABLE = {"id_number", "phone"}


@bp.route("/<int:dispute_id>/parties/<int:party_id>/reveal/<field>", methods=["POST"])
@login_required
def reveal(dispute_id: int, party_id: int, field: str):
    """Show a party's full ID number or phone to a user with ``pii.reveal`` and write a
    VIEW_UNMASKED audit row (domain.md 9.3; PIPL 第五十一条). Others get a 403 fragment."""
    dispute = _load(dispute_id)
    party = next((p for p in dispute.parties if p.id == party_id), None)
    if party is None or field not in REVEALABLE:
        abort(404)
    if not can(current_user, "pii.reveal"):
        html = render_template("disputes/_case_pii.html", party=party, field=field, denied=True)
        return add_vary(current_app.make_response((html, 403)))
    audit("VIEW_UNMASKED", entity="party", entity_id=party.id,
          detail={"dispute_id": dispute.id, "party": party.name, "field": field})
    db.session.commit()
    html = render_template("disputes/_case_pii.html", party=party, field=field, value=getattr(party, field))
    return add_vary(current_app.make_response(html))


@bp.route("/inbox")
@require("dispute.view")
def inbox():
    """Transfers waiting at the user's level: escalations addressed to the user's unit (town staff:
    the town; county viewer: the county; village cadres: their village), and referrals waiting for
    a department's feedback, all within the user's scope."""
    base = (select(Transfer).join(Dispute, Transfer.dispute_id == Dispute.id).where(dispute_scope(current_user))
            .options(selectinload(Transfer.dispute)).order_by(Transfer.sent_at))
    escalations = []
    if can(current_user, "dispute.receive"):
        escalations = db.session.scalars(base.where(Transfer.kind == ESCALATE, Transfer.status == PENDING,
                                                    Transfer.to_org_id == current_user.org_unit_id)).all()
    referrals = []
    if can(current_user, "dispute.accept"):
        referrals = db.session.scalars(base.where(Transfer.kind == REFER, Transfer.status == PENDING)).all()
    return render_template("disputes/inbox.html", escalations=escalations, referrals=referrals,
                           referral_labels=labels("referral_target"), risk_labels=labels("risk_level"), level_labels=HANDLING_LEVEL_LABELS,
                           status_labels=STATUS_LABELS, today=local_today())
