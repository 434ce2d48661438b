"""``UIMessage`` history → LangChain messages (``langchain-core`` ≥ 1.0, imported when called).

Files and reasoning use LangChain's standard content blocks, which each chat model integration
translates for its provider.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ai_stream.convert._history import (
    AssistantTurn,
    DataPartConverter,
    FileFallback,
    Reasoning,
    Text,
    ToolResult,
    UserTurn,
    file_source,
    render_turns,
    text_or_blocks,
    user_blocks,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from langchain_core.messages import BaseMessage

    from ai_stream.protocol.messages import FileUIPart, UIMessage

__all__ = ("to_langchain",)


def _file_block(part: FileUIPart) -> dict[str, Any] | None:
    source = file_source(part)
    if source.kind not in ("image", "pdf"):
        return None
    block: dict[str, Any] = {"type": "image" if source.kind == "image" else "file"}
    if source.base64 is not None:
        block["base64"] = source.base64
    elif source.url is not None:
        block["url"] = source.url
    else:
        return None
    block["mime_type"] = source.media_type
    if source.kind == "pdf" and part.filename:
        block["extras"] = {"filename": part.filename}
    return block


def _text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _user_content(
    turn: UserTurn, fallback: FileFallback | None
) -> str | list[str | dict[Any, Any]]:
    content: list[str | dict[Any, Any]] = user_blocks(
        turn, fallback, text=_text_block, file=lambda part, _: _file_block(part)
    )
    return text_or_blocks(content)


def _reasoning_block(part: Reasoning) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "reasoning", "reasoning": part.text}
    signature = part.metadata("anthropic").get("signature")
    if isinstance(signature, str):
        block["extras"] = {"signature": signature}
    return block


def _assistant_content(
    turn: AssistantTurn, include_reasoning: bool
) -> str | list[str | dict[Any, Any]]:
    if not (include_reasoning and any(r.text for r in turn.reasoning)):
        return turn.text
    content: list[str | dict[Any, Any]] = []
    for part in turn.content:
        if isinstance(part, Reasoning):
            if part.text:  # redacted reasoning has no text and no standard block
                content.append(_reasoning_block(part))
        elif isinstance(part, Text):
            content.append(_text_block(part.text))
    return content


def to_langchain(
    messages: Iterable[UIMessage | Mapping[str, Any]],
    *,
    system: str | None = None,
    data: DataPartConverter | None = None,
    unsupported_file: FileFallback | None = None,
    include_reasoning: bool = False,
) -> list[BaseMessage]:
    """Convert a ``UIMessage`` history to LangChain messages.

    Each step of an assistant message becomes an ``AIMessage`` (its text as ``content``, its
    tool calls as ``tool_calls`` with ``args`` dicts), followed by one ``ToolMessage`` per result
    (``status="error"`` for tool errors and denied approvals, whose content is the error text or
    ``"Tool call execution denied."`` plus the user's reason). Pending calls and calls the
    provider executed are left out. Images and PDFs become standard ``image`` / ``file``
    content blocks (``base64`` for ``data:`` URLs, ``url`` for http(s)); any other file becomes
    the text of ``unsupported_file``. A user message with only text has string content.

    Args:
        messages: The history: :class:`~ai_stream.protocol.messages.UIMessage` models or the
            JSON objects ``useChat`` sends (validated).
        system: A system prompt, sent first as a ``SystemMessage``.
        data: Turns a ``data-*`` part into text (``None`` leaves it out); without it, data
            parts are left out.
        unsupported_file: Turns a file the model cannot take into text (``None`` leaves it
            out); by default ``"[Attached file omitted: <filename> (<media type>)]"``.
        include_reasoning: Put reasoning into the ``AIMessage`` content as standard
            ``reasoning`` blocks (an Anthropic signature goes into ``extras``); the content
            then is a list of blocks. Off by default; what a model integration does with such
            blocks is up to it.

    Returns:
        ``SystemMessage``, ``HumanMessage``, ``AIMessage`` and ``ToolMessage`` objects.

    Raises:
        ImportError: ``langchain-core`` is not installed (``pip install 'ai-stream[langchain]'``).
        pydantic.ValidationError: A message is not a valid ``UIMessage``.
    """
    try:
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
    except ImportError as exc:
        raise ImportError(
            "to_langchain needs langchain-core: pip install 'ai-stream[langchain]'"
        ) from exc

    def user_message(turn: UserTurn) -> BaseMessage | None:
        content = _user_content(turn, unsupported_file)
        return HumanMessage(content=content) if content else None

    def assistant_messages(turn: AssistantTurn) -> list[BaseMessage]:
        calls = turn.tool_calls
        ai_content = _assistant_content(turn, include_reasoning)
        if not (ai_content or calls):
            return []
        return [
            AIMessage(
                content=ai_content,
                tool_calls=[
                    {
                        "type": "tool_call",
                        "id": call.tool_call_id,
                        "name": call.tool_name,
                        "args": call.input_object,
                    }
                    for call in calls
                ],
            )
        ]

    def tool_message(result: ToolResult) -> BaseMessage:
        return ToolMessage(
            content=result.content,
            tool_call_id=result.tool_call_id,
            name=result.tool_name,
            status="error" if result.is_error else "success",
        )

    return render_turns(
        messages,
        system=system,
        data=data,
        system_message=lambda text: SystemMessage(content=text),
        user_message=user_message,
        assistant_messages=assistant_messages,
        tool_message=tool_message,
    )
