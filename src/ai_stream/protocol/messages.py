"""What ``useChat`` sends: ``UIMessage`` histories and the chat request body (ai 4, 5, 6 and 7).

Mirrors ``UIMessage`` of ``packages/ai/src/ui/ui-messages.ts`` (ai 7.0.x, a superset of 5 and 6)
and the body ``HttpChatTransport`` posts (``{...body, id, messages, trigger, messageId?}``).

Parsing is lenient where the client is, and strict where it matters:

* unknown keys are kept (``model_extra``) so that nothing is lost when a message is stored and sent
  back; unknown part types become :class:`UnknownUIPart` rather than failing the request;
* ``null`` is accepted for an absent optional field;
* ``approval.approved`` must be a real JSON boolean: ``1`` or ``"true"`` never approve anything.

ai 4 bodies (``{role, content, parts?, toolInvocations?, experimental_attachments?}``) are
converted to the same models, so one code path serves every client generation.
"""

from __future__ import annotations

import gc
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    Tag,
    TypeAdapter,
    ValidationError,
)
from pydantic.alias_generators import to_camel
from pydantic_core import from_json

from ai_stream.exceptions import RequestParseError
from ai_stream.protocol._base import JSONValue, ProviderMetadata
from ai_stream.protocol.approvals import verify_approval_id

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterator, Mapping

__all__ = (
    "ChatRequest",
    "CompletionRequest",
    "CustomUIPart",
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_MAX_PARTS",
    "DEFAULT_MAX_VALUES",
    "DataUIPart",
    "DynamicToolUIPart",
    "FileUIPart",
    "MAX_CHAT_ID_LENGTH",
    "MAX_DEPTH",
    "MAX_FIELDS",
    "MAX_LONG_DIGITS",
    "ReasoningFileUIPart",
    "ReasoningUIPart",
    "SourceDocumentUIPart",
    "SourceUrlUIPart",
    "SteeringMessageUIPart",
    "StepStartUIPart",
    "TextUIPart",
    "ToolApproval",
    "ToolApprovalDecision",
    "ToolResult",
    "ToolUIPart",
    "UIMessage",
    "UIMessagePart",
    "UnknownUIPart",
    "tool_part_name",
)

DEFAULT_MAX_BODY_SIZE = 4 * 1024 * 1024
"""Bodies larger than this (4 MiB) are refused before parsing."""

DEFAULT_MAX_VALUES = 50_000
"""Bodies with more JSON values than this are refused before parsing.

Parsing costs about the same per value, whatever the value (a hostile body of 4 MiB of ``[]``
or ``0,`` is over a million of them, a tenth of a second of a blocked event loop); text, files
and data URLs are long strings, one value each. Values are counted in C, before parsing, as
commas plus brackets plus braces (commas inside strings count too: a bound, not a census).
"""

MAX_LONG_DIGITS = 10**9
"""Bound on the sum of the squared lengths of the digit runs longer than 32 in a body.

Turning an n-digit number into an integer costs about n² (4 MiB of 4,000-digit numbers: 20 ms
of a blocked loop); a browser never writes a number longer than about 22 characters. Runs of
digits inside strings count too, which only a body full of very long digit runs reaches.
"""

_DIGITS = bytes(48 if 48 <= i <= 57 else 32 for i in range(256))  # digits → "0", else " "
_LONG_RUN = b"0" * 33

DEFAULT_MAX_PARTS = 2_000
"""Bodies with more messages plus parts than this are refused before they are validated.

Each becomes a model (1.5 µs and more each): 2,000 of them cost milliseconds. A chat that sends
its whole history rarely has more; one that sends only its last message (with a
:class:`~ai_stream.chats.ChatStore`) never does. Raise it for long full-history chats.
"""

MAX_FIELDS = 64
"""The most top-level fields a body may have (``id``, ``messages``, ... and the extra ``body``
fields of ``useChat``): each extra one is kept (``model_extra``), so their number is bounded."""

MAX_DEPTH = 201
"""Deepest nesting of a body, counted as pydantic-core's JSON parser does (which refuses deeper
bodies while it parses): every array and object on the way, the body's own included, and the
innermost value (``[[0]]`` is 3 deep, ``[[]]`` 2)."""


