"""Intake form (排查登记 / 受理登记) and the display labels of dispute codes.

One form, two depths: the quick screening entry (location, category, summary, parties' names and
phones, risk) and the full registration behind a "more" section (domain.md 4.2, 4.3). Values are
normalised by field filters *before* validation (portal.validation), so what is validated is what is
stored and what is shown again on a 422.

The label dictionaries (:data:`STATUS_LABELS`, :data:`HANDLING_LEVEL_LABELS`, :data:`SIDE_LABELS` …)
are shared with the case page and the ledger.
"""
from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, FieldList, Form, FormField, HiddenField, IntegerField, RadioField,
                     SelectField, SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional as Opt
from wtforms.widgets import CheckboxInput, ListWidget

from portal.models import dispute as m
from portal.timeutil import local_today
from portal.validation import (InvalidValue, fullwidth_to_ascii, mask_name_for_report, normalize_phone,
                               normalize_text, parse_amount, parse_cn_date, parse_resident_id, validate_phone)

# --------------------------------------------------------------------------
# Labels (English msgids; Chinese in the catalog)
# --------------------------------------------------------------------------

#: Workflow states, domain.md 5.1.
STATUS_LABELS = {
    m.DRAFT: _l("Draft"), m.REPORTED: _l("Reported, awaiting acceptance"), m.NOT_ACCEPTED: _l("Not accepted"),
    m.RESOLVED_ON_SPOT: _l("Settled on the spot"), m.ACCEPTED: _l("Accepted"), m.MEDIATING: _l("Mediating"),
    m.AGREED_PENDING_SIGNATURE: _l("Agreement awaiting signature"), m.AGREED: _l("Agreed"),
    m.PERFORMING: _l("Performing"), m.PERFORMED: _l("Performed"), m.NOT_PERFORMED: _l("Not performed"),
    m.FAILED: _l("Mediation failed"), m.WITHDRAWN: _l("Withdrawn"), m.ESCALATED: _l("Escalated"),
    m.REFERRED: _l("Referred"), m.CLOSED: _l("Closed"), m.ARCHIVED: _l("Archived"), m.VOIDED: _l("Voided"),
}
#: Status groups usable as ``status=<group>`` in ledger links (reports link with ``status=open``).
STATUS_GROUPS = {
    "open": m.OPEN_STATUSES,
    "done": tuple(s for s in m.STATUSES if s not in m.OPEN_STATUSES and s != m.VOIDED),
}
STATUS_GROUP_LABELS = {"open": _l("All open"), "done": _l("All finished")}
#: Handling levels, domain.md 3.5.
HANDLING_LEVEL_LABELS = {"GRID": _l("Grid"), "VILLAGE": _l("Village"), "TOWN": _l("Town"),
                         "COUNTY": _l("County"), "DEPARTMENT": _l("Department")}
#: Case results, domain.md 3.8.
RESULT_LABELS = {"AGREED_WRITTEN": _l("Agreed (written)"), "AGREED_ORAL": _l("Agreed (oral)"),
                 "FAILED_TERMINATED": _l("Failed, terminated"), "WITHDRAWN": _l("Withdrawn"),
                 "NOT_ACCEPTED": _l("Not accepted"), "REFERRED": _l("Referred")}
SIDE_LABELS = {m.APPLICANT: _l("Applicant"), m.RESPONDENT: _l("Respondent"), m.THIRD: _l("Third party")}
PARTY_TYPE_LABELS = {m.PERSON: _l("Natural person"), m.LEGAL_PERSON: _l("Legal person"),
                     m.ORGANISATION: _l("Unincorporated organisation")}
ID_TYPE_LABELS = {"RESIDENT_ID": _l("Resident ID card"), "HOUSEHOLD_REGISTER": _l("Household register"),
                  "PASSPORT": _l("Passport"), "HK_MACAU_PERMIT": _l("Hong Kong/Macau permit"),
                  "TAIWAN_PERMIT": _l("Taiwan permit"), "FOREIGNER_PR": _l("Foreigner permanent residence card"),
                  "CREDIT_CODE": _l("Unified social credit code"), "OTHER": _l("Other")}
