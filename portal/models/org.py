"""The organisation tree (county → town → village → grid) and mediation committees.

Sources: domain.md 2.1 and 4.1; 人民调解法 第八条 (village committees), 第三十四条 (town committees).
"""
from __future__ import annotations

from datetime import date
from typing import Optional

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, TimestampMixin

COUNTY, TOWN, VILLAGE, GRID = "COUNTY", "TOWN", "VILLAGE", "GRID"
LEVELS = (COUNTY, TOWN, VILLAGE, GRID)
CHILD_LEVEL = {COUNTY: TOWN, TOWN: VILLAGE, VILLAGE: GRID}


class OrgUnit(TimestampMixin, Base):
    """One node of the tree. ``level`` is one of COUNTY, TOWN, VILLAGE (村/社区) or GRID (网格).

    Units are never hard-deleted once anything refers to them; ``active`` = False hides them from
    pick lists while keeping history readable.
    """

    __tablename__ = "org_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(10), index=True)
    name: Mapped[str] = mapped_column(String(60))
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("org_unit.id"), index=True)
    division_code: Mapped[Optional[str]] = mapped_column(String(12))
    sort: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Optional["OrgUnit"]] = relationship(remote_side="OrgUnit.id", back_populates="children")
    children: Mapped[list["OrgUnit"]] = relationship(
        back_populates="parent", order_by="(OrgUnit.sort, OrgUnit.id)"
    )

    def ancestor(self, level: str) -> Optional["OrgUnit"]:
        """Return this unit or its nearest ancestor at ``level`` (None if there is none)."""
        node: Optional[OrgUnit] = self
        while node is not None and node.level != level:
            node = node.parent
        return node

    def __repr__(self) -> str:
        return f"<OrgUnit {self.level} {self.name}>"


class MediationCommittee(TimestampMixin, Base):
    """A people's mediation committee (人民调解委员会) attached to a town or village unit.

    ``case_prefix`` is the short name printed in case numbers, e.g. 白沙 in （2026）白沙人调字第001号.
    """

    __tablename__ = "mediation_committee"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    committee_type: Mapped[str] = mapped_column(String(20), default="VILLAGE")
    case_prefix: Mapped[str] = mapped_column(String(20))
    term_start: Mapped[Optional[date]] = mapped_column(Date)
    term_end: Mapped[Optional[date]] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    org_unit: Mapped[OrgUnit] = relationship()
    mediators: Mapped[list["Mediator"]] = relationship(back_populates="committee", order_by="Mediator.id")


class Mediator(TimestampMixin, Base):
    """A people's mediator (人民调解员, 人民调解法 第十三条), optionally linked to a user account."""

    __tablename__ = "mediator"

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("mediation_committee.id"), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    sex: Mapped[Optional[str]] = mapped_column(String(1))
    position: Mapped[Optional[str]] = mapped_column(String(20))
    appointment_type: Mapped[str] = mapped_column(String(10), default="MEMBER")
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    committee: Mapped[MediationCommittee] = relationship(back_populates="mediators")
