"""The one place that narrows queries to what a user may see (issue: scoping).

Every query for disputes, and everything hanging off a dispute (parties, events, records, documents,
attachments), goes through :func:`dispute_scope` / :func:`scoped_disputes` / :func:`get_dispute_or_404`.
Out-of-scope objects answer 404, never 403, so their existence is not revealed.

Scope by role (domain.md 2.2): grid workers see the disputes of their grids; everybody else sees the
subtree of their ``org_unit`` (a village cadre: one village; town roles: the town; county viewers: the
county).
"""
from __future__ import annotations

from flask import abort, g
from sqlalchemy import ColumnElement, false, select
from sqlalchemy.sql import Select

from portal.extensions import db
from portal.models.dispute import Dispute
from portal.models.org import COUNTY, GRID, TOWN, VILLAGE, OrgUnit
from portal.models.user import GRID_WORKER, User


def dispute_scope(user: User) -> ColumnElement[bool]:
    """Return the SQL condition on :class:`Dispute` that limits rows to ``user``'s scope."""
    if user.role == GRID_WORKER:
        grid_ids = [grid.id for grid in user.grids]
        return Dispute.grid_id.in_(grid_ids) if grid_ids else false()
    root = user.org_unit
    column = {COUNTY: Dispute.county_id, TOWN: Dispute.town_id, VILLAGE: Dispute.village_id,
              GRID: Dispute.grid_id}[root.level]
    return column == root.id


def scoped_disputes(user: User, stmt: Select | None = None) -> Select:
    """Return ``stmt`` (default ``select(Dispute)``) narrowed to ``user``'s scope."""
    stmt = select(Dispute) if stmt is None else stmt
    return stmt.where(dispute_scope(user))


def get_dispute_or_404(dispute_id: int, user: User) -> Dispute:
    """Load a dispute visible to ``user`` or abort with 404 (also when it exists out of scope)."""
    dispute = db.session.scalar(scoped_disputes(user).where(Dispute.id == dispute_id))
    if dispute is None:
        abort(404)
    return dispute


def org_subtree_ids(root: OrgUnit) -> list[int]:
    """Return the ids of ``root`` and all its descendants (the tree is at most four levels deep)."""
    ids = [root.id]
    frontier = [root.id]
    while frontier:
        frontier = list(db.session.scalars(select(OrgUnit.id).where(OrgUnit.parent_id.in_(frontier))))
        ids.extend(frontier)
    return ids


def visible_org_ids(user: User) -> list[int]:
    """Return the org units ``user`` may see: the subtree of their scope root (cached per request)."""
    cache = g.setdefault("_visible_org_ids", {})
    if user.id not in cache:
        cache[user.id] = org_subtree_ids(user.org_unit)
    return cache[user.id]


def scoped_org_units(user: User, level: str | None = None) -> Select:
    """``select(OrgUnit)`` limited to ``user``'s subtree (optionally one level), in tree order."""
    stmt = select(OrgUnit).where(OrgUnit.id.in_(visible_org_ids(user)))
    if level:
        stmt = stmt.where(OrgUnit.level == level)
    return stmt.order_by(OrgUnit.sort, OrgUnit.id)


def get_org_unit_or_404(unit_id: int, user: User) -> OrgUnit:
    """Load an org unit inside ``user``'s subtree or abort with 404."""
    if unit_id not in visible_org_ids(user):
        abort(404)
    return db.session.get(OrgUnit, unit_id) or abort(404)
