"""Excel rows: import of an N-row ledger in the sample's layout vs reading the file with openpyxl alone;
export of all disputes vs writing the same rows with openpyxl in write-only mode, with peak memory.

Exports run in fresh subprocesses (``python -m bench.excel ...``) so peak RSS (``ru_maxrss``) is the
export's own.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from copy import copy
from datetime import timedelta
from pathlib import Path

from bench.data import ROOT
from bench.harness import Row, Settings, missing

SAMPLE = Path("/work/shared/data/ledger-sample-2026-10.xlsx")
IMPORT_BUDGET = "≤ 5× floor"
EXPORT_BUDGET = "≤ 2× floor, peak memory ≤ 300 MB"
HEADER_ROWS = 3


def make_import_file(path: Path, rows: int, villages: list[tuple[str, int]], variant: int = 0) -> Path:
    """Write an ``rows``-row ledger in the layout of the sample (title, two header rows, merged cells,
    column widths), replicating the sample's rows with unique people and the demo town's villages.

    ``villages`` are (name, grid count) of the demo town; ``variant`` makes the people differ between
    files (so a second file is not "already imported"). Returns ``path``.
    """
    import openpyxl
    from portal.validation import id_check_char

    source = openpyxl.load_workbook(SAMPLE)
    sheet = source.active
    data = [list(r) for r in sheet.iter_rows(min_row=HEADER_ROWS + 1, values_only=True) if r[0] is not None]
    styles = [[copy(c._style) for c in r] for r in sheet.iter_rows(min_row=HEADER_ROWS + 1, max_row=HEADER_ROWS + 1)]
    sheet.delete_rows(HEADER_ROWS + 1, sheet.max_row)
    rng = random.Random(7)
    numerals = "一二三四"
    for n in range(rows):
        row = list(data[n % len(data)])
        village, grids = villages[n % len(villages)]
        row[0] = n + 1
        row[1] = row[1] - timedelta(days=rng.randrange(0, 5)) if row[1] else row[1]
        row[2] = village
        row[3] = f"{village}第{numerals[n % grids]}网格"
        for column in (7, 10):  # ID numbers: unique, valid check digit
            if row[column]:
                first17 = f"{str(row[column])[:6]}{1950 + (n + variant * 7) % 50}{str(row[column])[10:14]}{n % 1000:03d}"
                row[column] = first17 + id_check_char(first17)
        for column in (8, 11):
            if row[column] and str(row[column]).startswith("1"):
                row[column] = f"1{rng.randrange(30, 99)}{rng.randrange(0, 10**8):08d}"
        row[12] = f"{row[12]}（第{variant}-{n + 1}条）"
        sheet.append(row)
        for cell, style in zip(sheet[sheet.max_row], styles[0]):
            cell._style = style
    source.save(path)
    return path


def read_floor(path: Path) -> float:
    """Seconds to read every cell value of ``path`` with openpyxl alone (the import's floor)."""
    import openpyxl
    started = time.perf_counter()
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    for _ in workbook.active.iter_rows(values_only=True):
        pass
    workbook.close()
    return time.perf_counter() - started


def _peak_mb() -> float:
    """Peak RSS of this process in MB (``VmHWM``; ``ru_maxrss`` would include the forking parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _export_child(url: str, out: Path) -> dict:
    """In a fresh process: log in, ask for the export (POST ``url``, the export form) and download it,
    streaming to ``out``; returns seconds (request + download) and peak MB."""
    from bench.app import create_bench_app
    from bench.data import csrf_token, login_test_client
    app = create_bench_app()
    client = app.test_client()
    login_test_client(client)
    token = csrf_token(client.get("/ledger-io/").get_data(as_text=True))
    baseline = _peak_mb()
    started = time.perf_counter()
    response = client.post(url, data={"csrf_token": token, "fmt": "xlsx"})
    if response.status_code not in (302, 303):
        raise SystemExit(f"POST {url} answered {response.status_code}")
    download = response.headers["Location"]
    response = client.get(download, buffered=False)
    if response.status_code != 200:
        raise SystemExit(f"GET {download} answered {response.status_code}")
    with open(out, "wb") as fh:
        for chunk in response.response:
            fh.write(chunk)
    response.close()
    return {"seconds": time.perf_counter() - started, "peak_mb": _peak_mb(), "baseline_mb": baseline}


def _floor_child(source: Path, out: Path) -> dict:
    """In a fresh process: write the rows of ``source`` (read first, untimed) with openpyxl write-only."""
    import openpyxl
    workbook = openpyxl.load_workbook(source, read_only=True)
    rows = [list(r) for r in workbook.active.iter_rows(values_only=True)]
    workbook.close()
    baseline = _peak_mb()
    started = time.perf_counter()
    target = openpyxl.Workbook(write_only=True)
    sheet = target.create_sheet()
    for row in rows:
        sheet.append(row)
    target.save(out)
    return {"seconds": time.perf_counter() - started, "peak_mb": _peak_mb(), "baseline_mb": baseline,
            "rows": len(rows)}


def _child(instance: Path, *args: str) -> dict:
    env = {**os.environ, "PORTAL_INSTANCE": str(instance)}
    out = subprocess.run([sys.executable, "-m", "bench.excel", *args], cwd=ROOT, env=env, capture_output=True,
                         text=True)
    if out.returncode != 0:
        raise RuntimeError(f"bench.excel {args[0]} failed: {out.stderr[-600:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def export_row(settings: Settings, instance: Path, url: str | None) -> Row:
    """Export of all disputes (subprocess, peak RSS) vs writing the same rows with openpyxl write-only."""
    on = f"{settings.export_rows:,} disputes"
    what = "Excel export"
    if url is None:
        return missing(what, on, EXPORT_BUDGET)
    exported = instance / "export.xlsx"
    targets, floors = [], []
    if not settings.quick:
        _child(instance, "export", url, str(exported))  # warm-up (page cache, .pyc)
    for _ in range(settings.export_reps):
        targets.append(_child(instance, "export", url, str(exported)))
        floors.append(_child(instance, "floor", str(exported), str(instance / "floor.xlsx")))
    row = Row(what, on, value=statistics.median(t["seconds"] for t in targets),
              p95=max(t["seconds"] for t in targets), floor=statistics.median(f["seconds"] for f in floors),
              budget=EXPORT_BUDGET, unit="s")
    peak = max(t["peak_mb"] for t in targets)
    row.ok = row.ratio <= 2.0 and peak <= 300
    row.notes.append(f"peak RSS {peak:.0f} MB (app loaded: {targets[0]['baseline_mb']:.0f} MB; "
                     f"floor {max(f['peak_mb'] for f in floors):.0f} MB); {floors[0]['rows']:,} sheet rows")
    return row


def main() -> None:
    """``python -m bench.excel export URL OUT`` | ``floor SOURCE OUT``: prints one JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("export", "floor"))
    parser.add_argument("a")
    parser.add_argument("b")
    args = parser.parse_args()
    result = _export_child(args.a, Path(args.b)) if args.mode == "export" else _floor_child(Path(args.a),
                                                                                          Path(args.b))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
