"""durable-mp test suites."""
