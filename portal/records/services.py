"""Write operations and rules for mediation records (they flush, the view commits once).

Rules implemented here, with their sources:

* the rights-and-duties notice precedes the first session (2002 规定 第三十条);
* record dates are ordered found ≤ accepted ≤ notice/sessions ≤ agreement ≤ follow-ups and never in
  the future (domain.md 8.2);
* a written agreement goes DRAFT → PRINTED → SIGNED_SCAN_ATTACHED → EFFECTIVE and can only become
  effective when domain.md 8.3 holds and the signed scan is attached (人民调解法 第二十九条);
* the judicial-confirmation window is 30 days from the effective date (人民调解法 第三十三条);
* uploads are typed from their content, size-limited and stored under ``UPLOAD_FOLDER``.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Optional

import filetype
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select

from portal.extensions import db
from portal.models.dispute import Dispute
from portal.models.records import (AG_DRAFT, AG_EFFECTIVE, AG_PRINTED, AG_SCANNED, Agreement, Attachment,
                                   FollowUp, Investigation, JudicialConfirmation, MediationSession,
                                   OralAgreement, PrintLog, RightsNotice)
from portal.models.user import User
from portal.timeutil import local_date_of, local_today
from portal.validation import InvalidValue

#: Days after the effective date within which both parties may apply for judicial confirmation
#: (人民调解法 第三十三条; 民事诉讼法 第二百零五条).
JUDICIAL_CONFIRMATION_DAYS = 30
#: Upload types accepted, detected from the file content (domain.md 4.13).
ALLOWED_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024

# Statuses in which records may still be added (closed, archived or voided cases are read-only).
READ_ONLY_STATUSES = ("CLOSED", "ARCHIVED", "VOIDED")


class RecordError(InvalidValue):
    """A record cannot be saved or an agreement step is not allowed; ``field`` names the form field."""

    def __init__(self, message, field: Optional[str] = None, code: str = "record"):
        super().__init__(message, code)
        self.field = field


# ---------------------------------------------------------------------------------------------
# Workflow hooks (portal/disputes/workflow.py, owned by the disputes feature)
# ---------------------------------------------------------------------------------------------

def _workflow(name: str):
    """Return ``portal.disputes.workflow.<name>`` or None while that module does not provide it."""
    try:
        from portal.disputes import workflow
    except ImportError:
        return None
    return getattr(workflow, name, None)


def _workflow_errors() -> tuple[type[Exception], ...]:
    """The exceptions by which the workflow refuses a transition (TransitionError, NotPermitted)."""
    found = tuple(cls for cls in (_workflow("TransitionError"), _workflow("NotPermitted")) if cls is not None)
    return found + (ValueError,)


def notify_agreed(dispute: Dispute, form: str, user: User, on: date) -> None:
    """Tell the case workflow that the parties agreed (``form`` = ``WRITTEN`` or ``ORAL``).

    Calls ``workflow.mark_agreed(dispute, form, user, on)`` when the dispute is MEDIATING (cases in
    other states keep their status). Raises :class:`RecordError` with the workflow's message when
    it refuses.
    """
    hook = _workflow("mark_agreed")
    if hook is None or dispute.status != "MEDIATING":
        return
    try:
        hook(dispute, form, user, on)
    except _workflow_errors() as exc:
        raise RecordError(getattr(exc, "message", None) or str(exc) or _l("Not allowed.")) from exc


def notify_effective(dispute: Dispute, user: User, on: date) -> None:
    """Tell the case workflow that the written agreement took effect on ``on``.

    Calls ``workflow.mark_agreement_effective(dispute, user, on)`` when the case waits for the
    signatures (AGREED_PENDING_SIGNATURE); raises :class:`RecordError` when the workflow refuses.
    """
    hook = _workflow("mark_agreement_effective")
    if hook is None or dispute.status != "AGREED_PENDING_SIGNATURE":
        return
    try:
        hook(dispute, user, on)
    except _workflow_errors() as exc:
        raise RecordError(getattr(exc, "message", None) or str(exc) or _l("Not allowed.")) from exc


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------

#: The record lists of :func:`records_of`: key → (model, order of the list).
RECORD_LISTS = {
    "notices": (RightsNotice, (RightsNotice.given_on, RightsNotice.id)),
    "investigations": (Investigation, (Investigation.held_at, Investigation.id)),
    "sessions": (MediationSession, (MediationSession.held_at, MediationSession.id)),
    "agreements": (Agreement, (Agreement.id,)),
    "oral_agreements": (OralAgreement, (OralAgreement.agreed_date, OralAgreement.id)),
    "follow_ups": (FollowUp, (FollowUp.visited_at, FollowUp.id)),
    "confirmations": (JudicialConfirmation, (JudicialConfirmation.id,)),
    "attachments": (Attachment, (Attachment.id,)),
    "prints": (PrintLog, (PrintLog.id.desc(),)),
}
#: Rows of the print log shown (newest first).
PRINTS_SHOWN = 10

# The statements of records_of, built once (SQLAlchemy then reuses their cache keys and compiled
# forms): which kinds the case has (EXISTS per table, on the dispute_id indexes), and each list.
_PRESENT = select(*(select(model.id).where(model.dispute_id == bindparam("dispute_id")).exists().label(key)
                    for key, (model, _order) in RECORD_LISTS.items()))
_LISTS = {key: select(model).where(model.dispute_id == bindparam("dispute_id")).order_by(*order)
          for key, (model, order) in RECORD_LISTS.items()}
_LISTS["prints"] = _LISTS["prints"].limit(PRINTS_SHOWN)


def records_of(dispute: Dispute) -> dict[str, Any]:
    """All records of ``dispute`` for the panel and the documents.

    Returns a dict with lists ``notices``, ``investigations``, ``sessions``, ``oral_agreements``,
    ``follow_ups``, ``attachments``, ``prints`` (the last :data:`PRINTS_SHOWN`, newest first),
    ``confirmations`` and the current written ``agreement`` (or None).

    One statement asks which kinds of record the case has; only those lists are then loaded, one
    statement each. A case without records costs one statement, a full one at most ten, however
    many rows it has.
    """
    params = {"dispute_id": dispute.id}
    present = db.session.execute(_PRESENT, params).one()
    lists: dict[str, Any] = {key: list(db.session.scalars(_LISTS[key], params)) if has_rows else []
                             for key, has_rows in zip(RECORD_LISTS, present)}
    agreements = lists.pop("agreements")
    lists["agreement"] = agreements[-1] if agreements else None
    return lists


def get_record_or_404(model, record_id: int, dispute: Dispute):
    """Load ``model`` row ``record_id`` belonging to ``dispute`` (already scoped) or abort 404."""
    from flask import abort
    row = db.session.get(model, record_id)
    if row is None or row.dispute_id != dispute.id:
        abort(404)
    return row


def is_editable(dispute: Dispute) -> bool:
    """True when records may still be added to ``dispute`` (not closed, archived or voided)."""
    return dispute.status not in READ_ONLY_STATUSES


# ---------------------------------------------------------------------------------------------
# Dates (domain.md 8.2)
# ---------------------------------------------------------------------------------------------

def _start_date(dispute: Dispute) -> date:
    return dispute.accepted_date or dispute.found_date


def check_date(dispute: Dispute, value: date, field: str, *, not_before: Optional[date] = None,
               not_before_label=None) -> date:
    """Check a record date: not in the future, not before acceptance (or discovery) nor ``not_before``.

    Returns ``value``. Raises :class:`RecordError` on ``field`` (domain.md 8.2 ordering).
    """
    if value > local_today():
        raise RecordError(_l("The date cannot be in the future."), field)
    start = _start_date(dispute)
    if start and value < start:
        raise RecordError(_l("The date is before the case was accepted (%(date)s).", date=start.isoformat()),
                          field)
    if not_before and value < not_before:
        raise RecordError(not_before_label or _l("The date is out of order."), field)
    return value


def last_session_date(dispute: Dispute) -> Optional[date]:
    """The local date of the latest mediation session of ``dispute`` (None without sessions)."""
    latest = db.session.scalar(select(func.max(MediationSession.held_at))
                               .where(MediationSession.dispute_id == dispute.id))
    return local_date_of(latest) if latest else None


def first_notice_date(dispute: Dispute) -> Optional[date]:
    """The date the rights-and-duties notice was first given (None if never)."""
    return db.session.scalar(select(func.min(RightsNotice.given_on)).where(RightsNotice.dispute_id == dispute.id))


# ---------------------------------------------------------------------------------------------
# Parties
# ---------------------------------------------------------------------------------------------

SNAPSHOT_FIELDS = ("side", "party_type", "name", "sex", "ethnicity", "age", "occupation", "phone", "address",
                   "id_type", "id_number", "legal_rep_name")


def snapshot_parties(dispute: Dispute) -> list[dict[str, Any]]:
    """The party blocks of ``dispute`` as plain dicts (for an agreement or oral registration).

    Agreements keep this snapshot so the signed paper and the record agree even if a party is
    edited later (domain.md 4.7).
    """
    return [{name: getattr(party, name) for name in SNAPSHOT_FIELDS} for party in dispute.parties]


def party_names(dispute: Dispute) -> list[str]:
    """Names of the parties in their display order."""
    return [party.name for party in dispute.parties]


# ---------------------------------------------------------------------------------------------
# Notice, investigation, sessions, oral agreements, follow-ups
# ---------------------------------------------------------------------------------------------

def _require_accepted(dispute: Dispute) -> None:
    if not dispute.accepted_date:
        raise RecordError(_l("Accept the case before recording mediation work."))
    if not is_editable(dispute):
        raise RecordError(_l("This case is closed; its records can no longer be changed."))


def add_notice(dispute: Dispute, user: User, values: dict[str, Any]) -> RightsNotice:
    """Record that the rights-and-duties notice was given (2002 规定 第三十条). Flushes."""
    _require_accepted(dispute)
    check_date(dispute, values["given_on"], "given_on")
    notice = RightsNotice(dispute_id=dispute.id, created_by_id=user.id, **values)
    db.session.add(notice)
    db.session.flush()
    return notice


def add_investigation(dispute: Dispute, user: User, values: dict[str, Any]) -> Investigation:
    """Add an investigation record (domain.md 4.5). Raises RecordError on bad dates. Flushes."""
    _require_accepted(dispute)
    check_date(dispute, local_date_of(values["held_at"]), "held_at")
    row = Investigation(dispute_id=dispute.id, created_by_id=user.id, **values)
    db.session.add(row)
    db.session.flush()
    return row


def add_session(dispute: Dispute, user: User, values: dict[str, Any]) -> MediationSession:
    """Add a mediation session with its minutes (domain.md 4.6; 人民调解法 第二十七条).

    Raises :class:`RecordError` when no rights-and-duties notice was given on or before the
    session's date (2002 规定 第三十条), or when the date is out of order. Flushes.
    """
    _require_accepted(dispute)
    day = check_date(dispute, local_date_of(values["held_at"]), "held_at")
    notice = first_notice_date(dispute)
    if notice is None or notice > day:
        raise RecordError(_l("Record the rights-and-duties notice before the first session (it must be "
                             "given to the parties before mediation starts)."), "held_at")
    count = db.session.scalar(select(func.count(MediationSession.id))
                              .where(MediationSession.dispute_id == dispute.id)) or 0
    row = MediationSession(dispute_id=dispute.id, created_by_id=user.id, session_no=count + 1, **values)
    db.session.add(row)
    db.session.flush()
    return row


def add_oral_agreement(dispute: Dispute, user: User, values: dict[str, Any]) -> OralAgreement:
    """Register an oral agreement (人民调解法 第二十八条); its date is the effective date (第三十条).

    Tells the workflow the parties agreed (form ORAL). Flushes.
    """
    _require_accepted(dispute)
    check_date(dispute, values["agreed_date"], "agreed_date", not_before=last_session_date(dispute),
               not_before_label=_l("The agreement date is before the last mediation session."))
    row = OralAgreement(dispute_id=dispute.id, created_by_id=user.id, parties=snapshot_parties(dispute), **values)
    db.session.add(row)
    db.session.flush()
    notify_agreed(dispute, "ORAL", user, row.agreed_date)
    return row


def agreement_reference_date(dispute: Dispute) -> Optional[date]:
    """The date follow-ups must not precede: the written agreement's effective/signing date or the
    latest oral agreement's date (domain.md 8.2)."""
    agreement = current_agreement(dispute)
    dates = []
    if agreement and (agreement.effective_date or agreement.signed_date):
        dates.append(agreement.effective_date or agreement.signed_date)
    oral = db.session.scalar(select(func.max(OralAgreement.agreed_date)).where(OralAgreement.dispute_id == dispute.id))
    if oral:
        dates.append(oral)
    return min(dates) if dates else None


