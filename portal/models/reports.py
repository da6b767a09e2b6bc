"""Report versions (月报表 snapshots, domain.md 4.14).

A :class:`ReportVersion` is one version of the statistical report of one unit (town, village or
county) for one period (month, quarter, year or campaign). Drafts show live figures; submitting
freezes the figures (JSON) and the PDF bytes with their sha256, so the printed report stays
reproducible whatever happens to the disputes later. Re-opening never edits a frozen version: it
creates the next version (a draft) carrying the reason.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
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
