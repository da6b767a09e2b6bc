"""Writing the audit log (PIPL Art. 51, 55; domain.md 4.15). The caller's request commits it."""
from __future__ import annotations

import json
from typing import Any, Optional

from flask import has_request_context, request
from flask_login import current_user

from portal.extensions import db
from portal.models.user import AuditLog, User


def audit(action: str, *, entity: Optional[str] = None, entity_id: Optional[int] = None,
          detail: Any = None, user: Optional[User] = None, username: Optional[str] = None) -> AuditLog:
    """Add an audit row (flushed with the session, committed by the request).

    :param action: e.g. ``LOGIN``, ``LOGIN_FAILED``, ``LOCKOUT``, ``VIEW_UNMASKED``, ``EXPORT``, ``PRINT``.
    :param detail: any JSON-serialisable value (stored as JSON text) or a plain string.
    :param user: the acting user; defaults to the logged-in user.
    """
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user._get_current_object()
    row = AuditLog(
        action=action,
        entity=entity,
        entity_id=entity_id,
        detail=detail if isinstance(detail, str) or detail is None else json.dumps(detail, ensure_ascii=False),
        user_id=user.id if user else None,
        username=username or (user.username if user else None),
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(row)
    return row