def add_follow_up(dispute: Dispute, user: User, values: dict[str, Any]) -> FollowUp:
    """Add a follow-up visit (人民调解法 第三十一条). Not before the agreement. Flushes."""
    if not dispute.accepted_date:
        raise RecordError(_l("Accept the case before recording mediation work."))
    check_date(dispute, local_date_of(values["visited_at"]), "visited_at",
               not_before=agreement_reference_date(dispute),
               not_before_label=_l("A follow-up visit cannot be before the agreement was reached."))
    row = FollowUp(dispute_id=dispute.id, created_by_id=user.id, **values)
    db.session.add(row)
    db.session.flush()
    return row


# ---------------------------------------------------------------------------------------------
# Written agreement (人民调解法 第二十九条; domain.md 4.7, 8.3)
# ---------------------------------------------------------------------------------------------

_CN_NUM = "〇零一二三四五六七八九十百两半"
_DATE_RE = re.compile(r"(\d{4}\s*[年./-]\s*\d{1,2}\s*[月./-]\s*\d{1,2}|\d{1,2}\s*月\s*\d{1,2}\s*[日号]"
                      r"|[〇零一二三四五六七八九]{4}年[一二三四五六七八九十]{1,3}月[一二三四五六七八九十廿卅]{1,3}[日号])")
