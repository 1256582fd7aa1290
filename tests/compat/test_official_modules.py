"""Behaviour of the modules added under the official paths, compared with the official SDK where it is
installed: lambda_service, preview, filesystem_serdes, the serdes codecs, concurrency.models, context,
execution's invocation models, suspend, identifier."""

from __future__ import annotations

import datetime
import itertools
import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from durable_mp import lambda_service as ls
from durable_mp.concurrency.models import CompletionPolicy
from durable_mp.config import CompletionConfig, CompletionOutcome, complete_batch
from durable_mp.context import DurableContext, ExecutionContext
from durable_mp.exceptions import (
    CheckpointError,
    NonDeterministicExecutionError,
    SuspendExecution,
    TimedSuspendExecution,
)
from durable_mp.execution import (
    DurableExecutionInvocationInput,
    DurableExecutionInvocationInputWithClient,
    InvocationStatus,
    durable_execution,
    handle_checkpoint_error,
)
from durable_mp.filesystem_serdes import (
    FileSystemPathEncoding,
    FileSystemSerDes,
    FileSystemSerDesConfig,
    FileSystemSerDesMode,
)
from durable_mp.identifier import OperationIdentifier, OperationIdNamespace
from durable_mp.preview import FieldMatchMode, PreviewConfig, PreviewField, PreviewMode, build_preview
from durable_mp.serdes import TYPE_CODEC, BytesCodec, SerDesContext, TypeTag
from durable_mp.suspend import suspend_with_optional_resume_delay, suspend_with_optional_resume_timestamp
from durable_mp.testing import DurableFunctionTestRunner

ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST/durable-execution/run-1/inv-1"
OPERATION = {
    "Id": "op1",
    "Type": "STEP",
    "Status": "PENDING",
    "ParentId": "p",
    "Name": "charge",
    "SubType": "Step",
    "StartTimestamp": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    "StepDetails": {
        "Attempt": 2,
        "NextAttemptTimestamp": datetime.datetime(2026, 1, 1, 0, 1, tzinfo=datetime.UTC),
        "Error": {"ErrorType": "ValueError", "ErrorMessage": "no"},
    },
}


# ---------------------------------------------------------------------------------------- lambda_service


def test_operations_parse_and_print_as_the_official_model_does() -> None:
    official = pytest.importorskip("aws_durable_execution_sdk_python.lambda_service")
    ours = ls.Operation.from_dict(OPERATION)
    theirs = official.Operation.from_dict(OPERATION)
    assert ours.to_dict() == dict(theirs.to_dict())
    assert ours.operation_type is ls.OperationType.STEP and ours.status is ls.OperationStatus.PENDING
    assert ours.step_details is not None and ours.step_details.error == ls.ErrorObject(
        "no", "ValueError", None, None
    )
    as_json = ours.to_json_dict()
    assert as_json["StartTimestamp"] == 1767225600000
    assert ls.Operation.from_dict(as_json) == ours  # epoch milliseconds are read as datetimes


def test_updates_and_outputs_round_trip_in_the_boto3_shape() -> None:
    official = pytest.importorskip("aws_durable_execution_sdk_python.lambda_service")
    identifier = OperationIdentifier("op", "Step", "parent", "charge", operation_type=ls.OperationType.STEP)
    update = ls.OperationUpdate.create_step_retry(identifier, ls.ErrorObject("m", "E", None, None), 5)
    wire = update.to_dict()
    assert wire == {
        "Id": "op",
        "Type": "STEP",
        "Action": "RETRY",
        "ParentId": "parent",
        "Name": "charge",
        "SubType": "Step",
        "Error": {"ErrorMessage": "m", "ErrorType": "E"},
        "StepOptions": {"NextAttemptDelaySeconds": 5},
    }
    assert dict(official.OperationUpdate.from_dict(wire).to_dict()) == wire
    assert ls.OperationUpdate.from_dict(wire) == update
    output = ls.DurableExecutionInvocationOutput.create_succeeded('"ok"')
    assert output.to_dict() == {"Status": "SUCCEEDED", "Result": '"ok"'}
    assert (
        ls.DurableExecutionInvocationOutput.from_dict({"Status": "PENDING"}).status
        is InvocationStatus.PENDING
    )
    state = ls.CheckpointOutput.from_dict(
        {"CheckpointToken": "t", "NewExecutionState": {"Operations": [OPERATION]}}
    )
    assert state.checkpoint_token == "t" and state.new_execution_state.operations[0].name == "charge"


