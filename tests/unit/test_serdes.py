"""Tests of durable_mp.serdes. The expected strings were produced by the official SDK 3.0.0's serializer."""

from __future__ import annotations

import datetime
import decimal
import uuid
from enum import IntEnum, StrEnum
from typing import Any

import pytest

from durable_mp.concurrency.batch import BatchItem, BatchResult
from durable_mp.concurrency.policy import CompletionReason
from durable_mp.config import BatchItemStatus
from durable_mp.exceptions import ErrorObject, RetryableSerDesError, SerDesError
from durable_mp.serdes import (
    ExtendedTypeSerDes,
    JsonSerDes,
    PassThroughSerDes,
    SerDes,
    SerDesContext,
    deserialize,
    serialize,
)


class Color(StrEnum):
    RED = "red"


class Num(IntEnum):
    ONE = 1


# (value, the official SDK's serialize(None, value, ...) output)
OFFICIAL_PINS: list[tuple[Any, str]] = [
    (None, "null"),
    (2**70, "1180591620717411303424"),
    (1e300, "1e+300"),
    (float("inf"), "Infinity"),
    ("héllo ✓", '"h\\u00e9llo \\u2713"'),
    ([1, 2, [3, [4.5, None, "x"]]], '[1,2,[3,[4.5,null,"x"]]]'),
    ([1, {"a": 1}], '{"t":"l","v":[{"t":"i","v":1},{"t":"m","v":{"a":{"t":"i","v":1}}}]}'),
    ((1, 2), '{"t":"t","v":[{"t":"i","v":1},{"t":"i","v":2}]}'),
    ({}, '{"t":"m","v":{}}'),
    (
        {"a": 1, "b": [1, 2], "c": {"d": None}},
        (
            '{"t":"m","v":{"a":{"t":"i","v":1},"b":{"t":"l","v":[{"t":"i","v":1},{"t":"i","v":2}]},'
            '"c":{"t":"m","v":{"d":{"t":"n","v":null}}}}}'
        ),
    ),
    ({1: "x", None: 2}, '{"t":"m","v":{"1":{"t":"s","v":"x"},"null":{"t":"i","v":2}}}'),
    (b"\x00\xffbytes", '{"t":"B","v":"AP9ieXRlcw=="}'),
    (
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        '{"t":"u","v":"12345678-1234-5678-1234-567812345678"}',
    ),
    (decimal.Decimal("1.10"), '{"t":"d","v":"1.10"}'),
    (
        datetime.datetime(2024, 1, 2, 3, 4, 5, 678, tzinfo=datetime.UTC),
        '{"t":"dt","v":"2024-01-02T03:04:05.000678+00:00"}',
    ),
    (datetime.date(2024, 5, 6), '{"t":"D","v":"2024-05-06"}'),
    ([Color.RED, Num.ONE], '["red",1]'),
    ({"e": Color.RED, "n": Num.ONE}, '{"t":"m","v":{"e":{"t":"s","v":"red"},"n":{"t":"i","v":1}}}'),
    ({"f": 1.5, "b": True}, '{"t":"m","v":{"f":{"t":"f","v":1.5},"b":{"t":"b","v":true}}}'),
]

OFFICIAL_BATCH = (
    '{"t":"br","v":{"all":{"t":"l","v":[{"t":"m","v":{"index":{"t":"i","v":0},"status":{"t":"s","v":"SUCCEEDED"},'
    '"result":{"t":"m","v":{"n":{"t":"i","v":1},"when":{"t":"D","v":"2024-01-02"}}},"error":{"t":"n","v":null}}},'
    '{"t":"m","v":{"index":{"t":"i","v":1},"status":{"t":"s","v":"FAILED"},"result":{"t":"n","v":null},'
    '"error":{"t":"m","v":{"ErrorMessage":{"t":"s","v":"m"},"ErrorType":{"t":"s","v":"mod.MyErr"},'
    '"ErrorData":{"t":"s","v":"d"},"StackTrace":{"t":"l","v":[{"t":"s","v":"l1"},{"t":"s","v":"l2"}]}}}}}]},'
    '"completionReason":{"t":"s","v":"MIN_SUCCESSFUL_REACHED"}}}'
)


@pytest.mark.parametrize(("value", "expected"), OFFICIAL_PINS)
def test_serialize_matches_official_bytes(value: Any, expected: str) -> None:
    assert serialize(None, value, "op", "arn") == expected