_PERIOD_RE = re.compile(rf"([\d{_CN_NUM}]+\s*(个)?\s*(日|天|周|星期|个?月|年|小时)(之|以)?内"
                        rf"|[\d{_CN_NUM}]+\s*(个)?\s*(工作日|日|天|周|个月)\s*(前|内|之内|以内)"
                        r"|当场|当即|即时|立即|签字之日|协议生效之日|签订之日)")
_PLACE_RE = re.compile(r"(在|于|地点|村委会|调委会|住所|家中|现场|银行|转账|汇款|微信|支付宝)")


def time_limit_in(text: str) -> bool:
    """True when ``text`` states a time limit: a date (2026年3月31日, 3月31日, 2026-03-31) or a
    period (十日内, 30天内, 3个月内, 当场). 人民调解法 第二十九条 (manner and time limit)."""
    return bool(_DATE_RE.search(text or "") or _PERIOD_RE.search(text or ""))


def validate_performance(text: str) -> str:
    """Validate the 履行方式、时限 text: it must state a manner and a time limit.

    Returns the stripped text. Raises :class:`RecordError` (field ``performance``) when no date or
    period is found, or when nothing but the time limit is written (no manner).
    人民调解法 第二十九条; domain.md 8.3.
    """
    text = (text or "").strip()
    if not time_limit_in(text):
        raise RecordError(_l("State the time limit of performance: a date (e.g. 2026年3月31日前) or a period "
                             "(e.g. 签字后十日内, 当场)."), "performance")
    rest = _PERIOD_RE.sub("", _DATE_RE.sub("", text))
    if len(re.sub(r"[\s，。、,.;；:：前内]", "", rest)) < 2:
        raise RecordError(_l("State the manner of performance too (e.g. 一次性现金支付, 银行转账)."), "performance")
    return text


