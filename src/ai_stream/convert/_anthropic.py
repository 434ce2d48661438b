"""``UIMessage`` history → Anthropic Messages ``system`` and ``messages``.

Follows ``convertToAnthropicMessagesPrompt`` of ``@ai-sdk/anthropic`` (applied to the output of
``convertToModelMessages``): tool results travel in ``user`` messages, consecutive messages of
the same role are merged (the API wants them alternating), and the text that ends a final
assistant message loses its trailing whitespace (the API refuses it in a prefill). The
``anthropic`` package is never imported: its types are named for type checkers only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, cast

from ai_stream.convert._history import (
    AssistantTurn,
    DataPartConverter,
    FileFallback,
    FileSource,
    Reasoning,
    SystemTurn,
    Text,
    ToolTurn,
    UserTurn,
    file_source,
    to_turns,
    user_blocks,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from anthropic.types import MessageParam

    from ai_stream.protocol.messages import FileUIPart, UIMessage

__all__ = ("to_anthropic",)


def _source(part: FileUIPart, source: FileSource) -> dict[str, Any] | None:
    file_id = (part.provider_reference or {}).get("anthropic")
    if file_id is not None:
        return {"type": "file", "file_id": file_id}
    if source.base64 is not None:
        if source.kind == "text":
            return {"type": "text", "media_type": "text/plain", "data": source.text()}
        return {"type": "base64", "media_type": source.media_type, "data": source.base64}
    if source.url is not None and source.kind != "text":
        return {"type": "url", "url": source.url}
    return None  # text files by URL: the API takes URLs for PDFs and images only


def _file_block(part: FileUIPart) -> dict[str, Any] | None:
    source = file_source(part)
    if source.kind == "other" or (block_source := _source(part, source)) is None:
        return None
    if source.kind == "image":
        return {"type": "image", "source": block_source}
    block: dict[str, Any] = {"type": "document", "source": block_source}
    if part.filename:
        block["title"] = part.filename
    return block


def _text_block(text: str) -> dict[str, Any] | None:
    return {"type": "text", "text": text} if text.strip() else None  # the API refuses blank text


def _user_blocks(turn: UserTurn, fallback: FileFallback | None) -> list[dict[str, Any]]:
    return user_blocks(turn, fallback, text=_text_block, file=lambda part, _: _file_block(part))


def _reasoning_block(part: Reasoning) -> dict[str, Any] | None:
    metadata = part.metadata("anthropic")
    signature = metadata.get("signature")
    if isinstance(signature, str):
        return {"type": "thinking", "thinking": part.text, "signature": signature}
    redacted = metadata.get("redactedData")
    if isinstance(redacted, str):
        return {"type": "redacted_thinking", "data": redacted}
    return None  # unsigned reasoning (another provider's, or a stripped signature)


def _assistant_blocks(turn: AssistantTurn, include_reasoning: bool) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for part in turn.content:
        if isinstance(part, Text):
            if (block := _text_block(part.text)) is not None:
                blocks.append(block)
        elif isinstance(part, Reasoning):
            block = _reasoning_block(part) if include_reasoning else None
            if block is not None:
                blocks.append(block)
        else:
            blocks.append(
                {
                    "type": "tool_use",
                    "id": part.tool_call_id,
                    "name": part.tool_name,
                    "input": part.input_object,
                }
            )
    return blocks


def to_anthropic(
    messages: Iterable[UIMessage | Mapping[str, Any]],
    *,
    system: str | None = None,
    data: DataPartConverter | None = None,
    unsupported_file: FileFallback | None = None,
    include_reasoning: bool = True,
) -> tuple[str | None, list[MessageParam]]:
    """Convert a ``UIMessage`` history to Anthropic Messages ``system`` and ``messages``.

    System messages (wherever they are) are joined into the returned system prompt, after
    ``system``. Each step of an assistant message becomes ``text``, ``thinking`` and
    ``tool_use`` blocks; its results follow as ``tool_result`` blocks in a ``user`` message
    (``is_error: true`` for tool errors and denied approvals, whose content is the error text
    or ``"Tool call execution denied."`` plus the user's reason). Pending calls and calls the
    provider executed are left out. Images become ``image`` blocks and PDFs and ``text/plain``
    files ``document`` blocks (base64 or text for ``data:`` URLs, ``url`` sources for http(s)
    PDFs and images, ``file`` sources for an ai 7 ``providerReference.anthropic``); any other
    file becomes the text of ``unsupported_file``. Empty messages are left out.

    Args:
        messages: The history: :class:`~ai_stream.protocol.messages.UIMessage` models or the
            JSON objects ``useChat`` sends (validated).
        system: A system prompt, put before the history's system messages.
        data: Turns a ``data-*`` part into text (``None`` leaves it out); without it, data
            parts are left out.
        unsupported_file: Turns a file the API cannot take into text (``None`` leaves it out);
            by default ``"[Attached file omitted: <filename> (<media type>)]"``.
        include_reasoning: Send reasoning back as ``thinking`` blocks (the parts signed with
            ``providerMetadata.anthropic.signature``) and ``redacted_thinking`` blocks
            (``providerMetadata.anthropic.redactedData``); unsigned reasoning is never sent. On
            by default, as in the AI SDK: with extended thinking, the API wants the thinking of
            a tool-use turn back.

    Returns:
        ``(system, messages)``: the system prompt (``None`` when there is none) and plain dicts
        for ``client.messages.create(system=..., messages=...)``.

    Raises:
        pydantic.ValidationError: A message is not a valid ``UIMessage``.
    """
    system_texts = [system] if system else []
    out: list[dict[str, Any]] = []

    def add(role: Literal["user", "assistant"], blocks: list[dict[str, Any]]) -> None:
        if not blocks:
            return
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})

    for turn in to_turns(messages, data=data):
        if isinstance(turn, SystemTurn):
            system_texts.append(turn.text)
        elif isinstance(turn, UserTurn):
            add("user", _user_blocks(turn, unsupported_file))
        elif isinstance(turn, AssistantTurn):
            add("assistant", _assistant_blocks(turn, include_reasoning))
        elif isinstance(turn, ToolTurn):
            results: list[dict[str, Any]] = []
            for result in turn.results:
                block: dict[str, Any] = {
                    "type": "tool_result",
                    "tool_use_id": result.tool_call_id,
                    "content": result.content,
                }
                if result.is_error:
                    block["is_error"] = True
                results.append(block)
            add("user", results)
    _trim_prefill(out)
    return ("\n\n".join(system_texts) or None), cast("list[MessageParam]", out)


def _trim_prefill(out: list[dict[str, Any]]) -> None:
    """Strip the trailing whitespace a final assistant message (a prefill) may not end with."""
    if not out or out[-1]["role"] != "assistant":
        return
    blocks: list[dict[str, Any]] = out[-1]["content"]
    if blocks and blocks[-1]["type"] == "text":
        text = blocks[-1]["text"].rstrip()
        if text:
            blocks[-1] = {**blocks[-1], "text": text}
        else:
            blocks.pop()
            if not blocks:
                out.pop()
