"""Measured causes of missed budgets (issue 7), added to the notes of a row that misses its budget.

Each cause was found by profiling the row (cProfile, SQL statements timed with ``before_cursor_execute``
/ ``after_cursor_execute``, ``EXPLAIN QUERY PLAN``) on the 100,000-dispute database. When a cause is
fixed, delete its entry. ``python -m bench.findings FILE`` re-annotates a results file.
"""
from __future__ import annotations

import sys
from pathlib import Path

#: first cell of the row (prefix) -> cause
CAUSES = {
    "ledger, first page": "cause: full page render (base layout, filter form, 20 rows: ~240 gettext calls) vs a one-line "
                          "template; plus an O(N) count(*) for the pager (~16 ms on 100k rows, covering index)",
    "ledger, page": "cause: OFFSET walks ~10,000 index entries and reads each row for the status filter "
                    "(ix_dispute_town_found lacks status); a (town_id, found_date, id, status) index would make it index-only",
    "ledger, village filter": "cause: village_id index then a sort of ~7,000 rows by found_date, plus the count",
    "ledger, text search": "cause: LIKE '%…%' scans search_text of every dispute in scope (~250 ms on 100k, twice: "
                           "rows and count); needs a trigram index (SQLite FTS5 trigram / PostgreSQL pg_trgm)",
    "case page": "cause (after lazy forms and the source-text printable check, 47 → 25 statements): 25 small "
                 "queries (9 record lists, labels, scope walk), ~120 gettext calls and the overview/parties/timeline/"
                 "records lists rendered in Jinja vs a one-line template",
    "dashboard": "cause: ~8 aggregate queries each scanning the year's disputes (12-month trends by strftime, "
                 "table 1 sums, categories): O(N) per view, up to 2.5 s each on 100k rows (load average ~10); needs covering indexes "
                 "(a (town_id, found_date, status, category) index cut one query 5–7×) or cached monthly figures",
    "monthly statistics": "cause: live figures for tables 1/2 (GROUP BY with conditional sums over the period, "
                          "previous period, last year and year to date): O(N) per view",
    "agreement PDF": "cause: WeasyPrint layout + subsetting Noto Serif CJK; the Latin floor is within 3×, "
                     "so the absolute 0.3 s needs a faster machine or a quiet one (load average was >8)",
    "Excel import": "cause (after per-chunk lookups, reserved serial blocks and one flush per chunk): the ORM "
                    "unit of work still sends one INSERT per dispute, party and event (~5.6 statements per row), "
                    "plus the dry run's per-cell parsing and the stored JSON",
    "throughput under load": "cause: the ledger costs ~10× the floor per request (see the ledger rows)",
}


def annotate(text: str) -> str:
    """Append the known cause to each table line of ``text`` whose result is **MISSED**."""
    lines = []
    for line in text.splitlines():
        if line.startswith("| ") and "**MISSED**" in line and "cause:" not in line:
            first = line[2:].split(" | ", 1)[0]
            cause = next((c for key, c in CAUSES.items() if first.startswith(key)), None)
            if cause:
                line = line[:-2].rstrip() + ("; " if not line[:-2].rstrip().endswith("|") else " ") + cause + " |"
        lines.append(line)
    return "\n".join(lines) + ("\n" if text.endswith("\n") else "")


if __name__ == "__main__":
    path = Path(sys.argv[1])
    path.write_text(annotate(path.read_text(encoding="utf-8")), encoding="utf-8")
