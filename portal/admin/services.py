"""Operations of the administration pages: the organisation tree, mediation committees and accounts.

Every function here changes the session and flushes; the view commits once per request. Each change is
audited (:func:`portal.audit.audit`). Nothing that other rows refer to is ever hard-deleted: units and
accounts are deactivated instead (issue 2; domain.md 4.1).
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from portal.audit import audit
from portal.auth.services import set_password
from portal.extensions import db
from portal.models.base import Base
from portal.models.org import CHILD_LEVEL, COUNTY, GRID, TOWN, VILLAGE, MediationCommittee, Mediator, OrgUnit
from portal.models.user import (ADMIN, COUNTY_VIEWER, GRID_WORKER, MEDIATOR, TOWN_LEADER, TOWN_STAFF,
                                VILLAGE_CADRE, User)
from portal.scoping import org_subtree_ids

#: Chinese statistical division codes have 12 digits; the significant prefix of each level
#: (county 6, town 9, village 12) is shared by every code below it.
DIVISION_CODE = re.compile(r"^\d{12}$")
PREFIX_DIGITS = {COUNTY: 6, TOWN: 9, VILLAGE: 12}

LEVEL_LABELS = {COUNTY: _l("County"), TOWN: _l("Town"), VILLAGE: _l("Village / community"), GRID: _l("Grid")}

#: Levels a role's scope unit may have (domain.md 2.2). Grid workers are scoped by their grids.
ROLE_LEVELS: dict[str, tuple[str, ...]] = {
    ADMIN: (COUNTY, TOWN),
    TOWN_STAFF: (TOWN,),
    TOWN_LEADER: (TOWN,),
    MEDIATOR: (TOWN, VILLAGE),
    VILLAGE_CADRE: (VILLAGE,),
    GRID_WORKER: (VILLAGE,),
    COUNTY_VIEWER: (COUNTY,),
}
ROLE_LABELS = {
    TOWN_STAFF: _l("Town centre staff"), TOWN_LEADER: _l("Town leader"), MEDIATOR: _l("Mediator"),
    VILLAGE_CADRE: _l("Village cadre"), GRID_WORKER: _l("Grid worker"), COUNTY_VIEWER: _l("County viewer"),
    ADMIN: _l("System administrator"),
}

#: Committee types as grouped in official statistics (domain.md 3.6).
COMMITTEE_TYPES = {
    "VILLAGE": _l("Village committee"), "COMMUNITY": _l("Community committee"),
    "TOWN": _l("Township committee"), "SUBDISTRICT": _l("Sub-district committee"),
    "ENTERPRISE": _l("Enterprise or institution committee"), "SECTOR": _l("Sector or professional committee"),
}
SEXES = {"M": _l("Male"), "F": _l("Female")}
POSITIONS = {"CHAIR": _l("Chair"), "VICE_CHAIR": _l("Vice chair"), "MEMBER": _l("Member"),
             "MEDIATOR": _l("Mediator")}
#: 委员 (member of the committee, 人民调解法 第九条) or 聘任 (appointed mediator, 第十三条).
APPOINTMENT_TYPES = {"MEMBER": _l("Committee member (elected)"), "APPOINTED": _l("Appointed mediator")}


class AdminError(ValueError):
    """A refused change. ``field`` names the form field the message belongs to (or None)."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# ----------------------------------------------------------------------------------------------
# Organisation tree


def check_division_code(code: str | None, level: str, parent: OrgUnit | None, unit: OrgUnit | None = None) -> str | None:
    """Validate a 12-digit division code (统计用区划代码) for a unit at ``level`` under ``parent``.

    :returns: the code, or None when empty.
    :raises AdminError: not 12 digits, not starting with the parent's significant prefix (county 6,
        town 9 digits), or already used by another unit.
    """
    code = (code or "").strip()
    if not code:
        return None
    if not DIVISION_CODE.match(code):
        raise AdminError(_l("A division code has exactly 12 digits."), "division_code")
    if parent is not None and parent.division_code and parent.level in PREFIX_DIGITS:
        prefix = parent.division_code[:PREFIX_DIGITS[parent.level]]
        if not code.startswith(prefix):
            raise AdminError(_l("The code must start with %(prefix)s, like the code of %(parent)s.",
                                prefix=prefix, parent=parent.name), "division_code")
    other = db.session.scalar(select(OrgUnit).where(OrgUnit.division_code == code))
    if other is not None and other is not unit:
        raise AdminError(_l("This code is already used by %(name)s.", name=other.name), "division_code")
    return code