class InboundModel(BaseModel):
    """Base of the inbound models: camelCase JSON, unknown keys kept, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        frozen=True,
        serialize_by_alias=True,
    )

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON object, as it was received (absent fields stay absent)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


# --- parts -----------------------------------------------------------------------------------


class TextUIPart(InboundModel):
    """A ``text`` part."""

    type: Literal["text"] = "text"
    text: str
    state: Literal["streaming", "done"] | None = None
    provider_metadata: ProviderMetadata | None = None
    citations: list[JSONValue] | None = None
    """ai 7: citations attached by ``text-end``."""


class ReasoningUIPart(InboundModel):
    """A ``reasoning`` part."""

    type: Literal["reasoning"] = "reasoning"
    text: str
    id: str | None = None
    state: Literal["streaming", "done"] | None = None
    provider_metadata: ProviderMetadata | None = None


class SourceUrlUIPart(InboundModel):
    """A ``source-url`` part."""

    type: Literal["source-url"] = "source-url"
    source_id: str
    url: str
    title: str | None = None
    provider_metadata: ProviderMetadata | None = None


class SourceDocumentUIPart(InboundModel):
    """A ``source-document`` part."""

    type: Literal["source-document"] = "source-document"
    source_id: str
    media_type: str
    title: str
    filename: str | None = None
    provider_metadata: ProviderMetadata | None = None


class FileUIPart(InboundModel):
    """A ``file`` part: an uploaded or generated file as an https or ``data:`` URL."""

    type: Literal["file"] = "file"
    media_type: str
    url: str
    filename: str | None = None
    provider_metadata: ProviderMetadata | None = None
    provider_reference: dict[str, str] | None = None


class StepStartUIPart(InboundModel):
    """A ``step-start`` part: the boundary between two model steps."""

    type: Literal["step-start"] = "step-start"


class DataUIPart(InboundModel):
    """A stored ``data-<name>`` part."""

    type: Annotated[str, Field(pattern=r"^data-")]
    id: str | None = None
    data: JSONValue = None

    @property
    def name(self) -> str:
        """The part name without ``data-``."""
        return self.type[5:]


class CustomUIPart(InboundModel):
    """ai 7: a provider-specific ``custom`` part."""

    type: Literal["custom"] = "custom"
    kind: str
    provider_metadata: ProviderMetadata | None = None


class ReasoningFileUIPart(InboundModel):
    """ai 7: a ``reasoning-file`` part."""

    type: Literal["reasoning-file"] = "reasoning-file"
    media_type: str
    url: str
    provider_metadata: ProviderMetadata | None = None


class SteeringMessageUIPart(InboundModel):
    """ai 7: user input injected while the assistant was answering."""

    type: Literal["steering-message"] = "steering-message"
    id: str
    parts: list[dict[str, JSONValue]]


class ToolApproval(InboundModel):
    """The ``approval`` of a tool part (ai 6+)."""

    id: str
    approved: StrictBool | None = None
    """``True``/``False`` once the user decided; only a JSON boolean is accepted."""
    reason: str | None = None
    descriptor: JSONValue = None
    signature: str | None = None
    input_schema_input: JSONValue = None
    request_reason: str | None = None
    is_automatic: bool | None = None


ToolState: TypeAlias = Literal[
    "input-streaming",
    "input-available",
    "approval-requested",
    "approval-responded",
    "output-available",
    "output-error",
    "output-denied",
]


class _ToolFields(InboundModel):
    tool_call_id: str
    state: ToolState
    input: JSONValue = None
    output: JSONValue = None
    error_text: str | None = None
    raw_input: JSONValue = None
    approval: ToolApproval | None = None
    provider_executed: bool | None = None
    call_provider_metadata: ProviderMetadata | None = None
    result_provider_metadata: ProviderMetadata | None = None
    preliminary: bool | None = None
    tool_metadata: dict[str, JSONValue] | None = None
    title: str | None = None
    input_encoding: Literal["json", "text"] | None = None

    @property
    def tool_name(self) -> str:
        """The tool's name."""
        raise NotImplementedError

    @property
    def has_output(self) -> bool:
        """Whether the call ended (output, error or denial)."""
        return self.state in ("output-available", "output-error", "output-denied")


class ToolUIPart(_ToolFields):
    """A ``tool-<name>`` part: a call of a tool known to the app, in any state."""

    type: Annotated[str, Field(pattern=r"^tool-.")]

    @property
    def tool_name(self) -> str:
        """The tool's name (the part type without ``tool-``)."""
        return self.type[5:]


class DynamicToolUIPart(_ToolFields):
    """A ``dynamic-tool`` part: a call of a tool not known at build time (e.g. MCP)."""

    type: Literal["dynamic-tool"] = "dynamic-tool"
    tool_name_: str = Field(alias="toolName")

    @property
    def tool_name(self) -> str:
        """The tool's name."""
        return self.tool_name_


