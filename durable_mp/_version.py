"""The version of durable-mp: the one source of truth (pyproject.toml reads it from here)."""

__version__ = "0.1.0"
