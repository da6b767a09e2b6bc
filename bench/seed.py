"""Bulk seeder for benchmarks: N disputes (with two parties and one event each) for the demo town,
written with Core ``executemany`` in large batches (100,000 disputes in well under a minute).

Usage: ``python -m bench.seed --instance DIR --disputes 100000`` (the database must be migrated and
hold the demo town). The data is synthetic and deterministic.
"""
from __future__ import annotations

import argparse
import random
from datetime import date, timedelta

from sqlalchemy import insert, select

from portal.disputes.services import search_key
from portal.extensions import db
from portal.models.dispute import Dispute, DisputeEvent, NumberCounter, Party
from portal.models.org import GRID, VILLAGE, MediationCommittee, OrgUnit
from portal.models.user import User
from portal.reports import summary as stats_summary
from portal.timeutil import now_utc
from portal.validation import id_check_char

CATEGORIES = ["NEIGHBOUR", "MARRIAGE_FAMILY", "HOUSING_HOMESTEAD", "CONTRACT", "DAMAGES", "FOREST_LAND", "LABOUR",
              "OTHER"]
STATUSES = ["CLOSED"] * 6 + ["PERFORMED", "MEDIATING", "ACCEPTED", "REPORTED", "FAILED", "AGREED"]
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
GIVEN = "一二三四五六七八九十甲乙丙丁戊己庚辛壬癸"


def _resident_id(rng: random.Random) -> str:
    birth = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 50))
    first17 = f"620599{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return first17 + id_check_char(first17)


def bulk_seed(count: int, *, seed: int = 1, batch: int = 5000) -> int:
    """Insert ``count`` synthetic disputes into the demo town; returns the number inserted.

    Requires an app context on a migrated database holding the demo town (portal.seed).
    """
    rng = random.Random(seed)
    town = db.session.scalar(select(OrgUnit).where(OrgUnit.level == "TOWN").order_by(OrgUnit.id))
    villages = db.session.scalars(select(OrgUnit).where(OrgUnit.level == VILLAGE, OrgUnit.parent_id == town.id)).all()
    grids = {v.id: db.session.scalars(select(OrgUnit.id).where(OrgUnit.level == GRID, OrgUnit.parent_id == v.id)).all()
             for v in villages}
    committees = {c.org_unit_id: c for c in db.session.scalars(select(MediationCommittee))}
    staff = db.session.scalar(select(User).where(User.username == "zhongxin"))
    start_serial = (db.session.scalar(select(NumberCounter.last).where(
        NumberCounter.series == "LEDGER", NumberCounter.owner_id == town.id, NumberCounter.year == 2026)) or 0)
    today = date(2026, 11, 28)
    now = now_utc()
    first_id = (db.session.scalar(select(Dispute.id).order_by(Dispute.id.desc()).limit(1)) or 0) + 1
    done = 0
    while done < count:
        disputes, parties, events = [], [], []
        for offset in range(min(batch, count - done)):
            number = done + offset
            dispute_id = first_id + number
            village = villages[number % len(villages)]
            grid_id = rng.choice(grids[village.id])
            found = today - timedelta(days=rng.randrange(0, 330))
            status = rng.choice(STATUSES)
            accepted = found + timedelta(days=rng.randrange(0, 3)) if status != "REPORTED" else None
            names = [rng.choice(SURNAMES) + "某" + rng.choice(GIVEN) for _ in range(2)]
            ids = [_resident_id(rng) for _ in range(2)]
            phones = [f"138{rng.randrange(0, 10**8):08d}" for _ in range(2)]
            category = rng.choice(CATEGORIES)
            title = f"{names[0]}与{names[1]}纠纷"
            summary = f"第{number}号测试纠纷：双方因琐事发生争执，经网格员排查发现并登记。"
            serial = start_serial + number + 1
            committee = committees.get(village.id)
            disputes.append({
                "id": dispute_id, "version_id": 1, "ledger_year": 2026, "ledger_serial": serial,
                "case_no": f"（2026）{committee.case_prefix}人调字第B{serial:06d}号" if accepted else None,
                "case_year": 2026 if accepted else None, "case_seq": 100000 + serial if accepted else None,
                "committee_id": committee.id if accepted else None,
                "title": title, "summary": summary, "found_date": found, "found_by_id": staff.id,
                "channel": "SCREENING", "source": "INITIATIVE", "county_id": town.parent_id, "town_id": town.id,
                "village_id": village.id, "grid_id": grid_id, "category": category,
                "risk_level": rng.choice(["GREEN"] * 8 + ["YELLOW", "RED"]), "handling_level": "VILLAGE",
                "status": status, "accepted_date": accepted,
                "deadline": accepted + timedelta(days=30) if accepted else None,
                "resolved_date": accepted + timedelta(days=10) if status in ("CLOSED", "PERFORMED") else None,
                "result": "AGREED_ORAL" if status in ("CLOSED", "PERFORMED", "AGREED") else None,
                "major_flags": [], "measures": [], "prevention_flags": {},
                "search_text": "\n".join(search_key(x) for x in [title, summary, *names, *ids, *phones]),
                "created_at": now, "updated_at": now, "registrar_id": staff.id,
            })
            for side, (name, id_number, phone) in zip(("APPLICANT", "RESPONDENT"), zip(names, ids, phones)):
                parties.append({"dispute_id": dispute_id, "side": side, "sort": 0, "party_type": "PERSON",
                                "name": name, "name_norm": search_key(name), "id_type": "RESIDENT_ID",
                                "id_number": id_number, "phone": phone})
            events.append({"dispute_id": dispute_id, "at": now, "user_id": staff.id, "action": "REGISTERED",
                           "to_status": status, "changes": []})
        db.session.execute(insert(Dispute.__table__), disputes)
        db.session.execute(insert(Party.__table__), parties)
        db.session.execute(insert(DisputeEvent.__table__), events)
        db.session.commit()
        done += len(disputes)
    counter = db.session.scalar(select(NumberCounter).where(
        NumberCounter.series == "LEDGER", NumberCounter.owner_id == town.id, NumberCounter.year == 2026))
    if counter is None:
        db.session.add(NumberCounter(series="LEDGER", owner_id=town.id, year=2026, last=start_serial + count))
    else:
        counter.last = start_serial + count
    stats_summary.rebuild(db.session, town.id)  # the Core inserts bypass the ORM hook that keeps it exact
    db.session.commit()
    return done


def main() -> None:
    """Command line: migrate, seed the demo town and bulk-insert disputes into ``--instance``."""
    import os
    import time

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instance", required=True)
    parser.add_argument("--disputes", type=int, default=100_000)
    args = parser.parse_args()
    os.environ["PORTAL_INSTANCE"] = args.instance
    os.makedirs(args.instance, exist_ok=True)
    from flask_migrate import upgrade

    from portal import create_app
    from portal.seed import seed_demo_org, seed_demo_users

    app = create_app()
    with app.app_context():
        upgrade()
        seed_demo_users(seed_demo_org())
        db.session.commit()
        started = time.perf_counter()
        inserted = bulk_seed(args.disputes)
        print(f"{inserted} disputes in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
