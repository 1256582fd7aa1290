"""Run, or resume, one execution of `handlers.map_handler` on a local service backed by an SQLite store.

    python -m tests.faults.resume_main DB_PATH EXECUTION_NAME INPUT_JSON

A service opened on a store that holds an unfinished execution resumes it once the handler is registered,
and starting an execution under an existing name returns that execution, so running this again after the
process was killed carries the same execution on. Prints the final execution as one JSON line.
"""

from __future__ import annotations

import json
import sys

from durable_mp.local import LocalDurableService, SqliteStore

from .handlers import map_handler

FUNCTION = "faults-resume"


def main(db_path: str, name: str, payload: str) -> None:
    service = LocalDurableService(store=SqliteStore(db_path), skip_time=True)
    try:
        service.register_durable_function(FUNCTION, map_handler)
        arn = service.start_execution(FUNCTION, payload, name=name)
        final = service.wait_for_execution(arn, timeout=120)
        events = service.events(arn)
        errors = [
            e["InvocationCompletedDetails"].get("Error")
            for e in events
            if e["EventType"] == "InvocationCompleted"
        ]
        print(
            json.dumps(
                {
                    "Status": final["Status"],
                    "Result": final.get("Result"),
                    "Error": final.get("Error"),
                    "InvocationErrors": errors,
                }
            )
        )
    finally:
        service.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
