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


def discover(bench: Bench) -> dict[str, str | None]:
    """URLs of the measured features: register, edit, agreement/dossier/report PDFs, stats, export."""
    urls = {
        "register": _rule(bench, r"^/disputes/(new|register)$"),
        "edit": _rule(bench, r"^/disputes/<(int:)?\w+>/edit$"),
        "agreement_pdf": None, "dossier_pdf": None, "report_pdf": None, "stats": None, "export": None,
    }
    documents = _rule(bench, r"^/records/<(int:)?\w+>/documents/<\w+>\.pdf$")
    if documents:
        base = re.sub(r"<\w+>\.pdf$", "", documents)
        urls["agreement_pdf"] = base + "agreement.pdf"
        urls["dossier_pdf"] = base + "dossier.pdf"
    return urls


def make_case(bench: Bench) -> int | None:
    """Create the benchmark case with the records services; returns its id (``None`` before they exist)."""
    try:
        import portal.records.services  # noqa: F401
    except ImportError:
        return None
    return None


def import_row(bench: Bench, workdir: Path) -> Row:
    """Excel import of an N-row ledger in the sample's layout vs reading the file with openpyxl alone."""
    from bench.excel import IMPORT_BUDGET
    on = f"{bench.settings.import_rows:,}-row ledger in the sample's layout"
    return missing("Excel import", on, IMPORT_BUDGET)


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
