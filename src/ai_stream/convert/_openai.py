"""``UIMessage`` history → OpenAI Chat Completions messages and Responses input items.

Follows ``convertToOpenAIChatMessages`` and ``convertToOpenAIResponsesInput`` of ``@ai-sdk/openai``
(applied to the output of ``convertToModelMessages``). The ``openai`` package is never imported:
its types are named for type checkers only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from ai_stream.convert._history import (
    AssistantTurn,
    DataPartConverter,
    FileFallback,
    Reasoning,
    Text,
    ToolCall,
    ToolResult,
    UserTurn,
    file_source,
    render_turns,
    text_or_blocks,
    user_blocks,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from openai.types.chat import ChatCompletionMessageParam
    from openai.types.responses import ResponseInputItemParam

    from ai_stream.protocol.messages import FileUIPart, UIMessage

__all__ = ("to_openai_chat", "to_openai_responses")


def _image_detail(part: FileUIPart) -> str | None:
    detail = ((part.provider_metadata or {}).get("openai") or {}).get("imageDetail")
    return detail if isinstance(detail, str) else None


def _reference(part: FileUIPart) -> str | None:
    return (part.provider_reference or {}).get("openai")


def _system_message(text: str) -> dict[str, Any]:
    return {"role": "system", "content": text}


def _user_message(content: str | list[dict[str, Any]]) -> dict[str, Any] | None:
    return {"role": "user", "content": content} if content else None


# --- Chat Completions ------------------------------------------------------------------------


def _chat_file(part: FileUIPart, index: int) -> dict[str, Any] | None:
    source = file_source(part)
    if source.kind == "image":
        url = source.data_url if source.base64 is not None else source.url
        if url is None:
            return None
        image_url: dict[str, Any] = {"url": url}
        if (detail := _image_detail(part)) is not None:
            image_url["detail"] = detail
        return {"type": "image_url", "image_url": image_url}
    if source.kind == "pdf":
        if (file_id := _reference(part)) is not None:
            return {"type": "file", "file": {"file_id": file_id}}
        if source.base64 is not None:
            filename = part.filename or f"part-{index}.pdf"
            return {"type": "file", "file": {"filename": filename, "file_data": source.data_url}}
    return None  # Chat Completions takes no file URLs and no other file types


def _chat_text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _chat_user(turn: UserTurn, fallback: FileFallback | None) -> str | list[dict[str, Any]]:
    return text_or_blocks(user_blocks(turn, fallback, text=_chat_text, file=_chat_file))


def _chat_tool_call(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call.tool_call_id,
        "type": "function",
        "function": {"name": call.tool_name, "arguments": call.arguments},
    }


def _chat_assistant(turn: AssistantTurn, include_reasoning: bool) -> list[dict[str, Any]]:
    calls = turn.tool_calls
    reasoning = "\n\n".join(r.text for r in turn.reasoning if r.text)
    if not include_reasoning:
        reasoning = ""
    if not (turn.text or calls or reasoning):
        return []
    message: dict[str, Any] = {"role": "assistant", "content": turn.text}
    if calls:
        message["tool_calls"] = [_chat_tool_call(call) for call in calls]
    if reasoning:
        message["reasoning_content"] = reasoning
    return [message]


def _chat_tool_result(result: ToolResult) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": result.tool_call_id, "content": result.content}


def to_openai_chat(
    messages: Iterable[UIMessage | Mapping[str, Any]],
    *,
    system: str | None = None,
    data: DataPartConverter | None = None,
    unsupported_file: FileFallback | None = None,
    include_reasoning: bool = False,
) -> list[ChatCompletionMessageParam]:
    """Convert a ``UIMessage`` history to OpenAI Chat Completions ``messages``.

    Each step of an assistant message becomes an ``assistant`` message (its text concatenated,
    its tool calls as ``tool_calls`` with JSON-string ``arguments``), followed by one ``tool``
    message per result. Tool errors and denied approvals become tool results with the error
    text or ``"Tool call execution denied."`` (plus the user's reason). Pending calls and calls
    the provider executed are left out. Images (``data:`` or http(s) URLs) become ``image_url``
    parts (``detail`` from ``providerMetadata.openai.imageDetail``), PDFs ``file`` parts (inline
    from a ``data:`` URL, or by the ``file_id`` of an ai 7 ``providerReference.openai``); any
    other file, and PDFs by URL, become the text of ``unsupported_file``. Sources,
    ``step-start`` and ai 7 ``custom`` / ``reasoning-file`` parts are left out; a
    ``steering-message`` becomes a user message in place.

    Args:
        messages: The history: :class:`~ai_stream.protocol.messages.UIMessage` models or the
            JSON objects ``useChat`` sends (validated).
        system: A system prompt, sent first.
        data: Turns a ``data-*`` part into text (``None`` leaves it out); without it, data
            parts are left out.
        unsupported_file: Turns a file the API cannot take into text (``None`` leaves it out);
            by default ``"[Attached file omitted: <filename> (<media type>)]"``.
        include_reasoning: Send reasoning as ``reasoning_content`` on the assistant message,
            an extension of OpenAI-compatible servers (DeepSeek, vLLM, …) that OpenAI itself
            does not take. Off by default.

    Returns:
        Plain dicts for ``client.chat.completions.create(messages=...)``.

    Raises:
        pydantic.ValidationError: A message is not a valid ``UIMessage``.
    """
    out = render_turns(
        messages,
        system=system,
        data=data,
        system_message=_system_message,
        user_message=lambda turn: _user_message(_chat_user(turn, unsupported_file)),
        assistant_messages=lambda turn: _chat_assistant(turn, include_reasoning),
        tool_message=_chat_tool_result,
    )
    return cast("list[ChatCompletionMessageParam]", out)


# --- Responses -------------------------------------------------------------------------------


def _responses_file(part: FileUIPart, index: int) -> dict[str, Any] | None:
    source = file_source(part)
    file_id = _reference(part)
    if source.kind == "image":
        image: dict[str, Any] = {"type": "input_image", "detail": _image_detail(part) or "auto"}
        if file_id is not None:
            image["file_id"] = file_id
        elif source.base64 is not None:
            image["image_url"] = source.data_url
        elif source.url is not None:
            image["image_url"] = source.url
        else:
            return None
        return image
    if source.kind == "pdf":
        if file_id is not None:
            return {"type": "input_file", "file_id": file_id}
        if source.base64 is not None:
            filename = part.filename or f"part-{index}.pdf"
            return {"type": "input_file", "filename": filename, "file_data": source.data_url}
        if source.url is not None:
            return {"type": "input_file", "file_url": source.url}
    return None


def _responses_text(text: str) -> dict[str, Any]:
    return {"type": "input_text", "text": text}


def _responses_user(turn: UserTurn, fallback: FileFallback | None) -> list[dict[str, Any]]:
    return user_blocks(turn, fallback, text=_responses_text, file=_responses_file)


def _responses_assistant(turn: AssistantTurn, include_reasoning: bool) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    reasoning_items: dict[str, dict[str, Any]] = {}
    text: list[str] = []

    def flush_text() -> None:
        if text:
            items.append({"role": "assistant", "content": "".join(text)})
            text.clear()

    for part in turn.content:
        if isinstance(part, Text):
            text.append(part.text)
            continue
        if isinstance(part, Reasoning):
            if include_reasoning:
                item = _reasoning_item(part, reasoning_items)
                if item is not None:
                    flush_text()
                    items.append(item)
            continue
        flush_text()
        items.append(
            {
                "type": "function_call",
                "call_id": part.tool_call_id,
                "name": part.tool_name,
                "arguments": part.arguments,
            }
        )
    flush_text()
    return items


def _reasoning_item(part: Reasoning, seen: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """A ``reasoning`` item, or ``None`` when the part only adds to an earlier one (same id)."""
    metadata = part.metadata("openai")
    item_id = metadata.get("itemId")
    if not isinstance(item_id, str):
        return None  # reasoning of another provider: OpenAI cannot take it
    encrypted = metadata.get("reasoningEncryptedContent")
    summary = [{"type": "summary_text", "text": part.text}] if part.text else []
    if item_id in seen:
        seen[item_id]["summary"].extend(summary)
        if isinstance(encrypted, str):
            seen[item_id]["encrypted_content"] = encrypted
        return None
    item: dict[str, Any] = {"type": "reasoning", "id": item_id, "summary": summary}
    if isinstance(encrypted, str):
        item["encrypted_content"] = encrypted
    seen[item_id] = item
    return item


def _responses_tool_result(result: ToolResult) -> dict[str, Any]:
    return {
        "type": "function_call_output",
        "call_id": result.tool_call_id,
        "output": result.content,
    }


def to_openai_responses(
    messages: Iterable[UIMessage | Mapping[str, Any]],
    *,
    system: str | None = None,
    data: DataPartConverter | None = None,
    unsupported_file: FileFallback | None = None,
    include_reasoning: bool = False,
) -> list[ResponseInputItemParam]:
    """Convert a ``UIMessage`` history to OpenAI Responses ``input`` items.

    Assistant text becomes ``{"role": "assistant", "content": text}`` items, tool calls
    ``function_call`` items (JSON-string ``arguments``), and their results ``function_call_output``
    items after the step. Tool errors and denied approvals become outputs with the error text or
    ``"Tool call execution denied."`` (plus the user's reason). Pending calls and calls the
    provider executed are left out. Images become ``input_image`` items (``detail`` from
    ``providerMetadata.openai.imageDetail``, else ``"auto"``), PDFs ``input_file`` items (inline
    or by URL), files with an ai 7 ``providerReference.openai`` are sent by ``file_id``; any other
    file becomes the text of ``unsupported_file``.

    Args:
        messages: The history: :class:`~ai_stream.protocol.messages.UIMessage` models or the
            JSON objects ``useChat`` sends (validated).
        system: A system prompt, sent first (or pass it as ``instructions``).
        data: Turns a ``data-*`` part into text (``None`` leaves it out); without it, data
            parts are left out.
        unsupported_file: Turns a file the API cannot take into text (``None`` leaves it out);
            by default ``"[Attached file omitted: <filename> (<media type>)]"``.
        include_reasoning: Send OpenAI reasoning back as ``reasoning`` items (the parts that
            carry ``providerMetadata.openai.itemId``; parts with the same id are merged, and
            ``reasoningEncryptedContent`` is sent as ``encrypted_content``). Such items need the
            response that produced them to be stored (``store=True``, the default) or to carry
            its encrypted content. Off by default; other providers' reasoning is never sent.

    Returns:
        Plain dicts for ``client.responses.create(input=...)``.

    Raises:
        pydantic.ValidationError: A message is not a valid ``UIMessage``.
    """
    out = render_turns(
        messages,
        system=system,
        data=data,
        system_message=_system_message,
        user_message=lambda turn: _user_message(_responses_user(turn, unsupported_file)),
        assistant_messages=lambda turn: _responses_assistant(turn, include_reasoning),
        tool_message=_responses_tool_result,
    )
    return cast("list[ResponseInputItemParam]", out)
