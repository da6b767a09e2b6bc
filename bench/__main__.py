"""``python -m bench [--quick] [--out FILE]``: run every benchmark, print the Markdown table and write it
to bench/results.md (``--quick``: small data, few repetitions, a temporary file). See bench/README.md."""
from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import sys
import tempfile
import time
import traceback
from datetime import datetime
from pathlib import Path

from bench.data import ROOT, fresh_instance, seeded_database
from bench.findings import annotate
from bench.harness import Row, Settings, table


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def header(settings: Settings, seconds: float) -> str:
    """The lines above the table: date, cores, CPU, versions, data size, mode."""
    return "\n".join([
        "# Benchmark results",
        "",
        f"- date: {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- machine: {os.cpu_count()} cores ({_cpu_model()}), Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}",
        f"- mode: {'quick (small data, not comparable)' if settings.quick else 'full'}; "
        f"{settings.disputes:,} disputes; pages: median of {settings.page_reps} after {settings.warmup} warm-up; "
        f"run took {seconds / 60:.1f} min",
        "- ratio = p50 / floor p50 (both measured in this run, interleaved); see bench/README.md",
    ]) + "\n\n"


class Runner:
    """Runs row groups, turning an exception into a row that carries the error (and a failing exit).
    After each group the table so far is written to ``partial`` (a slow run still leaves its results)."""

    def __init__(self, partial: Path | None = None):
        self.rows: list[Row] = []
        self.failed = False
        self.partial = partial

    def run(self, label: str, fn, *args, **kwargs):
        started = time.perf_counter()
        try:
            result = fn(*args, **kwargs)
        except Exception as error:
            traceback.print_exc()
            self.failed = True
            result = [Row(label, "—", notes=[f"error: {type(error).__name__}: {str(error)[:200]}"])]
        rows = result if isinstance(result, list) else [result]
        self.rows.extend(rows)
        if self.partial:
            self.partial.write_text("# partial results (run in progress)\n\n" + annotate(table(self.rows)) + "\n",
                                    encoding="utf-8")
        print(f"  {label}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
        return rows


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; returns the exit status (1 when a benchmark crashed, not for a missed budget)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small data, few repetitions, temporary output")
    parser.add_argument("--out", help="where to write the table (default bench/results.md; quick or --only: a temp file)")
    parser.add_argument("--only", metavar="GROUPS", default="",
                        help="comma-separated groups to run: ledger, case, town, pdf, import, export, load")
    args = parser.parse_args(argv)
    only = {g.strip() for g in args.only.split(",") if g.strip()}

    def wanted(group: str) -> bool:
        return not only or group in only

    settings = Settings.make(args.quick)
    started = time.perf_counter()
    source = seeded_database(settings.disputes)
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    instance = fresh_instance(source, workdir / "instance")
    os.environ["PORTAL_INSTANCE"] = str(instance)
    os.environ.pop("DATABASE_URL", None)

    from bench import excel, load, pages, pdfs, setup
    from bench.context import Bench
    from bench.server import Server

    runner = Runner(workdir / "partial.md")
    bench = Bench.start(settings, instance)
    urls = setup.discover(bench)
    print(f"bench: {settings.disputes:,} disputes in {instance}", file=sys.stderr)
    if wanted("ledger"):
        runner.run("ledger page", pages.ledger_rows, bench)
    case_id = runner_value(runner, "benchmark case", setup.make_case, bench) \
        if not only or only & {"case", "pdf", "load"} else None
    if wanted("case"):
        runner.run("case page", pages.case_row, bench, case_id)
    if wanted("town"):
        runner.run("dashboard and statistics", pages.town_rows, bench, urls.get("stats"))
    for what, key, budget, abs_max in [("agreement PDF", "agreement_pdf", "≤ 3× floor, ≤ 0.3 s", 0.3),
                                       ("dossier PDF", "dossier_pdf", "≤ 3× floor", None),
                                       ("monthly report PDF", "report_pdf", "≤ 3× floor", None)]:
        url = urls.get(key)
        if key in ("agreement_pdf", "dossier_pdf") and case_id is not None and url:
            url = url.format(id=case_id)
        on = "the benchmark case" if key != "report_pdf" else "the demo town, one month"
        if not wanted("pdf"):
            continue
        if url and "{id}" not in url:
            runner.run(what, pdfs.pdf_row, bench, what, url, measured_on=on, budget=budget, abs_max=abs_max)
        else:
            runner.rows.append(pages.missing(what, on, budget))
    if wanted("import"):
        runner.run("Excel import", setup.import_row, bench, workdir)
    if wanted("export"):
        runner.run("Excel export", excel.export_row, settings, instance, urls.get("export"))
    pdf_urls = [u.format(id=case_id) for u in (urls.get("agreement_pdf"), urls.get("dossier_pdf"))
                if u and case_id is not None]

    if wanted("load"):
        with Server(instance) as server:
            runner.run("throughput", load.throughput_row, server, settings, bench.has("disputes.ledger"))
            runner.run("PDF memory", load.pdf_memory_row, server, pdf_urls, 2 if settings.quick else 20)
            runner.run("concurrent writes", load.writes_row, server, settings, urls.get("register"), urls.get("edit"),
                       lambda marker: setup.summaries(bench, marker))
    text = annotate(header(settings, time.perf_counter() - started) + table(runner.rows) + "\n")
    out = Path(args.out) if args.out else (Path(tempfile.gettempdir()) / "portal-bench-quick.md"
                                           if args.quick or only else ROOT / "bench" / "results.md")
    out.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {out}", file=sys.stderr)
    return 1 if runner.failed else 0


def runner_value(runner: Runner, label: str, fn, *args):
    """Call ``fn`` for a value (not a row); an exception becomes an error row and ``None``."""
    try:
        return fn(*args)
    except Exception as error:
        traceback.print_exc()
        runner.failed = True
        runner.rows.append(Row(label, "—", notes=[f"error: {type(error).__name__}: {str(error)[:200]}"]))
        return None


if __name__ == "__main__":
    sys.exit(main())