class UnknownUIPart(InboundModel):
    """A part of a type this version of ai_stream does not know; kept as received."""

    type: str


_PART_TAGS = frozenset(
    {
        "text",
        "reasoning",
        "source-url",
        "source-document",
        "file",
        "step-start",
        "custom",
        "reasoning-file",
        "steering-message",
        "dynamic-tool",
    }
)


def tool_part_name(part: Mapping[str, Any]) -> str | None:
    """The tool name of a tool part (``tool-<name>`` or ``dynamic-tool``), else ``None``.

    The one place that knows what makes a ``UIMessage`` part a tool part: a ``type`` of
    ``dynamic-tool`` (the name is in ``toolName``) or one starting with ``tool-`` (the rest is
    the name).
    """
    kind = part.get("type")
    if not isinstance(kind, str):
        return None
    if kind == "dynamic-tool":
        name = part.get("toolName")
        return name if isinstance(name, str) else ""
    return kind[5:] if kind.startswith("tool-") else None


def _part_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if not isinstance(kind, str):
        return "unknown"
    if kind in _PART_TAGS:
        return kind
    if kind.startswith("tool-"):
        return "tool"
    if kind.startswith("data-"):
        return "data"
    return "unknown"


UIMessagePart: TypeAlias = Annotated[
    Annotated[TextUIPart, Tag("text")]
    | Annotated[ReasoningUIPart, Tag("reasoning")]
    | Annotated[SourceUrlUIPart, Tag("source-url")]
    | Annotated[SourceDocumentUIPart, Tag("source-document")]
    | Annotated[FileUIPart, Tag("file")]
    | Annotated[StepStartUIPart, Tag("step-start")]
    | Annotated[CustomUIPart, Tag("custom")]
    | Annotated[ReasoningFileUIPart, Tag("reasoning-file")]
    | Annotated[SteeringMessageUIPart, Tag("steering-message")]
    | Annotated[DynamicToolUIPart, Tag("dynamic-tool")]
    | Annotated[ToolUIPart, Tag("tool")]
    | Annotated[DataUIPart, Tag("data")]
    | Annotated[UnknownUIPart, Tag("unknown")],
    Discriminator(_part_tag),
]
"""Any part of a ``UIMessage``."""


class UIMessage(InboundModel):
    """One message of the chat history, as ``useChat`` keeps and sends it."""

    id: str
    role: Literal["system", "user", "assistant"]
    metadata: JSONValue = None
    parts: list[UIMessagePart] = Field(default_factory=list)

    @property
    def text(self) -> str:
        """The text parts, concatenated."""
        return "".join(p.text for p in self.parts if isinstance(p, TextUIPart))

    @property
    def tool_parts(self) -> list[ToolUIPart | DynamicToolUIPart]:
        """The tool parts, in order."""
        return [p for p in self.parts if isinstance(p, ToolUIPart | DynamicToolUIPart)]

    def last_step(self) -> list[UIMessagePart]:
        """The parts after the last ``step-start`` (all parts if there is none)."""
        for index in range(len(self.parts) - 1, -1, -1):
            if isinstance(self.parts[index], StepStartUIPart):
                return self.parts[index + 1 :]
        return list(self.parts)


# --- the request -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolApprovalDecision:
    """A verified decision of the user on a tool call that needed approval."""

    tool_call_id: str
    tool_name: str
    input: Any
    approved: bool
    reason: str | None
    approval_id: str
    dynamic: bool = False


@dataclass(frozen=True)
class ToolResult:
    """The result of a tool call as the client sent it back (e.g. a client-side tool)."""

    tool_call_id: str
    tool_name: str
    input: Any
    output: Any
    error_text: str | None
    dynamic: bool = False

    @property
    def is_error(self) -> bool:
        """Whether the tool failed (``output-error``)."""
        return self.error_text is not None


