"""Initial contents of the admin-extensible dictionaries (:class:`portal.models.dispute.DictEntry`).

Sources: domain.md 3.1 (statistical categories, in the official order), 3.2 (case sources), 3.3
(screening methods), 3.4 (default red/yellow/green risk preset), 3.13 (referral targets), and Part A
items 3 (screening forces), 7 (resolution measures) and 9 (intake channels). The data migration
``0002`` copies this list into the database once; later additions need their own migration or the
admin pages.
"""
from __future__ import annotations

from sqlalchemy import select

DEFAULTS: dict[str, list[tuple[str, str] | tuple[str, str, str]]] = {
    "category": [
        ("MARRIAGE_FAMILY", "婚姻家庭纠纷"), ("NEIGHBOUR", "邻里纠纷"), ("HOUSING_HOMESTEAD", "房屋宅基地纠纷"),
        ("CONTRACT", "合同纠纷"), ("PRODUCTION_BUSINESS", "生产经营纠纷"), ("DAMAGES", "损害赔偿纠纷"),
        ("FOREST_LAND", "山林土地纠纷"), ("LAND_ACQUISITION_DEMOLITION", "征地拆迁纠纷"),
        ("ENVIRONMENTAL", "环境污染纠纷"), ("LABOUR", "劳动争议纠纷"), ("CONSUMER", "消费纠纷"),
        ("MEDICAL", "医疗纠纷"), ("ROAD_TRAFFIC", "道路交通事故纠纷"), ("PROPERTY_MGMT", "物业纠纷"),
        ("TOURISM", "旅游纠纷"), ("IP", "知识产权纠纷"), ("INTERNET", "互联网纠纷"), ("OTHER", "其他纠纷"),
    ],
    "source": [
        ("APPLICATION", "当事人申请"), ("INITIATIVE", "人民调解委员会主动调解"), ("GRID_REPORT", "网格员上报"),
        ("POLICE_TRANSFER", "公安机关移交"), ("COURT_ENTRUST", "人民法院委托"), ("GOV_ASSIGNED", "政府部门移送"),
        ("PETITION_TRANSFER", "信访部门移交"),
    ],
    "channel": [
        ("SCREENING", "排查发现"), ("COUNTY_APP", "县综治APP"), ("WECHAT_OA", "微信公众号"),
        ("WECHAT_MINI", "微信小程序"), ("VISIT", "来访"), ("CALL", "来电"), ("HOTLINE_12345", "12345热线"),
        ("OTHER", "其他"),
    ],
    "screening_method": [
        ("ROUTINE", "定期排查"), ("FOCUSED", "重点/专项排查"), ("GRID_PATROL", "网格巡查走访"),
        ("HOTLINE", "热线/来电"), ("VISIT", "来访"), ("OTHER", "其他"),
    ],
    "finder_force": [
        ("GRID_WORKER", "网格员"), ("SECURITY_HOUSEHOLD_HEAD", "治安户长"), ("VILLAGE_CADRE", "村组干部"),
        ("WORK_TEAM", "驻村工作队员"), ("COMMUNITY_WATCH", "群防群治队员"), ("PEACE_VOLUNTEER", "平安志愿者"),
    ],
    "measure": [
        ("POLICY_EXPLANATION", "政策宣传解释"), ("DEMAND_SOLVED", "合理诉求解决到位"),
        ("HARDSHIP_HELP", "帮扶救助"), ("VISIT_TALK", "走访解释疏导"),
    ],
    "risk_level": [
        ("GREEN", "绿色（一般）", "green"), ("YELLOW", "黄色（较大）", "yellow"), ("RED", "红色（重大）", "red"),
    ],
    "referral_target": [
        ("POLICE", "派出所/公安机关"), ("COURT", "人民法院/人民法庭"), ("PETITION", "信访部门"),
        ("LABOUR_INSPECTION", "人社/劳动监察"), ("NATURAL_RESOURCES", "自然资源"), ("HOUSING", "住建"),
        ("HEALTH", "卫健"), ("TRAFFIC_POLICE", "交警"), ("MARKET_REGULATION", "市场监管"),
        ("SECTOR_COMMITTEE", "行业性专业性调委会"), ("COUNTY_CENTRE", "县综治中心"), ("OTHER", "其他"),
    ],
}


def dictionary_rows() -> list[dict]:
    """The defaults as rows for ``dict_entry`` (kind, code, label, sort, color, active)."""
    rows = []
    for kind, entries in DEFAULTS.items():
        for sort, entry in enumerate(entries):
            code, label, *rest = entry
            rows.append({"kind": kind, "code": code, "label": label, "sort": sort,
                         "color": rest[0] if rest else None, "active": True})
    return rows


def _entries() -> dict[str, list[tuple[str, str, bool]]]:
    """Every dictionary entry by kind: ``{kind: [(code, label, active)]}`` in sort order.

    One query for all kinds, cached per request in ``flask.g`` (the table holds a few dozen rows;
    a per-process cache would need a query of its own to notice another worker's change).
    """
    from flask import g, has_app_context

    from portal.extensions import db
    from portal.models.dispute import DictEntry

    cache = g if has_app_context() else None
    entries = getattr(cache, "_dict_entries", None) if cache is not None else None
    if entries is None:
        entries = {}
        rows = db.session.execute(select(DictEntry.kind, DictEntry.code, DictEntry.label, DictEntry.active)
                                  .order_by(DictEntry.kind, DictEntry.sort, DictEntry.id))
        for kind, code, label, active in rows:
            entries.setdefault(kind, []).append((code, label, bool(active)))
        if cache is not None:
            cache._dict_entries = entries
    return entries


def labels(kind: str) -> dict[str, str]:
    """``{code: label}`` of one dictionary kind, active and inactive, in sort order.

    All kinds are read with one query per request (:func:`_entries`).
    """
    return {code: label for code, label, _active in _entries().get(kind, [])}


def choices(kind: str, *, blank: str | None = None) -> list[tuple[str, str]]:
    """Active entries of ``kind`` as select-field choices, optionally preceded by a blank choice."""
    result = [(code, label) for code, label, active in _entries().get(kind, []) if active]
    return ([("", blank)] if blank is not None else []) + result
