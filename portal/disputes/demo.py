"""A year of invented demo disputes for the demo town (白沙镇), for ``flask seed-demo``.

Deterministic (``random.Random(SEED)``) and idempotent: every demo dispute carries the import key
``demo-NNNN`` and :func:`portal.disputes.services.create_dispute` returns the existing one on a second
run. Names are obviously invented (surname + 某 + one character), ID numbers are synthetic but valid
(address code 620599, computed check character, GB 11643-1999) and phones follow 138 0000 xxxx.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, Optional

from flask import current_app
from sqlalchemy import select

from portal.extensions import db
from portal.models import dispute as m
from portal.models.dispute import Campaign, Dispute, Transfer
from portal.models.org import MediationCommittee, OrgUnit
from portal.models.user import TOWN_LEADER, User
from portal.disputes.services import assign_case_number, create_dispute, record_event, refresh_search_text
from portal.timeutil import SHANGHAI, local_today
from portal.validation import id_check_char

SEED = 20261129
COUNT = 420
#: The demo year: the 365 days up to the day of seeding, so the demo always has fresh work (cases
#: awaiting acceptance, follow-ups due) whenever a town tries it.
DAYS = 365
#: Relative weight of each month (spring festival and spring ploughing bring more disputes).
MONTH_WEIGHTS = {12: 8, 1: 10, 2: 12, 3: 13, 4: 12, 5: 9, 6: 7, 7: 7, 8: 7, 9: 8, 10: 9, 11: 8}
CATEGORY_WEIGHTS = {
    "NEIGHBOUR": 30, "MARRIAGE_FAMILY": 24, "HOUSING_HOMESTEAD": 10, "FOREST_LAND": 8, "CONTRACT": 6,
    "DAMAGES": 5, "LABOUR": 5, "LAND_ACQUISITION_DEMOLITION": 3, "PRODUCTION_BUSINESS": 3, "ROAD_TRAFFIC": 3,
    "CONSUMER": 1, "ENVIRONMENTAL": 1, "MEDICAL": 1, "OTHER": 2,
}
CHANNEL_WEIGHTS = {"SCREENING": 55, "VISIT": 15, "CALL": 8, "COUNTY_APP": 8, "WECHAT_OA": 4, "WECHAT_MINI": 4,
                   "HOTLINE_12345": 5, "OTHER": 1}
FORCE_WEIGHTS = {"GRID_WORKER": 45, "VILLAGE_CADRE": 25, "SECURITY_HOUSEHOLD_HEAD": 10, "WORK_TEAM": 8,
                 "COMMUNITY_WATCH": 6, "PEACE_VOLUNTEER": 6}
SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何林高罗郑梁谢宋唐"
GIVEN = "甲乙丙丁戊己庚辛壬癸"
#: (title pattern, summary) per category; {a}/{b} are the parties' report names (张某).
STORIES = {
    "NEIGHBOUR": ["{a}与{b}因房前排水沟堵塞发生争吵，双方互不相让。", "{a}家新砌围墙占用{b}家通道，引发口角。",
                  "{b}饲养的狗咬伤{a}家鸡只，双方就赔偿发生争执。"],
    "MARRIAGE_FAMILY": ["{a}与{b}夫妻因家庭琐事长期争吵，{a}提出离婚。", "{a}兄弟姐妹就母亲赡养费分担问题产生分歧。",
                        "{a}与{b}因子女抚养费支付问题发生纠纷。"],
    "HOUSING_HOMESTEAD": ["{a}与{b}就宅基地界址存在争议，均称对方越界建房。", "{a}翻建房屋影响{b}家采光。"],
    "FOREST_LAND": ["{a}与{b}因承包地边界不清发生争执。", "{a}与{b}就林地承包经营权归属产生争议。"],
    "CONTRACT": ["{a}借给{b}款项到期未还，双方对利息有争议。", "{a}与{b}就农机租赁费用结算发生纠纷。"],
    "DAMAGES": ["{b}放牧的羊只啃食{a}家麦苗，{a}要求赔偿。", "{a}在{b}家帮工时受伤，双方就医疗费分担发生争议。"],
    "LABOUR": ["{a}等人在{b}承包的工地务工，工资未结清。", "{a}与{b}就务工期间工伤赔偿发生争议。"],
    "LAND_ACQUISITION_DEMOLITION": ["{a}对道路拓宽征地补偿标准有异议。"],
    "PRODUCTION_BUSINESS": ["{a}与{b}合伙经营养殖场，散伙时就财产分割发生争议。"],
    "ROAD_TRAFFIC": ["{a}驾驶三轮车与{b}的摩托车相撞，双方就损失承担发生争议。"],
    "CONSUMER": ["{a}在{b}经营的农资店购买的化肥疑似劣质，要求退赔。"],
    "ENVIRONMENTAL": ["{b}养殖场粪污外排影响{a}家饮用水。"],
    "MEDICAL": ["{a}对村卫生室的诊疗结果有异议，要求说明和赔偿。"],
    "OTHER": ["{a}与{b}因村集体分红分配问题发生争执。"],
}
MEASURES = ("POLICY_EXPLANATION", "DEMAND_SOLVED", "HARDSHIP_HELP", "VISIT_TALK")
#: Campaigns: (name, (month, day) of start, (month, day) of end), placed in the demo year.
CAMPAIGNS = [("春节期间矛盾纠纷集中排查化解专项行动", (1, 10), (2, 28)),
             ("国庆期间矛盾纠纷集中排查化解专项行动", (9, 15), (10, 10))]


def synthetic_id(rng: random.Random, birth: date, male: bool) -> str:
    """A synthetic, valid 18-digit resident ID: address code 620599, ``birth``, an odd (male) or even
    (female) sequence and the GB 11643-1999 check character."""
    seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
    first17 = f"620599{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


def _at(day: date, hour: int = 10) -> datetime:
    """``hour`` o'clock Beijing time on ``day``, as aware UTC (the time of a demo timeline event)."""
    return datetime.combine(day, time(hour), SHANGHAI).astimezone(timezone.utc)


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _found_dates(rng: random.Random, count: int, last: date) -> list[date]:
    """``count`` found dates over the :data:`DAYS` days up to ``last``, weighted by :data:`MONTH_WEIGHTS`."""
    days = [last - timedelta(days=n) for n in range(DAYS)][::-1]
    return sorted(rng.choices(days, weights=[MONTH_WEIGHTS[d.month] for d in days], k=count))


