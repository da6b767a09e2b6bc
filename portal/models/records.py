"""Mediation records and documents of a dispute (issue 4): the rights-and-duties notice, investigation
records, mediation sessions (minutes), written and oral agreements, follow-up visits, judicial
confirmation, attachments (signed scans, evidence) and the print log.

Every row hangs off a :class:`~portal.models.dispute.Dispute` and is loaded through
:func:`portal.scoping.get_dispute_or_404` first. Field names follow domain.md 4.4–4.13.
Names of people are stored as text snapshots (the printed form shows names, and a party block on a
signed agreement must not change when the party is edited later: domain.md 4.7).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, TimestampMixin, UTCDateTime, utcnow
from portal.models.dispute import Dispute
from portal.models.user import User

# Notice methods (2002 规定 第三十条: orally or in writing).
ORAL, WRITTEN = "ORAL", "WRITTEN"
NOTICE_METHODS = (ORAL, WRITTEN)

# Written agreement states (print → sign by hand → scan back → effective).
AG_DRAFT, AG_PRINTED, AG_SCANNED, AG_EFFECTIVE = "DRAFT", "PRINTED", "SIGNED_SCAN_ATTACHED", "EFFECTIVE"
AGREEMENT_STATUSES = (AG_DRAFT, AG_PRINTED, AG_SCANNED, AG_EFFECTIVE)

# Follow-up (domain.md 4.9, 3.9).
VISIT_METHODS = ("VISIT", "PHONE", "WECHAT")
SATISFACTION = ("SATISFIED", "FAIRLY", "UNSATISFIED")
PERFORMANCE_STATUSES = ("PENDING", "PERFORMED_IMMEDIATE", "PERFORMED", "PARTIAL", "NOT_PERFORMED",
                        "JUDICIALLY_CONFIRMED", "IN_LITIGATION")

# Judicial confirmation results (domain.md 3.10).
JC_RESULTS = ("NOT_APPLIED", "APPLIED", "CONFIRMED_VALID", "DISMISSED", "NOT_ACCEPTED")

# Attachment kinds (domain.md 4.13) plus the signed agreement scan.
ATTACHMENT_KINDS = ("SIGNED_AGREEMENT", "ID_PROOF", "POWER_OF_ATTORNEY", "EVIDENCE", "PERFORMANCE_RECEIPT",
                    "PHOTO", "JUDICIAL", "OTHER")


class RightsNotice(Base):
    """The rights-and-duties notice as given to the parties (告知, 2002 规定 第三十条).

    Required before the first mediation session; ``method`` is ORAL or WRITTEN.
    """

    __tablename__ = "rights_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    method: Mapped[str] = mapped_column(String(10))
    given_on: Mapped[date] = mapped_column(Date)
    parties: Mapped[list] = mapped_column(JSON, default=list)
    given_by: Mapped[str] = mapped_column(String(40))
    note: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))

    dispute: Mapped[Dispute] = relationship()


class Investigation(Base):
    """An investigation record (人民调解调查记录, domain.md 4.5, 6.6)."""

    __tablename__ = "investigation"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    held_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(120))
    investigators: Mapped[list] = mapped_column(JSON, default=list)
    interviewee: Mapped[str] = mapped_column(String(80))
    participants: Mapped[Optional[str]] = mapped_column(String(200))
    recorder: Mapped[str] = mapped_column(String(40))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))

    dispute: Mapped[Dispute] = relationship()


class MediationSession(Base):
    """One mediation sitting and its minutes (人民调解记录, domain.md 4.6, 6.7; 人民调解法 第二十七条).

    ``simplified`` (简易调解): only the matters (``subject``) and the ``result`` are required.
    """

    __tablename__ = "mediation_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    session_no: Mapped[int] = mapped_column(Integer, default=1)
    held_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[Optional[str]] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(Text)
    parties_present: Mapped[list] = mapped_column(JSON, default=list)
    participants: Mapped[Optional[str]] = mapped_column(String(200))
    mediators: Mapped[list] = mapped_column(JSON, default=list)
    recorder: Mapped[Optional[str]] = mapped_column(String(40))
    content: Mapped[Optional[str]] = mapped_column(Text)
    result: Mapped[str] = mapped_column(Text)
    simplified: Mapped[bool] = mapped_column(Boolean, default=False)
    read_back: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))

    dispute: Mapped[Dispute] = relationship()


class Agreement(TimestampMixin, Base):
    """A written mediation agreement (人民调解协议书, 人民调解法 第二十九条; domain.md 4.7, 6.8, 8.3).

    ``parties`` is the snapshot of the party blocks (list of dicts: name, sex, ethnicity, age,
    occupation, phone, address, id_type, id_number, party_type, legal_rep_name), taken at drafting
    and frozen at the final print. ``terms`` is the list of numbered terms. ``signatures`` maps
    checklist keys (``party:0``, ``mediator:0``, ``recorder``, ``seal``) to True once signed.
    ``revision`` grows by one whenever the text changes, and is printed in the verification record.
    """

    __tablename__ = "agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    agreement_no: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(24), default=AG_DRAFT, index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    parties: Mapped[list] = mapped_column(JSON, default=list)
    facts: Mapped[str] = mapped_column(Text, default="")
    terms: Mapped[list] = mapped_column(JSON, default=list)
    performance: Mapped[str] = mapped_column(Text, default="")
    copies: Mapped[int] = mapped_column(Integer, default=3)
    mediators: Mapped[list] = mapped_column(JSON, default=list)
    recorder: Mapped[Optional[str]] = mapped_column(String(40))
    signed_date: Mapped[Optional[date]] = mapped_column(Date)
    signatures: Mapped[dict] = mapped_column(JSON, default=dict)
    effective_date: Mapped[Optional[date]] = mapped_column(Date)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))

    dispute: Mapped[Dispute] = relationship()


class OralAgreement(Base):
    """Registration of an oral agreement (人民调解口头协议登记表, 人民调解法 第二十八条、第三十条).

    ``agreed_date`` is also the effective date (Art. 30).
    """

    __tablename__ = "oral_agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    parties: Mapped[list] = mapped_column(JSON, default=list)
    facts: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    performance: Mapped[str] = mapped_column(Text)
    agreed_date: Mapped[date] = mapped_column(Date)
    mediators: Mapped[list] = mapped_column(JSON, default=list)
    registrar: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))

    dispute: Mapped[Dispute] = relationship()


class FollowUp(Base):
    """A follow-up visit (人民调解回访记录, 人民调解法 第三十一条; domain.md 4.9, 6.10)."""

    __tablename__ = "follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    visited: Mapped[list] = mapped_column(JSON, default=list)
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    method: Mapped[str] = mapped_column(String(10))
    performance_status: Mapped[str] = mapped_column(String(30))
    satisfaction: Mapped[Optional[str]] = mapped_column(String(12))
    findings: Mapped[str] = mapped_column(Text)
    visitor: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))

    dispute: Mapped[Dispute] = relationship()


class JudicialConfirmation(Base):
    """Judicial confirmation tracking (司法确认, 人民调解法 第三十三条; domain.md 4.11).

    ``applied_date`` must be ≤ the agreement's effective date + 30 days and the application joint.
    """

    __tablename__ = "judicial_confirmation"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), index=True)
    jointly_applied: Mapped[bool] = mapped_column(Boolean, default=True)
    court_name: Mapped[str] = mapped_column(String(80))
    applied_date: Mapped[date] = mapped_column(Date)
    court_case_no: Mapped[Optional[str]] = mapped_column(String(60))
    result: Mapped[str] = mapped_column(String(20), default="APPLIED")
    ruling_date: Mapped[Optional[date]] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))

    dispute: Mapped[Dispute] = relationship()
    agreement: Mapped[Agreement] = relationship()


class Attachment(Base):
    """An uploaded file (signed agreement scan, evidence …; domain.md 4.13).

    Stored under ``UPLOAD_FOLDER`` as ``stored_name`` (random); ``content_type`` was detected from
    the content. Served only through the records view, after scoping.
    """

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    agreement_id: Mapped[Optional[int]] = mapped_column(ForeignKey("agreement.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(120))
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))

    dispute: Mapped[Dispute] = relationship()
    uploaded_by: Mapped[Optional[User]] = relationship()


class PrintLog(Base):
    """One print of a document (who, which, when, how many copies), with its verification code.

    ``final`` prints carry ``code`` (printed with a QR code); ``version`` describes what was printed
    (e.g. the agreement revision). domain.md 4.15 (PRINT).
    """

    __tablename__ = "print_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[Optional[int]] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(60))
    code: Mapped[str] = mapped_column(String(16), unique=True)
    copies: Mapped[int] = mapped_column(Integer, default=1)
    pages: Mapped[int] = mapped_column(Integer, default=1)
    sha256: Mapped[str] = mapped_column(String(64))
    printed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    printed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))

    dispute: Mapped[Dispute] = relationship()
    printed_by: Mapped[Optional[User]] = relationship()
