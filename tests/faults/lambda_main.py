"""Run a full map on the process pool where POSIX semaphores do not work, as on AWS Lambda.

    python -m tests.faults.lambda_main DIR

Item 1 SIGKILLs its worker once, so crash recovery runs there too. Prints one JSON line: the errno with
which this process fails to make a semaphore, the execution's status and result, and the workers' pids.
"""

from __future__ import annotations

import json
import sys

from durable_mp.testing import DurableFunctionTestRunner

from .handlers import map_handler, semaphore_errno


def main(directory: str) -> None:
    items = [{"dir": directory, "crash": "once" if i == 1 else None} for i in range(4)]
    with DurableFunctionTestRunner(map_handler, skip_time=True) as runner:
        result = runner.run(input={"func": "lambda_item", "items": items, "workers": 2}, timeout=60)
    import durable_mp_workers.shared

    pool = durable_mp_workers.shared._pool
    print(
        json.dumps(
            {
                "parent_errno": semaphore_errno(),
                "status": result.status.value,
                "result": result.result_value,
                "error": None if result.error is None else str(result.error),
                "workers": [] if pool is None else pool.pids(),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
