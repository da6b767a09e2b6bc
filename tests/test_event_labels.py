"""Every timeline event code written in portal/ has a label in workflow.EVENT_LABELS, so the case
timeline never shows a raw code such as "IMPORTED"."""
from __future__ import annotations

import re
from pathlib import Path

from portal.disputes.workflow import EVENT_LABELS

PORTAL = Path(__file__).parents[1] / "portal"
#: Calls that write an event with a literal code: record_event(dispute, "CODE", …) and the helpers
#: that forward their code to it, workflow._finish(dispute, user, "CODE", …) and demo._event(dispute, "CODE", …),
#: and the event rows the bulk import writes directly ({"action": "CODE", …}).
LITERAL_CALLS = [re.compile(r'\brecord_event\(\s*[^,()]+,\s*"([A-Z_]+)"'),
                 re.compile(r'\b_finish\(\s*[^,()]+,\s*[^,()]+,\s*"([A-Z_]+)"'),
                 re.compile(r'\b_event\(\s*[^,()]+,\s*"([A-Z_]+)"'),
                 re.compile(r'"action":\s*"([A-Z_]+)"')]
#: record_event calls whose code is a variable: only inside the forwarding helpers above.
VARIABLE_CODE = re.compile(r'(?<!def )\brecord_event\(\s*[^,()]+,\s*([a-z_]+)\b')


def _sources() -> dict[str, str]:
    return {str(path.relative_to(PORTAL.parent)): path.read_text("utf-8") for path in PORTAL.rglob("*.py")}


def used_codes() -> dict[str, str]:
    """Event code → first file writing it."""
    codes: dict[str, str] = {}
    for name, text in _sources().items():
        for pattern in LITERAL_CALLS:
            for code in pattern.findall(text):
                codes.setdefault(code, name)
    return codes


def test_every_written_event_code_has_a_label():
    codes = used_codes()
    assert {"REGISTERED", "IMPORTED", "ACCEPTED", "ARCHIVED", "EDITED"} <= set(codes)  # the regexes work
    missing = {code: where for code, where in codes.items() if code not in EVENT_LABELS}
    assert not missing, missing


def test_codes_passed_as_variables_come_only_from_the_forwarding_helpers():
    variables = {(name, var) for name, text in _sources().items() for var in VARIABLE_CODE.findall(text)}
    assert variables <= {("portal/disputes/workflow.py", "action_code"), ("portal/disputes/demo.py", "action")}
