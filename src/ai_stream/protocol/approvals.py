"""Signed tool-approval ids: what the server asked to approve is what gets approved.

The client sends the whole history back with every request, so the server cannot trust what it
says about an approval. ai_stream therefore makes the approval id itself a signature::

    apr2.<issued-at>.<nonce>.<mac>

where ``mac`` is an HMAC-SHA256 (truncated to 128 bits) with the server secret over the chat id,
the tool call id, the tool name, the canonical JSON of the tool input, the issue time and the
nonce, each prefixed with its length (so no choice of ids, e.g. with a NUL in them, can make
the fields of one call read as another's). On the follow-up request
:func:`verify_approval_id` recomputes it from what the client sent: a made-up id, an id from
another chat (a replay), an id for another tool, or an input changed after the approval was
requested all fail, and the call is never reported as approved.

The canonical JSON sorts keys, writes compact separators and raw UTF-8, and writes numbers as the
browser will send them back: integral floats as integers (``JSON.stringify`` turns ``1.0`` into
``1``), and integers beyond 2**53 as the nearest double (``JSON.parse`` rounds them).

Anything malformed in an id (wrong shape, non-ASCII, lone surrogates) is an
:class:`~ai_stream.exceptions.ApprovalVerificationError`, never another exception.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import os
import re
import secrets
import time
from typing import Any, Final

from ai_stream.exceptions import ApprovalVerificationError

__all__ = (
    "SECRET_ENV_VAR",
    "canonical_json",
    "resolve_secret",
    "sign_approval_id",
    "verify_approval_id",
)

SECRET_ENV_VAR: Final = "AI_STREAM_SECRET"
"""The environment variable that holds the default approval secret."""

_PREFIX: Final = "apr2"
_ID_SHAPE: Final = re.compile(r"apr2\.[0-9a-f]{1,16}\.[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{22}")
_SAFE_INTEGER: Final = 2**53


def resolve_secret(secret: str | bytes | None) -> bytes:
    """Return ``secret`` as bytes, or the ``AI_STREAM_SECRET`` environment variable.

    Raises:
        ValueError: Neither is set, or the secret is shorter than 16 bytes.
    """
    if secret is None:
        secret = os.environ.get(SECRET_ENV_VAR)
    if not secret:
        raise ValueError(
            f"Tool approvals need a server secret: pass approval_secret= (or secret=) or set the "
            f"{SECRET_ENV_VAR} environment variable."
        )
    raw = secret.encode() if isinstance(secret, str) else bytes(secret)
    if len(raw) < 16:
        raise ValueError("The approval secret must be at least 16 bytes long.")
    return raw


def _normalise(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _SAFE_INTEGER:
        try:
            return int(float(value))  # (what the browser's JSON.parse makes of it)
        except OverflowError:  # beyond any double: the browser gets Infinity, sends null
            return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    return value


def canonical_json(value: Any) -> bytes:
    """Encode ``value`` canonically: sorted keys, compact, UTF-8, integral floats as integers."""
    return json.dumps(
        _normalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8", "surrogatepass")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _mac(
    secret: bytes,
    issued: str,
    nonce: str,
    *,
    chat_id: str,
    tool_call_id: str,
    tool_name: str,
    input: Any,
) -> str:
    fields = [
        _PREFIX.encode(),
        issued.encode(),
        nonce.encode(),
        *(text.encode("utf-8", "surrogatepass") for text in (chat_id, tool_call_id, tool_name)),
        canonical_json(input),
    ]
    message = b"".join(len(field).to_bytes(8, "big") + field for field in fields)
    return _b64(hmac.new(secret, message, hashlib.sha256).digest()[:16])


def sign_approval_id(
    secret: str | bytes | None,
    *,
    chat_id: str,
    tool_call_id: str,
    tool_name: str,
    input: Any,
    issued_at: float | None = None,
) -> str:
    """Return a signed approval id for one tool call of one chat.

    Raises:
        ValueError: No secret is configured.
    """
    key = resolve_secret(secret)
    issued = format(int(time.time() if issued_at is None else issued_at), "x")
    nonce = _b64(secrets.token_bytes(9))
    mac = _mac(
        key,
        issued,
        nonce,
        chat_id=chat_id,
        tool_call_id=tool_call_id,
        tool_name=tool_name,
        input=input,
    )
    return f"{_PREFIX}.{issued}.{nonce}.{mac}"


def verify_approval_id(
    approval_id: str,
    secret: str | bytes | None,
    *,
    chat_id: str,
    tool_call_id: str,
    tool_name: str,
    input: Any,
    max_age: float | None = None,
    now: float | None = None,
) -> None:
    """Check that ``approval_id`` was signed for exactly this chat, call, tool and input.

    Raises:
        ApprovalVerificationError: The id is not one of ours, was signed for something else,
            or is older than ``max_age`` seconds.
        ValueError: No secret is configured.
    """
    key = resolve_secret(secret)
    if not isinstance(approval_id, str) or not _ID_SHAPE.fullmatch(approval_id):
        raise ApprovalVerificationError(
            "The approval id was not issued by this server.", tool_call_id=tool_call_id
        )
    _, issued, nonce, mac = approval_id.split(".")
    expected = _mac(
        key,
        issued,
        nonce,
        chat_id=chat_id,
        tool_call_id=tool_call_id,
        tool_name=tool_name,
        input=input,
    )
    if not hmac.compare_digest(mac, expected):
        raise ApprovalVerificationError(
            "The approval does not match the tool call it was issued for (another chat, tool or "
            "input, or a forged id).",
            tool_call_id=tool_call_id,
        )
    if max_age is not None:
        try:
            age = (time.time() if now is None else now) - int(issued, 16)
        except ValueError:
            age = math.inf
        if age > max_age:
            raise ApprovalVerificationError("The approval has expired.", tool_call_id=tool_call_id)