@pytest.mark.parametrize(("value", "expected"), OFFICIAL_PINS)
def test_round_trip(value: Any, expected: str) -> None:
    back = deserialize(None, expected, "op", "arn")
    if isinstance(value, dict) and 1 in value:
        assert back == {"1": "x", "null": 2}  # JSON object keys come back as strings
    else:
        assert back == value
        assert type(back) is type(value)


def test_round_trip_types_are_restored() -> None:
    value = {"t": (1, "a"), "b": bytearray(b"xy"), "when": datetime.datetime(2020, 1, 1)}
    back = deserialize(None, serialize(None, value, "op", "arn"), "op", "arn")
    assert back == {"t": (1, "a"), "b": b"xy", "when": datetime.datetime(2020, 1, 1)}
    assert type(back["t"]) is tuple and type(back["b"]) is bytes


def test_datetime_with_z_suffix() -> None:
    back = deserialize(None, '{"t":"dt","v":"2024-01-02T03:04:05Z"}', "op", "arn")
    assert back == datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)


def test_batch_result_payload_matches_official() -> None:
    result = BatchResult(
        [
            BatchItem(0, BatchItemStatus.SUCCEEDED, {"n": 1, "when": datetime.date(2024, 1, 2)}),
            BatchItem(1, BatchItemStatus.FAILED, None, ErrorObject("m", "mod.MyErr", "d", ["l1", "l2"])),
        ],
        CompletionReason.MIN_SUCCESSFUL_REACHED,
    )
    assert serialize(None, result, "op", "arn") == OFFICIAL_BATCH
    assert deserialize(None, OFFICIAL_BATCH, "op", "arn") == result
    empty = BatchResult([], CompletionReason.ALL_COMPLETED)
    assert (
        serialize(None, empty, "op", "arn")
        == '{"t":"br","v":{"all":{"t":"l","v":[]},"completionReason":{"t":"s","v":"ALL_COMPLETED"}}}'
    )


def test_unsupported_values_raise_serdes_error() -> None:
    with pytest.raises(SerDesError, match="Unsupported type"):
        serialize(None, {"x": object()}, "op", "arn")
    with pytest.raises(SerDesError, match="Tuple keys not supported"):
        serialize(None, {(1, 2): "v"}, "op", "arn")
    with pytest.raises(SerDesError, match="Serialization failed for id: op7"):
        serialize(None, {frozenset(): 1}, "op7", "arn")


def test_malformed_payloads_raise_serdes_error() -> None:
    with pytest.raises(SerDesError, match='missing "t" or "v"'):
        deserialize(None, '{"a": 1}', "op", "arn")
    with pytest.raises(SerDesError, match="Unknown type tag"):
        deserialize(None, '{"t": "zz", "v": 1}', "op", "arn")
    with pytest.raises(SerDesError, match="Deserialization failed for id: op9"):
        deserialize(None, "not json", "op9", "arn")


def test_json_and_pass_through_serdes() -> None:
    ctx = SerDesContext("op", "arn")
    assert JsonSerDes().serialize({"a": [1, 2]}, ctx) == '{"a": [1, 2]}'
    assert serialize(JsonSerDes(), {"a": 1}, "op", "arn") == '{"a": 1}'
    assert deserialize(JsonSerDes(), '{"a": 1}', "op", "arn") == {"a": 1}
    assert serialize(PassThroughSerDes(), "raw", "op", "arn") == "raw"
    assert deserialize(PassThroughSerDes(), "raw", "op", "arn") == "raw"


def test_custom_serdes_gets_context_and_classified_errors_pass_through() -> None:
    seen: list[SerDesContext] = []

    class Upper(SerDes[str]):
        def serialize(self, value: str, serdes_context: SerDesContext) -> str:
            seen.append(serdes_context)
            if value == "transient":
                raise RetryableSerDesError("try later")
            if value == "bad":
                raise SerDesError("no", data="d")
            return value.upper()

        def deserialize(self, data: str, serdes_context: SerDesContext) -> str:
            return data.lower()

    assert serialize(Upper(), "abc", "op1", "arn1") == "ABC"
    assert seen[0] == SerDesContext(operation_id="op1", durable_execution_arn="arn1")
    with pytest.raises(RetryableSerDesError):
        serialize(Upper(), "transient", "op", "arn")
    with pytest.raises(SerDesError) as info:
        serialize(Upper(), "bad", "op", "arn")
    assert info.value.data == "d"


def test_is_primitive() -> None:
    assert SerDes.is_primitive([1, "a", [None, 2.0]])
    assert SerDes.is_primitive(Color.RED)
    assert not SerDes.is_primitive((1,))
    assert not SerDes.is_primitive([{}])
    assert ExtendedTypeSerDes().deserialize("[1,2]") == [1, 2]