def _check_name(name: str, parent: OrgUnit | None, unit: OrgUnit | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise AdminError(_l("Enter a name."), "name")
    sibling = db.session.scalar(select(OrgUnit).where(
        OrgUnit.parent_id == (parent.id if parent else None), func.lower(OrgUnit.name) == name.lower()))
    if sibling is not None and sibling is not unit:
        raise AdminError(_l("%(name)s already exists here.", name=name), "name")
    return name


def add_child(parent: OrgUnit, name: str, division_code: str | None) -> OrgUnit:
    """Add a unit one level below ``parent`` (town under county, village under town, grid under village),
    placed last among its siblings.

    :raises AdminError: ``parent`` is a grid or inactive, the name is empty or taken, the code is invalid.
    """
    level = CHILD_LEVEL.get(parent.level)
    if level is None:
        raise AdminError(_l("Grids have no units below them."))
    if not parent.active:
        raise AdminError(_l("Reactivate %(name)s first.", name=parent.name))
    name = _check_name(name, parent)
    code = check_division_code(division_code, level, parent) if level != GRID or division_code else None
    last = db.session.scalar(select(func.max(OrgUnit.sort)).where(OrgUnit.parent_id == parent.id)) or 0
    unit = OrgUnit(level=level, name=name, parent=parent, division_code=code, sort=last + 1, active=True)
    db.session.add(unit)
    db.session.flush()
    audit("ORG_CREATED", entity="org_unit", entity_id=unit.id,
          detail={"name": name, "level": level, "parent": parent.name, "code": code})
    return unit


def update_unit(unit: OrgUnit, name: str, division_code: str | None) -> None:
    """Rename ``unit`` and set its division code. :raises AdminError: see :func:`add_child`."""
    before = {"name": unit.name, "code": unit.division_code}
    unit.name = _check_name(name, unit.parent, unit)
    unit.division_code = check_division_code(division_code, unit.level, unit.parent, unit)
    after = {"name": unit.name, "code": unit.division_code}
    if before != after:
        db.session.flush()
        audit("ORG_UPDATED", entity="org_unit", entity_id=unit.id, detail={"before": before, "after": after})


def move_unit(unit: OrgUnit, direction: str) -> None:
    """Move ``unit`` one place ``"up"`` or ``"down"`` among its siblings (renumbers their ``sort``)."""
    if unit.parent is None:
        return
    siblings = sorted(unit.parent.children, key=lambda u: (u.sort, u.id))
    index = siblings.index(unit)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(siblings):
        return
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings, start=1):
        sibling.sort = position
    db.session.flush()
    audit("ORG_MOVED", entity="org_unit", entity_id=unit.id, detail={"name": unit.name, "direction": direction})


def set_unit_active(unit: OrgUnit, active: bool) -> None:
    """Deactivate ``unit`` with everything below it, or reactivate the unit alone.

    Deactivated units keep their history and disappear from pick lists.
    :raises AdminError: reactivating below an inactive parent.
    """
    if active and unit.parent is not None and not unit.parent.active:
        raise AdminError(_l("Reactivate %(name)s first.", name=unit.parent.name))
    ids = [unit.id] if active else org_subtree_ids(unit)
    db.session.execute(update(OrgUnit).where(OrgUnit.id.in_(ids)).values(active=active))
    db.session.expire_all()
    audit("ORG_REACTIVATED" if active else "ORG_DEACTIVATED", entity="org_unit", entity_id=unit.id,
          detail={"name": unit.name, "units": len(ids)})


def unit_references(unit: OrgUnit) -> int:
    """Count the rows of every table that refer to ``unit`` (children, users, committees, disputes,
    grids of users, and whatever later features add): a unit with references is never deleted."""
    total = 0
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == OrgUnit.__tablename__ and fk.column.name == "id":
                total += db.session.scalar(select(func.count()).select_from(table).where(fk.parent == unit.id))
    return total


def referenced_unit_ids(ids: list[int]) -> set[int]:
    """Return those of ``ids`` that some row refers to (one query per referring column)."""
    found: set[int] = set()
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == OrgUnit.__tablename__ and fk.column.name == "id":
                found.update(db.session.scalars(select(fk.parent).where(fk.parent.in_(ids)).distinct()))
    return found


def delete_unit(unit: OrgUnit) -> None:
    """Hard-delete a unit that nothing refers to (a typo just made). :raises AdminError: it has references."""
    if unit.parent is None or unit_references(unit):
        raise AdminError(_l("%(name)s is in use and cannot be deleted; deactivate it instead.", name=unit.name))
    audit("ORG_DELETED", entity="org_unit", entity_id=unit.id, detail={"name": unit.name, "level": unit.level})
    db.session.delete(unit)
    db.session.flush()


