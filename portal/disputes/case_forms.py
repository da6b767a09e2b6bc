"""Forms of the case page: one small form per workflow action, and the basic-fields edit form.

Field names equal the keyword arguments of the service in :mod:`portal.disputes.workflow`, so a
valid form is passed on as ``workflow.perform(dispute, action, user, **form.values())``. The forms
parse types (dates, numbers, choices); the rules (reasons, consents, dates, leader, police) are the
services' job, whose :class:`~portal.disputes.workflow.TransitionError` is shown next to its field.
"""
from __future__ import annotations

from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional as Opt

from portal.dictionaries import choices
from portal.disputes import workflow
from portal.disputes.forms import (MAJOR_FLAG_LABELS, MultiCheckboxField, PartyForm, clean_line, clean_text)
from portal.extensions import db
from portal.models.dispute import Dispute
from portal.models.org import Mediator
from portal.models.user import User
from portal.timeutil import local_today, parse_local_datetime


def _int_or_none(value: Any) -> Optional[int]:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


REASON = dict(filters=[clean_text], validators=[Length(max=2000)], render_kw={"rows": 2})


class ActionForm(FlaskForm):
    """Base of the action forms. ``form_error`` holds a refusal that concerns no single field."""

    form_error: Optional[str] = None

    def setup(self, dispute: Dispute, user: User) -> None:
        """Fill per-case choices and defaults (override)."""

    def values(self) -> dict[str, Any]:
        """The service keyword arguments."""
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}

    def add_error(self, message: str, field: Optional[str] = None) -> None:
        """Show ``message`` next to ``field`` (or at the top of the form)."""
        if field and field in self._fields:
            self._fields[field].errors = list(self._fields[field].errors) + [message]
        else:
            self.form_error = message


class SubmitForm(ActionForm):
    note = TextAreaField(_l("Note"), **REASON)


class AcceptForm(ActionForm):
    category = SelectField(_l("Category"))
    source = SelectField(_l("Case source"))
    risk_level = SelectField(_l("Risk level"))
    committee_id = SelectField(_l("Accepting committee"), coerce=_int_or_none, validate_choice=False)
    accepted_date = DateField(_l("Date accepted"), validators=[Opt()])
    note = TextAreaField(_l("Note"), **REASON)

    def setup(self, dispute, user):
        self.category.choices = choices("category", blank="")
        self.source.choices = choices("source", blank="")
        self.risk_level.choices = choices("risk_level")
        committees = workflow.committee_choices(dispute, user)
        self.committee_id.choices = [(c.id, c.name) for c in committees]
        if not self.is_submitted():
            self.category.data = dispute.category
            self.source.data = dispute.source or ""
            self.risk_level.data = dispute.risk_level
            self.accepted_date.data = local_today()
            # Small matters stay in the village (domain.md 5.3): the village committee by default.
            village = [c.id for c in committees if c.org_unit_id == dispute.village_id]
            self.committee_id.data = (village or [c.id for c in committees] or [None])[0]


class ReasonChannelsForm(ActionForm):
    reason = TextAreaField(_l("Reason"), **REASON)
    channels_explained = BooleanField(_l("Other ways to resolve it (court, arbitration, administration) were "
                                         "explained to the parties"))


class SettleForm(ActionForm):
    result_note = TextAreaField(_l("How it was settled (oral agreement)"), **REASON)
    resolved_date = DateField(_l("Date settled"), validators=[Opt()])

    def setup(self, dispute, user):
        if not self.is_submitted():
            self.resolved_date.data = local_today()


class MediatorsForm(ActionForm):
    mediator_ids = MultiCheckboxField(_l("Mediators"), coerce=int, validate_choice=False)
    chosen_by_parties = BooleanField(_l("Chosen by the parties"))

    def setup(self, dispute, user):
        mediators = db.session.scalars(db.select(Mediator).where(
            Mediator.committee_id == dispute.committee_id, Mediator.active.is_(True)).order_by(Mediator.id)).all()
        self.mediator_ids.choices = [(m.id, m.name) for m in mediators]
        if not self.is_submitted():
            self.mediator_ids.data = [m.id for m in dispute.mediators]
            self.chosen_by_parties.data = dispute.mediators_chosen_by_parties


class ReasonForm(ActionForm):
    reason = TextAreaField(_l("Reason"), **REASON)


