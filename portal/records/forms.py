"""Forms of the records feature (Flask-WTF). Invalid input re-renders the form with status 422 and
every value kept; messages sit next to their fields (docs/architecture.md, Forms)."""
from __future__ import annotations

import re
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.models.records import ATTACHMENT_KINDS, JC_RESULTS, PERFORMANCE_STATUSES, SATISFACTION, VISIT_METHODS
from portal.records.services import RecordError, validate_performance
from portal.timeutil import parse_local_datetime
from portal.validation import InvalidValue, normalize_text, parse_cn_date

REQUIRED = _l("This field is required.")

NOTICE_METHOD_LABELS = {"ORAL": _l("Orally"), "WRITTEN": _l("In writing")}
VISIT_METHOD_LABELS = {"VISIT": _l("Home visit"), "PHONE": _l("Phone"), "WECHAT": _l("WeChat")}
SATISFACTION_LABELS = {"SATISFIED": _l("Satisfied"), "FAIRLY": _l("Fairly satisfied"),
                       "UNSATISFIED": _l("Not satisfied")}
PERFORMANCE_LABELS = {"PENDING": _l("Not yet due"), "PERFORMED_IMMEDIATE": _l("Performed on the spot"),
                      "PERFORMED": _l("Fully performed"), "PARTIAL": _l("Partly performed"),
                      "NOT_PERFORMED": _l("Not performed"), "JUDICIALLY_CONFIRMED": _l("Judicially confirmed"),
                      "IN_LITIGATION": _l("Taken to court")}
JC_RESULT_LABELS = {"NOT_APPLIED": _l("Not applied"), "APPLIED": _l("Applied, pending"),
                    "CONFIRMED_VALID": _l("Confirmed valid"), "DISMISSED": _l("Dismissed"),
                    "NOT_ACCEPTED": _l("Not accepted by the court")}
ATTACHMENT_KIND_LABELS = {"SIGNED_AGREEMENT": _l("Signed agreement (scan)"), "ID_PROOF": _l("Identity proof"),
                          "POWER_OF_ATTORNEY": _l("Power of attorney"), "EVIDENCE": _l("Evidence"),
                          "PERFORMANCE_RECEIPT": _l("Receipt / transfer slip"), "PHOTO": _l("Photo"),
                          "JUDICIAL": _l("Judicial-confirmation papers"), "OTHER": _l("Other")}


class CnDateField(StringField):
    """A date typed as 2026-03-01 (the browser's date picker) or any Chinese form parse_cn_date
    accepts; ``data`` is a ``date``. The raw input is kept when it is invalid."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("render_kw", {"type": "date"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        self.raw = valuelist[0].strip() if valuelist else ""
        if not self.raw:
            self.data = None
            return
        try:
            self.data = parse_cn_date(self.raw)
        except InvalidValue as exc:
            self.data = None
            raise ValueError(str(exc.message)) from None

    def _value(self):
        if getattr(self, "raw", None) is not None and (self.errors or self.data is None):
            return self.raw
        return self.data.isoformat() if isinstance(self.data, date) else ""


class LocalDateTimeField(StringField):
    """A ``datetime-local`` input in Shanghai time; ``data`` is an aware UTC datetime."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("render_kw", {"type": "datetime-local"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        self.raw = valuelist[0].strip() if valuelist else ""
        if not self.raw:
            self.data = None
            return
        try:
            self.data = parse_local_datetime(self.raw)
        except ValueError:
            self.data = None
            raise ValueError(str(_l("Enter a date and time such as 2026-03-01 09:30."))) from None

    def _value(self):
        from portal.records.services import datetime_local_value
        if getattr(self, "raw", None) is not None and (self.errors or self.data is None):
            return self.raw
        return datetime_local_value(self.data) if isinstance(self.data, datetime) else ""


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes for one list value (names of parties or mediators)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        values = {str(value) for value, _label in self.choices or []}
        for item in self.data or []:
            if item not in values:
                raise ValidationError(_l("Choose from the list."))