def tree_children(root: OrgUnit) -> dict[int | None, list[OrgUnit]]:
    """Load ``root``'s subtree in one query; returns ``{parent id: [children in order]}``."""
    units = db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(org_subtree_ids(root)))
                               .order_by(OrgUnit.sort, OrgUnit.id)).all()
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    return children


def unit_path(unit: OrgUnit, root: OrgUnit | None = None) -> str:
    """``白沙镇 / 上庄村 / 上庄村第一网格``: the names from below ``root`` (or the top) down to ``unit``."""
    names = []
    node: OrgUnit | None = unit
    while node is not None:
        names.append(node.name)
        if root is not None and node.id == root.id:
            break
        node = node.parent
    return " / ".join(reversed(names))


# ----------------------------------------------------------------------------------------------
# Mediation committees (人民调解法 第八条、第九条、第十三条、第三十四条)


def committee_warnings(committee: MediationCommittee) -> list[str]:
    """Return the composition warnings for ``committee`` (warnings, not blockers).

    人民调解法 第八条: a committee has 3 to 9 members (委员), one chair, and should have a woman member
    (and members of minority nationalities where they live). Appointed mediators (第十三条) do not count.
    """
    members = [m for m in committee.mediators if m.active and m.appointment_type == "MEMBER"]
    warnings = []
    if len(members) < 3:
        warnings.append(str(_l("Only %(n)d committee members; the law asks for 3 to 9.", n=len(members))))
    elif len(members) > 9:
        warnings.append(str(_l("%(n)d committee members; the law asks for 3 to 9.", n=len(members))))
    if not any(m.sex == "F" for m in members):
        warnings.append(str(_l("No woman among the committee members.")))
    if not any(m.position == "CHAIR" for m in members):
        warnings.append(str(_l("No chair.")))
    return warnings


def create_committee(unit: OrgUnit, data: dict) -> MediationCommittee:
    """Create the mediation committee of a town or village unit.

    :raises AdminError: the unit is not a town or village, or already has a committee.
    """
    if unit.level not in (TOWN, VILLAGE):
        raise AdminError(_l("Only towns and villages have mediation committees."))
    if db.session.scalar(select(MediationCommittee).where(MediationCommittee.org_unit_id == unit.id)):
        raise AdminError(_l("%(name)s already has a mediation committee.", name=unit.name))
    committee = MediationCommittee(org_unit=unit, active=True, **data)
    db.session.add(committee)
    db.session.flush()
    audit("COMMITTEE_CREATED", entity="mediation_committee", entity_id=committee.id, detail={"name": committee.name})
    return committee


def update_committee(committee: MediationCommittee, data: dict) -> None:
    """Change a committee's name, case prefix, type and term (audited)."""
    for key, value in data.items():
        setattr(committee, key, value)
    db.session.flush()
    audit("COMMITTEE_UPDATED", entity="mediation_committee", entity_id=committee.id,
          detail={k: str(v) if v is not None else None for k, v in data.items()})


def save_mediator(committee: MediationCommittee, data: dict, mediator: Mediator | None = None) -> Mediator:
    """Add a mediator to ``committee`` or change ``mediator`` (audited; the phone is not logged)."""
    created = mediator is None
    if mediator is None:
        mediator = Mediator(committee=committee, active=True)
        db.session.add(mediator)
    for key, value in data.items():
        setattr(mediator, key, value)
    db.session.flush()
    audit("MEDIATOR_CREATED" if created else "MEDIATOR_UPDATED", entity="mediator", entity_id=mediator.id,
          detail={"committee": committee.name, "name": mediator.name})
    return mediator


def set_mediator_active(mediator: Mediator, active: bool) -> None:
    """Take a mediator off the committee (kept for the records that name them) or back on."""
    mediator.active = active
    db.session.flush()
    audit("MEDIATOR_REACTIVATED" if active else "MEDIATOR_DEACTIVATED", entity="mediator", entity_id=mediator.id,
          detail={"name": mediator.name})


# ----------------------------------------------------------------------------------------------
# Accounts (GB/T 22239-2019 level 2: identification, password policy, audit of account changes)


