"""The in-process bench context: the bench app on a copy of the seeded database, a logged-in test
client, an SQL statement counter, and helpers to time pages against the floor route."""
from __future__ import annotations

import statistics
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from sqlalchemy import event

from bench.app import FLOOR_URL, create_bench_app
from bench.data import login_test_client
from bench.harness import Row, Settings, p95, paired


class QueryCounter:
    """Counts SQL statements sent by the app's engine (``before_cursor_execute``)."""

    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, *args, **kwargs):
        self.count += 1

    @contextmanager
    def measure(self):
        """``with counter.measure() as n: ...`` then ``n[0]`` is the number of statements sent."""
        result = [0]
        start = self.count
        yield result
        result[0] = self.count - start


@dataclass
class Bench:
    """Everything the in-process rows share."""

    settings: Settings
    instance: Path
    app: Flask
    client: object
    queries: QueryCounter
    notes: dict = field(default_factory=dict)

    @classmethod
    def start(cls, settings: Settings, instance: Path, username: str = "zhongxin") -> "Bench":
        """Build the bench app on ``instance`` (``PORTAL_INSTANCE`` must point there) and log in."""
        app = create_bench_app()
        from portal.extensions import db
        with app.app_context():
            counter = QueryCounter(db.engine)
        client = app.test_client()
        login_test_client(client, username)
        return cls(settings, instance, app, client, counter)

    def has(self, endpoint: str) -> bool:
        """True when the app has a view registered as ``endpoint`` (e.g. ``disputes.ledger``)."""
        return endpoint in self.app.view_functions

    def get(self, url: str, expect: int = 200):
        """GET ``url`` with the logged-in client; raises when the status is not ``expect``."""
        response = self.client.get(url)
        if response.status_code != expect:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        return response

    def count_queries(self, url: str) -> int:
        """Number of SQL statements one GET of ``url`` sends."""
        with self.queries.measure() as n:
            self.get(url)
        return n[0]

    def page_row(self, what: str, url: str, *, measured_on: str, budget: str, ratio_max: float | None = 3.0,
                 p95_max: float | None = None, p50_max: float | None = None) -> Row:
        """Time GET ``url`` against the floor route; verdict from the ratio / p95 / p50 limits (seconds)."""
        s = self.settings
        targets, floors = paired(lambda: self.get(url), lambda: self.get(FLOOR_URL), warmup=s.warmup,
                                 reps=s.page_reps)
        row = Row(what, measured_on, value=statistics.median(targets), p95=p95(targets),
                  floor=statistics.median(floors), budget=budget)
        checks = []
        if ratio_max is not None:
            checks.append(row.ratio <= ratio_max)
        if p95_max is not None:
            checks.append(row.p95 <= p95_max)
        if p50_max is not None:
            checks.append(row.value <= p50_max)
        row.ok = all(checks)
        row.notes.append(f"{self.count_queries(url)} SQL statements; n={len(targets)}")
        return row


def dashboard_landed(bench: Bench) -> bool:
    """The dashboard replaces the village list on ``main.index`` with the reports feature."""
    return any(name.startswith("reports.") for name in bench.app.view_functions)


Bench.dashboard_landed = dashboard_landed
