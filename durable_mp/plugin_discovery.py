"""Plugin discovery, at the official SDK's module path (`aws_durable_execution_sdk_python.plugin_discovery`).

See `durable_mp.plugins.discovery`.
"""

from __future__ import annotations

from durable_mp.plugins.discovery import (
    PLUGIN_ENTRY_POINT_GROUP,
    PLUGIN_ENVIRONMENT_VARIABLE,
    load_configured_plugins,
)

__all__ = ["PLUGIN_ENTRY_POINT_GROUP", "PLUGIN_ENVIRONMENT_VARIABLE", "load_configured_plugins"]
