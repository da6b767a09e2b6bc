"""Benchmark data: a migrated database with the demo town, demo accounts and N bulk disputes.

Seeding 100,000 disputes takes about half a minute, so the seeded file is cached under
``$PORTAL_BENCH_CACHE`` (default ``bench/data/cache`` in the checkout, ignored by git), keyed by the migrations, the seeders
and N; every run works on a fresh copy in its own instance folder.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "portal-demo-2026"


def _cache_key(count: int) -> str:
    digest = hashlib.sha256(f"v2-{count}".encode())
    for path in sorted([*ROOT.glob("migrations/versions/*.py"), ROOT / "portal/seed.py", ROOT / "bench/seed.py",
                        *ROOT.glob("portal/models/*.py")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def seeded_database(count: int) -> Path:
    """Return the path of a cached SQLite file holding the demo town and ``count`` bulk disputes.

    Builds it with ``python -m bench.seed`` when missing (prints the seeding time).
    """
    cache = Path(os.environ.get("PORTAL_BENCH_CACHE") or Path(__file__).resolve().parent / "data" / "cache")
    target = cache / f"disputes-{count}-{_cache_key(count)}.sqlite3"
    if target.exists():
        return target
    build = cache / f"build-{os.getpid()}"
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir(parents=True)
    env = {**os.environ, "PORTAL_INSTANCE": str(build)}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "bench.seed", "--instance", str(build), "--disputes", str(count)],
                   cwd=ROOT, env=env, check=True, stdout=sys.stderr)
    db_file = build / "portal.sqlite3"
    conn = sqlite3.connect(db_file)
    try:  # everything into the main file (no -wal left behind), statistics included
        conn.execute("ANALYZE")
        conn.commit()
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()
    os.replace(db_file, target)
    shutil.rmtree(build, ignore_errors=True)
    return target


def copy_database(source: Path, target: Path) -> Path:
    """Consistent copy of the SQLite database ``source`` (committed WAL content included) to ``target``,
    with the SQLite backup API; stale ``-wal``/``-shm`` files of ``target`` are removed first."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return target


def fresh_instance(source: Path, instance: Path) -> Path:
    """Copy the database ``source`` into a new instance folder ``instance``; returns the folder."""
    shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True)
    copy_database(source, instance / "portal.sqlite3")
    return instance


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(html: str) -> str:
    """The CSRF token of the first form (or the page's hidden field) in ``html``."""
    match = CSRF_RE.search(html)
    if not match:
        raise ValueError("no csrf_token in the page")
    return match.group(1) or match.group(2)


def login_test_client(client, username: str = "zhongxin") -> None:
    """Log a Flask test client in through the real login form (CSRF included)."""
    page = client.get("/auth/login")
    response = client.post("/auth/login", data={"username": username, "password": DEMO_PASSWORD,
                                                 "csrf_token": csrf_token(page.get_data(as_text=True))})
    if response.status_code != 302:
        raise RuntimeError(f"login as {username} failed: {response.status_code}")