def current_agreement(dispute: Dispute) -> Optional[Agreement]:
    """The latest written agreement of ``dispute`` (None if none)."""
    return db.session.scalar(select(Agreement).where(Agreement.dispute_id == dispute.id)
                             .order_by(Agreement.id.desc()).limit(1))


def signature_items(agreement: Agreement) -> list[tuple[str, str]]:
    """The signature checklist of ``agreement``: ``[(key, label)]`` for every party, every mediator,
    the recorder and the committee seal (人民调解法 第二十九条)."""
    items = [(f"party:{i}", f"当事人 {p.get('name', '')}") for i, p in enumerate(agreement.parties)]
    items += [(f"mediator:{i}", f"人民调解员 {name}") for i, name in enumerate(agreement.mediators)]
    items.append(("recorder", f"记录人 {agreement.recorder or ''}".strip()))
    items.append(("seal", "人民调解委员会印章"))
    return items


def save_agreement(dispute: Dispute, user: User, values: dict[str, Any]) -> Agreement:
    """Create or update the written agreement of ``dispute`` from validated form ``values``.

    ``values``: facts, terms (list of str), performance, copies, mediators (list of names), recorder,
    signed_date (date or None). Only DRAFT and PRINTED agreements can change; changing a PRINTED one
    makes it a DRAFT again with the next revision and a cleared signature checklist (the printed
    paper no longer matches). The party blocks are snapshotted again while the agreement is a draft.
    Raises :class:`RecordError`. Flushes.
    """
    _require_accepted(dispute)
    agreement = current_agreement(dispute)
    if agreement is not None and agreement.status not in (AG_DRAFT, AG_PRINTED):
        raise RecordError(_l("The signed agreement can no longer be changed."))
    if values.get("signed_date"):
        check_date(dispute, values["signed_date"], "signed_date", not_before=last_session_date(dispute),
                   not_before_label=_l("The signing date is before the last mediation session."))
    if agreement is None:
        agreement = Agreement(dispute_id=dispute.id, created_by_id=user.id, status=AG_DRAFT, revision=1,
                              agreement_no=dispute.case_no or "", signatures={})
        db.session.add(agreement)
    else:
        changed = any(getattr(agreement, key) != value for key, value in values.items())
        if agreement.status == AG_PRINTED and changed:
            agreement.status = AG_DRAFT
            agreement.revision += 1
            agreement.signatures = {}
        elif agreement.status == AG_DRAFT and changed:
            agreement.revision += 1
    for key, value in values.items():
        setattr(agreement, key, value)
    if agreement.status == AG_DRAFT:
        agreement.parties = snapshot_parties(dispute)
        agreement.agreement_no = dispute.case_no or ""
    db.session.flush()
    return agreement


