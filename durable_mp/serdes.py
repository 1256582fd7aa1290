"""Serialization of operation results and payloads: `SerDes` and the default `ExtendedTypeSerDes`.

The strings written are byte-identical to the official SDK's, so executions move between the two:

- None, str, int, float, bool, and lists (nested or not) of only those: compact JSON (`[1,2]`).
- Anything else: an envelope `{"t": <tag>, "v": <value>}` in compact JSON, where every value inside a
  container is itself an envelope. Tags: n None, s str, i int, f float, b bool, B bytes (base64),
  u UUID, d Decimal, dt datetime, D date, t tuple, l list, m dict, br BatchResult.

`serialize(serdes, value, operation_id, durable_execution_arn)` and `deserialize(...)` use the given
serdes, or `ExtendedTypeSerDes` when it is None, and turn any failure into `SerDesError`
(a `RetryableSerDesError` or `SerDesError` raised by the serdes passes through unchanged).
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar, cast

from durable_mp.concurrency.batch import BatchResult
from durable_mp.exceptions import DurableExecutionsError, RetryableSerDesError, SerDesError

logger = logging.getLogger(__name__)

T = TypeVar("T")

TYPE_TOKEN = "t"
VALUE_TOKEN = "v"


class TypeTag(StrEnum):
    """The type tags of the envelope format."""

    NONE = "n"
    STR = "s"
    INT = "i"
    FLOAT = "f"
    BOOL = "b"
    BYTES = "B"
    UUID = "u"
    DECIMAL = "d"
    DATETIME = "dt"
    DATE = "D"
    TUPLE = "t"
    LIST = "l"
    DICT = "m"
    BATCH_RESULT = "br"


@dataclass(frozen=True)
class SerDesContext:
    """What a serdes knows about the value it handles: the operation id and the execution ARN."""

    operation_id: str = ""
    durable_execution_arn: str = ""


class SerDes(ABC, Generic[T]):
    """Turns values into strings for checkpoints and back."""

    @abstractmethod
    def serialize(self, value: T, serdes_context: SerDesContext) -> str:
        """The value as a string."""

    @abstractmethod
    def deserialize(self, data: str, serdes_context: SerDesContext) -> T:
        """The value back from its string."""

    @staticmethod
    def is_primitive(obj: Any) -> bool:
        """Whether `obj` is None, str, int, float, bool, or a list (nested or not) of only those."""
        return _is_plain(obj)


class PassThroughSerDes(SerDes[T]):
    """Hands the value through unchanged (it must already be a string)."""

    def serialize(self, value: T, serdes_context: SerDesContext | None = None) -> str:
        return value  # type: ignore[return-value]  # passed through: the value must be the string

    def deserialize(self, data: str, serdes_context: SerDesContext | None = None) -> T:
        return data  # type: ignore[return-value]  # passed through: the caller's T is str


class JsonSerDes(SerDes[T]):
    """Plain `json.dumps` / `json.loads` (default separators)."""

    def serialize(self, value: T, serdes_context: SerDesContext | None = None) -> str:
        return json.dumps(value)

    def deserialize(self, data: str, serdes_context: SerDesContext | None = None) -> T:
        return cast(T, json.loads(data))  # the caller's T: JSON carries no type


class ExtendedTypeSerDes(SerDes[T]):
    """The default serdes: plain JSON for primitives, typed envelopes for the rest (see the module doc)."""

    def serialize(self, value: Any, context: SerDesContext | None = None) -> str:
        if _is_plain(value):
            return _dumps(value)
        return _dumps(_encode(value))

    def deserialize(self, data: str, context: SerDesContext | None = None) -> Any:
        obj = json.loads(data)
        if _is_plain(obj):
            return obj
        if not (type(obj) is dict and TYPE_TOKEN in obj and VALUE_TOKEN in obj):
            raise SerDesError('Malformed envelope: missing "t" or "v" at root.')
        tag = obj[TYPE_TOKEN]
        decoder = _DECODERS.get(tag) if type(tag) is str else None
        if decoder is None:
            raise SerDesError(f'Unknown type tag: "{tag}"')
        return decoder(obj[VALUE_TOKEN])


_dumps = json.JSONEncoder(separators=(",", ":")).encode
_PLAIN_TYPES = (str, int, float, bool)
_EXACT_PLAIN = frozenset({str, int, float, bool, type(None)})


def _is_plain(obj: Any) -> bool:
    if type(obj) in _EXACT_PLAIN:
        return True
    if isinstance(obj, list):
        for item in obj:
            if type(item) not in _EXACT_PLAIN and not _is_plain(item):
                return False
        return True
    return isinstance(obj, _PLAIN_TYPES)


# region encoding: a value into its envelope structure


def _encode(obj: Any) -> dict[str, Any]:
    cls = type(obj)
    if cls is str:
        return {"t": "s", "v": obj}
    if cls is int:
        return {"t": "i", "v": obj}
    if cls is dict:
        return {"t": "m", "v": _encode_mapping(obj)}
    if cls is list:
        return {"t": "l", "v": [_encode(item) for item in obj]}
    if cls is float:
        return {"t": "f", "v": obj}
    if cls is bool:
        return {"t": "b", "v": obj}
    if obj is None:
        return {"t": "n", "v": None}
    return _encode_other(obj)


def _encode_mapping(obj: dict[Any, Any]) -> dict[Any, Any]:
    encoded = {}
    for key, value in obj.items():
        if isinstance(key, tuple):
            raise SerDesError("Tuple keys not supported")
        encoded[key] = _encode(value)
    return encoded


def _encode_other(obj: Any) -> dict[str, Any]:
    """Subclasses of the common types, and the rarer types, in the official order of precedence."""
    if isinstance(obj, str):
        return {"t": "s", "v": obj}
    if isinstance(obj, bool):
        return {"t": "b", "v": obj}
    if isinstance(obj, int):
        return {"t": "i", "v": obj}
    if isinstance(obj, float):
        return {"t": "f", "v": obj}
    if isinstance(obj, bytes | bytearray | memoryview):
        return {"t": "B", "v": base64.b64encode(bytes(obj)).decode("ascii")}
    if isinstance(obj, uuid.UUID):
        return {"t": "u", "v": str(obj)}
    if isinstance(obj, Decimal):
        return {"t": "d", "v": str(obj)}
    if isinstance(obj, datetime):
        return {"t": "dt", "v": obj.isoformat()}
    if isinstance(obj, date):
        return {"t": "D", "v": obj.isoformat()}
    if isinstance(obj, list):
        return {"t": "l", "v": [_encode(item) for item in obj]}
    if isinstance(obj, tuple):
        return {"t": "t", "v": [_encode(item) for item in obj]}
    if isinstance(obj, dict):
        return {"t": "m", "v": _encode_mapping(obj)}
    if isinstance(obj, BatchResult):
        return {"t": "br", "v": _encode_mapping(obj.to_dict())}
    raise SerDesError(f"Unsupported type: {type(obj)}")


# endregion
# region decoding: an envelope's value back into the value


def _unwrap(obj: Any) -> Any:
    """A container element: an envelope is decoded, anything else is kept as it is."""
    if type(obj) is dict and TYPE_TOKEN in obj and VALUE_TOKEN in obj:
        tag = obj[TYPE_TOKEN]
        decoder = _DECODERS.get(tag) if isinstance(tag, str) else None
        if decoder is None:
            raise SerDesError(f'Unknown type tag: "{tag}"')
        return decoder(obj[VALUE_TOKEN])
    return obj


def _decode_list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise SerDesError(f"Expected list, got {type(value)}")
    return [_unwrap(item) for item in value]


def _decode_tuple(value: Any) -> tuple[Any, ...]:
    return tuple(_decode_list(value))


def _decode_dict(value: Any) -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise SerDesError(f"Expected dict, got {type(value)}")
    return {key: _unwrap(item) for key, item in value.items()}


def _decode_datetime(value: str) -> datetime:
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    return datetime.fromisoformat(value)


_DECODERS: dict[str, Any] = {
    "n": lambda value: None,
    "s": str,
    "i": int,
    "f": float,
    "b": bool,
    "B": lambda value: base64.b64decode(value.encode("utf-8")),
    "u": uuid.UUID,
    "d": Decimal,
    "dt": _decode_datetime,
    "D": date.fromisoformat,
    "t": _decode_tuple,
    "l": _decode_list,
    "m": _decode_dict,
    "br": lambda value: BatchResult.from_dict(_decode_dict(value)),
}

# endregion

DEFAULT_JSON_SERDES: SerDes[Any] = JsonSerDes()
EXTENDED_TYPES_SERDES: SerDes[Any] = ExtendedTypeSerDes()


def serialize(serdes: SerDes[T] | None, value: T, operation_id: str, durable_execution_arn: str) -> str:
    """Serialize with `serdes` (None: `ExtendedTypeSerDes`); failures become `SerDesError`."""
    serdes = serdes or EXTENDED_TYPES_SERDES
    try:
        return serdes.serialize(value, SerDesContext(operation_id, durable_execution_arn))
    except (RetryableSerDesError, SerDesError):
        raise
    except Exception as exc:
        raise _failure("Serialization", operation_id, exc) from exc


def deserialize(serdes: SerDes[T] | None, data: str, operation_id: str, durable_execution_arn: str) -> T:
    """Deserialize with `serdes` (None: `ExtendedTypeSerDes`); failures become `SerDesError`."""
    active = serdes or EXTENDED_TYPES_SERDES
    try:
        return active.deserialize(data, SerDesContext(operation_id, durable_execution_arn))
    except (RetryableSerDesError, SerDesError):
        raise
    except Exception as exc:
        raise _failure("Deserialization", operation_id, exc) from exc


def _failure(what: str, operation_id: str, exc: Exception) -> SerDesError:
    logger.exception("%s failed for id: %s", what, operation_id)
    return SerDesError(f"{what} failed for id: {operation_id}, error: {exc}.")


# region codecs: the official SDK's codec objects over the one envelope format above
#
# `TYPE_CODEC.encode(obj)` gives the envelope as an `EncodedValue` tree and `TYPE_CODEC.decode(tag, value)`
# reads one back; the per-type codecs accept only their own types and tags, as officially. They reuse
# `_encode` / `_DECODERS`, so the format has one implementation.


@dataclass(frozen=True)
class EncodedValue:
    """A value with its type tag; a container's value holds EncodedValues."""

    tag: TypeTag
    value: Any


