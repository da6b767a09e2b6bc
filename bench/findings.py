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
    "ledger, page": "cause: OFFSET walks ~10,000 entries of the covering sort index (index-only since migration 0008), plus "
                    "the pager's count over the town's index entries",
    "ledger, village filter": "cause: the pager's count and the page render; rows come from the (village_id, found_date, id, status) index",
    "ledger, text search": "cause: keys of 3+ characters use the FTS5 trigram index (migration 0008); the matches are then "
                           "sorted and counted; 1–2 character keys cannot use a trigram index and still scan search_text",
    "case page": "cause (after lazy forms and the source-text printable check, 47 → 25 statements): 25 small "
                 "queries (9 record lists, labels, scope walk), ~120 gettext calls and the overview/parties/timeline/"
                 "records lists rendered in Jinja vs a one-line template",
    "dashboard": "cause: three GROUP BY passes over the year's disputes (by found date, by accepted date, work tiles), "
                 "each O(N) at ~0.2 s per 100k rows on this machine; 150 ms needs a per-day summary table kept up to date "
                 "on every change (not built) or covering indexes (measured 0.55 → 0.28 s per pass)",
    "monthly statistics": "cause: live figures for tables 1/2 (GROUP BY with conditional sums over the period, "
                          "previous period, last year and year to date): O(N) per view",
    "agreement PDF": "cause: WeasyPrint layout + subsetting Noto Serif CJK; the Latin floor is within 3×, "
                     "so the absolute 0.3 s needs a faster machine or a quiet one (load average was >8)",
    "Excel import": "cause (after per-chunk lookups, reserved serial blocks and one flush per chunk): the ORM "
                    "unit of work still sends one INSERT per dispute, party and event (~5.6 statements per row), "
                    "plus the dry run's per-cell parsing and the stored JSON",
    "Excel export": "cause not profiled yet: memory is flat (146 MB peak) and the 100,003 rows stream, but loading the "
                    "disputes with their parties through the ORM and formatting/masking each cell in Python costs "
                    "2.4× writing the same cells with openpyxl alone (budget 2×)",
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