def agreement_blockers(agreement: Agreement, *, require_scan: bool = True,
                       attachments: Optional[list[Attachment]] = None) -> list[str]:
    """What stops ``agreement`` from taking effect (domain.md 8.3; 人民调解法 第二十九条).

    Returns a list of translated messages, empty when the agreement may be marked effective:
    ≥ 2 parties each with name, ID and address; facts; ≥ 1 term; performance manner and time limit;
    copies ≥ parties + 1; a signing date; every signature and the seal ticked; the signed scan
    attached (``require_scan``; looked up in ``attachments`` when given, see :func:`signed_scan`).
    """
    problems: list[str] = []
    parties = agreement.parties or []
    if len(parties) < 2:
        problems.append(str(_l("An agreement needs at least two parties.")))
    for party in parties:
        missing = [label for key, label in (("name", _l("name")), ("id_number", _l("ID number")),
                                            ("address", _l("address"))) if not (party.get(key) or "").strip()]
        if missing:
            problems.append(str(_l("Party %(name)s: missing %(fields)s.", name=party.get("name") or "?",
                                   fields="、".join(str(m) for m in missing))))
    if not (agreement.facts or "").strip():
        problems.append(str(_l("Write the main facts and disputed matters.")))
    if not [t for t in agreement.terms or [] if t.strip()]:
        problems.append(str(_l("Write at least one term of the agreement.")))
    try:
        validate_performance(agreement.performance)
    except RecordError as exc:
        problems.append(str(exc.message))
    if (agreement.copies or 0) < len(parties) + 1:
        problems.append(str(_l("The agreement needs %(n)d copies: one per party and one for the committee.",
                               n=len(parties) + 1)))
    if not agreement.mediators:
        problems.append(str(_l("Name at least one mediator.")))
    if not agreement.signed_date:
        problems.append(str(_l("Enter the signing date.")))
    unsigned = [label for key, label in signature_items(agreement) if not (agreement.signatures or {}).get(key)]
    if unsigned:
        problems.append(str(_l("Signatures missing: %(names)s.", names="、".join(unsigned))))
    if require_scan and not signed_scan(agreement, attachments):
        problems.append(str(_l("Upload the scan of the signed agreement.")))
    return problems