def _to_encoded(envelope: dict[str, Any]) -> EncodedValue:
    tag, value = TypeTag(envelope[TYPE_TOKEN]), envelope[VALUE_TOKEN]
    if tag in (TypeTag.LIST, TypeTag.TUPLE):
        value = [_to_encoded(item) for item in value]
    elif tag in (TypeTag.DICT, TypeTag.BATCH_RESULT):
        value = {key: _to_encoded(item) for key, item in value.items()}
    return EncodedValue(tag, value)


def _to_envelope(value: Any) -> Any:
    """An EncodedValue tree back in the JSON shape the decoders read (other values unchanged)."""
    if isinstance(value, EncodedValue):
        return {TYPE_TOKEN: value.tag.value, VALUE_TOKEN: _to_envelope(value.value)}
    if isinstance(value, list):
        return [_to_envelope(item) for item in value]
    if isinstance(value, dict):
        return {key: _to_envelope(item) for key, item in value.items()}
    return value


class Codec(Protocol):
    def encode(self, obj: Any) -> EncodedValue: ...

    def decode(self, tag: TypeTag, value: Any) -> Any: ...


class _TypedCodec:
    """A codec for some Python types and their tags."""

    _types: tuple[type, ...] = ()
    _tags: frozenset[TypeTag] = frozenset()
    _what = ""

    def encode(self, obj: Any) -> EncodedValue:
        if not isinstance(obj, self._types):
            raise SerDesError(f"Unsupported {self._what}type: {type(obj)!r}")
        return _to_encoded(_encode(obj))

    def decode(self, tag: TypeTag, value: Any) -> Any:
        if tag not in self._tags:
            raise SerDesError(f"Unknown {self._what}tag: {tag}")
        return _DECODERS[TypeTag(tag).value](_to_envelope(value))


