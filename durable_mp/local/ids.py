"""Names the service hands out: execution ARNs, checkpoint tokens, callback ids, request ids."""

from __future__ import annotations

import base64
import itertools
import re
import secrets
import uuid

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"
QUALIFIER = "$LATEST"

_NAME_RE = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_FUNCTION_NAME_RE = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_FUNCTION_ARN_RE = re.compile(
    r"arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([a-zA-Z0-9_-]{1,64})(?::([a-zA-Z0-9$_.-]+))?"
)


def function_arn(name: str, region: str = DEFAULT_REGION, account: str = DEFAULT_ACCOUNT) -> str:
    return f"arn:aws:lambda:{region}:{account}:function:{name}"


def parse_function_name(value: str) -> tuple[str, str | None]:
    """`name`, `name:qualifier` or a function ARN -> (name, qualifier or None); ValueError when malformed."""
    match = _FUNCTION_ARN_RE.fullmatch(value)
    if match:
        return match.group(3), match.group(4)
    name, _, qualifier = value.partition(":")
    if not _FUNCTION_NAME_RE.fullmatch(name) or (
        qualifier and not re.fullmatch(r"[a-zA-Z0-9$_.-]+", qualifier)
    ):
        raise ValueError(f"{value!r} is not a function name or function ARN")
    return name, qualifier or None


def check_execution_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise ValueError(f"DurableExecutionName {name!r} must be 1-64 characters of [a-zA-Z0-9_-]")
    return name


def execution_arn(fn_arn: str, name: str) -> tuple[str, str]:
    """A new execution ARN for `fn_arn` and the EXECUTION operation's id (its last segment)."""
    op_id = str(uuid.uuid4())
    return f"{fn_arn}:{QUALIFIER}/durable-execution/{name}/{op_id}", op_id


def new_execution_name() -> str:
    return str(uuid.uuid4())


def callback_id() -> str:
    """192 random bits in the service's alphabet: standard base64 (A-Z a-z 0-9 + /), 32 characters, no
    padding. It never starts with '-' (no such character), so it is never mistaken for a CLI option;
    in a URL path it is percent-encoded as any client does with path parameters."""
    return base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def request_id() -> str:
    return str(uuid.uuid4())


class TokenMint:
    """Checkpoint tokens: `<random invocation prefix>.<counter>`, unique across the service's life."""

    __slots__ = ("_counter",)

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    @staticmethod
    def prefix() -> str:
        return secrets.token_urlsafe(12) + "."

    def token(self, prefix: str) -> str:
        return f"{prefix}{next(self._counter)}"
