"""Replay-engine tests through the public API and the local test runner."""
