"""What the rows need from the features: their URLs (found in the app's URL map), the benchmark case
(10 sessions, 2 agreements, 5 follow-ups), the Excel import, and a look into the database afterwards.
A feature that has not landed yields ``None`` and its rows print "not measured: feature missing"."""
from __future__ import annotations

import re
import statistics
from pathlib import Path

from sqlalchemy import select

from bench.context import Bench
from bench.harness import Row, missing, paired, p95


def _rule(bench: Bench, pattern: str, method: str = "GET") -> str | None:
    """The first URL rule matching the regex ``pattern`` that answers ``method``, with
    ``<…dispute_id>``-like converters turned into ``{id}``."""
    for rule in bench.app.url_map.iter_rules():
        if re.search(pattern, rule.rule) and method in rule.methods:
            return re.sub(r"<(?:int:)?(?:dispute_id|id|case_id)>", "{id}", rule.rule)
    return None


#: The month of the statistics and report rows (the bulk data covers the year up to 2026-11-28).
STATS_MONTH = "2026-10"


def _town_id(bench: Bench) -> int:
    from portal.extensions import db
    from portal.models.org import TOWN, OrgUnit
    with bench.app.app_context():
        return db.session.scalar(select(OrgUnit.id).where(OrgUnit.level == TOWN).order_by(OrgUnit.id))


def discover(bench: Bench) -> dict[str, str | None]:
    """URLs of the measured features: register, edit, agreement/dossier/report PDFs, stats, export."""
    urls = {
        "register": _rule(bench, r"^/disputes/(new|register)$"),
        "edit": _rule(bench, r"^/disputes/<(int:)?\w+>/edit$"),
        "agreement_pdf": None, "dossier_pdf": None, "report_pdf": None, "stats": None, "export": None,
    }
    town_id = _town_id(bench)
    if "reports.report" in bench.app.view_functions:
        urls["stats"] = f"/reports/T{town_id}/{STATS_MONTH}"
    if "reports.pdf" in bench.app.view_functions:
        urls["report_pdf"] = f"/reports/T{town_id}/{STATS_MONTH}/report.pdf"
    if {"ledger_io.export_request", "ledger_io.download"} <= set(bench.app.view_functions):
        urls["export"] = "/ledger-io/export"
    documents = _rule(bench, r"^/records/<(int:)?\w+>/documents/<\w+>\.pdf$")
    if documents:
        base = re.sub(r"<\w+>\.pdf$", "", documents)
        urls["agreement_pdf"] = base + "agreement.pdf"
        urls["dossier_pdf"] = base + "dossier.pdf"
    return urls


def make_case(bench: Bench) -> int | None:
    """Create the benchmark case with the records services: the rights notice, 10 mediation sessions,
    a written and an oral agreement, and 5 follow-ups on an accepted bulk dispute. Returns its id
    (``None`` while the records services do not exist). Commits."""
    try:
        from portal.records import services
    except ImportError:
        return None
    from datetime import datetime, time, timedelta

    from portal.extensions import db
    from portal.models.dispute import Dispute
    from portal.models.user import User
    from portal.timeutil import local_today
    with bench.app.test_request_context():
        today = local_today()
        user = db.session.scalar(select(User).where(User.username == "zhongxin"))
        dispute = db.session.scalar(select(Dispute).where(
            Dispute.status.in_(("ACCEPTED", "MEDIATING")), Dispute.accepted_date <= today - timedelta(days=40),
            Dispute.accepted_date >= today - timedelta(days=60)).order_by(Dispute.id))
        start = dispute.accepted_date
        names = [party.name for party in dispute.parties]
        mediators = ["孙某华", "吴某平"]

        def at(day: int):
            from portal.timeutil import local_midnight_utc
            return local_midnight_utc(start + timedelta(days=day)) + timedelta(hours=10)

        services.add_notice(dispute, user, {"method": "WRITTEN", "given_on": start, "parties": names,
                                            "given_by": "孙某华", "note": None})
        for n in range(10):
            services.add_session(dispute, user, {
                "held_at": at(n + 1), "place": "村委会调解室", "subject": "宅基地界线及围墙拆除问题",
                "parties_present": names, "participants": "村民小组长", "mediators": mediators, "recorder": "吴某平",
                "content": "调解员向双方释明相关法律规定，双方陈述各自意见。" * 6,
                "result": "双方同意继续协商" if n < 9 else "双方达成一致", "simplified": False, "read_back": True})
        services.save_agreement(dispute, user, {
            "facts": "双方因宅基地界线不清发生争执，新建围墙占用对方约0.5米。" * 3,
            "terms": ["甲方于十日内拆除越界围墙。", "乙方给付甲方补偿款二千元。", "双方今后不再就此事发生争执。"],
            "performance": "协议签订之日起十日内履行完毕。", "copies": 3, "mediators": mediators,
            "recorder": "吴某平", "signed_date": start + timedelta(days=12)})
        services.add_oral_agreement(dispute, user, {
            "facts": "围墙拆除后的地界标记问题。", "content": "双方同意共同设置界桩。",
            "performance": "三日内完成。", "agreed_date": start + timedelta(days=12), "mediators": mediators,
            "registrar": "吴某平"})
        for n in range(5):
            services.add_follow_up(dispute, user, {
                "visited": names, "visited_at": at(13 + n), "method": "VISIT", "performance_status": "PERFORMED",
                "satisfaction": "SATISFIED", "findings": "协议已履行，双方关系缓和。", "visitor": "孙某华"})
        db.session.commit()
        return dispute.id


