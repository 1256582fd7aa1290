"""Requirements durable-mp declares NOT IMPLEMENTED, each with its reason.

The harness xfails these (never skips them silently) and the report counts them apart.
Keys are "<suite>/<requirement id>".
"""

from __future__ import annotations

NOT_IMPLEMENTED: dict[str, str] = {}


def reason_for(suite: str, requirement_id: str) -> str | None:
    """The declared reason why ``suite/requirement_id`` is not implemented, or None."""
    return NOT_IMPLEMENTED.get(f"{suite}/{requirement_id}")