def signed_scan(agreement: Agreement, attachments: Optional[list[Attachment]] = None) -> Optional[Attachment]:
    """The latest uploaded scan of the signed ``agreement`` (None if none). ``attachments``: the case's
    attachments in id order when the caller has them (``records_of(...)["attachments"]``; no query)."""
    if attachments is not None:
        return next((row for row in reversed(attachments)
                     if row.agreement_id == agreement.id and row.kind == "SIGNED_AGREEMENT"), None)
    return db.session.scalar(select(Attachment).where(Attachment.agreement_id == agreement.id,
                                                      Attachment.kind == "SIGNED_AGREEMENT")
                             .order_by(Attachment.id.desc()).limit(1))


def mark_printed(agreement: Agreement, dispute: Dispute, user: User) -> None:
    """A final print of a DRAFT agreement makes it PRINTED (the paper goes out for signing) and tells
    the workflow the parties agreed in writing. Later prints change nothing. Flushes."""
    if agreement.status != AG_DRAFT:
        return
    agreement.status = AG_PRINTED
    agreement.parties = snapshot_parties(dispute)
    db.session.flush()
    notify_agreed(dispute, "WRITTEN", user, local_today())


def set_signatures(agreement: Agreement, ticked: set[str]) -> None:
    """Store the signature checklist (keys from :func:`signature_items`). Only after printing."""
    if agreement.status not in (AG_PRINTED, AG_SCANNED):
        raise RecordError(_l("Print the final agreement before ticking signatures."))
    valid = {key for key, _label in signature_items(agreement)}
    agreement.signatures = {key: True for key in ticked & valid}
    db.session.flush()


def mark_effective(agreement: Agreement, dispute: Dispute, user: User, on: date) -> None:
    """Mark the written agreement effective on ``on`` (the date of the last signature or seal).

    Raises :class:`RecordError` listing the blockers of :func:`agreement_blockers`, or when ``on``
    is before the signing date or in the future. Starts the judicial-confirmation window and calls
    the workflow's ``mark_agreement_effective``. 人民调解法 第二十九条、第三十三条. Flushes.
    """
    if agreement.status == AG_EFFECTIVE:
        raise RecordError(_l("The agreement is already effective."))
    problems = agreement_blockers(agreement)
    if problems:
        raise RecordError(" ".join(problems), "effective_date", code="blocked")
    check_date(dispute, on, "effective_date", not_before=agreement.signed_date,
               not_before_label=_l("The effective date cannot be before the signing date."))
    agreement.status = AG_EFFECTIVE
    agreement.effective_date = on
    db.session.flush()
    notify_effective(dispute, user, on)


def confirmation_deadline(agreement: Optional[Agreement]) -> Optional[date]:
    """Last day to apply jointly for judicial confirmation: effective date + 30 days (人民调解法 第三十三条)."""
    if agreement is None or agreement.effective_date is None:
        return None
    return agreement.effective_date + timedelta(days=JUDICIAL_CONFIRMATION_DAYS)