def test_enums_have_the_official_members() -> None:
    official = pytest.importorskip("aws_durable_execution_sdk_python.lambda_service")
    for name in (
        "OperationType",
        "OperationStatus",
        "OperationAction",
        "OperationSubType",
        "InvocationStatus",
    ):
        ours, theirs = getattr(ls, name), getattr(official, name)
        assert [(m.name, m.value) for m in ours] == [(m.name, m.value) for m in theirs], name
    assert ls.OperationSubType.MAP == "Map"  # compares equal to the plain string written in SubType


def test_identifier_namespace_and_replay_check() -> None:
    official = pytest.importorskip("aws_durable_execution_sdk_python.identifier")
    for prefix, step in itertools.product((None, "abc"), (1, 7)):
        assert OperationIdNamespace(prefix).create_id_for_step(step) == official.OperationIdNamespace(
            prefix
        ).create_id_for_step(step)
    identifier = OperationIdentifier("op1", "Step", "p", "charge", operation_type=ls.OperationType.STEP)
    identifier.validate_checkpoint(ls.Operation.from_dict(OPERATION))
    renamed = OperationIdentifier("op1", "Step", "p", "refund", operation_type=ls.OperationType.STEP)
    with pytest.raises(NonDeterministicExecutionError, match="name checkpoint='charge' current='refund'"):
        renamed.validate_checkpoint(ls.Operation.from_dict(OPERATION))


# ---------------------------------------------------------------------------------------- preview

ORDER = {
    "order_id": 7,
    "customer": {"name": "Ana", "email": "ana@example.com", "card": {"number": "4111", "cvv": "123"}},
    "lines": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2, "note": None}],
    "dotted.key": 1,
}
PREVIEW_CONFIGS = [
    PreviewConfig(PreviewMode.INCLUDE_ALL),
    PreviewConfig(PreviewMode.INCLUDE_ALL, exclude=[PreviewField("card")], mask=[PreviewField("email")]),
    PreviewConfig(PreviewMode.EXCLUDE_ALL, include=[PreviewField("order_id"), PreviewField("customer")]),
    PreviewConfig(PreviewMode.EXCLUDE_ALL, include=[PreviewField("customer.name", FieldMatchMode.PATH)]),
    PreviewConfig(PreviewMode.EXCLUDE_ALL, include=[PreviewField("customer", FieldMatchMode.PATH)]),
    PreviewConfig(PreviewMode.EXCLUDE_ALL, include=[PreviewField("sku")], mask=[PreviewField("card")]),
    PreviewConfig(
        PreviewMode.INCLUDE_ALL, exclude=[PreviewField("customer")], mask=[PreviewField("customer")]
    ),
    PreviewConfig(PreviewMode.INCLUDE_ALL, max_preview_bytes=40),
    PreviewConfig(PreviewMode.INCLUDE_ALL, max_preview_bytes=3),
    PreviewConfig(PreviewMode.EXCLUDE_ALL),
]


@pytest.mark.parametrize("index", range(len(PREVIEW_CONFIGS)))
def test_previews_match_the_official_build_preview(index: int) -> None:
    official = pytest.importorskip("aws_durable_execution_sdk_python.preview")
    config = PREVIEW_CONFIGS[index]
    theirs = official.PreviewConfig(
        official.PreviewMode(config.mode.value),
        include=[
            official.PreviewField(f.name, official.FieldMatchMode(f.match.value)) for f in config.include
        ],
        exclude=[
            official.PreviewField(f.name, official.FieldMatchMode(f.match.value)) for f in config.exclude
        ],
        mask=[official.PreviewField(f.name, official.FieldMatchMode(f.match.value)) for f in config.mask],
        mask_string=config.mask_string,
        max_preview_bytes=config.max_preview_bytes,
    )
    assert build_preview(ORDER, config) == official.build_preview(ORDER, theirs)


def test_preview_examples() -> None:
    config = PreviewConfig(
        PreviewMode.EXCLUDE_ALL, include=[PreviewField("order_id")], mask=[PreviewField("card")]
    )
    assert build_preview(ORDER, config) == {"order_id": 7, "customer": {"card": "***"}}
    assert build_preview([1, 2], config) is None


# ---------------------------------------------------------------------------------------- filesystem_serdes


def _context(op: str = "op/1") -> SerDesContext:
    return SerDesContext(op, ARN)


