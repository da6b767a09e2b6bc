"""The import's batch path (issue 7): numbers reserved in blocks stay gap-free and never reused, and the
chunked import sends a bounded number of statements per row."""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import event, func, select

from portal.disputes.services import LEDGER_SERIES, next_number, reserve_numbers
from portal.extensions import db
from portal.models.dispute import Dispute
from tests.test_import import SAMPLE, last_batch, run_import, sample_town, upload  # noqa: F401 (fixture)


def test_reserved_blocks_follow_each_other_and_single_numbers(app):
    assert reserve_numbers(LEDGER_SERIES, 999, 2030, 3) == 1          # a new counter: 1, 2, 3
    assert next_number(LEDGER_SERIES, 999, 2030) == 4
    assert reserve_numbers(LEDGER_SERIES, 999, 2030, 5) == 5          # 5 … 9
    assert next_number(LEDGER_SERIES, 999, 2030) == 10
    with pytest.raises(ValueError):
        reserve_numbers(LEDGER_SERIES, 999, 2030, 0)
    db.session.rollback()                                                # a rolled-back block is not used
    assert next_number(LEDGER_SERIES, 999, 2030) == 1


def test_imported_serials_and_case_numbers_are_gap_free(client, auth, sample_town):
    auth.login("zhongxin")
    before = db.session.scalar(select(func.count(Dispute.id)))
    upload(client, SAMPLE.read_bytes(), "ledger-sample-2026-10.xlsx")
    statements = []
    listener = lambda *args: statements.append(1)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        run_import(client, last_batch().id)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    disputes = db.session.scalars(select(Dispute)).all()
    assert len(disputes) - before == 40
    for (town, year), count in Counter((d.town_id, d.ledger_year) for d in disputes).items():
        serials = sorted(d.ledger_serial for d in disputes if (d.town_id, d.ledger_year) == (town, year))
        assert serials == list(range(1, count + 1))
    cases = [(d.committee_id, d.case_year, d.case_seq) for d in disputes if d.case_no]
    assert cases and len(set(cases)) == len(cases)
    for committee, year in {(c, y) for c, y, _s in cases}:
        seqs = sorted(s for c, y, s in cases if (c, y) == (committee, year))
        assert seqs == list(range(1, len(seqs) + 1))
    # One INSERT per dispute/party/event/transfer plus a few per chunk: nothing per row is looked up again.
    assert len(statements) < 40 * 7
