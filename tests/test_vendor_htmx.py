"""Checks on the vendored htmx files in static/vendor/htmx/.

VERSION holds the pinned version on its first line, then one
``sha256sum``-style line per file (``<hex digest>  <file name>``), so
``tail -n +2 VERSION | sha256sum -c`` works from that folder too.
See docs/htmx-conventions.md and style.md section 2.5.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

VENDOR_DIR = Path(__file__).resolve().parent.parent / "static" / "vendor" / "htmx"
PINNED_VERSION = "4.0.1"
# Published digests of the htmx.org 4.0.1 npm package (style.md 2.5).
EXPECTED_SHA256 = {
    "htmx.min.js": "a0abb04f2f45a1f89d1d4844023245537e5e6014c87b144553e0607b4cc32130",
    "htmx.js": "89b09a0392a9077ce037bb913f023dd349fa19bdb980df556d943d386bf0bfe8",
}


def _read_version_file() -> tuple[str, dict[str, str]]:
    lines = (VENDOR_DIR / "VERSION").read_text(encoding="utf-8").splitlines()
    version = lines[0].strip()
    digests: dict[str, str] = {}
    for line in lines[1:]:
        if not line.strip():
            continue
        digest, name = line.split(maxsplit=1)
        digests[name.lstrip("*").strip()] = digest.lower()
    return version, digests


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_version_file_pins_expected_version():
    version, digests = _read_version_file()
    assert version == PINNED_VERSION
    assert set(digests) == set(EXPECTED_SHA256)


@pytest.mark.parametrize("name", sorted(EXPECTED_SHA256))
def test_vendored_file_matches_recorded_sha256(name):
    _, digests = _read_version_file()
    actual = _sha256(VENDOR_DIR / name)
    assert actual == digests[name]
    assert actual == EXPECTED_SHA256[name]


def test_htmx_js_states_pinned_version():
    # htmx 4 sets the version in Htmx#initHtmxConfig: `this.version = '4.0.1'`.
    source = (VENDOR_DIR / "htmx.js").read_text(encoding="utf-8")
    found = re.findall(r"this\.version\s*=\s*['\"]([^'\"]+)['\"]", source)
    assert found == [PINNED_VERSION]


def test_htmx_min_js_states_pinned_version():
    source = (VENDOR_DIR / "htmx.min.js").read_text(encoding="utf-8")
    found = re.findall(r"this\.version\s*=\s*['\"]([^'\"]+)['\"]", source)
    assert found == [PINNED_VERSION]


def test_licence_is_shipped():
    licence = (VENDOR_DIR / "LICENSE").read_text(encoding="utf-8")
    assert "Zero-Clause BSD" in licence
