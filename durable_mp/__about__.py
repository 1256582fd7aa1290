"""The package version (as `aws_durable_execution_sdk_python.__about__`)."""

__version__ = "0.1.0"
