"""What the server takes from a chat request when it owns the history (pure, no I/O).

``useChat`` posts the whole history (or, with ``prepareSendMessagesRequest``, only its last
message), and every byte of it is the client's to rewrite: earlier messages, assistant text,
the outputs of server tools, message ids, metadata. When the server keeps the chat
(:class:`ai_stream.chats.ChatStore`), :func:`merge_request` builds the history the answer
works from out of the stored copy, and takes from the body only what the user may change:

* a new user message (text, file and data parts), or an edit of an earlier user message
  (``messageId``: the history after it is dropped, as ``useChat`` does);
* on a continuation (the body's last message is the stored last assistant message), the
  decision on each approval the server requested and still waits for, and the output of each
  call of a *client-side* tool (``client_tools``) the server left open;
* ``regenerate-message``: which assistant message to answer again.

Everything else comes from the stored copy; a stored part wins over the body's. A decision or
an output for a call that already has one is ignored, so a replayed approval never runs a
tool twice. A decision taken in an earlier turn whose call never got an output (its answer
was cut off) is closed as an error instead of being reported again.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from ai_stream.exceptions import ChatConflictError

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from ai_stream.protocol.messages import ChatRequest

__all__ = (
    "INTERRUPTED_TOOL_TEXT",
    "TrustedHistory",
    "close_interrupted",
    "merge_request",
    "tool_name_of",
)

INTERRUPTED_TOOL_TEXT: Final = "The answer stopped before this tool call finished."
"""The ``errorText`` of an approved call whose answer was cut off before its output."""

_USER_PART_TYPES: Final = ("text", "file")
_OUTPUT_STATES: Final = ("output-available", "output-error")


@dataclass
class TrustedHistory:
    """The history an answer may trust, and what was taken from the body.

    Attributes:
        messages: The chat's messages (``UIMessage`` JSON), the stored copy with the accepted
            input applied.
        continuation: Whether the answer continues the last (assistant) message.
        user_message: The user message taken from the body (new or edited), if any.
        decisions: Tool call ids whose approval decision was taken from the body.
        results: Tool call ids whose client-side output was taken from the body.
        ignored: Tool call ids the body said something about that was not taken.
    """

    messages: list[dict[str, Any]]
    continuation: bool = False
    user_message: dict[str, Any] | None = None
    decisions: list[str] = field(default_factory=list)
    results: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def tool_name_of(part: dict[str, Any]) -> str | None:
    """The tool name of a tool part (``tool-<name>`` or ``dynamic-tool``), else ``None``."""
    kind = part.get("type")
    if kind == "dynamic-tool":
        name = part.get("toolName")
        return name if isinstance(name, str) else None
    if isinstance(kind, str) and kind.startswith("tool-"):
        return kind[5:]
    return None


def merge_request(
    stored: Sequence[dict[str, Any]],
    body: ChatRequest,
    *,
    client_tools: Collection[str] = (),
) -> TrustedHistory:
    """The trusted history for ``body`` given the stored messages (see the module docstring).

    Args:
        stored: The chat's stored messages (``UIMessage`` JSON), oldest first.
        body: The parsed request (full history or last message only).
        client_tools: Names of the tools the browser runs (``onToolCall`` / ``addToolOutput``):
            only their outputs are taken from a body.

    Raises:
        ChatConflictError: The body continues or regenerates a message the chat does not have
            (a stale tab, or a forged id).
    """
    history = [copy.deepcopy(message) for message in stored]
    _close_stale_decisions(history)
    last = body.last_message
    if body.trigger == "regenerate-message":
        return TrustedHistory(_before_regenerated(history, body.message_id))
    if last is None:
        raise ChatConflictError()
    incoming = last.to_dict()
    if last.role == "assistant":
        return _continue(history, incoming, client_tools)
    if last.role != "user":
        raise ChatConflictError()
    user = _user_message(incoming)
    edited = body.message_id if body.message_id is not None else user["id"]
    index = next((i for i, m in enumerate(history) if m.get("id") == edited), None)
    if index is not None:  # an edit (or a resend) of an earlier user message
        if history[index].get("role") != "user":
            raise ChatConflictError()
        history = history[:index]
        user["id"] = edited
    return TrustedHistory([*history, user], user_message=user)


def _user_message(message: dict[str, Any]) -> dict[str, Any]:
    """The user message as the server keeps it: its id, metadata and user-made parts only."""
    parts = [
        part
        for part in message.get("parts") or []
        if isinstance(part, dict)
        and (part.get("type") in _USER_PART_TYPES or str(part.get("type", "")).startswith("data-"))
    ]
    user: dict[str, Any] = {"id": message["id"], "role": "user", "parts": parts}
    if message.get("metadata") is not None:
        user["metadata"] = message["metadata"]
    return user


def _continue(
    history: list[dict[str, Any]], incoming: dict[str, Any], client_tools: Collection[str]
) -> TrustedHistory:
    if (
        not history
        or history[-1].get("role") != "assistant"
        or history[-1].get("id") != (incoming.get("id"))
    ):
        raise ChatConflictError()
    offered = {
        part.get("toolCallId"): part
        for part in incoming.get("parts") or []
        if isinstance(part, dict) and tool_name_of(part) is not None
    }
    trusted = TrustedHistory(history, continuation=True)
    for part in history[-1].get("parts") or []:
        call_id = part.get("toolCallId")
        if tool_name_of(part) is None or call_id not in offered:
            continue
        if _take(part, offered[call_id], client_tools):
            (trusted.results if part["state"] in _OUTPUT_STATES else trusted.decisions).append(
                call_id
            )
        elif part != offered[call_id]:
            trusted.ignored.append(call_id)
    return trusted


def _take(part: dict[str, Any], offer: dict[str, Any], client_tools: Collection[str]) -> bool:
    """Apply what the user may decide about one stored tool part; whether anything was taken."""
    if offer.get("type") != part.get("type") or tool_name_of(offer) != tool_name_of(part):
        return False
    state, offered_state = part.get("state"), offer.get("state")
    approval, offered_approval = part.get("approval"), offer.get("approval")
    if (
        state == "approval-requested"
        and offered_state == "approval-responded"
        and isinstance(approval, dict)
        and isinstance(offered_approval, dict)
        and offered_approval.get("id") == approval.get("id")
        and isinstance(offered_approval.get("approved"), bool)
    ):
        decided = {"id": approval["id"], "approved": offered_approval["approved"]}
        if isinstance(offered_approval.get("reason"), str):
            decided["reason"] = offered_approval["reason"]
        part["state"], part["approval"] = "approval-responded", decided
        return True
    if (
        state == "input-available"
        and not part.get("providerExecuted")
        and tool_name_of(part) in client_tools
        and offered_state in _OUTPUT_STATES
    ):
        if offered_state == "output-available":
            part["state"], part["output"] = "output-available", offer.get("output")
        else:
            text = offer.get("errorText")
            part["state"], part["errorText"] = "output-error", text if isinstance(text, str) else ""
        return True
    return False


def _before_regenerated(
    history: list[dict[str, Any]], message_id: str | None
) -> list[dict[str, Any]]:
    """The history up to the assistant message to answer again (the last one by default)."""
    if message_id is None:
        index = len(history) - 1 if history and history[-1].get("role") == "assistant" else None
    else:
        index = next((i for i, m in enumerate(history) if m.get("id") == message_id), None)
    if index is None or history[index].get("role") != "assistant":
        raise ChatConflictError()
    return history[:index]


def _close_stale_decisions(history: list[dict[str, Any]]) -> None:
    """Approved calls of an earlier turn that never got an output: closed as errors.

    Their turn took the decision and was cut off (a stopped answer, a dead worker) while the
    tool may have run: reporting the decision again would run it twice.
    """
    for message in history:
        if message.get("role") != "assistant":
            continue
        for part in message.get("parts") or []:
            if tool_name_of(part) is not None and part.get("state") == "approval-responded":
                part["state"], part["errorText"] = "output-error", INTERRUPTED_TOOL_TEXT


def close_interrupted(message: dict[str, Any], decisions: Collection[str]) -> None:
    """Close the calls of ``decisions`` that ``message`` left without an output.

    For a turn's own answer when it was cut off (see :func:`_close_stale_decisions`).
    """
    for part in message.get("parts") or []:
        if part.get("toolCallId") in decisions and part.get("state") in (
            "approval-responded",
            "input-available",
        ):
            part["state"], part["errorText"] = "output-error", INTERRUPTED_TOOL_TEXT
