"""Requirements durable-mp declares NOT IMPLEMENTED, each with its reason.

The harness xfails these (never skips them silently) and the report counts them apart.
Keys are "<suite>/<requirement id>".
"""

from __future__ import annotations

PLUGIN_REASON = "plugin suite: out of scope for this release"

NOT_IMPLEMENTED: dict[str, str] = {
    **{f"plugin/10-{n}": PLUGIN_REASON for n in range(1, 8)},
}


def reason_for(suite: str, requirement_id: str) -> str | None:
    """The declared reason why ``suite/requirement_id`` is not implemented, or None."""
    return NOT_IMPLEMENTED.get(f"{suite}/{requirement_id}")