def confirmation_days_left(agreement: Optional[Agreement], today: Optional[date] = None) -> Optional[int]:
    """Days left in the judicial-confirmation window (negative once it has passed; None before effect)."""
    deadline = confirmation_deadline(agreement)
    return None if deadline is None else (deadline - (today or local_today())).days


def add_confirmation(dispute: Dispute, user: User, values: dict[str, Any]) -> JudicialConfirmation:
    """Record a judicial-confirmation application (domain.md 4.11).

    Requires an effective agreement, a joint application and ``applied_date`` within
    [effective date, effective date + 30 days] (人民调解法 第三十三条); a ruling date not before the
    application. Raises :class:`RecordError`. Flushes.
    """
    agreement = current_agreement(dispute)
    if agreement is None or agreement.status != AG_EFFECTIVE:
        raise RecordError(_l("Judicial confirmation needs an effective written agreement."))
    if not values.get("jointly_applied"):
        raise RecordError(_l("Both parties must apply jointly."), "jointly_applied")
    applied = values["applied_date"]
    check_date(dispute, applied, "applied_date", not_before=agreement.effective_date,
               not_before_label=_l("The application date is before the agreement took effect."))
    deadline = confirmation_deadline(agreement)
    if applied > deadline:
        raise RecordError(_l("The application must be made within 30 days of the agreement taking effect "
                             "(by %(date)s).", date=deadline.isoformat()), "applied_date")
    ruling = values.get("ruling_date")
    if ruling and (ruling < applied or ruling > local_today()):
        raise RecordError(_l("The ruling date must be between the application date and today."), "ruling_date")
    row = JudicialConfirmation(dispute_id=dispute.id, agreement_id=agreement.id, created_by_id=user.id, **values)
    db.session.add(row)
    db.session.flush()
    return row


# ---------------------------------------------------------------------------------------------
# Attachments (domain.md 4.13)
# ---------------------------------------------------------------------------------------------

def upload_folder() -> Path:
    """The folder holding uploaded files (``UPLOAD_FOLDER``, default ``instance/uploads``), created."""
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def detect_type(head: bytes) -> Optional[str]:
    """The MIME type of a file from its first bytes (the ``filetype`` package), if accepted; else None."""
    kind = filetype.guess(head)
    return kind.mime if kind is not None and kind.mime in ALLOWED_TYPES else None


