"""context.parallel with three branches, one of which waits."""

from typing import Any

from durable_mp.config import Duration, ParallelConfig
from durable_mp.context import DurableContext
from durable_mp.execution import durable_execution


def task_1(context: DurableContext) -> str:
    return context.step(lambda _: "task 1 completed", name="task1")


def task_2(context: DurableContext) -> str:
    return context.step(lambda _: "task 2 completed", name="task2")


def task_3(context: DurableContext) -> str:
    context.wait(Duration.from_seconds(1), name="wait_in_task3")
    return "task 3 completed after wait"


@durable_execution
def handler(_event: Any, context: DurableContext) -> list[str]:
    return context.parallel(
        [task_1, task_2, task_3], name="parallel_operation", config=ParallelConfig(max_concurrency=2)
    ).get_results()
