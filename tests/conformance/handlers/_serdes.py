"""Custom serializers shared by several suites' handlers (written as a user would)."""

from __future__ import annotations

import json
from typing import Any

from durable_mp.serdes import SerDes, SerDesContext


def _upper(value: Any) -> Any:
    if isinstance(value, str):
        return value.upper()
    if isinstance(value, list):
        return [_upper(item) for item in value]
    if isinstance(value, dict):
        return {key: _upper(item) for key, item in value.items()}
    return value


class UppercaseSerDes(SerDes[Any]):
    """JSON serdes that uppercases every string value when it serializes."""

    def serialize(self, value: Any, serdes_context: SerDesContext) -> str:
        return json.dumps(_upper(value))

    def deserialize(self, data: str, serdes_context: SerDesContext) -> Any:
        return json.loads(data)