SEX_LABELS = {"M": _l("Male"), "F": _l("Female")}
#: "Major" criteria of domain.md 3.4 (重大情形), multi-select on a dispute.
MAJOR_FLAG_LABELS = {
    "GROUP_10": _l("Group dispute, 10 or more people"),
    "GROUP_ACTION": _l("Tendency to group petition or group fighting"),
    "CIVIL_TO_CRIMINAL": _l("May turn into a criminal case"),
    "IN_LITIGATION": _l("Involves litigation"),
    "ABNORMAL_DEATH": _l("Caused by an abnormal death"),
    "WAGES_5": _l("Wage dispute, 5 or more workers"),
    "INJURY_3": _l("Work-injury dispute, 3 or more people"),
    "AMOUNT_100K": _l("Amount 100,000 yuan or more"),
    "LAND_OWNERSHIP": _l("Ownership of land or forest"),
}

MAX_PARTIES = 20
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _choices(labels: dict, blank: Optional[str] = None) -> list[tuple[str, Any]]:
    return ([("", blank)] if blank is not None else []) + list(labels.items())


# --------------------------------------------------------------------------
# Filters: normalise before validation
# --------------------------------------------------------------------------

def clean_line(value: Optional[str]) -> str:
    """One line of free text: control characters dropped, full-width letters/digits folded, spaces
    collapsed (validation.normalize_text). Never raises."""
    return normalize_text(_CONTROL.sub("", value)) if value else ""


def clean_text(value: Optional[str]) -> str:
    """Multi-line free text: control characters (except newlines) dropped, lines tidied, outer
    blank lines removed. Never raises."""
    if not value:
        return ""
    lines = [normalize_text(line) for line in _CONTROL.sub("", value.replace("\r\n", "\n")).split("\n")]
    return "\n".join(lines).strip()


def clean_id(value: Optional[str]) -> str:
    """An ID number as typed: full-width → ASCII, all spaces removed, upper case. Never raises."""
    return "".join(fullwidth_to_ascii(_CONTROL.sub("", value)).split()).upper() if value else ""


def clean_phone(value: Optional[str]) -> str:
    """A phone as typed, normalised (validation.normalize_phone: +86, hyphens, spaces). Never raises."""
    return normalize_phone(_CONTROL.sub("", value)) if value else ""


def new_submission_key() -> str:
    """A fresh one-time key for the hidden ``submission_key`` field (43 URL-safe characters)."""
    return secrets.token_urlsafe(32)


# --------------------------------------------------------------------------
# Forms
# --------------------------------------------------------------------------

