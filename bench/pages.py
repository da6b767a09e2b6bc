"""Page rows: the ledger (first page, page 500, a filter, a text search), the case page, the dashboard
and the monthly statistics of the town, each timed against the floor route in the same run."""
from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy import func, select

from bench.context import Bench
from bench.harness import Row, missing

LEDGER_BUDGET = "p50 ≤ 3× floor, p95 ≤ 50 ms"
CASE_BUDGET = "≤ 3× floor"
TOWN_BUDGET = "≤ 150 ms"


def _data_label(bench: Bench) -> str:
    return f"{bench.settings.disputes:,} disputes"


def ledger_rows(bench: Bench) -> list[Row]:
    """Ledger page: first page, page 500, filtered by a village, and a text search (party name)."""
    on = _data_label(bench)
    names = ["ledger, first page", "ledger, page 500", "ledger, village filter", "ledger, text search"]
    if not bench.has("disputes.ledger"):
        return [missing(name, on, LEDGER_BUDGET) for name in names]
    from portal.extensions import db
    from portal.models.dispute import Dispute, Party
    with bench.app.app_context():
        village_id = db.session.scalar(select(Dispute.village_id).order_by(Dispute.id).limit(1))
        name = db.session.scalar(select(Party.name).order_by(Party.id.desc()).limit(1))
        pages = db.session.scalar(select(func.count(Dispute.id))) // bench.app.config["PAGE_SIZE"]
    page = min(500, max(pages, 1))
    urls = [("ledger, first page", "/disputes/"),
            (f"ledger, page {page}", "/disputes/?" + urlencode({"page": page})),
            ("ledger, village filter", "/disputes/?" + urlencode({"village": village_id})),
            ("ledger, text search", "/disputes/?" + urlencode({"q": name}))]
    rows = []
    for what, url in urls:
        row = bench.page_row(what, url, measured_on=on, budget=LEDGER_BUDGET, ratio_max=3.0, p95_max=0.050)
        if "q=" in url:
            row.notes.insert(0, f"q = a party name ({name})")
        rows.append(row)
    return rows


def case_row(bench: Bench, case_id: int | None) -> Row:
    """The case page of the benchmark case (10 sessions, 2 agreements, 5 follow-ups)."""
    what, on = "case page", f"case with 10 sessions, 2 agreements, 5 follow-ups; {_data_label(bench)}"
    if not bench.has("disputes.case") and not any(r.rule.startswith("/disputes/<") for r in bench.app.url_map.iter_rules()):
        return missing(what, on, CASE_BUDGET)
    if case_id is None:
        return missing(what, on, CASE_BUDGET, "not measured: feature missing (records services to build the case)")
    return bench.page_row(what, f"/disputes/{case_id}", measured_on=on, budget=CASE_BUDGET, ratio_max=3.0)


def town_rows(bench: Bench, stats_url: str | None) -> list[Row]:
    """Dashboard (``main.index``) and the monthly statistics page of the town: p50 ≤ 150 ms."""
    on = f"the demo town, {_data_label(bench)}"
    rows = []
    if bench.dashboard_landed():
        rows.append(bench.page_row("dashboard", "/", measured_on=on, budget=TOWN_BUDGET, ratio_max=None,
                                   p50_max=0.150))
    else:
        rows.append(missing("dashboard", on, TOWN_BUDGET))
    if stats_url:
        rows.append(bench.page_row("monthly statistics", stats_url, measured_on=on, budget=TOWN_BUDGET,
                                   ratio_max=None, p50_max=0.150))
    else:
        rows.append(missing("monthly statistics", on, TOWN_BUDGET))
    return rows
