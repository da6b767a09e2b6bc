"""Disputes (矛盾纠纷, the ledger row), parties, the event timeline, transfers, campaigns and
screening returns.

Field names follow domain.md 4.2–4.3 and 4.10. Coded values (category, source, channel, risk level,
measures, finder force, screening method, referral targets) are dictionary codes
(:class:`DictEntry`) so an admin can extend them; statuses are the state machine of domain.md 5.1.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import (JSON, Boolean, Column, Date, ForeignKey, Index, Integer, Numeric, String, Table,
                        Text, UniqueConstraint, func, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, TimestampMixin, UTCDateTime, utcnow
from portal.models.org import MediationCommittee, Mediator, OrgUnit
from portal.models.user import User

# Dictionary kinds (DictEntry.kind).
CATEGORY = "category"          # 纠纷类型, domain.md 3.1
SOURCE = "source"              # 案件来源, 3.2
CHANNEL = "channel"            # 受理渠道 (Part A item 9)
SCREENING_METHOD = "screening_method"  # 排查方式, 3.3
FINDER_FORCE = "finder_force"  # 排查力量 (Part A item 3)
MEASURE = "measure"            # 化解措施 (Part A item 7)
RISK_LEVEL = "risk_level"      # 风险等级, 3.4
REFERRAL_TARGET = "referral_target"  # 移交单位, 3.13
DICT_KINDS = (CATEGORY, SOURCE, CHANNEL, SCREENING_METHOD, FINDER_FORCE, MEASURE, RISK_LEVEL, REFERRAL_TARGET)


class DictEntry(Base):
    """One entry of an admin-extensible dictionary: ``kind`` + stable ``code`` + Chinese ``label``.

    ``color`` is used by risk levels (``red``/``yellow``/``green``); codes are never renamed once used.
    """

    __tablename__ = "dict_entry"
    __table_args__ = (UniqueConstraint("kind", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(60))
    sort: Mapped[int] = mapped_column(Integer, default=0)
    color: Mapped[Optional[str]] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


# Workflow states (domain.md 5.1).
DRAFT = "DRAFT"
REPORTED = "REPORTED"
NOT_ACCEPTED = "NOT_ACCEPTED"
RESOLVED_ON_SPOT = "RESOLVED_ON_SPOT"
ACCEPTED = "ACCEPTED"
MEDIATING = "MEDIATING"
AGREED_PENDING_SIGNATURE = "AGREED_PENDING_SIGNATURE"
AGREED = "AGREED"
PERFORMING = "PERFORMING"
PERFORMED = "PERFORMED"
NOT_PERFORMED = "NOT_PERFORMED"
FAILED = "FAILED"
WITHDRAWN = "WITHDRAWN"
ESCALATED = "ESCALATED"
REFERRED = "REFERRED"
CLOSED = "CLOSED"
ARCHIVED = "ARCHIVED"
VOIDED = "VOIDED"
STATUSES = (DRAFT, REPORTED, NOT_ACCEPTED, RESOLVED_ON_SPOT, ACCEPTED, MEDIATING, AGREED_PENDING_SIGNATURE,
            AGREED, PERFORMING, PERFORMED, NOT_PERFORMED, FAILED, WITHDRAWN, ESCALATED, REFERRED, CLOSED,
            ARCHIVED, VOIDED)
OPEN_STATUSES = (DRAFT, REPORTED, ACCEPTED, MEDIATING, AGREED_PENDING_SIGNATURE, AGREED, PERFORMING,
                 NOT_PERFORMED, ESCALATED, REFERRED)

# Handling levels (处置层级, domain.md 3.5), ordered from lowest to highest.
HANDLING_LEVELS = ("GRID", "VILLAGE", "TOWN", "COUNTY", "DEPARTMENT")

dispute_mediator = Table(
    "dispute_mediator",
    Base.metadata,
    Column("dispute_id", Integer, ForeignKey("dispute.id"), primary_key=True),
    Column("mediator_id", Integer, ForeignKey("mediator.id"), primary_key=True),
)


#: Columns of the index that answers a town's open/overdue figures and work tiles without the table.
OPEN_COUNT_COLUMNS = ("town_id", "status", "village_id", "risk_level", "found_date", "resolved_date", "closed_date",
                      "deadline", "deadline_extended_to")
#: SQL condition "has a major flag" (the partial index below and portal.reports.services._is_major).
MAJOR_FLAGGED = "json_array_length(major_flags) > 0"


def _ledger_indexes() -> list[Index]:
    """Indexes of the ledger's sorts (portal.disputes.queries), one set per scope column (town staff,
    village cadres, grid workers): the ORDER BY of each sort walks one of them, and ``status`` at the end
    lets the "not voided" test and deep OFFSETs run on the index alone (migration 0008)."""
    deadline = func.coalesce(text("deadline_extended_to"), text("deadline"))
    indexes = []
    for scope in ("town", "village", "grid"):
        column = f"{scope}_id"
        indexes += [Index(f"ix_dispute_{scope}_found", column, "found_date", "id", "status"),
                    Index(f"ix_dispute_{scope}_risk", column, "risk_level", "found_date", "id", "status"),
                    Index(f"ix_dispute_{scope}_deadline", column, deadline, "id", "status"),
                    Index(f"ix_dispute_{scope}_case", column, "case_year", "case_no", "id", "status")]
    return indexes


class Dispute(TimestampMixin, Base):
    """One dispute case: ledger row, intake registration and case-file header in one record.

    The org columns (``county_id`` … ``grid_id``) are denormalised from ``location`` so that scoping
    (:mod:`portal.scoping`) is a single indexed equality test. ``version_id`` is the optimistic lock
    (style.md 3.10): a stale edit raises ``StaleDataError`` instead of overwriting. The columns the
    monthly summary is keyed on load their old value before a change (``active_history``), so
    :mod:`portal.reports.summary` can refresh the bucket a dispute leaves.
    """

    __tablename__ = "dispute"
    __table_args__ = (
        UniqueConstraint("committee_id", "case_year", "case_seq"),
        UniqueConstraint("town_id", "ledger_year", "ledger_serial"),
        Index("ix_dispute_town_status", "town_id", "status"),
        Index("ix_dispute_town_accepted", "town_id", "accepted_date"),
        *_ledger_indexes(),
        # open/overdue counts and the dashboard's work tiles of a town read this index alone (migration 0009)
        Index("ix_dispute_town_open", *OPEN_COUNT_COLUMNS),
        # the few disputes with a major flag (table 4, portal.reports.services._is_major; migration 0009)
        Index("ix_dispute_major_flags", "town_id", sqlite_where=text(MAJOR_FLAGGED),
              postgresql_where=text(MAJOR_FLAGGED)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # Numbers: ledger serial per town per year at registration; case number per committee per year
    # at acceptance (domain.md 4.2).
    ledger_year: Mapped[int] = mapped_column(Integer)
    ledger_serial: Mapped[int] = mapped_column(Integer)
    case_no: Mapped[Optional[str]] = mapped_column(String(60), unique=True)
    case_year: Mapped[Optional[int]] = mapped_column(Integer)
    case_seq: Mapped[Optional[int]] = mapped_column(Integer)

    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(Text, default="")
    claims: Mapped[Optional[str]] = mapped_column(Text)
    # Screening (排查).
    found_date: Mapped[date] = mapped_column(Date, index=True, active_history=True)
    found_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"), index=True)
    finder_name: Mapped[Optional[str]] = mapped_column(String(40))
    finder_force: Mapped[Optional[str]] = mapped_column(String(40))
    screening_method: Mapped[Optional[str]] = mapped_column(String(40))
    channel: Mapped[Optional[str]] = mapped_column(String(40), index=True)
    source: Mapped[Optional[str]] = mapped_column(String(40))
    campaign_id: Mapped[Optional[int]] = mapped_column(ForeignKey("campaign.id"), index=True)
    occurred_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Where (denormalised scope columns + the most precise unit).
    county_id: Mapped[Optional[int]] = mapped_column(ForeignKey("org_unit.id"), index=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True, active_history=True)
    village_id: Mapped[Optional[int]] = mapped_column(ForeignKey("org_unit.id"), index=True, active_history=True)
    grid_id: Mapped[Optional[int]] = mapped_column(ForeignKey("org_unit.id"), index=True)
    address: Mapped[Optional[str]] = mapped_column(String(200))
    # What.
    category: Mapped[str] = mapped_column(String(40), index=True, active_history=True)
    wage_arrears: Mapped[bool] = mapped_column(Boolean, default=False)
    public_opinion_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    persons_involved: Mapped[Optional[int]] = mapped_column(Integer)
    amount_involved: Mapped[Optional[Decimal]] = mapped_column(Numeric(14, 2))
    risk_level: Mapped[str] = mapped_column(String(20), index=True, default="GREEN")
    major_flags: Mapped[list] = mapped_column(JSON, default=list)
    criminal_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    handling_level: Mapped[str] = mapped_column(String(20), index=True, default="VILLAGE")
    # Who handles it.
    committee_id: Mapped[Optional[int]] = mapped_column(ForeignKey("mediation_committee.id"), index=True)
    accepted_date: Mapped[Optional[date]] = mapped_column(Date, index=True, active_history=True)
    registrar_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    mediators_chosen_by_parties: Mapped[bool] = mapped_column(Boolean, default=False)
    responsible_leader_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"), index=True)
    responsible_unit: Mapped[Optional[str]] = mapped_column(String(60))
    # 包案领导 as written in an imported ledger when it names nobody with an account (issue 6).
    responsible_leader_name: Mapped[Optional[str]] = mapped_column(String(40))
    measures: Mapped[list] = mapped_column(JSON, default=list)
    measures_note: Mapped[Optional[str]] = mapped_column(Text)
    # Deadlines (domain.md 5.2): accepted_date + 30 days by default, extendable with consent.
    deadline: Mapped[Optional[date]] = mapped_column(Date, index=True)
    deadline_extended_to: Mapped[Optional[date]] = mapped_column(Date)
    extension_reason: Mapped[Optional[str]] = mapped_column(Text)
    extension_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Outcome.
    status: Mapped[str] = mapped_column(String(30), index=True, default=REPORTED)
    result: Mapped[Optional[str]] = mapped_column(String(30))
    agreement_form: Mapped[Optional[str]] = mapped_column(String(10))
    resolved_date: Mapped[Optional[date]] = mapped_column(Date, index=True, active_history=True)
    closed_date: Mapped[Optional[date]] = mapped_column(Date)
    performance_status: Mapped[Optional[str]] = mapped_column(String(30))
    prevention_flags: Mapped[dict] = mapped_column(JSON, default=dict)
    public_session: Mapped[bool] = mapped_column(Boolean, default=False)
    channels_explained: Mapped[bool] = mapped_column(Boolean, default=False)
    police_reported_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    status_reason: Mapped[Optional[str]] = mapped_column(Text)
    void_reason: Mapped[Optional[str]] = mapped_column(Text)
    remarks: Mapped[Optional[str]] = mapped_column(Text)
    # Bookkeeping: idempotency key of the submitting form (one dispute per submission), import key
    # (one dispute per imported row), and normalised text for free-text search.
    submission_key: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    import_key: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    search_text: Mapped[str] = mapped_column(Text, default="")

    __mapper_args__ = {"version_id_col": version_id}

    town: Mapped[OrgUnit] = relationship(foreign_keys=[town_id])
    village: Mapped[Optional[OrgUnit]] = relationship(foreign_keys=[village_id])
    grid: Mapped[Optional[OrgUnit]] = relationship(foreign_keys=[grid_id])
    committee: Mapped[Optional[MediationCommittee]] = relationship()
    found_by: Mapped[Optional[User]] = relationship(foreign_keys=[found_by_id])
    registrar: Mapped[Optional[User]] = relationship(foreign_keys=[registrar_id])
    responsible_leader: Mapped[Optional[User]] = relationship(foreign_keys=[responsible_leader_id])
    campaign: Mapped[Optional["Campaign"]] = relationship()
    mediators: Mapped[list[Mediator]] = relationship(secondary=dispute_mediator, order_by="Mediator.id")
    parties: Mapped[list["Party"]] = relationship(
        back_populates="dispute", order_by="(Party.side, Party.sort, Party.id)", cascade="all, delete-orphan"
    )
    events: Mapped[list["DisputeEvent"]] = relationship(
        back_populates="dispute", order_by="DisputeEvent.id", cascade="all, delete-orphan"
    )
    transfers: Mapped[list["Transfer"]] = relationship(
        back_populates="dispute", order_by="Transfer.id", cascade="all, delete-orphan"
    )

    @property
    def effective_deadline(self) -> Optional[date]:
        """The deadline in force: the extended one if any, else the original."""
        return self.deadline_extended_to or self.deadline

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


# Party sides and types (domain.md 3.12, 4.3).
APPLICANT, RESPONDENT, THIRD = "APPLICANT", "RESPONDENT", "THIRD"
SIDES = (APPLICANT, RESPONDENT, THIRD)
PERSON, LEGAL_PERSON, ORGANISATION = "PERSON", "LEGAL_PERSON", "ORGANISATION"
PARTY_TYPES = (PERSON, LEGAL_PERSON, ORGANISATION)
ID_TYPES = ("RESIDENT_ID", "HOUSEHOLD_REGISTER", "PASSPORT", "HK_MACAU_PERMIT", "TAIWAN_PERMIT",
            "FOREIGNER_PR", "CREDIT_CODE", "OTHER")


class Party(Base):
    """A party to a dispute (当事人). Sex and birth date are derived from a valid resident ID.

    ``name_norm`` is the name normalised as search input is (full-width folded, spaces removed).
    """

    __tablename__ = "party"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    side: Mapped[str] = mapped_column(String(12), default=APPLICANT)
    sort: Mapped[int] = mapped_column(Integer, default=0)
    party_type: Mapped[str] = mapped_column(String(15), default=PERSON)
    name: Mapped[str] = mapped_column(String(80))
    name_norm: Mapped[str] = mapped_column(String(80), index=True)
    id_type: Mapped[str] = mapped_column(String(20), default="RESIDENT_ID")
    id_number: Mapped[Optional[str]] = mapped_column(String(40), index=True)
    id_upgraded_from: Mapped[Optional[str]] = mapped_column(String(15))
    sex: Mapped[Optional[str]] = mapped_column(String(1))
    ethnicity: Mapped[Optional[str]] = mapped_column(String(20))
    birth_date: Mapped[Optional[date]] = mapped_column(Date)
    age: Mapped[Optional[int]] = mapped_column(Integer)
    occupation: Mapped[Optional[str]] = mapped_column(String(60))
    phone: Mapped[Optional[str]] = mapped_column(String(20), index=True)
    address: Mapped[Optional[str]] = mapped_column(String(200))
    legal_rep_name: Mapped[Optional[str]] = mapped_column(String(40))
    agent_name: Mapped[Optional[str]] = mapped_column(String(40))
    agent_relation: Mapped[Optional[str]] = mapped_column(String(40))
    refused_mediation: Mapped[bool] = mapped_column(Boolean, default=False)

    dispute: Mapped[Dispute] = relationship(back_populates="parties")


class DisputeEvent(Base):
    """One entry of a dispute's timeline: who did what when, with old → new values.

    ``changes`` is a list of ``{"field", "old", "new"}``; ``note`` carries a reason or comment.
    """

    __tablename__ = "dispute_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[Optional[str]] = mapped_column(String(30))
    to_status: Mapped[Optional[str]] = mapped_column(String(30))
    changes: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[Optional[str]] = mapped_column(Text)

    dispute: Mapped[Dispute] = relationship(back_populates="events")
    user: Mapped[Optional[User]] = relationship()


ESCALATE, REFER = "ESCALATE", "REFER"
PENDING, RECEIVED, RETURNED, ANSWERED = "PENDING", "RECEIVED", "RETURNED", "ANSWERED"


class Transfer(Base):
    """An escalation up the tree (上报) or a referral out to a department (移交), domain.md 4.10.

    Escalations name ``to_org``; the receiver accepts (RECEIVED) or returns (RETURNED) with a reason.
    Referrals name ``to_department`` (a referral-target code); the department's ``feedback`` closes it.
    """

    __tablename__ = "transfer"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("dispute.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    from_org_id: Mapped[Optional[int]] = mapped_column(ForeignKey("org_unit.id"))
    to_org_id: Mapped[Optional[int]] = mapped_column(ForeignKey("org_unit.id"), index=True)
    to_department: Mapped[Optional[str]] = mapped_column(String(40))
    from_level: Mapped[Optional[str]] = mapped_column(String(20))
    to_level: Mapped[Optional[str]] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    status: Mapped[str] = mapped_column(String(10), default=PENDING, index=True)
    responded_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    responded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    response_note: Mapped[Optional[str]] = mapped_column(Text)

    dispute: Mapped[Dispute] = relationship(back_populates="transfers")
    to_org: Mapped[Optional[OrgUnit]] = relationship(foreign_keys=[to_org_id])
    from_org: Mapped[Optional[OrgUnit]] = relationship(foreign_keys=[from_org_id])


campaign_village = Table(
    "campaign_village",
    Base.metadata,
    Column("campaign_id", Integer, ForeignKey("campaign.id"), primary_key=True),
    Column("village_id", Integer, ForeignKey("org_unit.id"), primary_key=True),
)


class Campaign(TimestampMixin, Base):
    """A named, time-bounded screening drive (专项行动) of a town, with its villages (Part A item 2)."""

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))

    villages: Mapped[list[OrgUnit]] = relationship(secondary=campaign_village, order_by="OrgUnit.sort")


class ScreeningReturn(TimestampMixin, Base):
    """A village's screening return (排查情况) for one month or one campaign.

    ``zero_report`` = True is the explicit "nothing found" (零报告); a missing row means not filed.
    """

    __tablename__ = "screening_return"
    __table_args__ = (
        UniqueConstraint("village_id", "year", "month", "campaign_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    year: Mapped[Optional[int]] = mapped_column(Integer)
    month: Mapped[Optional[int]] = mapped_column(Integer)
    campaign_id: Mapped[Optional[int]] = mapped_column(ForeignKey("campaign.id"), index=True)
    rounds: Mapped[int] = mapped_column(Integer, default=0)
    zero_report: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[Optional[str]] = mapped_column(Text)
    filed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))

    village: Mapped[OrgUnit] = relationship()
    campaign: Mapped[Optional[Campaign]] = relationship()


class NumberCounter(Base):
    """Last number handed out per series and year (ledger serials per town, case numbers per
    committee). Numbers come from here, never from ``max()+1``, so they are never reused; the row is
    updated in the writing transaction, which serialises concurrent registrations."""

    __tablename__ = "number_counter"
    __table_args__ = (UniqueConstraint("series", "owner_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    last: Mapped[int] = mapped_column(Integer, default=0)
