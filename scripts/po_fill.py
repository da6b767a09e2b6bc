#!/usr/bin/env python3
"""Fill the zh_CN catalog from a JSON file of translations, and list what is still untranslated.

Usage (from the repository root, with the project's virtualenv):

    .venv/bin/python scripts/po_fill.py BATCH.json [BATCH2.json ...]   # fill, then report
    .venv/bin/python scripts/po_fill.py --list                           # only report
    .venv/bin/python scripts/po_fill.py --list --json > todo.json        # untranslated as JSON

Each BATCH.json is an object ``{msgid: msgstr}``.  For a plural entry the key is the singular msgid
and the value is either one string (used for every plural form; Chinese has one form) or a list of
strings, one per plural form.  Only entries whose msgstr is empty or which are marked fuzzy are
filled (pass ``--overwrite`` to replace existing translations too); a filled entry loses its fuzzy
flag.  Keys that are not in the catalog are reported and ignored.  Placeholders (``%(name)s``,
``%d``, ``{0}``) and HTML tags in a msgstr must match those in its msgid, or the entry is refused.

The catalog is read and written with ``babel.messages.pofile.read_po``/``write_po``; after filling,
the script prints the untranslated or fuzzy msgids with their source locations (``file:line``), so
the next batch can be written, and exits with status 1 while any remain (0 when all are done).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "portal" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"

_PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[sdifr]|\{[^{}]*\}|</?[A-Za-z][^>]*>")


def placeholders(text: str) -> list[str]:
    """The printf/format placeholders and HTML tags of a string, sorted (order may change)."""
    return sorted(_PLACEHOLDER.findall(text))


def is_translated(message) -> bool:
    if message.fuzzy:
        return False
    if isinstance(message.string, (tuple, list)):
        return all(message.string)
    return bool(message.string)


def load_catalog(path: Path = CATALOG):
    with open(path, "rb") as fh:
        return read_po(fh, locale="zh_CN")


def save_catalog(catalog, path: Path = CATALOG) -> None:
    with open(path, "wb") as fh:
        write_po(fh, catalog, width=76, include_previous=False)


def singular(msgid) -> str:
    return msgid[0] if isinstance(msgid, (tuple, list)) else msgid


def fill(catalog, translations: dict, overwrite: bool = False) -> tuple[int, list[str]]:
    """Apply ``{msgid: msgstr}``; returns (number filled, list of problems)."""
    filled, problems = 0, []
    for key, value in translations.items():
        message = catalog.get(key)
        if message is None or not key:
            problems.append(f"not in catalog: {key!r}")
            continue
        if is_translated(message) and not overwrite:
            continue
        if isinstance(message.id, (tuple, list)):
            nforms = catalog.num_plurals
            forms = [value] * nforms if isinstance(value, str) else list(value)
            if len(forms) != nforms or not all(forms):
                problems.append(f"plural {key!r}: need {nforms} non-empty form(s)")
                continue
            bad = [f for f in forms if placeholders(f) != placeholders(message.id[1])
                   and placeholders(f) != placeholders(message.id[0])]
            if bad:
                problems.append(f"placeholders differ: {key!r} -> {bad!r}")
                continue
            message.string = tuple(forms)
        else:
            if not isinstance(value, str) or not value:
                problems.append(f"empty translation for {key!r}")
                continue
            if placeholders(value) != placeholders(key):
                problems.append(f"placeholders differ: {key!r} -> {value!r}")
                continue
            if key.startswith(" ") != value.startswith(" ") or key.endswith(" ") != value.endswith(" "):
                problems.append(f"leading/trailing space differs: {key!r} -> {value!r}")
                continue
            message.string = value
        message.flags.discard("fuzzy")
        filled += 1
    return filled, problems


def untranslated(catalog) -> list:
    return [m for m in catalog if m.id and not is_translated(m)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("batches", nargs="*", type=Path, help="JSON files {msgid: msgstr}")
    parser.add_argument("--list", action="store_true", help="only list untranslated entries")
    parser.add_argument("--json", action="store_true", help="list untranslated entries as JSON")
    parser.add_argument("--overwrite", action="store_true", help="replace existing translations too")
    parser.add_argument("--catalog", type=Path, default=CATALOG)
    args = parser.parse_args(argv)

    catalog = load_catalog(args.catalog)
    if args.batches and not args.list:
        total = 0
        for batch in args.batches:
            with open(batch, encoding="utf-8") as fh:
                translations = json.load(fh)
            filled, problems = fill(catalog, translations, overwrite=args.overwrite)
            total += filled
            for problem in problems:
                print(f"{batch}: {problem}", file=sys.stderr)
        save_catalog(catalog, args.catalog)
        print(f"filled {total} entr{'y' if total == 1 else 'ies'}", file=sys.stderr)

    remaining = untranslated(catalog)
    if args.json:
        json.dump({singular(m.id): {"where": [f"{f}:{n}" for f, n in m.locations],
                                    "plural": m.id[1] if isinstance(m.id, (tuple, list)) else None,
                                    "fuzzy": m.fuzzy}
                   for m in remaining}, sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        for m in remaining:
            where = " ".join(f"{f}:{n}" for f, n in m.locations[:3])
            plural = f"  [plural: {m.id[1]!r}]" if isinstance(m.id, (tuple, list)) else ""
            fuzzy = "  [fuzzy]" if m.fuzzy else ""
            print(f"{where}\t{singular(m.id)!r}{plural}{fuzzy}")
    done = sum(1 for m in catalog if m.id) - len(remaining)
    print(f"{done} translated, {len(remaining)} untranslated or fuzzy", file=sys.stderr)
    return 1 if remaining else 0


if __name__ == "__main__":
    sys.exit(main())
