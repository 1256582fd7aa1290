"""Who may talk to the HTTP emulator: the bind address, the Host and Origin checks, the shared token.

A server on a loopback address answers only requests whose `Host` names it (`127.0.0.1:PORT`,
`localhost:PORT` or `[::1]:PORT`), so a web page cannot reach it through a DNS name rebound to 127.0.0.1.
Browsers mark their requests: one with an `Origin` other than the server's own (`http://` + the Host), or
with `Sec-Fetch-Site: cross-site` / `same-site`, is refused, so no web page can start an execution, even
with a CORS "simple" request (a text/plain POST).

With a token, every request must carry it, either as the access key id of its SigV4 signature (boto3 signs
with `aws_access_key_id`, so a client made with `aws_access_key_id=TOKEN` sends it) or as
`Authorization: Bearer TOKEN`. A server on a non-loopback address requires a token (the Host is then not
checked: the machine's names are not known, and the token stands in for them).
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from collections.abc import Mapping

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")
_SIGV4 = re.compile(r"AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)/")


def bind_address(text: str) -> str:
    """The address to bind for `text` (an IP address, or `localhost`); ValueError names what is wrong."""
    value = text.strip()
    if value.lower() == "localhost":
        return "127.0.0.1"
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError(
            f"{text!r} is not an IP address; give one such as 127.0.0.1 (the default), ::1 or 0.0.0.0"
        ) from None


def is_loopback(address: str) -> bool:
    return ipaddress.ip_address(address).is_loopback


def check_token(token: str) -> str:
    """`token` if it is usable as a shared token (and as an AWS access key id), else ValueError."""
    if not _TOKEN.fullmatch(token):
        raise ValueError(
            "the token must be 16 to 128 characters of A-Z, a-z, 0-9, '_' and '-' "
            "(make one with: python -c 'import secrets; print(secrets.token_urlsafe(24))')"
        )
    return token


class Guard:
    """Decides whether a request may be served; `refusal` gives (status, error code, message) or None."""

    def __init__(self, address: str, port: int, token: str | None) -> None:
        self._token = None if token is None else check_token(token).encode()
        self._hosts: frozenset[str] | None = None
        if is_loopback(address):
            hosts = {f"{name}:{port}" for name in LOOPBACK_NAMES}
            if port == 80:
                hosts.update(LOOPBACK_NAMES)
            self._hosts = frozenset(hosts)
        elif token is None:
            raise ValueError(f"serving on the non-loopback address {address} requires a token")

    def refusal(self, headers: Mapping[str, str]) -> tuple[int, str, str] | None:
        host = headers.get("Host", "").lower()
        if self._hosts is not None and host not in self._hosts:
            return 403, "AccessDeniedException", f"the Host {host[:100]!r} is not this server's address"
        origin = headers.get("Origin")
        if origin is not None and origin.lower() != f"http://{host}":
            return (
                403,
                "AccessDeniedException",
                f"cross-origin requests are refused (Origin {origin[:100]!r})",
            )
        if headers.get("Sec-Fetch-Site", "").lower() in ("cross-site", "same-site"):
            return 403, "AccessDeniedException", "cross-site requests from a browser are refused"
        if self._token is not None and not hmac.compare_digest(_presented(headers), self._token):
            return 403, "UnrecognizedClientException", "the request does not carry this server's token"
        return None


def _presented(headers: Mapping[str, str]) -> bytes:
    """The token a request carries: its SigV4 access key id, or a Bearer token ("" when neither)."""
    auth = headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return auth[7:].strip().encode()
    found = _SIGV4.match(auth)
    return found.group(1).encode() if found else b""


__all__ = ["LOOPBACK_NAMES", "Guard", "bind_address", "check_token", "is_loopback"]
