"""More of the official examples' shapes: custom serdes in map/parallel, a large child result, a failing
submitter, chained invokes, parallel failure tolerance and a map at scale."""

from typing import Any

from durable_mp.concurrency.models import BatchResult
from durable_mp.config import CompletionConfig, Duration, MapConfig, ParallelConfig
from durable_mp.context import DurableContext
from durable_mp.execution import durable_execution
from durable_mp.serdes import SerDes, SerDesContext
from durable_mp.types import WaitForCallbackContext


class TaggedSerDes(SerDes[Any]):
    """Stores a value as "tagged:<repr>"-style text (JSON inside, prefixed)."""

    def serialize(self, value: Any, serdes_context: SerDesContext) -> str:
        import json

        return "tagged:" + json.dumps(value)

    def deserialize(self, data: str, serdes_context: SerDesContext) -> Any:
        import json

        assert data.startswith("tagged:"), data
        return json.loads(data[len("tagged:") :])


class BatchTaggedSerDes(TaggedSerDes):
    """Also stores a whole BatchResult (the parallel's own result) as tagged JSON of its dict."""

    def serialize(self, value: Any, serdes_context: SerDesContext) -> str:
        if isinstance(value, BatchResult):
            return "batch:" + super().serialize(value.to_dict(), serdes_context)
        return super().serialize(value, serdes_context)

    def deserialize(self, data: str, serdes_context: SerDesContext) -> Any:
        if data.startswith("batch:"):
            return BatchResult.from_dict(super().deserialize(data[len("batch:") :], serdes_context))
        return super().deserialize(data, serdes_context)


def label(context: DurableContext, item: str, index: int, _items: list[str]) -> dict[str, Any]:
    return {"index": index, "label": item.upper()}


@durable_execution
def map_with_custom_serdes(_event: Any, context: DurableContext) -> list[dict[str, Any]]:
    config = MapConfig(item_serdes=TaggedSerDes())
    result = context.map(["a", "b", "c"], label, name="labels", config=config)
    context.wait(Duration.from_seconds(1), name="replay_point")  # the results below come from replay
    return result.get_results()


def branch_one(context: DurableContext) -> int:
    return context.step(lambda _: 1, name="one")


def branch_two(context: DurableContext) -> int:
    return context.step(lambda _: 2, name="two")


def branch_fails(context: DurableContext) -> int:
    def boom(_: Any) -> int:
        raise RuntimeError("branch failed")

    from durable_mp.config import StepConfig
    from durable_mp.retries import RetryStrategyConfig, create_retry_strategy

    no_retry = StepConfig(retry_strategy=create_retry_strategy(RetryStrategyConfig(max_attempts=1)))
    return context.step(boom, name="boom", config=no_retry)


@durable_execution
def parallel_with_batch_serdes(_event: Any, context: DurableContext) -> list[int]:
    result = context.parallel(
        [branch_one, branch_two], name="pair", config=ParallelConfig(serdes=BatchTaggedSerDes())
    )
    context.wait(Duration.from_seconds(1), name="replay_point")
    return result.get_results()


@durable_execution
def parallel_with_failure_tolerance(_event: Any, context: DurableContext) -> dict[str, Any]:
    result = context.parallel(
        [branch_one, branch_fails, branch_two],
        name="tolerant",
        config=ParallelConfig(completion_config=CompletionConfig(tolerated_failure_count=1)),
    )
    return {
        "results": sorted(result.get_results()),
        "failures": result.failure_count,
        "reason": result.completion_reason.value,
    }


def big_block(context: DurableContext) -> str:
    parts = [context.step(lambda _, i=i: chr(97 + i) * 100_000, name=f"part_{i}") for i in range(3)]
    return "".join(parts)


@durable_execution
def run_in_child_context_large_data(_event: Any, context: DurableContext) -> dict[str, Any]:
    data = context.run_in_child_context(big_block, name="large")
    context.wait(Duration.from_seconds(1), name="replay_point")  # the child's result is rebuilt on replay
    return {"length": len(data), "head": data[:2], "tail": data[-2:]}


def failing_submitter(callback_id: str, _context: WaitForCallbackContext) -> None:
    raise ConnectionError("external system unreachable")


@durable_execution
def wait_for_callback_submitter_failure_catchable(_event: Any, context: DurableContext) -> dict[str, Any]:
    from durable_mp.config import WaitForCallbackConfig
    from durable_mp.retries import RetryStrategyConfig, create_retry_strategy

    config = WaitForCallbackConfig(retry_strategy=create_retry_strategy(RetryStrategyConfig(max_attempts=1)))
    try:
        context.wait_for_callback(failing_submitter, name="notify", config=config)
    except Exception as error:  # noqa: BLE001 (the example reports any failure)
        return {"caught": type(error).__name__, "message": str(error)}
    return {"caught": None}


def double(payload: Any, _lambda_context: Any) -> dict[str, Any]:
    return {"doubled": payload["n"] * 2}


@durable_execution
def adder(event: Any, context: DurableContext) -> int:
    return context.step(lambda _: event["a"] + event["b"], name="add")


@durable_execution
def chained_invokes(_event: Any, context: DurableContext) -> dict[str, Any]:
    doubled = context.invoke("doubler", {"n": 21}, name="call_doubler")
    total = context.invoke("adder", {"a": 2, "b": 3}, name="call_adder")
    return {"doubled": doubled["doubled"], "total": total}


def tiny(context: DurableContext, item: int, index: int, _items: list[int]) -> int:
    return context.step(lambda _: item + 1, name=f"inc_{index}")


@durable_execution
def map_with_large_scale(_event: Any, context: DurableContext) -> dict[str, Any]:
    result = context.map(list(range(60)), tiny, name="large_map", config=MapConfig(max_concurrency=10))
    return {"count": result.success_count, "sum": sum(result.get_results())}
