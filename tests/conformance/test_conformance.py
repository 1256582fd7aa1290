"""The official conformance suite against durable-mp's local service, one test per requirement.

Run: ``python -m pytest tests/conformance -n 2 -p no:cacheprovider``. map and parallel requirements run
twice, with the process executor and with threads (``test_requirement[map-9-3-processes]``).
Requirements declared in ``not_implemented.py`` are xfailed with their reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .handlers import SUITES
from .harness import Requirement, requirements, run
from .not_implemented import NOT_IMPLEMENTED, reason_for

REQUIREMENTS = requirements()


def _param(requirement: Requirement) -> object:
    marks: list[pytest.MarkDecorator] = [pytest.mark.conformance]
    reason = reason_for(requirement.suite, requirement.requirement_id)
    if reason is not None:
        marks.append(pytest.mark.xfail(reason=f"NOT IMPLEMENTED: {reason}", run=False, strict=True))
    if requirement.real_time:
        marks.append(pytest.mark.slow)
    return pytest.param(requirement, id=requirement.test_id, marks=marks)


def _history_outline(output_dir: Path, requirement_id: str) -> str:
    saved = output_dir / f"{requirement_id}.json"
    if not saved.is_file():
        return "(no execution history was saved)"
    events = json.loads(saved.read_text()).get("Events", [])
    lines = []
    for event in events:
        details = {k: v for k, v in event.items() if k.endswith("Details") and v}
        head = f"{event.get('EventId')}: {event.get('EventType')}/{event.get('SubType', '-')}"
        lines.append(
            f"  {head} name={event.get('Name')!r} parent={event.get('ParentId')!r} {json.dumps(details)[:300]}"
        )
    return "\n".join(lines)


@pytest.mark.parametrize("requirement", [_param(r) for r in REQUIREMENTS])
def test_requirement(requirement: Requirement, tmp_path: Path) -> None:
    if requirement.requirement_id not in SUITES.get(requirement.suite, {}):
        pytest.fail(f"{requirement.key} has no handler and is not declared in not_implemented.py")
    result = run(requirement, tmp_path)
    if not result.passed:
        errors = "\n".join(f"  - {error}" for error in result.errors)
        pytest.fail(
            f"{requirement.key} ({requirement.executor or 'inline'}) failed the suite's validation:\n{errors}\n"
            f"actual history:\n{_history_outline(tmp_path, requirement.requirement_id)}",
            pytrace=False,
        )


def test_every_requirement_has_a_handler_or_a_declared_reason() -> None:
    missing = sorted(
        {
            r.key
            for r in REQUIREMENTS
            if r.requirement_id not in SUITES.get(r.suite, {})
            and reason_for(r.suite, r.requirement_id) is None
        }
    )
    assert missing == []


def test_no_handler_or_declaration_without_a_requirement() -> None:
    known = {r.key for r in REQUIREMENTS}
    handlers = {f"{suite}/{rid}" for suite, table in SUITES.items() for rid in table}
    assert sorted(handlers - known) == []
    assert sorted(set(NOT_IMPLEMENTED) - known) == []