def _campaigns(town: OrgUnit, villages: list[OrgUnit], today: date) -> list[Campaign]:
    """The demo campaigns, each in its latest year that ends it by ``today``."""
    result = []
    for name, (start_month, start_day), (end_month, end_day) in CAMPAIGNS:
        year = today.year if date(today.year, end_month, end_day) <= today else today.year - 1
        start, end = date(year, start_month, start_day), date(year, end_month, end_day)
        campaign = db.session.scalar(select(Campaign).where(Campaign.town_id == town.id, Campaign.name == name))
        if campaign is None:
            campaign = Campaign(town_id=town.id, name=name, start_date=start, end_date=end, villages=list(villages))
            db.session.add(campaign)
        result.append(campaign)
    db.session.flush()
    return result


def _party(rng: random.Random, side: str, found: date, used: set[str]) -> dict[str, Any]:
    while True:
        name = rng.choice(SURNAMES) + "某" + rng.choice(GIVEN)
        if name not in used:
            used.add(name)
            break
    male = rng.random() < 0.55
    birth = date(rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28))
    number = synthetic_id(rng, birth, male)
    age = found.year - birth.year - ((found.month, found.day) < (birth.month, birth.day))
    return {"side": side, "party_type": m.PERSON, "name": name, "id_type": "RESIDENT_ID",
            "id_number": number if rng.random() < 0.8 else None, "sex": "M" if male else "F",
            "birth_date": birth, "age": age, "ethnicity": "汉族",
            "phone": f"1380000{rng.randrange(10000):04d}" if rng.random() < 0.85 else None,
            "occupation": rng.choice(["农民", "个体经营", "务工", "退休", None])}


def _event(dispute: Dispute, action: str, day: date, user: Optional[User], old: Optional[str], new: str,
           note: Optional[str] = None, hour: int = 10) -> None:
    event = record_event(dispute, action, user=user, from_status=old, to_status=new, note=note)
    event.at = _at(day, hour)
    dispute.status = new


