"""Rows needing gunicorn: ledger throughput vs the floor under wrk, concurrent writes, PDF worker memory."""
from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
import uuid

from bench.app import FLOOR_URL
from bench.harness import Row, Settings, missing
from bench.server import Browser, Server, parse_form, set_field

LOAD_BUDGET = "≥ 50% of the floor's req/s, 0 errors"
WRITE_BUDGET = "0 errors, 0 lost writes"


def wrk(url: str, cookie: str, seconds: int, connections: int = 16, threads: int = 2) -> dict:
    """Run wrk against ``url`` with the session ``cookie``; returns rps, requests, errors, p50/p99 (s)."""
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
                          "-H", f"Cookie: {cookie}", url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, socket.groups())) if socket else 0)

    def latency(label):
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            return None
        return float(match.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[match.group(2)]

    return {"rps": rps, "requests": requests, "errors": errors, "p50": latency("50"), "p99": latency("99")}


class _Totals:
    """Sums of several wrk runs: overall req/s, errors, and the median of the runs' latency percentiles."""

    def __init__(self):
        self.runs: list[dict] = []

    def add(self, run: dict) -> None:
        self.runs.append(run)

    def result(self) -> dict:
        import statistics
        return {"rps": statistics.median(r["rps"] for r in self.runs),
                "requests": sum(r["requests"] for r in self.runs),
                "errors": sum(r["errors"] for r in self.runs),
                "p50": statistics.median(r["p50"] for r in self.runs),
                "p99": max(r["p99"] for r in self.runs)}


def throughput_row(server: Server, settings: Settings, ledger_landed: bool) -> Row:
    """Ledger page vs the floor route under the same wrk load, as a logged-in town clerk."""
    on = f"{settings.disputes:,} disputes, gunicorn as `make run`, wrk {settings.load_seconds} s, 16 connections"
    what = "throughput under load: ledger page"
    if not ledger_landed:
        return missing(what, on, LOAD_BUDGET)
    if shutil.which("wrk") is None:
        return missing(what, on, LOAD_BUDGET, "not measured: wrk missing (scripts/ensure-system-packages.sh wrk)")
    cookie = Browser(server.url).login("zhongxin").cookie_header()
    wrk(server.url + FLOOR_URL, cookie, 1)  # warm-up of both workers
    wrk(server.url + "/disputes/", cookie, 1)
    # Alternate slices of at most 5 s so that a change in the machine's speed hits both alike.
    slices = max(1, settings.load_seconds // 5)
    floor, ledger = _Totals(), _Totals()
    for _ in range(slices):
        floor.add(wrk(server.url + FLOOR_URL, cookie, settings.load_seconds // slices))
        ledger.add(wrk(server.url + "/disputes/", cookie, settings.load_seconds // slices))
    floor, ledger = floor.result(), ledger.result()
    row = Row(what, on, value=ledger["rps"], floor=floor["rps"], budget=LOAD_BUDGET, unit="rps")
    if not floor["rps"]:  # nothing finished within the slice: the machine is overloaded
        row.ok = False
        row.notes.append("no floor request completed within the slices (machine overloaded?)")
        return row
    row.ok = ledger["errors"] == 0 and floor["errors"] == 0 and row.ratio >= 0.5
    row.notes.append(f"{ledger['requests']} requests, {ledger['errors']} errors (floor {floor['errors']}); "
                     f"latency p50 {ledger['p50'] * 1000:.0f} ms, p99 {ledger['p99'] * 1000:.0f} ms; "
                     f"req/s: median of {slices} alternating slices")
    return row


def pdf_memory_row(server: Server, urls: list[str], count: int = 20) -> Row:
    """Peak RSS of the gunicorn workers after ``count`` PDFs (the given URLs in turn)."""
    what, on = f"gunicorn worker peak memory after {count} PDFs", "agreement and dossier PDFs of the benchmark case"
    if not urls:
        return missing(what, on, "reported")
    browser = Browser(server.url).login("zhongxin")
    before = server.worker_memory()
    for n in range(count):
        status, headers, _ = browser.request(urls[n % len(urls)])
        if status != 200:
            raise RuntimeError(f"{urls[n % len(urls)]} answered {status}")
    after = server.worker_memory()
    peak = max(hwm for hwm, _ in after)
    row = Row(what, on, value=peak / 2**20, budget="reported (no budget)", unit="MB")
    row.notes.append("per worker peak/current RSS: " + ", ".join(
        f"{hwm / 2**20:.0f}/{rss / 2**20:.0f} MB" for hwm, rss in after)
        + " (before: " + ", ".join(f"{hwm / 2**20:.0f} MB" for hwm, _ in before) + ")")
    return row


class Writer(threading.Thread):
    """One client: registers a dispute, edits it, and again, until the deadline."""

    def __init__(self, server: Server, username: str, marker: str, deadline: float, register_path: str,
                 edit_path: str):
        super().__init__(daemon=True)
        self.browser = Browser(server.url).login(username)
        self.marker, self.deadline = marker, deadline
        self.register_path, self.edit_path = register_path, edit_path
        self.created: dict[int, str] = {}   # dispute id -> last summary written successfully
        self.edits = 0
        self.errors: list[str] = []

    def run(self):
        n = 0
        while time.monotonic() < self.deadline:
            n += 1
            try:
                dispute_id = self.register(f"{self.marker}-{n} 双方因宅基地界线发生争执")
                if dispute_id is None:
                    continue
                self.edit(dispute_id, f"{self.marker}-{n} 修改后：双方因宅基地界线发生争执")
            except Exception as error:  # a network error or a page we cannot parse is an error too
                self.errors.append(f"{type(error).__name__}: {error}")

    def register(self, summary: str) -> int | None:
        status, _, page = self.browser.request(self.register_path)
        if status != 200:
            self.errors.append(f"GET {self.register_path}: {status}")
            return None
        form = parse_form(page)
        location = [o for o in form["selects"].get("location", []) if o]
        set_field(form, "location", location[len(self.created) % len(location)])
        category = [o for o in form["selects"].get("category", []) if o]
        set_field(form, "category", category[0])
        set_field(form, "summary", summary)
        set_field(form, "parties-0-name", "张某某")
        set_field(form, "parties-0-phone", "13800000000")
        status, headers, body = self.browser.request(form["action"] or self.register_path, form["fields"])
        target = headers.get("Location") or headers.get("HX-Redirect") or ""
        match = re.search(r"/disputes/(\d+)", target)
        if status not in (200, 302, 303) or not match:
            self.errors.append(f"POST register: {status} {body[:200]!r}")
            return None
        self.created[int(match.group(1))] = summary
        return int(match.group(1))

    def edit(self, dispute_id: int, summary: str) -> None:
        path = self.edit_path.format(id=dispute_id)
        status, _, page = self.browser.request(path)
        if status != 200:
            self.errors.append(f"GET {path}: {status}")
            return
        form = parse_form(page, "edit-summary")  # the case page's edit form (prefix "edit-")
        set_field(form, "edit-summary", summary)
        status, headers, body = self.browser.request(form["action"] or path, form["fields"])
        if status not in (200, 302, 303) or (status == 200 and "has-error" in body):
            self.errors.append(f"POST edit: {status} {body[:200]!r}")
            return
        self.created[dispute_id] = summary
        self.edits += 1


def writes_row(server: Server, settings: Settings, register_path: str | None, edit_path: str | None,
               database) -> Row:
    """20 clients registering and editing disputes for N seconds; then compare the DB with the answers."""
    on = f"{settings.write_clients} clients, {settings.write_seconds} s, SQLite, gunicorn as `make run`"
    what = "concurrent writes: register + edit"
    if not register_path or not edit_path:
        return missing(what, on, WRITE_BUDGET)
    marker = "BENCH" + uuid.uuid4().hex[:8]
    users = ["zhongxin", "tiaojie"] + [f"cun{i:02d}" for i in range(1, 15)]
    deadline = time.monotonic() + 3600
    writers = [Writer(server, users[i % len(users)], f"{marker}c{i}", deadline, register_path, edit_path)
               for i in range(settings.write_clients)]
    started = time.monotonic()
    for writer in writers:
        writer.deadline = started + settings.write_seconds
        writer.start()
    for writer in writers:
        writer.join(timeout=settings.write_seconds + 120)
    elapsed = time.monotonic() - started
    expected = {i: s for w in writers for i, s in w.created.items()}
    errors = [e for w in writers for e in w.errors]
    edits = sum(w.edits for w in writers)
    rows = database(marker)  # {dispute id: summary} of rows whose summary carries the marker
    lost = [i for i, s in expected.items() if rows.get(i) != s]
    extra = [i for i in rows if i not in expected]
    row = Row(what, on, value=len(expected) + edits, budget=WRITE_BUDGET, unit="count")
    row.ok = not errors and not lost and not extra
    row.notes.append(f"{len(expected)} registered + {edits} edits in {elapsed:.0f} s "
                     f"({(len(expected) + edits) / elapsed:.1f} writes/s); {len(errors)} errors, "
                     f"{len(lost)} lost, {len(extra)} unexpected rows")
    if errors:
        row.notes.append("first error: " + errors[0][:160])
    return row
