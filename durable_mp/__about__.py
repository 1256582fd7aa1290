"""The package version, its one source (pyproject.toml reads it from here; as `aws_durable_execution_sdk_python.__about__`)."""

__version__ = "0.1.0"
