"""What each role may do (domain.md 2.2). Object visibility is :mod:`portal.scoping`'s job;
this module answers "may this user do X", and :func:`require` turns a missing capability into 403.
"""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from portal.models.user import (ADMIN, COUNTY_VIEWER, GRID_WORKER, MEDIATOR, TOWN_LEADER, TOWN_STAFF,
                                VILLAGE_CADRE, User)

#: capability -> roles that have it
CAPABILITIES: dict[str, frozenset[str]] = {
    "org.manage": frozenset({ADMIN}),
    "user.manage": frozenset({ADMIN}),
    "dict.manage": frozenset({ADMIN}),
    # Disputes (issue 3).
    "dispute.view": frozenset({ADMIN, TOWN_STAFF, TOWN_LEADER, MEDIATOR, VILLAGE_CADRE, GRID_WORKER, COUNTY_VIEWER}),
    "dispute.register": frozenset({TOWN_STAFF, MEDIATOR, VILLAGE_CADRE, GRID_WORKER}),
    "dispute.edit": frozenset({TOWN_STAFF, MEDIATOR, VILLAGE_CADRE}),
    "dispute.accept": frozenset({TOWN_STAFF, MEDIATOR, VILLAGE_CADRE}),
    "dispute.mediate": frozenset({TOWN_STAFF, MEDIATOR, VILLAGE_CADRE}),
    "dispute.escalate": frozenset({TOWN_STAFF, MEDIATOR, VILLAGE_CADRE, GRID_WORKER}),
    "dispute.receive": frozenset({TOWN_STAFF, TOWN_LEADER, COUNTY_VIEWER, VILLAGE_CADRE}),
    "dispute.void": frozenset({TOWN_STAFF}),
    "dispute.assign_leader": frozenset({TOWN_STAFF, TOWN_LEADER}),
    "pii.reveal": frozenset({TOWN_STAFF, TOWN_LEADER, MEDIATOR, VILLAGE_CADRE}),
    # Documents and records (issue 4).
    "document.print": frozenset({TOWN_STAFF, MEDIATOR, VILLAGE_CADRE}),
    # Reports (issue 5).
    "report.view": frozenset({ADMIN, TOWN_STAFF, TOWN_LEADER, MEDIATOR, VILLAGE_CADRE, COUNTY_VIEWER}),
    "report.prepare": frozenset({TOWN_STAFF}),
    "report.sign": frozenset({TOWN_LEADER}),
    "campaign.manage": frozenset({TOWN_STAFF}),
    "screening.file": frozenset({VILLAGE_CADRE, TOWN_STAFF}),
    # Excel (issue 6).
    "ledger.import": frozenset({TOWN_STAFF, VILLAGE_CADRE}),
    "ledger.export": frozenset({TOWN_STAFF, TOWN_LEADER, VILLAGE_CADRE, COUNTY_VIEWER}),
    "export.unmasked": frozenset({TOWN_STAFF}),
}


def can(user: User, capability: str) -> bool:
    """True when ``user`` (possibly anonymous) has ``capability``. Unknown capabilities raise KeyError."""
    roles = CAPABILITIES[capability]
    return bool(getattr(user, "is_authenticated", False)) and user.role in roles


def require(capability: str):
    """View decorator: login required, then 403 unless the user has ``capability``."""
    CAPABILITIES[capability]  # fail at import time on a typo

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not can(current_user, capability):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
