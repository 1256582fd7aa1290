"""The durable-mp load-test tool: how map completion policies and worker counts behave at scale.

Layout: `spec` (item costs and failures from a seed), `policies` (policy specs, and the sequential
model the runs are checked against), `items` (the map item and its side channel), `runner` (one
measured execution), `memory` (RSS sampling), `stats`, `report` (aggregates, JSON schema, table),
`charts` (HTML with inline SVG), `png` (matplotlib), `progress`, `outputs`, `soak`, and `cli`
(`main(argv)` and `add_arguments(parser)`, used by `python -m durable_mp.loadtest` and `durable-mp loadtest`).
See docs/loadtest.md.
"""