def resolve_scope(role: str, unit: OrgUnit | None, grids: list[OrgUnit]) -> OrgUnit:
    """Return the scope root for a user with ``role``: ``unit`` for most roles; for grid workers the
    village of their grids (or the town when the grids lie in several villages).

    :raises AdminError: the unit's level does not fit the role, or a grid worker has no grids, or
        another role was given grids.
    """
    if role == GRID_WORKER:
        if not grids:
            raise AdminError(_l("Choose the grids this grid worker covers."), "grids")
        parents = {grid.parent for grid in grids}
        return parents.pop() if len(parents) == 1 else grids[0].parent.parent
    if grids:
        raise AdminError(_l("Only grid workers have grids."), "grids")
    if unit is None:
        raise AdminError(_l("Choose a unit."), "org_unit_id")
    if unit.level not in ROLE_LEVELS[role]:
        allowed = "、".join(str(LEVEL_LABELS[level]) for level in ROLE_LEVELS[role])
        raise AdminError(_l("For this role choose a unit of level: %(levels)s.", levels=allowed), "org_unit_id")
    return unit


def username_taken(username: str, user: User | None = None) -> bool:
    """True when another account has ``username`` (compared case-insensitively, like the login)."""
    other = db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    return other is not None and other is not user


def create_user(*, username: str, display_name: str, role: str, unit: OrgUnit | None, grids: list[OrgUnit],
                phone: str | None, password: str) -> User:
    """Create an account that must change its password at first login.

    :raises AdminError: name taken, scope invalid (see :func:`resolve_scope`).
    :raises portal.auth.services.PasswordPolicyError: the initial password breaks the policy.
    """
    username = username.strip()
    if username_taken(username):
        raise AdminError(_l("This user name is taken."), "username")
    scope = resolve_scope(role, unit, grids)
    user = User(username=username, display_name=display_name.strip(), role=role, org_unit=scope,
                phone=phone or None, grids=list(grids), password_hash="", active=True, is_demo=False)
    set_password(user, password, must_change=True)
    db.session.add(user)
    db.session.flush()
    audit("USER_CREATED", entity="user", entity_id=user.id,
          detail={"username": username, "role": role, "scope": scope.name, "grids": [g.name for g in grids]})
    return user


def update_user(user: User, *, display_name: str, role: str, unit: OrgUnit | None, grids: list[OrgUnit],
                phone: str | None, acting: User) -> None:
    """Change an account's name, phone, role and scope (audited with before and after).

    A role or scope change ends the user's sessions. :raises AdminError: see :func:`resolve_scope`;
    an admin changing their own role or scope.
    """
    scope = resolve_scope(role, unit, grids)
    if user.id == acting.id and (role != user.role or scope.id != user.org_unit_id):
        raise AdminError(_l("You cannot change your own role or area."), "role")
    before = _account_facts(user)
    phone_changed = (user.phone or None) != (phone or None)
    user.display_name = display_name.strip()
    user.phone = phone or None
    user.role = role
    user.org_unit = scope
    user.grids = list(grids)
    after = _account_facts(user)
    if before["role"] != after["role"] or before["scope"] != after["scope"] or before["grids"] != after["grids"]:
        user.session_version = (user.session_version or 1) + 1
    db.session.flush()
    if before != after or phone_changed:
        audit("USER_UPDATED", entity="user", entity_id=user.id,
              detail={"before": before, "after": after, "phone_changed": phone_changed})


def _account_facts(user: User) -> dict:
    return {"display_name": user.display_name, "role": user.role, "scope": user.org_unit.name,
            "grids": [g.name for g in user.grids]}


def reset_password(user: User, password: str) -> None:
    """Set a temporary password the user must change at next login; unlocks and ends their sessions.

    :raises portal.auth.services.PasswordPolicyError: the password breaks the policy.
    """
    set_password(user, password, must_change=True)
    audit("PASSWORD_RESET", entity="user", entity_id=user.id, detail={"username": user.username})


def set_user_active(user: User, active: bool, acting: User) -> None:
    """Deactivate an account (ends its sessions; it can no longer log in) or reactivate it.

    :raises AdminError: an admin deactivating their own account.
    """
    if user.id == acting.id and not active:
        raise AdminError(_l("You cannot deactivate your own account."))
    user.active = active
    if not active:
        user.session_version = (user.session_version or 1) + 1
    db.session.flush()
    audit("USER_REACTIVATED" if active else "USER_DEACTIVATED", entity="user", entity_id=user.id,
          detail={"username": user.username})


def unlock_user(user: User) -> None:
    """Lift a login lockout before its 15 minutes are over (audited)."""
    user.locked_until = None
    user.failed_logins = 0
    db.session.flush()
    audit("USER_UNLOCKED", entity="user", entity_id=user.id, detail={"username": user.username})

