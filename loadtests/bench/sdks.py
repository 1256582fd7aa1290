"""The two SDKs behind one small interface, so each handler is written once.

An `Sdk` carries the SDK's `durable_execution` decorator, its `config` module (MapConfig, ParallelConfig,
Duration), its test runner class and the keywords its runner's `run` takes. Nothing else differs: the
handlers in `workloads` use only the official API, which durable-mp mirrors.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

OFFICIAL = "official"
OURS = "durable-mp"
MODULES = {
    OFFICIAL: (
        "aws_durable_execution_sdk_python",
        "aws_durable_execution_sdk_python.config",
        "aws_durable_execution_sdk_python_testing",
    ),
    OURS: ("durable_mp", "durable_mp.config", "durable_mp.testing"),
}
# The official runner deprecates run(timeout=) for execution_timeout=; ours takes the real wait as timeout=.
RUN_KEYWORDS = {OFFICIAL: {"execution_timeout": 600}, OURS: {"timeout": 600}}


@dataclass(frozen=True)
class Sdk:
    name: str
    durable_execution: Any
    config: ModuleType
    runner_class: Any
    run_keywords: dict[str, Any] = field(default_factory=dict)

    def run(self, handler: Any) -> Any:
        """Run `handler` once on a fresh runner (in-memory store, time skipped); returns the result."""
        with self.runner_class(handler) as runner:
            result = runner.run(input=None, **self.run_keywords)
        if result.status.name != "SUCCEEDED":
            raise RuntimeError(f"{self.name}: execution ended {result.status.name}: {result.error}")
        return result


def compile_bytecode() -> None:
    """Write durable-mp's bytecode (`__pycache__`), as `pip install` does for an installed package (and so
    for the official SDK here). An editable install run with PYTHONDONTWRITEBYTECODE=1, as in this
    sandbox, has none: every fresh interpreter (a cold start, a worker) would compile durable-mp's sources
    again, which no real deployment pays."""
    import compileall
    import os

    import durable_mp
    import durable_mp_workers

    for package in (durable_mp, durable_mp_workers):
        compileall.compile_dir(os.path.dirname(package.__file__ or ""), quiet=1)


def load(name: str) -> Sdk:
    """The SDK `name` (OFFICIAL or OURS); ImportError when it is not installed."""
    root, config, testing = MODULES[name]
    sdk = importlib.import_module(root)
    runner = importlib.import_module(testing).DurableFunctionTestRunner
    return Sdk(name, sdk.durable_execution, importlib.import_module(config), runner, RUN_KEYWORDS[name])


def available() -> tuple[list[Sdk], list[str]]:
    """The SDKs that import here, and why the others do not."""
    found, missing = [], []
    for name in (OFFICIAL, OURS):
        try:
            found.append(load(name))
        except ImportError as exc:
            missing.append(f"{name}: {exc}")
    return found, missing
