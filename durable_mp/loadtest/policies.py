"""Completion policies to compare: parsed from short specs, and predicted for sequential runs.

Specs (`--policy`, repeatable or comma separated):
- presets `first_successful`, `all_completed`, `all_successful`, and `fail_fast` (no criterion: the map
  default, where the first failure ends the batch);
- thresholds `min_successful=N`, `tolerated_count=N`, `tolerated_pct=P`, combined with `+`
  (`min_successful=150+tolerated_count=5`);
- `custom` / `custom:quorum=P`: a `should_complete` predicate shipped here (`Quorum`): succeed once P %
  of all items succeeded (default 50), fail as soon as that can no longer happen;
- `custom=module:attr`: your own `should_complete` predicate, imported.

Percents (`quorum=P`, `tolerated_pct=P`) are 0-100, with or without `%`; a bare 0.6 is refused as
ambiguous (see `units`).

`predict_sequential` is the tool's own model of the completion rules, written independently of
durable_mp's CompletionPolicy. After each finished item, in this order: without a custom predicate,
failures above tolerated_failure_count, or a failed share of all items above tolerated_failure_percentage,
or with no criterion at all any failure, end the batch (FAILURE_TOLERANCE_EXCEEDED); a custom
`should_complete` that says complete ends it (CUSTOM_COMPLETION_SUCCEEDED or _FAILED); all items finished
is ALL_COMPLETED; successes reaching min_successful is MIN_SUCCESSFUL_REACHED. With max_concurrency=1,
items run one at a time in index order, so the outcome is fully determined by which items fail; the tool
checks each such run against it.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from durable_mp.config import (
    BatchItemStatus,
    CompletionConfig,
    CompletionDecision,
    CompletionItemStatus,
    CompletionOutcome,
    CompletionStatus,
    complete_batch,
    continue_batch,
)
from durable_mp.exceptions import ValidationError
from durable_mp.loadtest.spec import SpecError
from durable_mp.loadtest.units import parse_percent

PRESETS: dict[str, Callable[[], CompletionConfig]] = {
    "first_successful": CompletionConfig.first_successful,
    "all_completed": CompletionConfig.all_completed,
    "all_successful": CompletionConfig.all_successful,
    "fail_fast": CompletionConfig,
}
THRESHOLDS = {
    "min_successful": "min_successful",
    "tolerated_count": "tolerated_failure_count",
    "tolerated_pct": "tolerated_failure_percentage",
}


@dataclass(frozen=True)
class Quorum:
    """A custom `should_complete`: succeed at `percent` % successes of all items, fail once out of reach."""

    percent: float = 50.0

    def needed(self, total: int) -> int:
        return max(1, math.ceil(self.percent / 100 * total)) if total else 0

    def __call__(self, status: CompletionStatus) -> CompletionDecision:
        need = self.needed(status.total_count)
        if status.success_count >= need:
            return complete_batch(CompletionOutcome.SUCCEEDED)
        if status.total_count - status.failure_count < need:
            return complete_batch(CompletionOutcome.FAILED)
        return continue_batch()


@dataclass(frozen=True)
class Policy:
    """A named completion policy: the spec text and the CompletionConfig it builds."""

    name: str
    config: CompletionConfig


def _custom(arg: str, text: str) -> CompletionConfig:
    if not arg:
        return CompletionConfig(should_complete=Quorum())
    if arg.startswith("quorum="):
        value = parse_percent(arg.removeprefix("quorum="), f"policy {text!r}: quorum", allow_zero=False)
        return CompletionConfig(should_complete=Quorum(value))
    module, _, attr = arg.partition(":")
    if not module or not attr:
        raise SpecError(f"policy {text!r}: expected custom, custom:quorum=P or custom=module:attr")
    try:
        predicate = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise SpecError(f"policy {text!r}: cannot load {module}:{attr} ({exc})") from None
    if not callable(predicate):
        raise SpecError(f"policy {text!r}: {module}:{attr} is not callable")
    return CompletionConfig(should_complete=predicate)


def _thresholds(text: str) -> CompletionConfig:
    fields: dict[str, float] = {}
    for part in text.split("+"):
        key, eq, value = part.partition("=")
        if key not in THRESHOLDS or not eq:
            raise SpecError(
                f"policy {text!r}: {part!r} is not one of "
                f"{', '.join(k + '=N' for k in THRESHOLDS)} or a preset ({', '.join(PRESETS)})"
            )
        if key == "tolerated_pct":
            fields[THRESHOLDS[key]] = parse_percent(value, f"policy {text!r}: {key}")
            continue
        try:
            number = float(value)
        except ValueError:
            raise SpecError(f"policy {text!r}: {key} needs a number, got {value!r}") from None
        if not number.is_integer():
            raise SpecError(f"policy {text!r}: {key} needs a whole number, got {value!r}")
        fields[THRESHOLDS[key]] = int(number)
    try:
        return CompletionConfig(**fields)  # type: ignore[arg-type]  # only threshold keywords, each an int
    except (ValueError, ValidationError) as exc:
        raise SpecError(f"policy {text!r}: {exc}") from None


def parse_policy(text: str) -> Policy:
    """One policy spec as a Policy (see the module docstring for the syntax)."""
    spec = text.strip().replace("-", "_")
    if not spec:
        raise SpecError("empty policy spec")
    if spec in PRESETS:
        return Policy(spec, PRESETS[spec]())
    if spec == "custom" or spec.startswith(("custom:", "custom=")):
        return Policy(text.strip(), _custom(text.strip()[7:], text))
    return Policy(spec, _thresholds(spec))


def parse_policies(texts: Sequence[str]) -> list[Policy]:
    """Specs from repeated and/or comma-separated options, in order, duplicates dropped."""
    out: dict[str, Policy] = {}
    for text in texts:
        for part in text.split(","):
            if part.strip():
                policy = parse_policy(part)
                out.setdefault(policy.name, policy)
    if not out:
        raise SpecError("no completion policy given")
    return list(out.values())


@dataclass(frozen=True)
class Prediction:
    """What a sequential (max_concurrency=1) run must give."""

    reason: str
    succeeded: int
    failed: int
    never_started: int


def _reason(
    config: CompletionConfig, total: int, ok: int, bad: int, decision: CompletionDecision | None
) -> str | None:
    custom = config.should_complete is not None
    limits = (config.min_successful, config.tolerated_failure_count, config.tolerated_failure_percentage)
    if not custom:
        if all(v is None for v in limits):
            exceeded = bad > 0
        else:
            count, pct = config.tolerated_failure_count, config.tolerated_failure_percentage
            exceeded = (count is not None and bad > count) or (
                pct is not None and total > 0 and bad * 100 / total > pct
            )
        if exceeded:
            return "FAILURE_TOLERANCE_EXCEEDED"
    if decision is not None and decision.complete:
        failed = decision.outcome is CompletionOutcome.FAILED
        return "CUSTOM_COMPLETION_FAILED" if failed else "CUSTOM_COMPLETION_SUCCEEDED"
    if ok + bad >= total:
        return "ALL_COMPLETED"
    if config.min_successful is not None and ok >= config.min_successful:
        return "MIN_SUCCESSFUL_REACHED"
    return None


def predict_sequential(config: CompletionConfig, fails: Sequence[bool]) -> Prediction:
    """The outcome of running items one at a time in index order, item i failing when fails[i]."""
    total = len(fails)
    statuses: list[BatchItemStatus | None] = [None] * total
    ok = bad = 0

    def decide() -> CompletionDecision | None:
        if config.should_complete is None:
            return None
        items = tuple(CompletionItemStatus(i, None, s) for i, s in enumerate(statuses))
        return config.should_complete(CompletionStatus(ok, bad, ok + bad, total, items))

    reason = _reason(config, total, ok, bad, decide())
    for i, failed in enumerate(fails):
        if reason is not None:
            break
        statuses[i] = BatchItemStatus.FAILED if failed else BatchItemStatus.SUCCEEDED
        bad, ok = bad + failed, ok + (not failed)
        reason = _reason(config, total, ok, bad, decide())
    return Prediction(reason or "ALL_COMPLETED", ok, bad, total - ok - bad)