def seed_demo_disputes(org: dict) -> None:
    """Add about 420 demo disputes (the year up to today) to the demo town, with parties, case
    numbers, deadlines, outcomes, escalations, referrals and timeline events. Idempotent; flushes,
    the caller commits. ``org`` is :func:`portal.seed.seed_demo_org`'s result."""
    town, villages, town_committee = org["town"], org["villages"], org["town_committee"]
    if db.session.scalar(select(Dispute.id).where(Dispute.import_key == "demo-0001")) is not None:
        return
    rng = random.Random(SEED)
    today = local_today()
    deadline_days = current_app.config.get("DEFAULT_DEADLINE_DAYS", 30)
    users = {u.username: u for u in db.session.scalars(select(User).where(User.is_demo.is_(True)))}
    leader = next((u for u in users.values() if u.role == TOWN_LEADER), None)
    town_staff = users.get("zhongxin")
    committees = {c.org_unit_id: c for c in db.session.scalars(select(MediationCommittee))}
    campaigns = _campaigns(town, villages, today)
    county = org.get("county")
    village_weights = [6, 4, 3, 4, 2, 3, 2, 5, 2, 3, 2, 3, 2, 6][:len(villages)]

    with db.session.no_autoflush:  # one flush per dispute (in create_dispute), not one per query
        for index, found in enumerate(_found_dates(rng, COUNT, today), start=1):
            _seed_one(rng, index, found, today, deadline_days, villages, village_weights, users, leader,
                      town_staff, committees, campaigns, town, town_committee, county)
    db.session.flush()


def _seed_one(rng, index, found, today, deadline_days, villages, village_weights, users, leader, town_staff,
              committees, campaigns, town, town_committee, county) -> None:
    """Create demo dispute number ``index`` (found on ``found``) and advance it."""
    village = rng.choices(villages, weights=village_weights)[0]
    vno = villages.index(village) + 1
    grid = rng.choice(village.children) if village.children else None
    worker, cadre = users.get(f"wangge{vno:02d}"), users.get(f"cun{vno:02d}")
    in_worker_grid = worker is not None and grid is not None and grid in worker.grids
    registrar = worker if in_worker_grid else (cadre or town_staff)
    category = _pick(rng, CATEGORY_WEIGHTS)
    roll = rng.random()
    risk = "RED" if roll < 0.04 else "YELLOW" if roll < 0.20 else "GREEN"
    used: set[str] = set()
    parties = [_party(rng, m.APPLICANT, found, used), _party(rng, m.RESPONDENT, found, used)]
    if rng.random() < 0.1:
        parties.append(_party(rng, m.THIRD, found, used))
    a, b = parties[0]["name"][0] + "某", parties[1]["name"][0] + "某"
    labels = {"NEIGHBOUR": "邻里纠纷", "MARRIAGE_FAMILY": "婚姻家庭纠纷", "HOUSING_HOMESTEAD": "宅基地纠纷",
              "FOREST_LAND": "土地纠纷", "CONTRACT": "合同纠纷", "DAMAGES": "损害赔偿纠纷", "LABOUR": "劳动争议纠纷",
              "LAND_ACQUISITION_DEMOLITION": "征地拆迁纠纷", "PRODUCTION_BUSINESS": "生产经营纠纷",
              "ROAD_TRAFFIC": "交通事故纠纷", "CONSUMER": "消费纠纷", "ENVIRONMENTAL": "环境污染纠纷",
              "MEDICAL": "医疗纠纷", "OTHER": "纠纷"}
    campaign = next((c for c in campaigns if c.start_date <= found <= c.end_date), None)
    channel = _pick(rng, CHANNEL_WEIGHTS)
    persons = rng.choice([2, 2, 2, 3, 4]) if category != "LABOUR" else rng.randint(3, 12)
    fields = {
        "title": f"{a}与{b}{labels[category]}",
        "summary": rng.choice(STORIES[category]).format(a=a, b=b),
        "found_date": found, "category": category, "risk_level": risk, "channel": channel,
        "finder_force": "GRID_WORKER" if registrar is worker else _pick(rng, FORCE_WEIGHTS),
        "screening_method": "GRID_PATROL" if channel == "SCREENING" else "VISIT" if channel == "VISIT" else "HOTLINE",
        "source": "GRID_REPORT" if registrar is worker else ("APPLICATION" if channel == "VISIT" else "INITIATIVE"),
        "campaign_id": campaign.id if campaign and channel == "SCREENING" else None,
        "address": f"{village.name}{rng.randint(1, 9)}组", "persons_involved": persons,
        "amount_involved": Decimal(rng.choice([0, 500, 1200, 3000, 8000, 20000, 150000])) if rng.random() < 0.5 else None,
        "wage_arrears": category == "LABOUR" and rng.random() < 0.7,
        "public_opinion_risk": risk == "RED" and rng.random() < 0.5,
        "major_flags": (["GROUP_10"] if persons >= 10 else []) + (["AMOUNT_100K"] if risk == "RED" else []),
        "responsible_leader_id": leader.id if risk == "RED" and leader else None,
        "handling_level": "GRID" if registrar is worker else "VILLAGE",
    }
    dispute, created = create_dispute(user=registrar, location=grid or village, fields=fields, parties=parties,
                                      import_key=f"demo-{index:04d}")
    if not created:
        return
    dispute.created_at = _at(found, 9)
    dispute.events[0].at = _at(found, 9)
    _advance(rng, dispute, found, today, deadline_days, registrar, cadre, town_staff, leader, committees,
             village, town, town_committee, county)


