"""One module per durable operation. Each exposes a `run_*` function that DurableContext delegates to."""