class PrimitiveCodec(_TypedCodec):
    _types = (type(None), str, bool, int, float)
    _tags = frozenset({TypeTag.NONE, TypeTag.STR, TypeTag.BOOL, TypeTag.INT, TypeTag.FLOAT})
    _what = "primitive "


class BytesCodec(_TypedCodec):
    _types = (bytes, bytearray, memoryview)
    _tags = frozenset({TypeTag.BYTES})


class UuidCodec(_TypedCodec):
    _types = (uuid.UUID,)
    _tags = frozenset({TypeTag.UUID})


class DecimalCodec(_TypedCodec):
    _types = (Decimal,)
    _tags = frozenset({TypeTag.DECIMAL})


class DateTimeCodec(_TypedCodec):
    _types = (datetime, date)
    _tags = frozenset({TypeTag.DATETIME, TypeTag.DATE})
    _what = "datetime "


class ContainerCodec(_TypedCodec):
    """Lists, tuples, dicts and BatchResults, their elements encoded through the dispatcher."""

    _types = (list, tuple, dict, BatchResult)
    _tags = frozenset({TypeTag.LIST, TypeTag.TUPLE, TypeTag.DICT, TypeTag.BATCH_RESULT})
    _what = "container "

    def __init__(self) -> None:
        self._dispatcher: TypeCodec | None = None

    def set_dispatcher(self, dispatcher: TypeCodec) -> None:
        self._dispatcher = dispatcher

    @property
    def dispatcher(self) -> TypeCodec:
        if self._dispatcher is None:
            raise DurableExecutionsError("ContainerCodec not linked to a TypeCodec dispatcher.")
        return self._dispatcher


class TypeCodec:
    """Every supported type: dispatches to the codec of the value's type (or of the tag)."""

    def __init__(self) -> None:
        self.primitive_codec = PrimitiveCodec()
        self.bytes_codec = BytesCodec()
        self.uuid_codec = UuidCodec()
        self.decimal_codec = DecimalCodec()
        self.datetime_codec = DateTimeCodec()
        self.container_codec = ContainerCodec()
        self.container_codec.set_dispatcher(self)

    def encode(self, obj: Any) -> EncodedValue:
        return _to_encoded(_encode(obj))

    def decode(self, tag: TypeTag, value: Any) -> Any:
        decoder = _DECODERS.get(str(tag))
        if decoder is None:
            raise SerDesError(f"Unknown type tag: {tag}")
        return decoder(_to_envelope(value))


TYPE_CODEC = TypeCodec()

# endregion