class MultiCheckboxField(SelectMultipleField):
    """A multi-select rendered as a list of check boxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CountField(IntegerField):
    """A whole number of people: full-width digits accepted; absurdly long input is an error, not an
    overflow in the range check."""

    def process_formdata(self, valuelist):
        if valuelist and len(valuelist[0].strip()) > 9:
            self.data = None
            raise ValueError(_l("Enter a number between 1 and 100000."))
        super().process_formdata(valuelist)


class PartyForm(Form):
    """One party row (domain.md 4.3). Blank rows are ignored; :meth:`check` validates the others."""

    side = SelectField(_l("Side"), choices=_choices(SIDE_LABELS), default=m.APPLICANT)
    party_type = SelectField(_l("Party type"), choices=_choices(PARTY_TYPE_LABELS), default=m.PERSON)
    name = StringField(_l("Name"), filters=[clean_line], validators=[Length(max=80)])
    phone = StringField(_l("Phone"), filters=[clean_phone], validators=[Length(max=20)],
                        render_kw={"type": "tel", "inputmode": "tel", "autocomplete": "off"})
    id_type = SelectField(_l("ID type"), choices=_choices(ID_TYPE_LABELS), default="RESIDENT_ID")
    id_number = StringField(_l("ID number"), filters=[clean_id], validators=[Length(max=40)],
                            render_kw={"autocomplete": "off", "spellcheck": "false"})
    sex = SelectField(_l("Sex"), choices=_choices(SEX_LABELS, blank="—"), default="")
    ethnicity = StringField(_l("Ethnicity"), filters=[clean_line], validators=[Length(max=20)],
                            render_kw={"placeholder": "汉族"})
    occupation = StringField(_l("Occupation or position"), filters=[clean_line], validators=[Length(max=60)])
    address = StringField(_l("Address or employer"), filters=[clean_line], validators=[Length(max=200)])
    legal_rep_name = StringField(_l("Legal representative"), filters=[clean_line], validators=[Length(max=40)])
    agent_name = StringField(_l("Agent"), filters=[clean_line], validators=[Length(max=40)])
    agent_relation = StringField(_l("Agent's relation"), filters=[clean_line], validators=[Length(max=40)])

    #: Filled by :meth:`check`: the Party column values, and a note when a 15-digit ID was upgraded.
    cleaned: Optional[dict[str, Any]] = None
    upgrade_note: Optional[str] = None

    DETAIL_FIELDS = ("side", "party_type", "id_type", "sex", "ethnicity", "occupation", "address",
                     "legal_rep_name", "agent_name", "agent_relation")

    def is_blank(self) -> bool:
        """True when nothing identifying was typed (name, phone, ID, address, agent all empty)."""
        return not any(getattr(self, name).data for name in
                       ("name", "phone", "id_number", "address", "occupation", "agent_name", "legal_rep_name"))

    def has_details(self) -> bool:
        """True when a field of the folded detail section holds a value or an error (open it)."""
        defaults = {"party_type": m.PERSON, "id_type": "RESIDENT_ID"}
        for name in self.DETAIL_FIELDS:
            field = getattr(self, name)
            if field.errors or (name != "side" and field.data and field.data != defaults.get(name)):
                return True
        return False

    def check(self, on: date) -> bool:
        """Validate a non-blank row and fill :attr:`cleaned`; errors go next to their fields.

        Rules: name required; phone per validation.validate_phone (domain.md 8.4); a resident ID
        per GB 11643-1999 (domain.md 8.1; legacy 15-digit numbers upgraded with a note), other ID
        types by length only; sex and age derived from a valid ID, a contradicting sex is an error.
        :param on: the date ages are computed at (the found date).
        """
        ok = True
        values: dict[str, Any] = {
            "side": self.side.data, "party_type": self.party_type.data, "name": self.name.data,
            "id_type": self.id_type.data, "ethnicity": self.ethnicity.data or None,
            "occupation": self.occupation.data or None, "address": self.address.data or None,
            "legal_rep_name": self.legal_rep_name.data or None, "agent_name": self.agent_name.data or None,
            "agent_relation": self.agent_relation.data or None, "sex": self.sex.data or None,
            "phone": None, "id_number": None, "id_upgraded_from": None, "birth_date": None, "age": None,
        }
        if not self.name.data:
            self.name.errors.append(_l("Enter the party's name."))
            ok = False
        if self.phone.data:
            try:
                values["phone"] = validate_phone(self.phone.data)
            except InvalidValue as error:
                self.phone.errors.append(error.message)
                ok = False
        number = self.id_number.data
        if number and self.id_type.data == "RESIDENT_ID":
            try:
                rid = parse_resident_id(number)
            except InvalidValue as error:
                self.id_number.errors.append(error.message)
                ok = False
            else:
                values.update(id_number=rid.number, id_upgraded_from=rid.upgraded_from, birth_date=rid.birth_date)
                values["age"] = rid.age_on(on) if on >= rid.birth_date else 0
                if self.sex.data and self.sex.data != rid.sex:
                    self.sex.errors.append(_l("The sex does not match the ID number (the ID says %(sex)s).",
                                              sex=SEX_LABELS[rid.sex]))
                    ok = False
                values["sex"] = rid.sex
                if rid.upgraded_from:
                    self.id_number.data = rid.number
                    self.upgrade_note = _l("Old 15-digit number %(old)s upgraded to 18 digits.",
                                           old=rid.upgraded_from)
        elif number:
            if len(number) < 4:
                self.id_number.errors.append(_l("The ID number is too short."))
                ok = False
            values["id_number"] = number
        self.cleaned = values if ok else None
        return ok


class IntakeForm(FlaskForm):
    """The registration form (排查登记 + 受理登记). Choices are set per user by the view."""

    submission_key = HiddenField()
    # Quick screening entry.
    location = SelectField(_l("Village / grid"), validators=[DataRequired(_l("Choose the village or grid."))],
                           default="")
    category = SelectField(_l("Category"), validators=[DataRequired(_l("Choose a category."))], default="")
    summary = TextAreaField(_l("What happened"), filters=[clean_text],
                            validators=[DataRequired(_l("Describe the dispute in a sentence.")), Length(max=4000)],
                            render_kw={"rows": 2})
    risk_level = RadioField(_l("Risk level"), default="GREEN")
    parties = FieldList(FormField(PartyForm), min_entries=1, max_entries=MAX_PARTIES)
    # Full registration (受理登记).
    title = StringField(_l("Title"), filters=[clean_line], validators=[Length(max=120)])
    found_date = StringField(_l("Date found"), filters=[clean_line], render_kw={"type": "date"})
    finder_name = StringField(_l("Found by"), filters=[clean_line], validators=[Length(max=40)])
    finder_force = SelectField(_l("Screening force"), default="")
    screening_method = SelectField(_l("Screening method"), default="")
    channel = SelectField(_l("Intake channel"), default="")
    source = SelectField(_l("Case source"), default="")
    campaign = SelectField(_l("Campaign"), default="")
    address = StringField(_l("Place"), filters=[clean_line], validators=[Length(max=200)])
    persons_involved = CountField(_l("Persons involved"), validators=[Opt(), NumberRange(min=1, max=100000)],
                                    render_kw={"inputmode": "numeric"})
    amount_involved = StringField(_l("Amount involved (yuan)"), filters=[clean_line], validators=[Length(max=40)],
                                  render_kw={"inputmode": "decimal"})
    wage_arrears = BooleanField(_l("Unpaid wages of migrant workers"))
    public_opinion_risk = BooleanField(_l("Risk of negative public opinion"))
    criminal_risk = BooleanField(_l("Risk of a public-order or criminal case"))
    major_flags = MultiCheckboxField(_l("Major criteria"), choices=_choices(MAJOR_FLAG_LABELS))
    measures = MultiCheckboxField(_l("Resolution measures"))
    claims = TextAreaField(_l("Parties' claims"), filters=[clean_text], validators=[Length(max=4000)],
                           render_kw={"rows": 3})

    MORE_FIELDS = ("title", "found_date", "finder_name", "finder_force", "screening_method", "channel", "source",
                   "campaign", "address", "persons_involved", "amount_involved", "wage_arrears",
                   "public_opinion_risk", "criminal_risk", "major_flags", "measures", "claims")

    #: Filled by :meth:`validate`.
    found: Optional[date] = None
    amount: Any = None
    parties_error: Optional[str] = None

    def more_has_errors(self) -> bool:
        """True when a field of the "more" section has an error (the section is then shown open)."""
        return any(getattr(self, name).errors for name in self.MORE_FIELDS)

    def validate(self, extra_validators=None) -> bool:
        """Field validators, then the found date (≤ today in Asia/Shanghai), the amount and every
        non-blank party row (at least one). Never raises on user input."""
        ok = super().validate(extra_validators)
        today = local_today()
        self.found = today
        if self.found_date.data:
            try:
                self.found = parse_cn_date(self.found_date.data)
            except InvalidValue as error:
                self.found_date.errors.append(error.message)
                ok, self.found = False, today
            else:
                if self.found > today:
                    self.found_date.errors.append(_l("The date found cannot be in the future."))
                    ok, self.found = False, today
                elif self.found < date(2000, 1, 1):
                    self.found_date.errors.append(_l("Enter a date after 1 January 2000."))
                    ok, self.found = False, today
                else:
                    self.found_date.data = self.found.isoformat()
        self.amount = None
        if self.amount_involved.data:
            try:
                self.amount = parse_amount(self.amount_involved.data)
            except InvalidValue as error:
                self.amount_involved.errors.append(error.message)
                ok = False
        rows = [entry.form for entry in self.parties if not entry.form.is_blank()]
        if not rows:
            self.parties_error = _l("Enter at least one party.")
            ok = False
        for row in rows:
            ok = row.check(self.found) and ok
        return ok

    def party_values(self) -> list[dict[str, Any]]:
        """The cleaned Party values of the non-blank rows, in form order (after :meth:`validate`)."""
        return [entry.form.cleaned for entry in self.parties if entry.form.cleaned is not None]

    def upgrade_notes(self) -> list[str]:
        """One line per party whose 15-digit ID was upgraded, e.g. for the timeline event note."""
        return [f"{entry.form.name.data}: {entry.form.upgrade_note}"
                for entry in self.parties if entry.form.upgrade_note]

    def ensure_submission_key(self) -> str:
        """Keep a well-formed submission key, or replace a missing or tampered one with a new key."""
        if not (self.submission_key.data and _KEY.match(self.submission_key.data)):
            self.submission_key.data = new_submission_key()
        return self.submission_key.data


def suggest_title(parties: list[dict[str, Any]], category_label: str) -> str:
    """The default title "张某与李某邻里纠纷": first applicant and first respondent as surname + 某
    (validation.mask_name_for_report), then the category label. Takes cleaned party values."""
    def first(side: str) -> Optional[str]:
        names = [p["name"] for p in parties if p["side"] == side]
        if not names:
            return None
        return mask_name_for_report(names[0]) + ("等" if len(names) > 1 else "")

    applicant, respondent = first(m.APPLICANT), first(m.RESPONDENT)
    if not applicant:
        applicant, respondent = respondent or first(m.THIRD) or "", None
    who = f"{applicant}与{respondent}" if respondent else applicant
    return f"{who}{category_label}"[:120]
