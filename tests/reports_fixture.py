"""October 2026 in the demo town, built by hand with known figures (issue 5 tests).

Villages: V1 白沙村, V2 上庄村, V3 西坪村 (cun03), V4 南山村 (files a zero report); T = 镇本级.
See tests/test_statistics.py for the expected table, worked out by hand from this list.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.disputes.services import create_dispute
from portal.extensions import db
from portal.models.dispute import ScreeningReturn, Transfer
from portal.models.org import TOWN, VILLAGE, OrgUnit
from portal.models.user import User

BJ = ZoneInfo("Asia/Shanghai")


def bj(*args) -> datetime:
    """An aware Beijing-time datetime."""
    return datetime(*args, tzinfo=BJ)


def build_october() -> dict:
    """Create the October fixture; returns ``{"V1": unit, …, "T": town, "d": {name: dispute}}``."""
    zhongxin = db.session.scalar(select(User).where(User.username == "zhongxin"))
    town = db.session.scalar(select(OrgUnit).where(OrgUnit.level == TOWN))
    villages = {u.name: u for u in db.session.scalars(select(OrgUnit).where(OrgUnit.level == VILLAGE))}
    units = {"V1": villages["白沙村"], "V2": villages["上庄村"], "V3": villages["西坪村"], "V4": villages["南山村"],
             "T": town}
    d = {}

    def make(name, where, found, parties=("赵一", "钱二"), **fields):
        base = dict(title=f"{name}纠纷", summary="测试用纠纷，情况说明二十个字以上，用于统计。", category="NEIGHBOUR",
                    found_date=found)
        base.update({k: v for k, v in fields.items() if k in ("title", "category", "found_date")})
        dispute, _ = create_dispute(user=zhongxin, location=units[where], fields=base,
                                    parties=[{"name": p, "side": "APPLICANT" if i == 0 else "RESPONDENT"}
                                             for i, p in enumerate(parties)])
        for key, value in fields.items():
            setattr(dispute, key, value)
        d[name] = dispute
        return dispute

    make("d1", "V1", date(2026, 10, 1), occurred_at=bj(2026, 10, 1, 0, 30), source="INITIATIVE",
         accepted_date=date(2026, 10, 1), resolved_date=date(2026, 10, 10), result="AGREED_WRITTEN",
         agreement_form="WRITTEN", amount_involved=Decimal("12345.00"), performance_status="PERFORMED",
         status="PERFORMED", handling_level="VILLAGE", prevention_flags={"PREVENT_CRIME": 3})
    make("d2", "V1", date(2026, 10, 31), occurred_at=bj(2026, 10, 31, 23, 59), category="MARRIAGE_FAMILY",
         source="APPLICATION", accepted_date=date(2026, 10, 31), status="MEDIATING", deadline=date(2026, 11, 30),
         handling_level="VILLAGE")
    make("d3", "V2", date(2026, 10, 5), source="POLICE_TRANSFER", accepted_date=date(2026, 10, 6),
         resolved_date=date(2026, 10, 6), result="AGREED_ORAL", agreement_form="ORAL",
         amount_involved=Decimal("5000"), performance_status="PERFORMED_IMMEDIATE", status="PERFORMED",
         handling_level="VILLAGE")
    d4 = make("d4", "V2", date(2026, 10, 1), parties=("张三", "白沙某建筑有限公司"), category="LABOUR",
              occurred_at=bj(2026, 10, 1, 6, 0), wage_arrears=True, risk_level="RED", source="INITIATIVE",
              accepted_date=date(2026, 10, 1), status="ESCALATED", handling_level="COUNTY",
              responsible_leader_id=zhongxin.id, responsible_unit="镇综治中心")
    d5 = make("d5", "V3", date(2026, 10, 12), category="CONTRACT", status="REFERRED", handling_level="VILLAGE")
    make("d6", "T", date(2026, 10, 15), category="DAMAGES", source="COURT_ENTRUST",
         accepted_date=date(2026, 10, 15), status="MEDIATING", deadline=date(2026, 10, 20), handling_level="TOWN",
         major_flags=["AMOUNT_100K"], amount_involved=Decimal("150000"))
    make("d7", "V1", date(2026, 9, 30), category="MARRIAGE_FAMILY", accepted_date=date(2026, 9, 30),
         resolved_date=date(2026, 10, 3), result="FAILED_TERMINATED", status="FAILED", handling_level="VILLAGE")
    make("d8", "V2", date(2026, 10, 20), status="RESOLVED_ON_SPOT", handling_level="GRID")
    make("d9", "V1", date(2026, 11, 1), accepted_date=date(2026, 11, 1), status="ACCEPTED")
    make("d10", "V1", date(2026, 10, 10), status="VOIDED", void_reason="重复登记")
    make("d11", "V3", date(2025, 10, 10), accepted_date=date(2025, 10, 11), resolved_date=date(2025, 10, 20),
         result="AGREED_WRITTEN", status="CLOSED", handling_level="VILLAGE")
    d12 = make("d12", "V1", date(2026, 9, 10), accepted_date=date(2026, 9, 10), status="MEDIATING",
               deadline=date(2026, 10, 10), handling_level="VILLAGE")
    # Accepted in September, succeeded in October: an outcome of September's cohort (columns 5–11),
    # but its prevention flag counts in October, the month it concluded.
    make("d13", "V2", date(2026, 9, 18), source="INITIATIVE", accepted_date=date(2026, 9, 20),
         resolved_date=date(2026, 10, 8), result="AGREED_WRITTEN", agreement_form="WRITTEN",
         amount_involved=Decimal("20000"), performance_status="PERFORMED", status="PERFORMED",
         handling_level="VILLAGE", prevention_flags={"PREVENT_GROUP_PETITION": 12})
    # Found in September, accepted in October, agreement reached and judicially confirmed in November:
    # an outcome of October's cohort (counted by its current result), still open on 31 October.
    make("d14", "T", date(2026, 9, 28), category="DAMAGES", source="APPLICATION",
         accepted_date=date(2026, 10, 25), resolved_date=date(2026, 11, 5), result="AGREED_WRITTEN",
         agreement_form="WRITTEN", amount_involved=Decimal("80000"), performance_status="JUDICIALLY_CONFIRMED",
         status="CLOSED", handling_level="TOWN")
    db.session.flush()
    # Escalation at 07:30 Beijing on 1 October (still 30 September in UTC): counts in October.
    db.session.add(Transfer(dispute=d4, kind="ESCALATE", from_org_id=units["V2"].id, to_level="COUNTY",
                            reason="欠薪人数多", sent_at=bj(2026, 10, 1, 7, 30), status="RECEIVED"))
    # Referral at 23:59 on 31 October: October.
    db.session.add(Transfer(dispute=d5, kind="REFER", to_department="POLICE", reason="可能涉及治安",
                            sent_at=bj(2026, 10, 31, 23, 59), status="PENDING"))
    # Escalation at 23:00 Beijing on 30 September (15:00 UTC): September, not October.
    db.session.add(Transfer(dispute=d12, kind="ESCALATE", from_org_id=units["V1"].id, to_org_id=town.id,
                            to_level="TOWN", reason="村级调解困难", sent_at=bj(2026, 9, 30, 23, 0), status="RETURNED"))
    db.session.add(ScreeningReturn(village_id=units["V1"].id, year=2026, month=10, rounds=4, filed_by_id=zhongxin.id))
    db.session.add(ScreeningReturn(village_id=units["V4"].id, year=2026, month=10, rounds=2, zero_report=True,
                                   filed_by_id=zhongxin.id))
    db.session.commit()
    units["d"] = d
    return units
