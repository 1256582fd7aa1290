"""Entry point of a worker process: ``python -m durable_mp_workers <fd>``, or of the worker template:
``python -m durable_mp_workers --template <fd>`` (both started by `durable_mp_workers.pool.WorkerPool`)."""

import sys

if len(sys.argv) == 3 and sys.argv[1] == "--template" and sys.argv[2].isdigit():
    from .template import main as template_main

    template_main(int(sys.argv[2]))
elif len(sys.argv) == 2 and sys.argv[1].isdigit():
    from .worker import main

    main(int(sys.argv[1]))
else:
    sys.exit(
        "usage: python -m durable_mp_workers [--template] <fd>  (the pool starts workers; this is not a command "
        "for people)"
    )