def test_always_mode_writes_every_value_to_a_file_with_a_preview(tmp_path: Path) -> None:
    preview = PreviewConfig(PreviewMode.EXCLUDE_ALL, include=[PreviewField("order_id")])
    serdes = FileSystemSerDes(
        str(tmp_path), FileSystemSerDesConfig(generate_preview=lambda value: build_preview(value, preview))
    )
    value = {"order_id": 7, "when": datetime.date(2026, 1, 2), "amount": Decimal("9.50")}
    envelope = json.loads(serdes.serialize(value, _context()))
    path = Path(envelope["file"])
    assert path == tmp_path / "orders" / "run-1" / "inv-1" / "op%2F1.json"
    assert envelope["preview"] == {"order_id": 7}
    assert serdes.deserialize(json.dumps(envelope), _context()) == value


def test_overflow_mode_keeps_small_values_inline_and_large_ones_in_files(tmp_path: Path) -> None:
    serdes = FileSystemSerDes(
        str(tmp_path),
        FileSystemSerDesConfig(
            storage_mode=FileSystemSerDesMode.OVERFLOW, path_encoding=FileSystemPathEncoding.HASH
        ),
    )
    small = serdes.serialize({"n": 1}, _context())
    assert json.loads(small) == {"data": '{"t":"m","v":{"n":{"t":"i","v":1}}}'} and not any(
        tmp_path.iterdir()
    )
    big_value = "x" * 300_000
    big = json.loads(serdes.serialize(big_value, _context("op-2")))
    path = Path(big["file"])
    assert path.parent.parent == tmp_path and len(path.parent.name) == 64 and len(path.stem) == 64
    assert len(serdes.serialize(big_value, _context("op-2"))) < 300
    assert serdes.deserialize(json.dumps(big), _context("op-2")) == big_value
    assert serdes.deserialize(small, _context()) == {"n": 1}


def test_files_are_interchangeable_with_the_official_serdes(tmp_path: Path) -> None:
    official = pytest.importorskip("aws_durable_execution_sdk_python.filesystem_serdes")
    from aws_durable_execution_sdk_python.serdes import SerDesContext as OfficialContext

    value = {"id": uuid.UUID(int=3), "raw": b"\x00\x01", "items": (1, "a")}
    for encoding in FileSystemPathEncoding:
        ours = FileSystemSerDes(str(tmp_path), FileSystemSerDesConfig(path_encoding=encoding))
        theirs = official.FileSystemSerDes(
            str(tmp_path),
            official.FileSystemSerDesConfig(path_encoding=official.FileSystemPathEncoding(encoding)),
        )
        written = ours.serialize(value, _context())
        assert written == theirs.serialize(value, OfficialContext("op/1", ARN))
        assert theirs.deserialize(written, OfficialContext("op/1", ARN)) == value


def test_a_filesystem_serdes_step_replays_from_its_file(tmp_path: Path) -> None:
    serdes = FileSystemSerDes(str(tmp_path))

    @durable_execution
    def handler(_event: Any, context: DurableContext) -> int:
        from durable_mp.config import Duration, StepConfig

        rows = context.step(lambda _: list(range(1000)), name="rows", config=StepConfig(serdes=serdes))
        context.wait(Duration.from_seconds(1))
        return sum(rows)

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(timeout=30)
    assert result.result_value == sum(range(1000))
    envelope = json.loads(result.get_step("rows").result)
    assert Path(envelope["file"]).is_file() and str(tmp_path) in envelope["file"]


# ---------------------------------------------------------------------------------------- serdes codecs


def test_codecs_encode_as_the_official_ones() -> None:
    official = pytest.importorskip("aws_durable_execution_sdk_python.serdes")
    value = {
        "a": [1, (2.5, None), b"b", uuid.UUID(int=1), Decimal("1.1"), datetime.date(2026, 1, 1)],
        "t": True,
    }

    def plain(encoded: Any) -> Any:
        if hasattr(encoded, "tag"):
            return [str(encoded.tag.value), plain(encoded.value)]
        if isinstance(encoded, list):
            return [plain(item) for item in encoded]
        if isinstance(encoded, dict):
            return {key: plain(item) for key, item in encoded.items()}
        return encoded

    ours = TYPE_CODEC.encode(value)
    assert plain(ours) == plain(official.TYPE_CODEC.encode(value))
    assert TYPE_CODEC.decode(ours.tag, ours.value) == value
    assert BytesCodec().decode(TypeTag.BYTES, "AAE=") == b"\x00\x01"
    with pytest.raises(Exception, match="Unsupported"):
        BytesCodec().encode("text")


# ---------------------------------------------------------------------------------------- concurrency.models