MAX_CHAT_ID_LENGTH = 256
"""The longest chat id a request may have."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _check_chat_id(value: str) -> str:
    if not 0 < len(value) <= MAX_CHAT_ID_LENGTH or _CONTROL.search(value):
        raise ValueError(
            f"the chat id must be 1 to {MAX_CHAT_ID_LENGTH} characters, none of them a control "
            "character"
        )
    return value


ChatId: TypeAlias = Annotated[str, AfterValidator(_check_chat_id)]
"""A chat id as a request may carry it: 1 to 256 characters, no control characters (ids end
up in keys, logs and signed approvals)."""


class _RequestBody(InboundModel):
    """A request body whose extra fields (the hook's ``body`` option) are kept."""

    @property
    def extra(self) -> dict[str, Any]:
        """The extra body fields, by their JSON names."""
        return dict(self.model_extra or {})

    def get(self, name: str, default: Any = None) -> Any:
        """Return the extra body field ``name`` (its JSON name), or ``default``."""
        return (self.model_extra or {}).get(name, default)


class ChatRequest(_RequestBody):
    """The body ``useChat`` POSTs (``DefaultChatTransport``), ai 4 to 7.

    Extra body fields (``useChat({body})`` or ``sendMessage(..., {body})``) are kept: read them
    with :attr:`extra` or :meth:`get`.
    """

    id: ChatId
    """The chat id (see :data:`ChatId`)."""
    messages: list[UIMessage]
    """The whole history, the new user message last (or the assistant message being continued)."""
    trigger: Literal["submit-message", "regenerate-message"] = "submit-message"
    message_id: str | None = None
    """The message being edited, regenerated or continued, when there is one."""
    protocol: Literal["ui-message-stream", "data-stream"] = Field(default="ui-message-stream")
    """``data-stream`` when the body came from an ai 4 client (converted)."""

    @property
    def last_message(self) -> UIMessage | None:
        """The last message of the history."""
        return self.messages[-1] if self.messages else None

    @property
    def is_continuation(self) -> bool:
        """The request continues the last (assistant) message: tool results or approvals."""
        last = self.last_message
        return self.trigger == "submit-message" and last is not None and last.role == "assistant"

    def _continued_tool_parts(self) -> list[ToolUIPart | DynamicToolUIPart]:
        last = self.last_message
        if last is None or last.role != "assistant":
            return []
        return last.tool_parts

    def tool_approvals(
        self, secret: str | bytes | None = None, *, max_age: float | None = None
    ) -> list[ToolApprovalDecision]:
        """The user's verified decisions on the approvals the server requested (ai 6+).

        Looks at the assistant message being continued: every tool part whose approval was
        answered (``approval-responded``) and that has no result yet. Each approval id is checked
        against the chat id, the tool call, the tool name and the input the client sent back
        (see :mod:`ai_stream.protocol.approvals`).

        Args:
            secret: The server secret (default: the ``AI_STREAM_SECRET`` environment variable).
            max_age: Refuse approvals issued more than this many seconds ago.

        Raises:
            ApprovalVerificationError: An approval is forged, tampered with, replayed from
                another chat, or expired. Nothing is returned then: never run any of the calls.
            ValueError: No secret is configured.
        """
        decisions = []
        for part in self._continued_tool_parts():
            approval = part.approval
            if approval is None or approval.approved is None or part.has_output:
                continue
            verify_approval_id(
                approval.id,
                secret,
                chat_id=self.id,
                tool_call_id=part.tool_call_id,
                tool_name=part.tool_name,
                input=part.input,
                max_age=max_age,
            )
            decisions.append(
                ToolApprovalDecision(
                    tool_call_id=part.tool_call_id,
                    tool_name=part.tool_name,
                    input=part.input,
                    approved=approval.approved,
                    reason=approval.reason,
                    approval_id=approval.id,
                    dynamic=isinstance(part, DynamicToolUIPart),
                )
            )
        return decisions

    def tool_results(self, client_tools: Collection[str] | None = None) -> list[ToolResult]:
        """The tool results in the last step of the assistant message being continued.

        After a client-side tool ran (``addToolOutput``), ``useChat`` sends the message back with
        the tool part in ``output-available`` or ``output-error``; these are those parts (calls
        the provider executed are left out).

        Args:
            client_tools: The names of the tools the browser runs: results of other tools (the
                server's own, which a client can only have forged) are left out. ``None``: all.
                (With a :class:`~ai_stream.chats.ChatStore`, the history is the server's and
                only client tools' outputs are ever taken from a body.)
        """
        last = self.last_message
        if last is None or last.role != "assistant":
            return []
        results = []
        for part in last.last_step():
            if not isinstance(part, ToolUIPart | DynamicToolUIPart) or part.provider_executed:
                continue
            if client_tools is not None and part.tool_name not in client_tools:
                continue
            if part.state in ("output-available", "output-error"):
                results.append(
                    ToolResult(
                        tool_call_id=part.tool_call_id,
                        tool_name=part.tool_name,
                        input=part.input,
                        output=part.output,
                        error_text=part.error_text,
                        dynamic=isinstance(part, DynamicToolUIPart),
                    )
                )
        return results

    @classmethod
    def parse(
        cls,
        body: bytes | str | dict[str, Any],
        *,
        max_size: int = DEFAULT_MAX_BODY_SIZE,
        max_values: int = DEFAULT_MAX_VALUES,
        max_parts: int = DEFAULT_MAX_PARTS,
    ) -> ChatRequest:
        """Parse a request body.

        A hostile body costs little: its size and its number of JSON values are bounded before
        it is parsed (in C, linear), its depth while it is parsed (in Rust), its number of
        messages and parts before they are validated. The worst body within the defaults
        blocks the event loop for milliseconds.

        Args:
            body: The raw body (or its decoded JSON object, whose size is not checked).
            max_size: Refuse bodies larger than this many bytes.
            max_values: Refuse bodies with more JSON values than this
                (:data:`DEFAULT_MAX_VALUES`).
            max_parts: Refuse bodies with more messages plus parts than this
                (:data:`DEFAULT_MAX_PARTS`).

        Raises:
            RequestParseError: Too large (413), not JSON or nested deeper than
                :data:`MAX_DEPTH` (422), or not a chat request (422); the message names the
                JSON path of the first problem, e.g. ``messages[0].parts``, and repeats at most
                a short prefix of any key or value from the body.
        """
        return _request_from(_json_of(body, max_size, max_values), max_parts)

    @classmethod
    async def from_request(
        cls,
        request: Any,
        *,
        max_size: int = DEFAULT_MAX_BODY_SIZE,
        max_values: int = DEFAULT_MAX_VALUES,
        max_parts: int = DEFAULT_MAX_PARTS,
    ) -> ChatRequest:
        """Read and parse a Starlette/FastAPI request.

        The content type must be JSON (415 otherwise); the body is read up to ``max_size`` bytes
        (413 beyond, without reading the rest).

        Raises:
            RequestParseError: With ``status_code`` 413, 415 or 422; answer it with
                :func:`ai_stream.responses.request_error_response`.
        """
        return _request_from(await _json_of_request(request, max_size, max_values), max_parts)

    @classmethod
    def from_stream(
        cls,
        read: Callable[[int], bytes],
        *,
        content_type: str | None,
        content_length: int | str | None = None,
        max_size: int = DEFAULT_MAX_BODY_SIZE,
        max_values: int = DEFAULT_MAX_VALUES,
        max_parts: int = DEFAULT_MAX_PARTS,
    ) -> ChatRequest:
        """Read and parse a body from a synchronous stream (WSGI, Django), bounded.

        The content type must be JSON (415 otherwise); a declared length over ``max_size`` is
        refused before reading (413), and at most ``max_size + 1`` bytes are ever read.

        Args:
            read: ``read(n)`` returns at most ``n`` bytes of the body (``b""`` at its end), e.g.
                Flask's ``request.stream.read`` or Django's ``request.read``.
            content_type: The request's content type.
            content_length: Its declared length, if any.
            max_size: See :meth:`parse`.
            max_values: See :meth:`parse`.
            max_parts: See :meth:`parse`.

        Raises:
            RequestParseError: With ``status_code`` 413, 415 or 422.
        """
        decoded = _json_of_stream(read, content_type, content_length, max_size, max_values)
        return _request_from(decoded, max_parts)


_REQUEST: TypeAdapter[ChatRequest] = TypeAdapter(ChatRequest)


class CompletionRequest(_RequestBody):
    """The body ``useCompletion`` POSTs (``callCompletionApi``, ai 4 to 7): ``{prompt, ...body}``.

    Extra body fields (``useCompletion({body})`` or ``complete(prompt, {body})``) are kept: read
    them with :attr:`extra` or :meth:`get`. Answer it with a context for the hook's
    ``streamProtocol``: ``StreamContext()`` for ``"data"`` (the default; the UI message stream,
    or the v4 data stream for ``sdk_version=4``), ``StreamContext(stream_protocol="text")`` for
    ``"text"``.
    """

    prompt: str
    """The text in the hook's input (``input``) or passed to ``complete(prompt)``."""

    @classmethod
    def parse(
        cls,
        body: bytes | str | dict[str, Any],
        *,
        max_size: int = DEFAULT_MAX_BODY_SIZE,
        max_values: int = DEFAULT_MAX_VALUES,
    ) -> CompletionRequest:
        """Parse a request body, bounded as :meth:`ChatRequest.parse` bounds a chat's.

        Raises:
            RequestParseError: Too large (413), not JSON or nested too deeply (422), or not a
                completion request (422, e.g. ``prompt`` missing or not a string).
        """
        return _completion_from(_json_of(body, max_size, max_values))

    @classmethod
    async def from_request(
        cls,
        request: Any,
        *,
        max_size: int = DEFAULT_MAX_BODY_SIZE,
        max_values: int = DEFAULT_MAX_VALUES,
    ) -> CompletionRequest:
        """Read and parse a Starlette/FastAPI request (see :meth:`ChatRequest.from_request`).

        Raises:
            RequestParseError: With ``status_code`` 413, 415 or 422; answer it with
                :func:`ai_stream.responses.request_error_response`.
        """
        return _completion_from(await _json_of_request(request, max_size, max_values))

    @classmethod
    def from_stream(
        cls,
        read: Callable[[int], bytes],
        *,
        content_type: str | None,
        content_length: int | str | None = None,
        max_size: int = DEFAULT_MAX_BODY_SIZE,
        max_values: int = DEFAULT_MAX_VALUES,
    ) -> CompletionRequest:
        """Read and parse a body from a synchronous stream (see :meth:`ChatRequest.from_stream`).

        Raises:
            RequestParseError: With ``status_code`` 413, 415 or 422.
        """
        return _completion_from(
            _json_of_stream(read, content_type, content_length, max_size, max_values)
        )


_COMPLETION: TypeAdapter[CompletionRequest] = TypeAdapter(CompletionRequest)


def _completion_from(body: bytes | Any) -> CompletionRequest:
    """The completion request of a checked body (see :func:`_request_from`)."""
    with _gc_paused():
        return _completion_of(_decode(body) if isinstance(body, bytes) else body)


def _completion_of(body: Any) -> CompletionRequest:
    """The completion request of a decoded body."""
    if not isinstance(body, dict):
        raise RequestParseError("The request body must be a JSON object.", path="")
    if len(body) > MAX_FIELDS:
        raise RequestParseError(
            f"The request body has more than {MAX_FIELDS} fields.", status_code=413
        )
    try:
        return _COMPLETION.validate_python(body)
    except ValidationError as exc:
        raise _parse_error(exc, "completion") from exc


def _json_of(body: bytes | str | dict[str, Any], max_size: int, max_values: int) -> Any:
    """A body given whole, its bounds checked (see :meth:`ChatRequest.parse`).

    Returns its bytes, or the caller's own decoded value.
    """
    if isinstance(body, str):
        body = body.encode()
    if isinstance(body, bytes):
        scan = _BodyScan(max_size, max_values)
        scan.feed(body)
        scan.end()
        return body
    if _too_deep(body, MAX_DEPTH):
        raise RequestParseError("The request body is nested too deeply.")
    return body


async def _json_of_request(request: Any, max_size: int, max_values: int) -> bytes:
    """The bytes of a Starlette request's body, bounded while it is read."""
    _check_head(
        request.headers.get("content-type", ""), request.headers.get("content-length"), max_size
    )
    scan = _BodyScan(max_size, max_values)
    chunks: list[bytes] = []
    async for chunk in request.stream():
        scan.feed(chunk)  # (a body over a bound is refused before the rest is read)
        chunks.append(chunk)
    scan.end()
    return b"".join(chunks)


def _json_of_stream(
    read: Callable[[int], bytes],
    content_type: str | None,
    content_length: int | str | None,
    max_size: int,
    max_values: int,
) -> bytes:
    """The bytes of a body read from a synchronous stream, bounded while it is read."""
    _check_head(content_type or "", content_length, max_size)
    scan = _BodyScan(max_size, max_values)
    chunks: list[bytes] = []
    while chunk := read(min(64 * 1024, max_size + 1 - scan.size)):
        scan.feed(chunk)  # (raises once more than max_size bytes were read)
        chunks.append(chunk)
    scan.end()
    return b"".join(chunks)


def _check_head(content_type: str, content_length: int | str | None, max_size: int) -> None:
    """Refuse a body by its headers: not JSON (415), declared larger than ``max_size`` (413)."""
    media_type = content_type.split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise RequestParseError(
            "The request body must be JSON (content-type: application/json).", status_code=415
        )
    declared = str(content_length) if content_length is not None else ""
    if declared.isdigit() and int(declared) > max_size:
        raise RequestParseError(
            f"The request body is larger than {max_size} bytes.", status_code=413
        )


class _BodyScan:
    """The bounds of a body, checked in C as its bytes arrive: size, JSON values, long numbers.

    Fed chunk by chunk while a body is read, so a body over a bound is refused before the rest
    of it is read, and the scan's cost is spread over the reads (see :meth:`ChatRequest.parse`).
    """

    __slots__ = ("digits", "max_size", "max_values", "run", "size", "values")

    def __init__(self, max_size: int, max_values: int) -> None:
        self.max_size, self.max_values = max_size, max_values
        self.size = self.values = self.digits = 0
        self.run = 0  # (the digits at the end of what was fed so far)

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_size:
            raise RequestParseError(
                f"The request body is larger than {self.max_size} bytes.", status_code=413
            )
        self.values += chunk.count(b",") + chunk.count(b"[") + chunk.count(b"{")
        if self.values > self.max_values:
            raise RequestParseError(
                f"The request body has more than {self.max_values} JSON values.", status_code=413
            )
        digits = chunk.translate(_DIGITS)
        lead = len(digits) - len(digits.lstrip(b"0"))
        if lead == len(digits):
            self.run += lead
            return
        self._end_run(self.run + lead)
        stop = len(digits.rstrip(b"0"))  # (a run within [lead, stop) ends before stop)
        start = digits.find(_LONG_RUN, lead, stop)
        while start != -1:
            end = digits.find(b" ", start, stop)
            self._end_run(end - start)
            start = digits.find(_LONG_RUN, end, stop)
        self.run = len(digits) - stop

    def end(self) -> None:
        self._end_run(self.run)
        self.run = 0

    def _end_run(self, length: int) -> None:
        """Count a run of ``length`` digits: turning it into a number costs about length²."""
        if length > 32:
            self.digits += length * length
            if self.digits > MAX_LONG_DIGITS:
                raise RequestParseError(
                    "The request body has too many long numbers.", status_code=413
                )


def _decode(body: bytes) -> Any:
    """The JSON value of a body whose bounds were checked (:class:`_BodyScan`)."""
    try:  # (jiter: Rust, refuses nesting deeper than 201 while it parses)
        return from_json(body, allow_inf_nan=False)
    except ValueError as exc:
        if "recursion limit" in str(exc):
            raise RequestParseError("The request body is nested too deeply.") from exc
        raise RequestParseError("The request body is not valid JSON.") from exc


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No garbage collection while a body is decoded and checked.

    Its values are young objects: a collection among them would block the event loop on top of
    the parse, and a refused body's values are freed before any collection is due.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _request_from(body: bytes | Any, max_parts: int) -> ChatRequest:
    """The request of a checked body: its bytes (decoded here) or a decoded value."""
    with _gc_paused():
        return _request_of(_decode(body) if isinstance(body, bytes) else body, max_parts)


def _request_of(body: Any, max_parts: int) -> ChatRequest:
    """The request of a decoded body (see :meth:`ChatRequest.parse`)."""
    if not isinstance(body, dict):
        raise RequestParseError("The request body must be a JSON object.", path="")
    if len(body) > MAX_FIELDS:
        raise RequestParseError(
            f"The request body has more than {MAX_FIELDS} fields.", status_code=413
        )
    if "messages" not in body and isinstance(body.get("message"), dict):
        # "send only the last message" (prepareSendMessagesRequest: {id, message, ...})
        body = {**body, "messages": [body["message"]]}
        del body["message"]
    messages = body.get("messages")
    if isinstance(messages, list) and _count_parts(messages, max_parts) > max_parts:
        raise RequestParseError(
            f"The request has more than {max_parts} messages and parts.",
            path="messages",
            status_code=413,
        )
    if isinstance(messages, list) and _looks_like_v4(messages, body):
        body = {**body, "messages": _v4_messages(messages), "protocol": "data-stream"}
    try:
        request = _REQUEST.validate_python(body)
    except ValidationError as exc:
        raise _parse_error(exc) from exc
    except RecursionError as exc:  # pragma: no cover - bounded by MAX_DEPTH before
        raise RequestParseError("The request body is nested too deeply.") from exc
    return request


def _count_parts(messages: list[Any], limit: int) -> int:
    """Messages plus their parts (ai 4: plus their tool invocations), counted up to ``limit``.

    O(``limit``) whatever the body holds: the count stops once it is over the limit.
    """
    count = len(messages)
    for message in messages:
        if count > limit:
            break
        if isinstance(message, dict):
            for key in ("parts", "toolInvocations"):
                items = message.get(key)
                count += len(items) if isinstance(items, list) else 0
    return count


def _too_deep(value: Any, limit: int) -> bool:
    """Whether a decoded value nests deeper than ``limit`` (counted as :data:`MAX_DEPTH`).

    (A caller's own dict: no bound on its cost, unlike a body's bytes.)
    """
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict | list):
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def _parse_error(exc: ValidationError, kind: str = "chat") -> RequestParseError:
    error = exc.errors(include_url=False, include_input=False)[0]
    path = ""
    loc = error["loc"]
    for index, item in enumerate(loc):
        if isinstance(item, int):
            path += f"[{item}]"
        elif index >= 2 and loc[index - 2] == "parts" and isinstance(loc[index - 1], int):
            continue  # the union's tag after parts[i] is not part of the JSON path
        else:
            path += f".{item}" if path else str(item)
    message = _clip(error["msg"].rstrip("."), 160)
    path = _clip(path, 120)
    return RequestParseError(
        f"Invalid {kind} request at {path or 'the top level'}: {message}.", path=path
    )


