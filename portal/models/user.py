"""User accounts, roles and the audit log.

Roles follow domain.md 2.2. Each user has one role and one scope root in the org tree
(``org_unit``); grid workers also have the grids they cover (``grids``).
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, TimestampMixin, UTCDateTime, utcnow
from portal.models.org import OrgUnit

ADMIN = "ADMIN"
TOWN_STAFF = "TOWN_STAFF"
TOWN_LEADER = "TOWN_LEADER"
MEDIATOR = "MEDIATOR"
VILLAGE_CADRE = "VILLAGE_CADRE"
GRID_WORKER = "GRID_WORKER"
COUNTY_VIEWER = "COUNTY_VIEWER"
ROLES = (ADMIN, TOWN_STAFF, TOWN_LEADER, MEDIATOR, VILLAGE_CADRE, GRID_WORKER, COUNTY_VIEWER)

user_grid = Table(
    "user_grid",
    Base.metadata,
    Column("user_id", Integer, ForeignKey("user.id"), primary_key=True),
    Column("grid_id", Integer, ForeignKey("org_unit.id"), primary_key=True),
)


class User(UserMixin, TimestampMixin, Base):
    """A person who logs in. Passwords are stored as scrypt hashes (werkzeug.security).

    ``failed_logins`` and ``locked_until`` live in the database so a lockout survives restarts.
    """

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_login_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Bumped on password change/reset/deactivation: sessions carrying an older value are ended.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")

    org_unit: Mapped[OrgUnit] = relationship()
    grids: Mapped[list[OrgUnit]] = relationship(secondary=user_grid, order_by="OrgUnit.sort")

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated accounts cannot log in
        return self.active

    def get_id(self) -> str:
        """Session identity: id plus session version, so a password change ends other sessions."""
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class AuditLog(Base):
    """One audited action (PIPL Art. 51, 55; domain.md 4.15): who, when, what, on which object."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"), index=True)
    username: Mapped[Optional[str]] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(30), index=True)
    entity: Mapped[Optional[str]] = mapped_column(String(30))
    entity_id: Mapped[Optional[int]] = mapped_column(Integer)
    detail: Mapped[Optional[str]] = mapped_column(Text)
    ip: Mapped[Optional[str]] = mapped_column(String(45))

    user: Mapped[Optional[User]] = relationship()