def test_completion_policy_decides_as_the_official_one() -> None:
    official = pytest.importorskip("aws_durable_execution_sdk_python.concurrency.models")
    from aws_durable_execution_sdk_python.config import CompletionConfig as OfficialConfig

    configs = [
        {},
        {"min_successful": 2},
        {"tolerated_failure_count": 1},
        {"tolerated_failure_percentage": 40},
        {"min_successful": 3, "tolerated_failure_count": 0},
    ]
    for kwargs, succeeded, failed in itertools.product(configs, range(4), range(4)):
        if succeeded + failed > 5:
            continue
        ours = CompletionPolicy.from_config(5, CompletionConfig(**kwargs))
        theirs = official.CompletionPolicy.from_config(5, OfficialConfig(**kwargs))
        for method in ("is_complete", "reason"):
            mine, expected = (
                getattr(ours, method)(succeeded, failed),
                getattr(theirs, method)(succeeded, failed),
            )
            assert str(getattr(mine, "value", mine)) == str(getattr(expected, "value", expected)), (
                kwargs,
                method,
            )
        assert ours.should_continue(failed) == theirs.should_continue(failed)
    custom = CompletionPolicy.from_config(
        3, CompletionConfig(should_complete=lambda status: complete_batch(CompletionOutcome.FAILED))
    )
    assert custom.reason(0, 0).value == "CUSTOM_COMPLETION_FAILED" and custom.should_continue(3)


# ---------------------------------------------------------------------------------------- context


@durable_execution
def introspecting(_event: Any, context: DurableContext) -> dict[str, Any]:
    child = context.create_child_context("abc")
    flat = context.create_child_context("abc", is_virtual=True)
    return {
        "arn": context.execution_context.durable_execution_arn,
        "root_virtual": context.is_virtual,
        "child": [child.is_virtual, child._parent_id],
        "flat": [flat.is_virtual, flat._parent_id],
    }


def test_execution_context_and_child_context_factories() -> None:
    with DurableFunctionTestRunner(introspecting) as runner:
        result = runner.run(timeout=10)
    value = result.result_value
    assert value["arn"] == result.execution_arn
    assert value["root_virtual"] is False
    assert value["child"] == [False, "abc"] and value["flat"] == [True, None]
    assert ExecutionContext("x").durable_execution_arn == "x"


# ---------------------------------------------------------------------------------------- execution


def test_a_handler_accepts_an_invocation_input_with_its_client() -> None:
    with DurableFunctionTestRunner(introspecting) as runner:
        arn = runner.run_async()
        runner.wait_for_result(arn, timeout=10)
        service = runner.service
        token = "not-used"
        event = DurableExecutionInvocationInput.from_dict(
            {
                "DurableExecutionArn": arn,
                "CheckpointToken": token,
                "InitialExecutionState": {"Operations": service.operations(arn), "NextMarker": ""},
            }
        )
        assert event.initial_execution_state.operations[0].operation_type is ls.OperationType.EXECUTION
        with_client = DurableExecutionInvocationInputWithClient.from_durable_execution_invocation_input(
            event, service.service_client
        )
        # the execution is over: its replay returns the recorded result without checkpointing
        output = introspecting(with_client, None)
    assert output["Status"] == "SUCCEEDED"
    assert json.loads(output["Result"])["arn"] == arn
    assert DurableExecutionInvocationInput.from_json_dict(event.to_json_dict()) == event


def test_handle_checkpoint_error() -> None:
    from durable_mp.service.client import ServiceError

    permanent = CheckpointError.from_service_error(
        ServiceError("InvalidParameterValueException", "bad", status=400)
    )
    output = handle_checkpoint_error(permanent)
    assert output.status is InvocationStatus.FAILED and output.error is not None
    retriable = CheckpointError.from_service_error(ServiceError("ServiceException", "later", status=500))
    with pytest.raises(CheckpointError):
        handle_checkpoint_error(retriable)


# ---------------------------------------------------------------------------------------- suspend


def test_suspend_helpers() -> None:
    with pytest.raises(SuspendExecution) as plain:
        suspend_with_optional_resume_delay("wait", None)
    assert type(plain.value) is SuspendExecution
    with pytest.raises(TimedSuspendExecution) as timed:
        suspend_with_optional_resume_delay("wait", 5)
    assert timed.value.scheduled_timestamp > datetime.datetime.now(datetime.UTC).timestamp() + 3
    future = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=1)
    with pytest.raises(TimedSuspendExecution) as at:
        suspend_with_optional_resume_timestamp("wait", future)
    assert at.value.scheduled_timestamp == pytest.approx(future.timestamp())
    with pytest.raises(TimedSuspendExecution, match="immediate retry"):
        suspend_with_optional_resume_timestamp("wait", future - datetime.timedelta(hours=1))
    with pytest.raises(SuspendExecution, match="No timestamp"):
        suspend_with_optional_resume_timestamp("wait")
