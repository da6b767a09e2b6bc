"""The demo town (白沙镇) and its demo accounts, for ``flask seed-demo``.

Everything here is invented: names, codes and people. Running it twice changes nothing the second
time (every object is looked up by a natural key before it is created).
"""
from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from portal.extensions import db
from portal.models.org import COUNTY, GRID, TOWN, VILLAGE, MediationCommittee, Mediator, OrgUnit
from portal.models.user import (ADMIN, COUNTY_VIEWER, GRID_WORKER, MEDIATOR, TOWN_LEADER, TOWN_STAFF,
                                VILLAGE_CADRE, User)

DEMO_PASSWORD = "portal-demo-2026"
COUNTY_NAME, COUNTY_CODE = "清河县", "620599000000"
TOWN_NAME, TOWN_CODE, TOWN_PREFIX = "白沙镇", "620599101000", "白沙"
#: (name, case prefix, number of grids): 13 villages and one community, 2–4 grids each. The names are
#: those of the town's sample ledger (shared/data/ledger-sample-2026-10.xlsx), so it imports as it is.
VILLAGES = [
    ("白沙村", "白沙村", 4), ("上庄村", "上庄", 3), ("西坪村", "西坪", 2), ("南山村", "南山", 3),
    ("北川村", "北川", 3), ("柳树村", "柳树", 3), ("杨家村", "杨家", 3), ("河湾村", "河湾", 4),
    ("新民村", "新民", 3), ("下庄村", "下庄", 3), ("李家村", "李家", 3), ("王家庄村", "王家庄", 3),
    ("东沟村", "东沟", 2), ("白沙社区", "白沙社区", 4),
]
GRID_NUMERALS = "一二三四"
#: Invented mediators per village committee: (title, sex, position); at least one woman each
#: (人民调解法 第八条).
VILLAGE_MEDIATORS = [("主任", "M", "CHAIR"), ("委员", "F", "MEMBER"), ("调解员", "M", "MEDIATOR")]
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨"


def _get_or_create_unit(level: str, name: str, parent: OrgUnit | None, code: str | None, sort: int) -> OrgUnit:
    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.level == level, OrgUnit.name == name,
                                                   OrgUnit.parent_id == (parent.id if parent else None)))
    if unit is None:
        unit = OrgUnit(level=level, name=name, parent=parent, division_code=code, sort=sort)
        db.session.add(unit)
        db.session.flush()
    return unit


def _get_or_create_committee(unit: OrgUnit, name: str, prefix: str, kind: str) -> MediationCommittee:
    committee = db.session.scalar(select(MediationCommittee).where(MediationCommittee.org_unit_id == unit.id))
    if committee is None:
        committee = MediationCommittee(org_unit=unit, name=name, case_prefix=prefix, committee_type=kind)
        db.session.add(committee)
        db.session.flush()
    return committee


def _get_or_create_user(username: str, display_name: str, role: str, unit: OrgUnit, password_hash: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, display_name=display_name, role=role, org_unit=unit,
                    password_hash=password_hash, is_demo=True, must_change_password=False)
        db.session.add(user)
        db.session.flush()
    return user


def seed_demo_org() -> dict:
    """Create the county, the town, 14 villages with 2–4 grids each and their committees.

    Returns ``{"county", "town", "villages": [...], "town_committee"}``. Caller commits.
    """
    county = _get_or_create_unit(COUNTY, COUNTY_NAME, None, COUNTY_CODE, 0)
    town = _get_or_create_unit(TOWN, TOWN_NAME, county, TOWN_CODE, 0)
    town_committee = _get_or_create_committee(town, f"{TOWN_NAME}人民调解委员会", TOWN_PREFIX, "TOWN")
    villages = []
    for index, (name, prefix, grid_count) in enumerate(VILLAGES, start=1):
        code = f"{TOWN_CODE[:9]}{200 + index:03d}"
        kind = "COMMUNITY" if name.endswith("社区") else "VILLAGE"
        village = _get_or_create_unit(VILLAGE, name, town, code, index)
        for g in range(grid_count):
            _get_or_create_unit(GRID, f"{name}第{GRID_NUMERALS[g]}网格", village, None, g + 1)
        committee = _get_or_create_committee(village, f"{name}人民调解委员会", prefix, kind)
        if not committee.mediators:
            for offset, (title, sex, position) in enumerate(VILLAGE_MEDIATORS):
                surname = SURNAMES[(index + offset) % len(SURNAMES)]
                db.session.add(Mediator(committee=committee, name=f"{surname}某{'甲乙丙'[offset]}",
                                        sex=sex, position=position))
        villages.append(village)
    db.session.flush()
    return {"county": county, "town": town, "villages": villages, "town_committee": town_committee}


def seed_demo_users(org: dict) -> list[User]:
    """Create the demo accounts (password ``portal-demo-2026``, marked demo, no forced change)."""
    password_hash = generate_password_hash(DEMO_PASSWORD)
    town, county, villages = org["town"], org["county"], org["villages"]
    users = [
        _get_or_create_user("admin", "系统管理员", ADMIN, county, password_hash),
        _get_or_create_user("zhongxin", "综治中心（演示）", TOWN_STAFF, town, password_hash),
        _get_or_create_user("lingdao", "镇领导（演示）", TOWN_LEADER, town, password_hash),
        _get_or_create_user("tiaojie", "镇调解员（演示）", MEDIATOR, town, password_hash),
        _get_or_create_user("xian", "县综治中心（演示）", COUNTY_VIEWER, county, password_hash),
    ]
    committee = org["town_committee"]
    mediator_user = users[3]
    if not db.session.scalar(select(Mediator).where(Mediator.user_id == mediator_user.id)):
        db.session.add(Mediator(committee=committee, user_id=mediator_user.id, name="周某调", sex="M",
                                position="MEDIATOR"))
        db.session.add(Mediator(committee=committee, name="孙某华", sex="F", position="CHAIR"))
        db.session.add(Mediator(committee=committee, name="吴某平", sex="M", position="MEMBER"))
    for index, village in enumerate(villages, start=1):
        users.append(_get_or_create_user(f"cun{index:02d}", f"{village.name}村干部（演示）", VILLAGE_CADRE, village,
                                         password_hash))
        worker = _get_or_create_user(f"wangge{index:02d}", f"{village.name}网格员（演示）", GRID_WORKER, village,
                                     password_hash)
        if not worker.grids:
            worker.grids = list(village.children[:2])
        users.append(worker)
    db.session.flush()
    return users


def seed_demo() -> dict:
    """Seed the demo town, its accounts and (when the disputes feature provides it) a year of demo
    disputes. Idempotent. Caller commits."""
    from portal.disputes.demo import seed_demo_disputes

    org = seed_demo_org()
    seed_demo_users(org)
    seed_demo_disputes(org)
    return org
