"""The testing SDK's version (durable-mp's own)."""

from durable_mp.__about__ import __version__

__all__ = ["__version__"]
