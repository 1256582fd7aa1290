"""Instrumentation plugins (the public names are in `durable_mp.plugin` and `durable_mp.plugin_discovery`).

- `info`: the hook info types, the plugin base class, the factory protocol.
- `discovery`: which factories an execution uses (explicit, then DURABLE_EXECUTION_PLUGINS entry points).
- `dispatch`: `PluginExecutor`, one per invocation: builds the plugins and hands them every hook.
- `sink`: the checkpointer wrapper that turns START / SUCCEED / FAIL updates into operation hooks.
- `forward`: inside a worker process, hooks travel to the parent with the branch's checkpoints.
"""
