"""Signed tool-approval ids: what the server asked to approve is what gets approved.

The client sends the whole history back with every request, so the server cannot trust what it
says about an approval. ai_stream therefore makes the approval id itself a signature::

    apr1.<issued-at>.<nonce>.<mac>

where ``mac`` is an HMAC-SHA256 (truncated to 128 bits) with the server secret over the chat id,
the tool call id, the tool name, the canonical JSON of the tool input, the issue time and the
nonce. On the follow-up request :func:`verify_approval_id` recomputes it from what the client
sent: a made-up id, an id from another chat (a replay), an id for another tool, or an input
changed after the approval was requested all fail, and the call is never reported as approved.

The canonical JSON sorts keys, writes compact separators and raw UTF-8, and writes integral floats
as integers, because the browser's ``JSON.stringify`` turns ``1.0`` into ``1``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import os
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

_PREFIX: Final = "apr1"


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
        return int(value)
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
    message = b"\x00".join(
        [
            _PREFIX.encode(),
            issued.encode(),
            nonce.encode(),
            chat_id.encode(),
            tool_call_id.encode(),
            tool_name.encode(),
            canonical_json(input),
        ]
    )
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
    parts = approval_id.split(".") if isinstance(approval_id, str) else []
    if len(parts) != 4 or parts[0] != _PREFIX:
        raise ApprovalVerificationError(
            "The approval id was not issued by this server.", tool_call_id=tool_call_id
        )
    _, issued, nonce, mac = parts
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
