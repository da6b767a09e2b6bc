"""Rows measured against a real gunicorn: throughput under load (wrk), concurrent writes, and the peak
memory of a worker after rendering 20 PDFs.

gunicorn is started exactly as ``make run`` starts it (the command is read from the Makefile's
``run`` target), with ``bench.wsgi:app`` instead of ``wsgi:app`` so the floor route exists, on a
loopback port of the bench range (5200–5210).
"""
from __future__ import annotations

import http.cookiejar
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

from bench.data import DEMO_PASSWORD, ROOT, csrf_token

PORTS = range(5200, 5211)
HOST = "127.0.0.1"


def free_port() -> int:
    """The first free loopback port of 5200–5210."""
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 5200-5210")


def make_run_command(port: int) -> list[str]:
    """The gunicorn command of the Makefile's ``run`` target, for ``bench.wsgi:app`` on ``port``."""
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    variables = dict(re.findall(r"^(\w+)\s*\?=\s*(.*)$", text, re.M))
    run = re.search(r"^run:.*\n((?:\t.*\n)+)", text, re.M).group(1)
    line = next(line for line in run.splitlines() if "gunicorn" in line).strip()
    values = {**variables, "BIN": str(Path(sys.executable).parent), "HOST": HOST, "PORT": str(port)}
    line = re.sub(r"\$\((\w+)\)", lambda m: values.get(m.group(1), m.group(0)), line)
    return [("bench.wsgi:app" if arg == "wsgi:app" else arg) for arg in shlex.split(line)]


class Server:
    """A gunicorn master serving the bench app on ``instance``; use as a context manager."""

    def __init__(self, instance: Path):
        self.instance = instance
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.command = make_run_command(self.port)
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        env = {**os.environ, "PORTAL_INSTANCE": str(self.instance)}
        env.pop("DATABASE_URL", None)
        self.log = open(self.instance / "gunicorn.log", "wb")
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                        stderr=self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {self.instance / 'gunicorn.log'}")
            try:
                urllib.request.urlopen(self.url + "/auth/login", timeout=2).read()
                if len(self.workers()) >= 1:
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start within 60 s")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def workers(self) -> list[int]:
        """Process ids of the gunicorn workers (children of the master)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def worker_memory(self) -> list[tuple[int, int]]:
        """(VmHWM peak RSS, VmRSS) in bytes of each worker."""
        result = []
        for pid in self.workers():
            status = Path(f"/proc/{pid}/status").read_text()
            fields = dict(re.findall(r"^(VmHWM|VmRSS):\s+(\d+) kB", status, re.M))
            result.append((int(fields["VmHWM"]) * 1024, int(fields["VmRSS"]) * 1024))
        return result


class Browser:
    """A urllib client with its own cookie jar (one logged-in session)."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  _NoRedirect())

    def request(self, path: str, data: list[tuple[str, str]] | None = None) -> tuple[int, dict, str]:
        """GET (or POST ``data`` form-encoded) ``path``; returns (status, headers, body). No redirects followed."""
        body = urllib.parse.urlencode([tuple(pair) for pair in data]).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body)
        try:
            with self.opener.open(req, timeout=60) as response:
                return response.status, dict(response.headers), response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode("utf-8", "replace")

    def login(self, username: str) -> "Browser":
        """Log in through the form; raises when it fails."""
        _, _, page = self.request("/auth/login")
        status, _, _ = self.request("/auth/login", [("username", username), ("password", DEMO_PASSWORD),
                                                    ("csrf_token", csrf_token(page))])
        if status != 302:
            raise RuntimeError(f"login as {username} failed: {status}")
        return self

    def cookie_header(self) -> str:
        """The ``Cookie`` header value of this session."""
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class FormParser(HTMLParser):
    """Collects the fields of the form whose ``action`` (or position) is chosen: name → values as a
    browser would submit them (checked boxes, selected or first options, textarea text)."""

    def __init__(self, form_index: int | None = None, action_contains: str | None = None):
        super().__init__()
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get").lower(), "fields": [],
                          "selects": {}}
            self.forms.append(self._form)
        if self._form is None:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form["fields"].append([a["name"], a.get("value", "on")])
                elif kind == "radio" and not any(f[0] == a["name"] for f in self._form["fields"]):
                    self._form.setdefault("radios", {}).setdefault(a["name"], a.get("value", "on"))
            elif kind not in ("submit", "button", "file", "reset", "image"):
                self._form["fields"].append([a["name"], a.get("value", "")])
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "options": [], "selected": None}
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select["options"].append(value)
            if "selected" in a:
                self._select["selected"] = value
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            s = self._select
            value = s["selected"] if s["selected"] is not None else (s["options"][0] if s["options"] else "")
            self._form["fields"].append([s["name"], value])
            self._form["selects"][s["name"]] = s["options"]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._form["fields"].append([self._textarea[0], self._textarea[1].lstrip("\n")])
            self._textarea = None
        elif tag == "form":
            self._form = None


def parse_form(html: str, field: str = "summary") -> dict:
    """The first form that has a field named ``field`` and a csrf_token (not the logout form of the
    navigation): ``{"action", "fields": [[name, value], ...], "selects": {name: options}}``."""
    parser = FormParser()
    parser.feed(html)
    for form in parser.forms:
        names = {name for name, _ in form["fields"]}
        if field in names and any(name.endswith("csrf_token") for name in names):
            return form
    raise ValueError(f"no form with a {field!r} field")


def set_field(form: dict, name: str, value: str) -> None:
    """Set (or add) the value of field ``name`` in a parsed form."""
    for field in form["fields"]:
        if field[0] == name:
            field[1] = value
            return
    form["fields"].append([name, value])
