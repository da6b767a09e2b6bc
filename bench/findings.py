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
    "ledger, first page": "cause (after 21 → 9 statements, a pager count that stops at 10,000 rows, rows read as plain "
                          "columns and labels translated once per catalog): the page's own work, in floors (thread CPU, "
                          "interleaved): rendering ~2.5× (20 rows ~1×: ~80 Jinja outputs each, the ID/phone masks ~0.25×; "
                          "filter form ~0.4×; layout) and its statements ~2× (the count walks 10,001 entries of the "
                          "(town_id, status) index ~0.5×, rows ~0.35×, parties ~0.25×, the user's unit and the "
                          "dictionaries), filter-form units and campaigns ~0.4×, request bookkeeping ~0.3×; 3× would "
                          "need the 20 rows without per-cell Jinja work or a cached page",
    "ledger, page": "cause: as the first page (count capped at 10,001 entries, render ~2.5×, statements ~2×), plus the "
                    "OFFSET walk of ~10,000 entries of the (town_id, found_date, id, status) index for the page's ids",
    "ledger, village filter": "cause: as the first page; the count runs on the (village_id, found_date, id, status) "
                              "index alone (7,143 entries ~0.5×: a village inside the user's area implies the scope), "
                              "one more statement (the village, to check that), rendering ~2.5×",
    "ledger, text search": "cause: as the first page, with the trigram match (FTS5, migration 0008) run twice, for the "
                           "capped count and for the page's ids (~0.25× each); 1–2 character keys cannot use a trigram "
                           "index and still scan search_text",
    "case page": "cause (after 25 → 14 statements built once, collections without selectinload, record kinds "
                 "probed before loading, labels translated once per catalog; ~10× → ~5.6×): of ~6.5 ms, ~1 ms is the "
                 "floor's own request and login work; the 14 statements cost ~2 ms of ORM work (the dispute with "
                 "units and parties plus mediators, transfers, events ≈ 1 ms; the record-kind probe and 5 record "
                 "lists ≈ 0.9 ms); Jinja renders ~19 KB in ~3 ms, half of it the records panel (10 sessions, 5 "
                 "follow-ups, agreement checklist, 10 print forms: 58 url_for, 16 timestamps through babel's "
                 "format_datetime at ~13 µs each); the unprintable-character check ~0.3 ms; Flask-Babel's "
                 "Locale.parse once per request ~0.18 ms",
    "dashboard": "cause (after the monthly summary of migration 0009, which serves the trend, village, category and "
                 "Fengqiao charts from ~1,300 summary rows instead of the year's disputes: 1.2 s → ~0.1 s on a quiet "
                 "machine): the work tiles count the open disputes live, and a third of the 100,000 benchmark "
                 "disputes are open (one pass over them, ~65 ms)",
    "monthly statistics": "cause (after the monthly summary: table 1's cohort columns, table 2 and the returns' counts "
                          "come from it): table 4 (major cases open in or concluded during the month, ~3,800 here, "
                          "all sorted to list the 100 most urgent and count the rest: SQLite reaches them through the "
                          "found-date index and fetches the rows one by one, ~170–300 ms) and table 1's open/overdue "
                          "columns, a live count over the ~33,000 open disputes (~60 ms)",
    "agreement PDF": "cause: WeasyPrint layout + subsetting Noto Serif CJK; the Latin floor is within 3×, "
                     "so the absolute 0.3 s needs a faster machine or a quiet one (load average was >8)",
    "Excel import": "cause (typically 4–4.5×, over 5× only on a loaded machine): ~130 statements for 5,000 rows "
                    "(bulk Core INSERTs, 2 chunks); per run ~1.0 s CPU is SQLite inserting the disputes, parties "
                    "and events with their indexes, ~0.45 s SQLAlchemy's per-row parameter processing, ~0.2 s the "
                    "summary pass, and the dry run's per-row parsing ~0.5 s (a third of it ID and phone checks) on "
                    "top of reading the file (= the floor)",
    "throughput under load": "cause: the ledger costs ~6× the floor per request (see the ledger rows)",
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
