"""The engine tests' `run` fixture (the local test runner, time skipped), for the saga tests."""

from tests.engine.conftest import run

__all__ = ["run"]