class PerformanceForm(ActionForm):
    outcome = SelectField(_l("Outcome"))
    note = TextAreaField(_l("Note"), **REASON)

    def setup(self, dispute, user):
        from portal.disputes.forms import STATUS_LABELS
        outcomes = workflow.PERFORMANCE_OUTCOMES.get(dispute.status, ())
        self.outcome.choices = [(o, STATUS_LABELS[o]) for o in outcomes]


class ReceiveForm(ActionForm):
    source = SelectField(_l("Case source"))
    note = TextAreaField(_l("Note"), **REASON)

    def setup(self, dispute, user):
        self.source.choices = choices("source", blank="")
        if not self.is_submitted():
            self.source.data = dispute.source or ""


class ReferForm(ActionForm):
    department = SelectField(_l("Department"))
    reason = TextAreaField(_l("Reason"), **REASON)

    def setup(self, dispute, user):
        self.department.choices = choices("referral_target", blank="")


class FeedbackForm(ActionForm):
    feedback = TextAreaField(_l("Department's feedback"), **REASON)


class CloseForm(ActionForm):
    closed_date = DateField(_l("Date closed"), validators=[Opt()])
    note = TextAreaField(_l("Note"), **REASON)

    def setup(self, dispute, user):
        if not self.is_submitted():
            self.closed_date.data = local_today()


class EmptyForm(ActionForm):
    pass


class ExtendForm(ActionForm):
    new_deadline = DateField(_l("New deadline"), validators=[Opt()])
    reason = TextAreaField(_l("Reason"), **REASON)
    consent = BooleanField(_l("The parties agreed to the extension"))


class LeaderForm(ActionForm):
    leader_id = SelectField(_l("Responsible leader"), coerce=_int_or_none, validate_choice=False)

    def setup(self, dispute, user):
        self.leader_id.choices = [("", "")] + [(u.id, u.display_name) for u in workflow.leader_choices(dispute)]
        if not self.is_submitted():
            self.leader_id.data = dispute.responsible_leader_id


class PoliceForm(ActionForm):
    reported_at = StringField(_l("Reported to the police at"), render_kw={"type": "datetime-local"})
    note = TextAreaField(_l("Note"), **REASON)

    def setup(self, dispute, user):
        if not self.is_submitted():
            from portal.timeutil import local_now
            self.reported_at.data = local_now().strftime("%Y-%m-%dT%H:%M")

    def validate_reported_at(self, field):
        if field.data:
            try:
                parse_local_datetime(field.data)
            except ValueError:
                raise ValueError(_l("Enter a date and time."))

    def values(self):
        return {"reported_at": parse_local_datetime(self.reported_at.data) if self.reported_at.data else None,
                "note": self.note.data}


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "submit": SubmitForm, "accept": AcceptForm, "not_accept": ReasonChannelsForm, "settle_on_spot": SettleForm,
    "assign_mediators": MediatorsForm, "fail": ReasonChannelsForm, "withdraw": ReasonForm,
    "performance": PerformanceForm, "escalate": ReasonForm, "receive": ReceiveForm,
    "return_escalation": ReasonForm, "refer": ReferForm, "referral_feedback": FeedbackForm, "close": CloseForm,
    "archive": EmptyForm, "extend_deadline": ExtendForm, "set_leader": LeaderForm, "police_report": PoliceForm,
    "void": ReasonForm,
}


def action_form(action: str, dispute: Dispute, user: User, *, submitted: bool = False) -> ActionForm:
    """Build the form of ``action`` for ``dispute``; with ``submitted`` it reads the request's form
    data, otherwise it starts empty with the case's current values as defaults."""
    cls = ACTION_FORMS[action]
    form = cls(prefix=action) if submitted else cls(formdata=None, prefix=action)
    form.setup(dispute, user)
    return form


# ---------------------------------------------------------------------------------------------------
# Editing the basic fields (optimistic lock)