def store_attachment(dispute: Dispute, user: User, stream, filename: str, kind: str, title: str,
                     agreement: Optional[Agreement] = None) -> Attachment:
    """Save an uploaded file for ``dispute`` and return its :class:`Attachment` row (flushed).

    Takes a readable binary ``stream``, the client's ``filename`` (kept for display only), an
    attachment ``kind`` and a ``title``. The type is detected from the content (PDF, JPEG, PNG);
    the size is limited by ``ATTACHMENT_MAX_BYTES`` (default 10 MB; the whole request is also limited
    by ``MAX_CONTENT_LENGTH``). The file is written under ``UPLOAD_FOLDER`` with a random name and
    its sha256 is recorded. A SIGNED_AGREEMENT scan of a PRINTED agreement moves it to
    SIGNED_SCAN_ATTACHED. Raises :class:`RecordError` on the ``file`` field.
    """
    limit = current_app.config.get("ATTACHMENT_MAX_BYTES", DEFAULT_MAX_FILE_BYTES)
    data = stream.read(limit + 1)
    if not data:
        raise RecordError(_l("The file is empty."), "file")
    if len(data) > limit:
        raise RecordError(_l("The file is larger than %(mb)d MB.", mb=limit // (1024 * 1024)), "file")
    mime = detect_type(data[:8192])
    if mime is None:
        raise RecordError(_l("Only PDF, JPEG and PNG files can be uploaded (the content was checked, not the "
                             "name)."), "file")
    if kind == "SIGNED_AGREEMENT":
        if agreement is None or agreement.status not in (AG_PRINTED, AG_SCANNED, AG_EFFECTIVE):
            raise RecordError(_l("Print the final agreement before uploading its signed scan."), "kind")
    stored = f"{secrets.token_hex(16)}.{ALLOWED_TYPES[mime]}"
    path = upload_folder() / stored
    path.write_bytes(data)
    row = Attachment(dispute_id=dispute.id, agreement_id=agreement.id if kind == "SIGNED_AGREEMENT" else None,
                     kind=kind, title=title, original_name=(filename or stored)[-255:], stored_name=stored,
                     content_type=mime, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                     uploaded_by_id=user.id)
    db.session.add(row)
    if kind == "SIGNED_AGREEMENT" and agreement.status == AG_PRINTED:
        agreement.status = AG_SCANNED
    db.session.flush()
    return row


def attachment_path(row: Attachment) -> Path:
    """Absolute path of an attachment's stored file (the name is ours, never the client's)."""
    return upload_folder() / row.stored_name


# ---------------------------------------------------------------------------------------------
# Print log
# ---------------------------------------------------------------------------------------------

_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"   # no 0/O, 1/I


def new_code() -> str:
    """A fresh short verification code such as ``K7QF-2M9X`` (8 characters, ~40 bits, unique)."""
    while True:
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
        code = f"{raw[:4]}-{raw[4:]}"
        if not db.session.scalar(select(PrintLog.id).where(PrintLog.code == code)):
            return code


def log_print(dispute: Dispute, user: User, *, kind: str, title: str, version: str, code: str, copies: int,
              pages: int, pdf: bytes, record_id: Optional[int] = None) -> PrintLog:
    """Record a final print (who, which document, when, copies) in ``print_log`` and the audit log
    (action PRINT, domain.md 4.15). Flushes; returns the row."""
    from portal.audit import audit
    row = PrintLog(dispute_id=dispute.id, kind=kind, record_id=record_id, title=title, version=version, code=code,
                   copies=copies, pages=pages, sha256=hashlib.sha256(pdf).hexdigest(), printed_by_id=user.id)
    db.session.add(row)
    audit("PRINT", entity="dispute", entity_id=dispute.id, user=user,
          detail={"document": title, "kind": kind, "copies": copies, "code": code, "version": version})
    db.session.flush()
    return row


def find_print(code: str) -> Optional[PrintLog]:
    """The print-log row of a verification code (case-insensitive, dash optional), or None."""
    raw = re.sub(r"[^0-9A-Za-z]", "", code or "").upper()
    if len(raw) != 8:
        return None
    return db.session.scalar(select(PrintLog).where(PrintLog.code == f"{raw[:4]}-{raw[4:]}"))


def datetime_local_value(moment: Optional[datetime]) -> str:
    """An aware datetime as an HTML ``datetime-local`` value in Shanghai time (``YYYY-MM-DDTHH:MM``)."""
    from portal.timeutil import to_local
    return to_local(moment).strftime("%Y-%m-%dT%H:%M") if moment else ""


def dossier_problems(dispute: Dispute) -> list[str]:
    """What the dossier of ``dispute`` still lacks before archiving (domain.md 6 table, 8.4).

    For an accepted case: the rights-and-duties notice and at least one mediation record; for a
    written agreement an effective agreement, for an oral one its registration. Returns translated
    messages (empty when complete). Meant for ``workflow.ARCHIVE_CHECKS``.
    """
    if not dispute.accepted_date:
        return []
    recs = records_of(dispute)
    problems = []
    if not recs["notices"]:
        problems.append(str(_l("The dossier lacks the rights-and-duties notice.")))
    if not recs["sessions"]:
        problems.append(str(_l("The dossier lacks a mediation record.")))
    if dispute.agreement_form == "WRITTEN" and not (recs["agreement"] and recs["agreement"].status == AG_EFFECTIVE):
        problems.append(str(_l("The dossier lacks the effective written agreement.")))
    if dispute.agreement_form == "ORAL" and not recs["oral_agreements"]:
        problems.append(str(_l("The dossier lacks the oral-agreement registration.")))
    return problems