def import_row(bench: Bench, workdir: Path) -> Row:
    """Excel import of an N-row ledger in the sample's layout vs reading the file with openpyxl alone."""
    from bench.excel import IMPORT_BUDGET, make_import_file, read_floor
    on = f"{bench.settings.import_rows:,}-row ledger in the sample's layout"
    needed = {"ledger_io.upload", "ledger_io.run_import"}
    if not needed <= set(bench.app.view_functions):
        return missing("Excel import", on, IMPORT_BUDGET)
    from portal.extensions import db
    from portal.models.org import VILLAGE, OrgUnit
    with bench.app.app_context():
        villages = [(v.name, len(v.children)) for v in db.session.scalars(
            select(OrgUnit).where(OrgUnit.level == VILLAGE).order_by(OrgUnit.sort, OrgUnit.id))]
    import time
    s = bench.settings
    if not s.quick:  # warm-up: a small file through the same code paths
        _import_once(bench, workdir, make_import_file(workdir / "import-warmup.xlsx", 50, villages, variant=99))
    targets, floors, counts = [], [], None
    started = time.perf_counter()
    for rep in range(s.import_reps):
        path = make_import_file(workdir / f"import-{rep}.xlsx", s.import_rows, villages, variant=rep)
        floors.append(read_floor(path))
        seconds, counts = _import_once(bench, workdir, path)
        targets.append(seconds)
        if time.perf_counter() - started > 300:  # enough: a slow import must not take the whole run
            break
    row = Row("Excel import", on, value=statistics.median(targets), p95=p95(targets),
              floor=statistics.median(floors), budget=IMPORT_BUDGET, unit="s")
    row.ok = row.ratio <= 5.0
    row.notes.append("upload + dry run + every import chunk, over HTTP; rows good/bad/known/imported: "
                     + "/".join(str(c) for c in counts) + f"; each run on a fresh copy of the database; n={len(targets)}")
    return row


def _import_once(bench: Bench, workdir: Path, path: Path) -> tuple[float, tuple]:
    """Import ``path`` through the upload and import endpoints into a fresh copy of the bench database.

    Returns (seconds, (good, bad, known, imported)).
    """
    import time

    from bench.app import create_bench_app
    from bench.data import csrf_token, login_test_client
    from portal.extensions import db
    from portal.models.ledger_io import ImportBatch
    from bench.data import copy_database
    copy = copy_database(bench.instance / "portal.sqlite3", workdir / "import-copy.sqlite3")
    app = create_bench_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{copy}",
                            "UPLOAD_FOLDER": str(workdir / "uploads")})
    client = app.test_client()
    login_test_client(client)
    token = csrf_token(client.get("/ledger-io/").get_data(as_text=True))
    data = path.read_bytes()
    started = time.perf_counter()
    import io
    response = client.post("/ledger-io/upload", data={"csrf_token": token, "file": (io.BytesIO(data), path.name)},
                           content_type="multipart/form-data")
    match = re.search(r"/batches/(\d+)", response.headers.get("Location", ""))
    if response.status_code != 303 or not match:
        raise RuntimeError(f"upload answered {response.status_code}")
    batch_id = int(match.group(1))
    for _ in range(100_000):
        response = client.post(f"/ledger-io/batches/{batch_id}/import", data={"csrf_token": token})
        if response.status_code not in (200, 303):
            raise RuntimeError(f"import answered {response.status_code}")
        with app.app_context():
            batch = db.session.get(ImportBatch, batch_id)
            if batch.status == "DONE" or batch.good_rows == 0:
                counts = (batch.good_rows, batch.bad_rows, batch.known_rows, batch.imported)
                break
    seconds = time.perf_counter() - started
    with app.app_context():
        db.engine.dispose()
    return seconds, counts


def summaries(bench: Bench, marker: str) -> dict[int, str]:
    """{dispute id: summary} of the disputes whose summary contains ``marker`` (after the write test)."""
    from portal.extensions import db
    from portal.models.dispute import Dispute
    with bench.app.app_context():
        db.session.expire_all()
        rows = db.session.execute(select(Dispute.id, Dispute.summary).where(Dispute.summary.contains(marker)))
        result = {dispute_id: summary for dispute_id, summary in rows}
        db.session.rollback()
        return result