class AtLeastOne:
    """Validator for checkbox lists: at least one box ticked. Sets no ``required`` flag, so the
    browser does not demand that every checkbox be ticked."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if not field.data:
            raise ValidationError(self.message)


def _names_list(text: str | None) -> list[str]:
    return [part for part in (normalize_text(p) for p in re.split(r"[、，,;；\n]+", text or "")) if part]


def _text(field_label, *, required=True, max_len=None, **kwargs):
    validators = [InputRequired(REQUIRED)] if required else [Optional()]
    if max_len:
        validators.append(Length(max=max_len))
    return StringField(field_label, validators=validators, filters=[lambda v: normalize_text(v) if v else v],
                       **kwargs)


def _area(field_label, *, required=True, **kwargs):
    validators = [InputRequired(REQUIRED)] if required else [Optional()]
    return TextAreaField(field_label, validators=validators, filters=[lambda v: v.strip() if v else v], **kwargs)


class RecordForm(FlaskForm):
    """Base: ``add_error(RecordError)`` puts a service error next to its field (or on the form)."""

    def add_error(self, error: RecordError) -> None:
        field = getattr(self, error.field, None) if error.field else None
        if field is not None:
            field.errors = list(field.errors) + [str(error.message)]
        else:
            self.form_errors.append(str(error.message))

    @property
    def all_errors(self):
        return bool(self.errors or self.form_errors)


class NoticeForm(RecordForm):
    """The rights-and-duties notice as given (告知, 2002 规定 第三十条)."""

    method = RadioField(_l("How it was given"), choices=list(NOTICE_METHOD_LABELS.items()),
                        validators=[InputRequired(REQUIRED)], default="WRITTEN")
    given_on = CnDateField(_l("Date given"), validators=[InputRequired(REQUIRED)])
    parties = MultiCheckboxField(_l("Parties told"), validators=[AtLeastOne(_l("Choose at least one party."))])
    given_by = _text(_l("Told by"), max_len=40)
    note = _area(_l("Note"), required=False)

    def values(self) -> dict:
        return {"method": self.method.data, "given_on": self.given_on.data, "parties": self.parties.data,
                "given_by": self.given_by.data, "note": self.note.data or None}


class InvestigationForm(RecordForm):
    """An investigation record (调查记录, domain.md 4.5)."""

    held_at = LocalDateTimeField(_l("Time"), validators=[InputRequired(REQUIRED)])
    place = _text(_l("Place"), max_len=120)
    investigators = _text(_l("Investigators"), max_len=200, description=_l("Separate names with 、"))
    interviewee = _text(_l("Person interviewed"), max_len=80)
    participants = _text(_l("Others present"), required=False, max_len=200)
    recorder = _text(_l("Recorder"), max_len=40)
    content = _area(_l("Record (questions and answers)"), render_kw={"rows": 8})

    def values(self) -> dict:
        return {"held_at": self.held_at.data, "place": self.place.data,
                "investigators": _names_list(self.investigators.data), "interviewee": self.interviewee.data,
                "participants": self.participants.data or None, "recorder": self.recorder.data,
                "content": self.content.data}


class SessionForm(RecordForm):
    """A mediation session and its minutes (调解记录, domain.md 4.6). A simplified mediation
    (简易调解) needs only the time, the matters and the result."""

    held_at = LocalDateTimeField(_l("Time"), validators=[InputRequired(REQUIRED)])
    simplified = BooleanField(_l("Simplified mediation (only the matters and the result are recorded)"))
    place = _text(_l("Place"), required=False, max_len=120)
    subject = _area(_l("Matters mediated"), render_kw={"rows": 2})
    parties_present = MultiCheckboxField(_l("Parties present"))
    participants = _text(_l("Invited participants (relatives, neighbours, experts …)"), required=False, max_len=200)
    mediators = MultiCheckboxField(_l("Mediators"))
    recorder = _text(_l("Recorder"), required=False, max_len=40)
    content = _area(_l("Record of the session"), required=False, render_kw={"rows": 8})
    result = _area(_l("Result"), render_kw={"rows": 2})
    read_back = BooleanField(_l("The record was read back to the parties before they signed"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not self.simplified.data:
            for field, message in ((self.place, REQUIRED), (self.recorder, REQUIRED), (self.content, REQUIRED),
                                   (self.parties_present, _l("Choose the parties present.")),
                                   (self.mediators, _l("Choose at least one mediator."))):
                if not field.data:
                    field.errors = list(field.errors) + [str(message)]
                    ok = False
        return ok

    def values(self) -> dict:
        return {"held_at": self.held_at.data, "simplified": self.simplified.data, "place": self.place.data or None,
                "subject": self.subject.data, "parties_present": self.parties_present.data or [],
                "participants": self.participants.data or None, "mediators": self.mediators.data or [],
                "recorder": self.recorder.data or None, "content": self.content.data or None,
                "result": self.result.data, "read_back": self.read_back.data}


def split_terms(text: str | None) -> list[str]:
    """One term per non-empty line, leading numbering (一、 1. （1） 1、) removed."""
    terms = []
    for line in (text or "").splitlines():
        line = re.sub(r"^\s*(（?[一二三四五六七八九十\d]+[）、.．)]\s*)", "", line).strip()
        if line:
            terms.append(line)
    return terms


class AgreementForm(RecordForm):
    """The written agreement (人民调解协议书, 人民调解法 第二十九条; domain.md 4.7)."""

    facts = _area(_l("Main facts and disputed matters"), render_kw={"rows": 5})
    terms = _area(_l("Terms (one per line; numbered automatically)"), render_kw={"rows": 5})
    performance = _area(_l("Manner and time limit of performance"), render_kw={"rows": 2},
                        description=_l("How and by when, e.g. 张三于2026年3月31日前一次性现金支付李四5000元"))
    copies = IntegerField(_l("Copies"), validators=[InputRequired(REQUIRED), NumberRange(min=2, max=20)])
    mediators = MultiCheckboxField(_l("Mediators"), validators=[AtLeastOne(_l("Choose at least one mediator."))])
    recorder = _text(_l("Recorder"), max_len=40)
    signed_date = CnDateField(_l("Signing date"), description=_l("Fill in once the parties have signed."))

    def __init__(self, *args, party_count: int = 2, **kwargs):
        super().__init__(*args, **kwargs)
        self.party_count = party_count

    def validate_terms(self, field):
        if not split_terms(field.data):
            raise ValidationError(_l("Write at least one term."))

    def validate_performance(self, field):
        try:
            validate_performance(field.data)
        except RecordError as exc:
            raise ValidationError(str(exc.message)) from None

    def validate_copies(self, field):
        if field.data is not None and field.data < self.party_count + 1:
            raise ValidationError(_l("At least %(n)d copies: one per party and one for the committee.",
                                     n=self.party_count + 1))

    def values(self) -> dict:
        return {"facts": self.facts.data, "terms": split_terms(self.terms.data),
                "performance": self.performance.data.strip(), "copies": self.copies.data,
                "mediators": self.mediators.data, "recorder": self.recorder.data,
                "signed_date": self.signed_date.data}


class EffectiveForm(RecordForm):
    """Mark the agreement effective: the date of the last signature or seal (第二十九条)."""

    effective_date = CnDateField(_l("Effective date (last signature or seal)"), validators=[InputRequired(REQUIRED)])


class OralAgreementForm(RecordForm):
    """Registration of an oral agreement (口头协议登记表, 人民调解法 第二十八条、第三十条)."""

    facts = _area(_l("Brief facts of the dispute"), render_kw={"rows": 3})
    content = _area(_l("Content of the oral agreement"), render_kw={"rows": 3})
    performance = _area(_l("Manner and time limit of performance"), render_kw={"rows": 2})
    agreed_date = CnDateField(_l("Date agreed (= effective date)"), validators=[InputRequired(REQUIRED)])
    mediators = MultiCheckboxField(_l("Mediators"), validators=[AtLeastOne(_l("Choose at least one mediator."))])
    registrar = _text(_l("Registered by"), max_len=40)

    def validate_performance(self, field):
        try:
            validate_performance(field.data)
        except RecordError as exc:
            raise ValidationError(str(exc.message)) from None

    def values(self) -> dict:
        return {"facts": self.facts.data, "content": self.content.data, "performance": self.performance.data,
                "agreed_date": self.agreed_date.data, "mediators": self.mediators.data,
                "registrar": self.registrar.data}


class FollowUpForm(RecordForm):
    """A follow-up visit (回访, 人民调解法 第三十一条; domain.md 4.9)."""

    visited = MultiCheckboxField(_l("Parties visited"), validators=[AtLeastOne(_l("Choose at least one party."))])
    visited_at = LocalDateTimeField(_l("Time of the visit"), validators=[InputRequired(REQUIRED)])
    method = SelectField(_l("How"), choices=[(k, VISIT_METHOD_LABELS[k]) for k in VISIT_METHODS],
                         validators=[InputRequired(REQUIRED)])
    performance_status = SelectField(_l("Performance"), choices=[(k, PERFORMANCE_LABELS[k])
                                                                 for k in PERFORMANCE_STATUSES],
                                     validators=[InputRequired(REQUIRED)])
    satisfaction = SelectField(_l("Satisfaction"), default="", choices=[("", "—")] + [
        (k, SATISFACTION_LABELS[k]) for k in SATISFACTION])
    findings = _area(_l("Findings (performance, court cases, risks, measures taken)"), render_kw={"rows": 4})
    visitor = _text(_l("Visited by"), max_len=40)

    def values(self) -> dict:
        return {"visited": self.visited.data, "visited_at": self.visited_at.data, "method": self.method.data,
                "performance_status": self.performance_status.data, "satisfaction": self.satisfaction.data or None,
                "findings": self.findings.data, "visitor": self.visitor.data}


class ConfirmationForm(RecordForm):
    """Judicial confirmation tracking (司法确认, 人民调解法 第三十三条; domain.md 4.11)."""

    jointly_applied = BooleanField(_l("Both parties applied jointly"), default=True)
    court_name = _text(_l("Court"), max_len=80)
    applied_date = CnDateField(_l("Application date"), validators=[InputRequired(REQUIRED)])
    court_case_no = _text(_l("Court case number (调确字)"), required=False, max_len=60)
    result = SelectField(_l("Result"), choices=[(k, JC_RESULT_LABELS[k]) for k in JC_RESULTS if k != "NOT_APPLIED"])
    ruling_date = CnDateField(_l("Ruling date"))

    def values(self) -> dict:
        return {"jointly_applied": self.jointly_applied.data, "court_name": self.court_name.data,
                "applied_date": self.applied_date.data, "court_case_no": self.court_case_no.data or None,
                "result": self.result.data, "ruling_date": self.ruling_date.data}


class UploadForm(RecordForm):
    """Upload a signed scan or evidence (PDF, JPEG, PNG; type checked from the content)."""

    kind = SelectField(_l("Kind"), choices=[(k, ATTACHMENT_KIND_LABELS[k]) for k in ATTACHMENT_KINDS],
                       validators=[InputRequired(REQUIRED)])
    title = _text(_l("Description"), required=False, max_len=120)
    file = FileField(_l("File (PDF, JPEG or PNG)"))

    def validate_file(self, field):
        if not field.data or not getattr(field.data, "filename", None):
            raise ValidationError(_l("Choose a file."))


class PrintForm(RecordForm):
    """Final print: number of copies, and the confirmation needed when characters cannot print."""

    copies = IntegerField(_l("Copies"), default=1, validators=[InputRequired(REQUIRED), NumberRange(min=1, max=30)])
    confirm_unprintable = BooleanField(_l("I will write the characters that cannot print by hand"))