def _clip(text: str, limit: int) -> str:
    """``text`` as it may appear in an error: printable ASCII, at most ``limit`` characters.

    Paths and pydantic's messages may carry keys and values of the body (a tag, an extra
    key): an error never repeats more than a short, escaped prefix of them.
    """
    escaped = text.encode("ascii", "backslashreplace").decode("ascii")
    escaped = "".join(c if " " <= c <= "~" else f"\\x{ord(c):02x}" for c in escaped)
    return escaped if len(escaped) <= limit else escaped[: limit - 1] + "…"


# --- ai 4 bodies -----------------------------------------------------------------------------


def _looks_like_v4(messages: list[Any], body: dict[str, Any]) -> bool:
    """Whether the messages are ai 4's: they carry ``content`` and no ``trigger`` is sent."""
    if "trigger" in body:
        return False
    for message in messages:
        if not isinstance(message, dict):
            continue
        parts = message.get("parts")
        if "content" in message or (
            isinstance(parts, list)
            and any(isinstance(p, dict) and p.get("type") == "tool-invocation" for p in parts)
        ):
            return True
    return False


_V4_STATES = {
    "partial-call": "input-streaming",
    "call": "input-available",
    "result": "output-available",
}


def _v4_tool(invocation: dict[str, Any]) -> dict[str, Any]:
    raw_state = invocation.get("state")
    state = _V4_STATES.get(raw_state if isinstance(raw_state, str) else "", "input-available")
    part: dict[str, Any] = {
        "type": f"tool-{invocation.get('toolName', '')}",
        "toolCallId": invocation.get("toolCallId"),
        "state": state,
        "input": invocation.get("args"),
    }
    if state == "output-available":
        part["output"] = invocation.get("result")
    return part


