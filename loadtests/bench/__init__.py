"""Official SDK vs durable-mp: the same handlers under both SDKs, each on its own local runner.

Layout: `sdks` (what differs between the SDKs: import paths and the runner's `run` keywords),
`workloads` (the handlers, written once against an `Sdk`), `measure` (timing and memory of one run),
`main` (alternating runs, medians, the table). Run `python -m loadtests.bench` in an environment with
the `bench` extra installed; without it only durable-mp's column is measured. See docs/benchmarks.md.
"""