def _advance(rng, dispute, found, today, deadline_days, registrar, cadre, town_staff, leader, committees,
             village, town, town_committee, county) -> None:
    """Move a fresh demo dispute through a plausible part of the workflow (domain.md 5.1)."""
    age = (today - found).days
    roll = rng.random()
    if (age < 7 and roll < 0.6) or (age < 25 and roll < 0.15):
        return  # just reported, awaiting acceptance
    if roll < 0.07 and dispute.risk_level == "GREEN":
        day = min(found + timedelta(days=rng.randint(0, 2)), today)
        dispute.result, dispute.agreement_form, dispute.resolved_date = "AGREED_ORAL", "ORAL", day
        dispute.closed_date = day
        dispute.measures = ["VISIT_TALK"]
        _event(dispute, "SETTLED_ON_SPOT", day, registrar, dispute.status, m.RESOLVED_ON_SPOT, "网格员现场调解，双方口头达成一致。")
        return
    if roll < 0.09:
        day = min(found + timedelta(days=2), today)
        dispute.result, dispute.status_reason, dispute.channels_explained = "NOT_ACCEPTED", "一方当事人明确拒绝调解。", True
        _event(dispute, "NOT_ACCEPTED", day, cadre, dispute.status, m.NOT_ACCEPTED, dispute.status_reason)
        return
    # Accepted by the village committee, or straight by the town for red-risk cases.
    escalate_to_town = dispute.risk_level == "RED" or rng.random() < (0.3 if dispute.risk_level == "YELLOW" else 0.03)
    committee = town_committee if dispute.risk_level == "RED" else committees.get(village.id, town_committee)
    accepted = min(found + timedelta(days=rng.randint(0, 3)), today)
    dispute.accepted_date = accepted
    assign_case_number(dispute, committee, accepted)
    refresh_search_text(dispute)  # the case number is searchable
    dispute.deadline = accepted + timedelta(days=deadline_days)
    dispute.handling_level = "TOWN" if committee is town_committee else "VILLAGE"
    _event(dispute, "ACCEPTED", accepted, cadre if committee is not town_committee else town_staff,
           dispute.status, m.ACCEPTED)
    if committee.mediators:
        dispute.mediators = committee.mediators[:rng.choice([1, 2])]
    if (today - accepted).days < 20 and rng.random() < 0.3:
        return  # accepted, mediators not yet at work
    start = min(accepted + timedelta(days=rng.randint(0, 3)), today)
    _event(dispute, "MEDIATORS_ASSIGNED", start, cadre, m.ACCEPTED, m.MEDIATING)
    if rng.random() < 0.025:
        return  # stuck in mediation: overdue in the ledger
    if escalate_to_town and committee is not town_committee:
        day = min(start + timedelta(days=rng.randint(2, 8)), today)
        to_county = rng.random() < 0.25
        target = county if to_county and county is not None else town
        level = "COUNTY" if target is county else "TOWN"
        dispute.transfers.append(Transfer(kind=m.ESCALATE, from_org_id=village.id, to_org_id=target.id,
                                          from_level="VILLAGE", to_level=level, reason="村调委会多次调解未果，申请上级协调。",
                                          sent_at=_at(day), sent_by_id=cadre.id if cadre else None,
                                          status=m.PENDING))
        _event(dispute, "ESCALATED", day, cadre, m.MEDIATING, m.ESCALATED,
               "村调委会多次调解未果，上报县综治中心。" if to_county else "村调委会多次调解未果，上报镇综治中心。")
        if (today - day).days < (30 if to_county else 10):
            return  # still waiting for the receiver
        transfer = dispute.transfers[-1]
        transfer.status, transfer.responded_at = m.RECEIVED, _at(day + timedelta(days=1))
        transfer.responded_by_id = town_staff.id
        dispute.handling_level = level
        dispute.responsible_leader_id = dispute.responsible_leader_id or (leader.id if leader else None)
        _event(dispute, "RECEIVED", day + timedelta(days=1), town_staff, m.ESCALATED, m.MEDIATING,
               "县综治中心接收，组织联合调解。" if to_county else "镇综治中心接收，组织联合调解。")
        start = day + timedelta(days=1)
    if rng.random() < 0.06:
        day = min(start + timedelta(days=rng.randint(1, 6)), today)
        dispute.transfers.append(Transfer(kind=m.REFER, to_department=rng.choice(["POLICE", "COURT", "LABOUR_INSPECTION"]),
                                          from_org_id=village.id, reason="超出人民调解范围，依法移交。",
                                          sent_at=_at(day), sent_by_id=town_staff.id, status=m.PENDING))
        dispute.handling_level = "DEPARTMENT"
        _event(dispute, "REFERRED", day, town_staff, dispute.status, m.REFERRED, "移交有关部门处理。")
        if (today - day).days > 40:
            done = day + timedelta(days=15)
            dispute.transfers[-1].status, dispute.transfers[-1].response_note = m.ANSWERED, "已依法处理完毕。"
            dispute.result, dispute.resolved_date, dispute.closed_date = "REFERRED", done, done
            _event(dispute, "CLOSED", done, town_staff, m.REFERRED, m.CLOSED, "部门反馈已处理。")
        return
    duration = rng.randint(3, 40)
    end = start + timedelta(days=duration)
    if end > today:
        return  # still mediating (overdue when past the deadline)
    outcome = rng.random()
    measures = rng.sample(MEASURES, rng.randint(1, 2))
    dispute.measures = measures
    if outcome < 0.06:
        dispute.result, dispute.channels_explained = "FAILED_TERMINATED", True
        dispute.status_reason, dispute.resolved_date = "双方分歧较大，调解不成，已告知可通过诉讼途径解决。", end
        _event(dispute, "FAILED", end, cadre, m.MEDIATING, m.FAILED, dispute.status_reason)
        if (today - end).days > 10:
            dispute.closed_date = end + timedelta(days=3)
            _event(dispute, "CLOSED", dispute.closed_date, cadre, m.FAILED, m.CLOSED)
        return
    if outcome < 0.09:
        dispute.result, dispute.status_reason, dispute.resolved_date = "WITHDRAWN", "申请人撤回调解申请。", end
        _event(dispute, "WITHDRAWN", end, cadre, m.MEDIATING, m.WITHDRAWN, dispute.status_reason)
        return
    written = rng.random() < 0.6
    dispute.result = "AGREED_WRITTEN" if written else "AGREED_ORAL"
    dispute.agreement_form = "WRITTEN" if written else "ORAL"
    _event(dispute, "AGREED", end, cadre, m.MEDIATING, m.AGREED, "双方达成调解协议。")
    dispute.performance_status = "PENDING"
    perform_day = end + timedelta(days=rng.randint(0, 20))
    if perform_day > today:
        dispute.performance_status = "PENDING"
        _event(dispute, "PERFORMANCE", end, cadre, m.AGREED, m.PERFORMING)
        return
    dispute.performance_status = "PERFORMED_IMMEDIATE" if perform_day == end else "PERFORMED"
    dispute.resolved_date = perform_day
    _event(dispute, "PERFORMANCE", perform_day, cadre, m.AGREED, m.PERFORMED, "回访确认协议已履行。")
    if (today - perform_day).days > 7:
        dispute.closed_date = perform_day + timedelta(days=3)
        _event(dispute, "CLOSED", dispute.closed_date, cadre, m.PERFORMED, m.CLOSED)