def _v4_part(part: Any) -> dict[str, Any] | None:
    if not isinstance(part, dict):
        return part  # type: ignore[no-any-return]  # validation reports it
    kind = part.get("type")
    if kind == "reasoning":
        return {"type": "reasoning", "text": part.get("reasoning", part.get("text", ""))}
    if kind == "tool-invocation":
        invocation = part.get("toolInvocation")
        return _v4_tool(invocation) if isinstance(invocation, dict) else part
    if kind == "source":
        source = part.get("source") or {}
        if not isinstance(source, dict):
            return part
        converted = {"type": "source-url", "sourceId": source.get("id"), "url": source.get("url")}
        if source.get("title") is not None:
            converted["title"] = source["title"]
        return converted
    if kind == "file":
        media_type = part.get("mimeType", part.get("mediaType"))
        data = part.get("data", "")
        url = data if str(data).startswith(("data:", "http:", "https:")) else None
        return {
            "type": "file",
            "mediaType": media_type,
            "url": url or f"data:{media_type};base64,{data}",
        }
    return part


def _v4_messages(messages: list[Any]) -> list[Any]:
    converted: list[Any] = []
    for message in messages:
        if not isinstance(message, dict):
            converted.append(message)
            continue
        if message.get("role") == "data":
            continue  # ai 4 "data" messages carry no conversation content
        parts: list[Any] = []
        attachments = message.get("experimental_attachments")
        for attachment in attachments if isinstance(attachments, list) else []:
            if isinstance(attachment, dict):
                file_part = {
                    "type": "file",
                    "mediaType": attachment.get("contentType", "application/octet-stream"),
                    "url": attachment.get("url"),
                }
                if attachment.get("name") is not None:
                    file_part["filename"] = attachment["name"]
                parts.append(file_part)
        if isinstance(message.get("parts"), list):
            parts.extend(p for p in map(_v4_part, message["parts"]) if p is not None)
        else:
            content = message.get("content")
            if isinstance(content, str) and content:
                parts.append({"type": "text", "text": content})
            invocations = message.get("toolInvocations")
            invocations = invocations if isinstance(invocations, list) else []
            parts.extend(_v4_tool(i) for i in invocations if isinstance(i, dict))
        item = {"id": message.get("id", ""), "role": message.get("role"), "parts": parts}
        if message.get("annotations") is not None:
            item["metadata"] = {"annotations": message["annotations"]}
        converted.append(item)
    return converted