class CaseEditForm(FlaskForm):
    """The case's basic fields. ``version_id`` is the optimistic lock (style.md 3.10)."""

    version_id = HiddenField()
    title = StringField(_l("Title"), filters=[clean_line],
                        validators=[DataRequired(_l("Enter a title.")), Length(max=120)])
    summary = TextAreaField(_l("What happened"), filters=[clean_text],
                            validators=[DataRequired(_l("Describe the dispute in a sentence.")), Length(max=4000)],
                            render_kw={"rows": 3})
    category = SelectField(_l("Category"))
    risk_level = SelectField(_l("Risk level"))
    location = SelectField(_l("Village / grid"), coerce=_int_or_none)
    address = StringField(_l("Place"), filters=[clean_line], validators=[Length(max=200)])
    major_flags = MultiCheckboxField(_l("Major criteria"), choices=list(MAJOR_FLAG_LABELS.items()))
    criminal_risk = BooleanField(_l("Risk of a public-order or criminal case"))
    public_opinion_risk = BooleanField(_l("Risk of negative public opinion"))
    wage_arrears = BooleanField(_l("Unpaid wages of migrant workers"))
    measures = MultiCheckboxField(_l("Resolution measures"))
    measures_note = TextAreaField(_l("Measures taken"), filters=[clean_text], validators=[Length(max=4000)],
                                  render_kw={"rows": 2})
    amount_involved = StringField(_l("Amount involved (yuan)"), filters=[clean_line], validators=[Length(max=40)],
                                  render_kw={"inputmode": "decimal"})
    persons_involved = IntegerField(_l("Persons involved"), validators=[Opt(), NumberRange(min=1, max=100000)],
                                    render_kw={"inputmode": "numeric"})

    #: Set by :meth:`validate`: the parsed amount.
    amount: Any = None

    def setup(self, dispute: Dispute, user: User) -> None:
        """Fill the choices (location within ``user``'s scope) and, for a fresh form, the values."""
        from portal.disputes.views import intake_locations
        self.category.choices = choices("category")
        self.risk_level.choices = choices("risk_level")
        self.measures.choices = choices("measure")
        options = []
        for village, grids in intake_locations(user):
            options.append((village.id, village.name))
            options.extend((grid.id, "　" + grid.name) for grid in grids)
        current = dispute.grid_id or dispute.village_id
        if current and current not in [o[0] for o in options]:
            unit = dispute.grid or dispute.village
            options.insert(0, (unit.id, unit.name))
        self.location.choices = options
        self.allowed_locations = {o[0] for o in options}
        if not self.is_submitted():
            for name in ("title", "summary", "category", "risk_level", "address", "criminal_risk",
                         "public_opinion_risk", "wage_arrears", "measures_note", "persons_involved"):
                getattr(self, name).data = getattr(dispute, name)
            self.major_flags.data = list(dispute.major_flags or [])
            self.measures.data = list(dispute.measures or [])
            self.location.data = current
            self.amount_involved.data = str(dispute.amount_involved) if dispute.amount_involved is not None else ""
            self.version_id.data = str(dispute.version_id)

    def validate(self, extra_validators=None) -> bool:
        """Field validators, then the amount (validation.parse_amount). Never raises on input."""
        from portal.validation import InvalidValue, parse_amount
        ok = super().validate(extra_validators)
        self.amount = None
        if self.amount_involved.data:
            try:
                self.amount = parse_amount(self.amount_involved.data)
            except InvalidValue as error:
                self.amount_involved.errors.append(error.message)
                ok = False
        return ok


def edit_form(dispute: Dispute, user: User, *, submitted: bool = False) -> CaseEditForm:
    """Build the edit form (from the request with ``submitted``, else from the case's values)."""
    form = CaseEditForm(prefix="edit") if submitted else CaseEditForm(formdata=None, prefix="edit")
    form.setup(dispute, user)
    return form



# ---------------------------------------------------------------------------------------------------
# Editing or adding one party (optimistic lock on the case)

class PartyEditForm(FlaskForm, PartyForm):
    """The intake party row (:class:`portal.disputes.forms.PartyForm`: same fields, normalisation and
    GB 11643 checks) as a form of its own on the case page, with the case's ``version_id`` as the
    optimistic lock (style.md 3.10)."""

    version_id = HiddenField()

    def setup(self, dispute: Dispute, party=None) -> None:
        """For a fresh form: the lock and, when editing, the party's stored values."""
        if not self.is_submitted():
            self.version_id.data = str(dispute.version_id)
            if party is not None:
                for name in ("side", "party_type", "name", "phone", "id_type", "id_number", "ethnicity",
                             "occupation", "address", "legal_rep_name", "agent_name", "agent_relation"):
                    getattr(self, name).data = getattr(party, name) or ""
                self.sex.data = party.sex or ""


def party_form(dispute: Dispute, party=None, *, submitted: bool = False) -> PartyEditForm:
    """A :class:`PartyEditForm` for ``party`` (None: a new party), from the request when ``submitted``."""
    form = PartyEditForm(prefix=f"p{party.id}" if party is not None else "pnew",
                         **({} if submitted else {"formdata": None}))
    form.setup(dispute, party)
    return form
