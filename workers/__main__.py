"""Entry point of a worker process: ``python -m durable_mp_workers <fd>`` (started by `durable_mp_workers.pool.WorkerPool`)."""

import sys

from .worker import main

if len(sys.argv) != 2 or not sys.argv[1].isdigit():
    sys.exit(
        "usage: python -m durable_mp_workers <fd>  (the pool starts workers; this is not a command for people)"
    )
main(int(sys.argv[1]))
