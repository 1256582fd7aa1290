"""The public API of the official packages, as data: module -> names, class -> attributes.

`collect()` reads it from the installed `aws_durable_execution_sdk_python` / `..._testing`; the result
is kept in `official_api.json` so the comparison runs where they are not installed. Regenerate with
`python -m tests.compat.official_api` (after upgrading the pinned official versions).

A class's attributes are its public members (`dir`), its dataclass fields and the public attributes its
`__init__` assigns (`self.x = ...`), so instance attributes such as `DurableContext.execution_context`
count too.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import pkgutil
import re
import typing
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("official_api.json")
PACKAGES = {
    "aws_durable_execution_sdk_python": "durable_mp",
    "aws_durable_execution_sdk_python_testing": "durable_mp.testing",
}
_ASSIGNED = re.compile(r"self\.([A-Za-z][A-Za-z0-9_]*)\s*(?::[^=\n]+)?=(?!=)")


def _public_names(module: Any) -> list[str]:
    declared = getattr(module, "__all__", None)
    out = []
    for name, value in vars(module).items():
        if name.startswith("_") and name != "__version__":
            continue
        if declared is not None and name not in declared:
            continue
        if inspect.ismodule(value) or isinstance(value, (typing.TypeVar, typing.ParamSpec)):
            continue
        if name in ("TYPE_CHECKING", "logger"):
            continue
        defined_elsewhere = getattr(value, "__module__", module.__name__) != module.__name__
        if (
            declared is None
            and defined_elsewhere
            and not isinstance(value, (int, float, str, frozenset, dict))
        ):
            continue  # an import, not part of this module's API
        out.append(name)
    return sorted(out)


def class_attributes(cls: type) -> set[str]:
    """The public attributes of instances of `cls` (members, dataclass fields, __init__ assignments)."""
    names = {a for a in dir(cls) if not a.startswith("_")}
    if dataclasses.is_dataclass(cls):
        names |= {f.name for f in dataclasses.fields(cls) if not f.name.startswith("_")}
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is None or not inspect.isfunction(init):
            continue
        try:
            source = inspect.getsource(init)
        except (OSError, TypeError):
            continue
        names |= {m for m in _ASSIGNED.findall(source) if not m.startswith("_")}
    return names


def collect() -> dict[str, Any]:
    modules: dict[str, list[str]] = {}
    classes: dict[str, list[str]] = {}
    for package in PACKAGES:
        root = importlib.import_module(package)
        names = [package] + [m.name for m in pkgutil.walk_packages(root.__path__, package + ".")]
        for module_name in names:
            module = importlib.import_module(module_name)
            public = _public_names(module)
            modules[module_name] = public
            for name in public:
                value = getattr(module, name)
                if inspect.isclass(value):
                    classes[f"{module_name}.{name}"] = sorted(class_attributes(value))
    return {"modules": modules, "classes": classes}


def ours(official: str) -> str:
    """Our module path for an official one."""
    for package, mine in PACKAGES.items():
        if official == package or official.startswith(package + "."):
            return mine + official[len(package) :]
    raise ValueError(official)


if __name__ == "__main__":
    DATA.write_text(json.dumps(collect(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {DATA}")
