"""Report versions (月报表 snapshots, domain.md 4.14).

A :class:`ReportVersion` is one version of the statistical report of one unit (town, village or
county) for one period (month, quarter, year or campaign). Drafts show live figures; submitting
freezes the figures (JSON) and the PDF bytes with their sha256, so the printed report stays
reproducible whatever happens to the disputes later. Re-opening never edits a frozen version: it
creates the next version (a draft) carrying the reason.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, TimestampMixin, UTCDateTime
from portal.models.dispute import Campaign
from portal.models.org import OrgUnit
from portal.models.user import User

REPORT_DRAFT, REPORT_SUBMITTED, REPORT_SIGNED = "DRAFT", "SUBMITTED", "SIGNED"
REPORT_STATUSES = (REPORT_DRAFT, REPORT_SUBMITTED, REPORT_SIGNED)


class ReportVersion(TimestampMixin, Base):
    """One version of a unit's report for a period.

    ``period_key`` is the period token of :mod:`portal.reports.services` ("2026-10", "2026-Q4",
    "2026", or "C<campaign id>" for a campaign). ``figures`` (the computed tables) and ``pdf`` are
    set on submission and never change afterwards; ``pdf_sha256`` is the hex digest of ``pdf``.
    ``superseded_by_id`` points to the version created when this one was re-opened.
    """

    __tablename__ = "report_version"
    __table_args__ = (UniqueConstraint("unit_id", "period_key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    period_key: Mapped[str] = mapped_column(String(30), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    campaign_id: Mapped[Optional[int]] = mapped_column(ForeignKey("campaign.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(12), default=REPORT_DRAFT, index=True)
    narrative: Mapped[str] = mapped_column(Text, default="")
    preparer_name: Mapped[Optional[str]] = mapped_column(String(40))
    preparer_phone: Mapped[Optional[str]] = mapped_column(String(20))
    figures: Mapped[Optional[dict]] = mapped_column(JSON)
    pdf: Mapped[Optional[bytes]] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[Optional[str]] = mapped_column(String(64))
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    submitted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    signed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    signed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    reopen_reason: Mapped[Optional[str]] = mapped_column(Text)
    superseded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("report_version.id"))

    unit: Mapped[OrgUnit] = relationship()
    campaign: Mapped[Optional[Campaign]] = relationship()
    created_by: Mapped[Optional[User]] = relationship(foreign_keys=[created_by_id])
    submitted_by: Mapped[Optional[User]] = relationship(foreign_keys=[submitted_by_id])
    signed_by: Mapped[Optional[User]] = relationship(foreign_keys=[signed_by_id])

    @property
    def frozen(self) -> bool:
        """True once submitted: figures and PDF no longer change."""
        return self.status != REPORT_DRAFT


#: :attr:`StatsMonth.basis`: disputes counted by the month they were found, accepted for mediation, or
#: concluded (resolved).
FOUND_BASIS, ACCEPTED_BASIS, RESOLVED_BASIS = "F", "A", "R"
PREVENTION_CODES = ("PREVENT_CRIME", "PREVENT_GROUP_PETITION", "PREVENT_GROUP_FIGHT", "PREVENT_SUICIDE")
#: Figure columns of each basis besides ``n`` (keys of :func:`portal.reports.services.figure_condition`,
#: lower-cased; ``<flag>_persons`` sums the flag's persons, ``amount_yuan`` the successes' amounts).
BASIS_FIGURES = {
    FOUND_BASIS: ("prevented", "level_village", "level_town", "passed_out"),
    ACCEPTED_BASIS: ("src_initiative", "src_application", "src_entrusted", "success", "written", "oral",
                     "performed", "confirmed", "amount_yuan"),
    RESOLVED_BASIS: tuple(c.lower() for c in PREVENTION_CODES) + tuple(f"{c.lower()}_persons" for c in PREVENTION_CODES),
}


class StatsMonth(Base):
    """Monthly summary of the disputes of one town, village and category (issue 7).

    Kept up to date in the same transaction as every change of a dispute or a transfer
    (:mod:`portal.reports.summary`), so the dashboard and the report's cohort figures read a few hundred
    summary rows instead of a year of disputes. ``basis`` F counts by ``found_date`` (``n`` = found
    排查发现数, prevented and the three Fengqiao counts), A by ``accepted_date`` (``n`` = mediated at
    this level 调解数 and its outcomes, columns 5–11), R by ``resolved_date`` (``n`` = concluded at this
    level; the prevention flags, columns 12–15). Each figure is the one of
    :func:`portal.reports.services.figure_condition` for the month (:data:`BASIS_FIGURES`); a basis
    leaves the other columns 0. ``ym`` is ``year * 100 + month`` of the local (Asia/Shanghai) date.
    ``village_id`` is NULL for the town-level row (镇本级).
    """

    __tablename__ = "stats_month"

    id: Mapped[int] = mapped_column(primary_key=True)
    basis: Mapped[str] = mapped_column(String(1))
    ym: Mapped[int] = mapped_column(Integer)
    county_id: Mapped[Optional[int]] = mapped_column(ForeignKey("org_unit.id"), index=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    village_id: Mapped[Optional[int]] = mapped_column(ForeignKey("org_unit.id"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    n: Mapped[int] = mapped_column(Integer, default=0)
    prevented: Mapped[int] = mapped_column(Integer, default=0)
    level_village: Mapped[int] = mapped_column(Integer, default=0)
    level_town: Mapped[int] = mapped_column(Integer, default=0)
    passed_out: Mapped[int] = mapped_column(Integer, default=0)
    src_initiative: Mapped[int] = mapped_column(Integer, default=0)
    src_application: Mapped[int] = mapped_column(Integer, default=0)
    src_entrusted: Mapped[int] = mapped_column(Integer, default=0)
    success: Mapped[int] = mapped_column(Integer, default=0)
    written: Mapped[int] = mapped_column(Integer, default=0)
    oral: Mapped[int] = mapped_column(Integer, default=0)
    performed: Mapped[int] = mapped_column(Integer, default=0)
    confirmed: Mapped[int] = mapped_column(Integer, default=0)
    amount_yuan: Mapped[Decimal] = mapped_column(Numeric(16, 2), default=0)
    prevent_crime: Mapped[int] = mapped_column(Integer, default=0)
    prevent_group_petition: Mapped[int] = mapped_column(Integer, default=0)
    prevent_group_fight: Mapped[int] = mapped_column(Integer, default=0)
    prevent_suicide: Mapped[int] = mapped_column(Integer, default=0)
    prevent_crime_persons: Mapped[int] = mapped_column(Integer, default=0)
    prevent_group_petition_persons: Mapped[int] = mapped_column(Integer, default=0)
    prevent_group_fight_persons: Mapped[int] = mapped_column(Integer, default=0)
    prevent_suicide_persons: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_stats_month_town", "town_id", "basis", "ym"),)
