"""One model per UI message chunk, mirroring ``uiMessageChunkSchema`` of the ``ai`` package.

Mirrors ``packages/ai/src/ui-message-stream/ui-message-chunks.ts`` of ai 7.0.x (a superset of
ai 5 and 6; which release accepts what is decided in :mod:`ai_stream.protocol.versions`).
The ``data-*`` family is one model, :class:`DataChunk`, whose ``type`` is any ``data-<name>``.

Build chunks with snake_case keywords (``TextDeltaChunk(id="t1", delta="Hi")``); serialise them
with :meth:`~ai_stream.protocol.WireModel.to_wire`; parse incoming JSON with :func:`parse_chunk`.
The ``*Event`` names of the ai-sdk-stream-python API are kept as aliases.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar, Literal, TypeAlias

from pydantic import Discriminator, Field, Tag, TypeAdapter, ValidationError

from ai_stream.exceptions import ChunkParseError
from ai_stream.protocol._base import JSONValue, ProviderMetadata, ToolMetadata, WireModel

__all__ = (
    "AbortChunk",
    "AbortEvent",
    "Citation",
    "CustomChunk",
    "DataChunk",
    "DataEvent",
    "DocumentCitationSource",
    "ErrorChunk",
    "ErrorEvent",
    "FileChunk",
    "FileEvent",
    "FinishChunk",
    "FinishEvent",
    "FinishReason",
    "FinishStepChunk",
    "FinishStepEvent",
    "MessageMetadataChunk",
    "ReasoningDeltaChunk",
    "ReasoningDeltaEvent",
    "ReasoningEndChunk",
    "ReasoningEndEvent",
    "ReasoningFileChunk",
    "ReasoningStartChunk",
    "ReasoningStartEvent",
    "ResetStepChunk",
    "SourceDocumentChunk",
    "SourceUrlChunk",
    "SourceUrlEvent",
    "StartChunk",
    "StartEvent",
    "StartStepChunk",
    "StartStepEvent",
    "SteeringFilePart",
    "SteeringMessageChunk",
    "SteeringTextPart",
    "TextDeltaChunk",
    "TextDeltaEvent",
    "TextEndChunk",
    "TextEndEvent",
    "TextStartChunk",
    "TextStartEvent",
    "ToolApprovalRequestChunk",
    "ToolApprovalResponseChunk",
    "ToolInputAvailableChunk",
    "ToolInputAvailableEvent",
    "ToolInputDeltaChunk",
    "ToolInputDeltaEvent",
    "ToolInputErrorChunk",
    "ToolInputStartChunk",
    "ToolInputStartEvent",
    "ToolOutputAvailableChunk",
    "ToolOutputAvailableEvent",
    "ToolOutputDeniedChunk",
    "ToolOutputErrorChunk",
    "ToolOutputErrorEvent",
    "UIMessageChunk",
    "UrlCitationSource",
    "parse_chunk",
)

FinishReason: TypeAlias = Literal[
    "stop", "length", "content-filter", "tool-calls", "error", "interrupted", "other", "unknown"
]
"""Every ``finishReason`` some release accepts (``unknown``: ai 5 only; ``interrupted``: ai 7)."""


# --- message lifecycle -------------------------------------------------------------------------


class StartChunk(WireModel):
    """``start``: a new assistant message begins."""

    type: Literal["start"] = "start"
    message_id: str | None = None
    """Id of the assistant message; when continuing a message it must be that message's id."""
    message_metadata: JSONValue | None = None
    """Metadata merged into ``message.metadata``."""


class FinishChunk(WireModel):
    """``finish``: the assistant message is complete."""

    type: Literal["finish"] = "finish"
    finish_reason: FinishReason | None = None
    """Why the model stopped (ai ≥ 5.0.92)."""
    message_metadata: JSONValue | None = None
    """Metadata merged into ``message.metadata``."""


class AbortChunk(WireModel):
    """``abort``: the response was stopped early (the client ignores it while processing)."""

    type: Literal["abort"] = "abort"
    reason: str | None = None
    """Why it was aborted (ai 6.0.x+ only)."""


class ErrorChunk(WireModel):
    """``error``: an error to show to the user; ``useChat`` stops processing here."""

    type: Literal["error"] = "error"
    error_text: str
    """The text the client puts in ``chat.error.message``."""


class MessageMetadataChunk(WireModel):
    """``message-metadata``: metadata deep-merged into the message."""

    _nullable: ClassVar[frozenset[str]] = frozenset({"message_metadata"})

    type: Literal["message-metadata"] = "message-metadata"
    message_metadata: JSONValue
    """The metadata (required key; may be ``null``)."""


class StartStepChunk(WireModel):
    """``start-step``: a model step begins (adds a ``step-start`` part)."""

    type: Literal["start-step"] = "start-step"


class FinishStepChunk(WireModel):
    """``finish-step``: the current step ends (ai 5/6 also forget open text/reasoning parts)."""

    type: Literal["finish-step"] = "finish-step"


class ResetStepChunk(WireModel):
    """``reset-step`` (ai 7.0.x): drop every part of the current step, e.g. before a retry."""

    type: Literal["reset-step"] = "reset-step"


# --- text and reasoning ------------------------------------------------------------------------


class UrlCitationSource(WireModel):
    """A URL source inside a :class:`Citation`."""

    type: Literal["source"] = "source"
    source_type: Literal["url"] = "url"
    id: str
    url: str
    title: str | None = None
    provider_metadata: ProviderMetadata | None = None


class DocumentCitationSource(WireModel):
    """A document source inside a :class:`Citation`."""

    type: Literal["source"] = "source"
    source_type: Literal["document"] = "document"
    id: str
    media_type: str
    title: str
    filename: str | None = None
    provider_metadata: ProviderMetadata | None = None


class Citation(WireModel):
    """A citation attached to a text part by ``text-end`` (ai 7)."""

    source: Annotated[
        UrlCitationSource | DocumentCitationSource, Field(discriminator="source_type")
    ]
    start_index: Annotated[int, Field(ge=0)] | None = None
    end_index: Annotated[int, Field(ge=0)] | None = None
    cited_text: str | None = None


class TextStartChunk(WireModel):
    """``text-start``: opens a text part."""

    type: Literal["text-start"] = "text-start"
    id: str
    provider_metadata: ProviderMetadata | None = None


class TextDeltaChunk(WireModel):
    """``text-delta``: appends to the open text part ``id``."""

    type: Literal["text-delta"] = "text-delta"
    id: str
    delta: str
    provider_metadata: ProviderMetadata | None = None


class TextEndChunk(WireModel):
    """``text-end``: closes the text part ``id``."""

    type: Literal["text-end"] = "text-end"
    id: str
    provider_metadata: ProviderMetadata | None = None
    citations: list[Citation] | None = None
    """Citations for the text (ai ≥ 7.0.x)."""


class ReasoningStartChunk(WireModel):
    """``reasoning-start``: opens a reasoning part."""

    type: Literal["reasoning-start"] = "reasoning-start"
    id: str
    provider_metadata: ProviderMetadata | None = None


class ReasoningDeltaChunk(WireModel):
    """``reasoning-delta``: appends to the open reasoning part ``id``."""

    type: Literal["reasoning-delta"] = "reasoning-delta"
    id: str
    delta: str
    provider_metadata: ProviderMetadata | None = None


class ReasoningEndChunk(WireModel):
    """``reasoning-end``: closes the reasoning part ``id``."""

    type: Literal["reasoning-end"] = "reasoning-end"
    id: str
    provider_metadata: ProviderMetadata | None = None


# --- tools -------------------------------------------------------------------------------------


class ToolInputStartChunk(WireModel):
    """``tool-input-start``: a tool call begins; its input will stream as deltas."""

    type: Literal["tool-input-start"] = "tool-input-start"
    tool_call_id: str
    tool_name: str
    provider_executed: bool | None = None
    provider_metadata: ProviderMetadata | None = None
    dynamic: bool | None = None
    title: str | None = None
    input_encoding: Literal["json", "text"] | None = None
    tool_metadata: ToolMetadata | None = None


class ToolInputDeltaChunk(WireModel):
    """``tool-input-delta``: a piece of the tool input's JSON text."""

    type: Literal["tool-input-delta"] = "tool-input-delta"
    tool_call_id: str
    input_text_delta: str


class ToolInputAvailableChunk(WireModel):
    """``tool-input-available``: the complete tool input (fires ``onToolCall`` on the client)."""

    _nullable: ClassVar[frozenset[str]] = frozenset({"input"})

    type: Literal["tool-input-available"] = "tool-input-available"
    tool_call_id: str
    tool_name: str
    input: JSONValue
    provider_executed: bool | None = None
    provider_metadata: ProviderMetadata | None = None
    dynamic: bool | None = None
    title: str | None = None
    tool_metadata: ToolMetadata | None = None


class ToolInputErrorChunk(WireModel):
    """``tool-input-error``: the model produced an invalid tool input."""

    _nullable: ClassVar[frozenset[str]] = frozenset({"input"})

    type: Literal["tool-input-error"] = "tool-input-error"
    tool_call_id: str
    tool_name: str
    input: JSONValue
    error_text: str
    provider_executed: bool | None = None
    provider_metadata: ProviderMetadata | None = None
    dynamic: bool | None = None
    title: str | None = None
    tool_metadata: ToolMetadata | None = None


class ToolApprovalRequestChunk(WireModel):
    """``tool-approval-request`` (ai 6+): ask the user to approve a tool call."""

    type: Literal["tool-approval-request"] = "tool-approval-request"
    approval_id: str
    tool_call_id: str
    approval_descriptor: JSONValue | None = None
    input_schema_input: JSONValue | None = None
    signature: str | None = None
    reason: str | None = None
    is_automatic: bool | None = None


class ToolApprovalResponseChunk(WireModel):
    """``tool-approval-response`` (ai 7): the server decided an approval itself."""

    type: Literal["tool-approval-response"] = "tool-approval-response"
    approval_id: str
    approved: bool
    reason: str | None = None
    provider_executed: bool | None = None
    provider_metadata: ProviderMetadata | None = None


class ToolOutputAvailableChunk(WireModel):
    """``tool-output-available``: the tool's result (``preliminary`` for partial results)."""

    _nullable: ClassVar[frozenset[str]] = frozenset({"output"})

    type: Literal["tool-output-available"] = "tool-output-available"
    tool_call_id: str
    output: JSONValue
    provider_executed: bool | None = None
    provider_metadata: ProviderMetadata | None = None
    dynamic: bool | None = None
    preliminary: bool | None = None
    tool_metadata: ToolMetadata | None = None


class ToolOutputErrorChunk(WireModel):
    """``tool-output-error``: the tool failed."""

    type: Literal["tool-output-error"] = "tool-output-error"
    tool_call_id: str
    error_text: str
    provider_executed: bool | None = None
    provider_metadata: ProviderMetadata | None = None
    dynamic: bool | None = None
    tool_metadata: ToolMetadata | None = None


class ToolOutputDeniedChunk(WireModel):
    """``tool-output-denied`` (ai 6+): the user denied the tool call."""

    type: Literal["tool-output-denied"] = "tool-output-denied"
    tool_call_id: str


# --- sources, files, custom --------------------------------------------------------------------


class SourceUrlChunk(WireModel):
    """``source-url``: a web source."""

    type: Literal["source-url"] = "source-url"
    source_id: str
    url: str
    title: str | None = None
    provider_metadata: ProviderMetadata | None = None


class SourceDocumentChunk(WireModel):
    """``source-document``: a document source."""

    type: Literal["source-document"] = "source-document"
    source_id: str
    media_type: str
    title: str
    filename: str | None = None
    provider_metadata: ProviderMetadata | None = None


class FileChunk(WireModel):
    """``file``: a file (URL or data URL) generated by the model."""

    type: Literal["file"] = "file"
    url: str
    media_type: str
    provider_metadata: ProviderMetadata | None = None


class ReasoningFileChunk(WireModel):
    """``reasoning-file`` (ai 7): a file produced while reasoning."""

    type: Literal["reasoning-file"] = "reasoning-file"
    url: str
    media_type: str
    provider_metadata: ProviderMetadata | None = None


class CustomChunk(WireModel):
    """``custom`` (ai 7): a provider-specific part, ``kind`` like ``"provider.kind"``."""

    type: Literal["custom"] = "custom"
    kind: str
    provider_metadata: ProviderMetadata | None = None


class SteeringTextPart(WireModel):
    """A text part of a :class:`SteeringMessageChunk`."""

    type: Literal["text"] = "text"
    text: str
    provider_metadata: ProviderMetadata | None = None


class SteeringFilePart(WireModel):
    """A file part of a :class:`SteeringMessageChunk`."""

    type: Literal["file"] = "file"
    media_type: str
    url: str
    filename: str | None = None
    provider_reference: dict[str, str] | None = None
    provider_metadata: ProviderMetadata | None = None


class SteeringMessageChunk(WireModel):
    """``steering-message`` (ai ≥ 7.0.x, experimental): user input injected mid-response."""

    type: Literal["steering-message"] = "steering-message"
    id: str
    parts: list[Annotated[SteeringTextPart | SteeringFilePart, Field(discriminator="type")]]


class DataChunk(WireModel):
    """``data-<name>``: an app-defined data part.

    With an ``id``, a later chunk with the same type and id replaces the part's data in place.
    ``transient`` chunks reach ``onData`` but are not stored in the message.
    """

    _nullable: ClassVar[frozenset[str]] = frozenset({"data"})

    type: Annotated[str, Field(pattern=r"^data-")]
    id: str | None = None
    data: JSONValue
    transient: bool | None = None

    def to_wire(self) -> dict[str, Any]:
        """Return the JSON object to send (``type``, ``id``?, ``data``, ``transient``?)."""
        out: dict[str, Any] = {"type": self.type}
        if self.id is not None:
            out["id"] = self.id
        out["data"] = self.data
        if self.transient is not None:
            out["transient"] = self.transient
        return out


def _chunk_tag(value: Any) -> str | None:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if isinstance(kind, str) and kind.startswith("data-"):
        return "data"
    return kind if isinstance(kind, str) else None


_MODELS: tuple[type[WireModel], ...] = (
    StartChunk,
    FinishChunk,
    AbortChunk,
    ErrorChunk,
    MessageMetadataChunk,
    StartStepChunk,
    FinishStepChunk,
    ResetStepChunk,
    TextStartChunk,
    TextDeltaChunk,
    TextEndChunk,
    ReasoningStartChunk,
    ReasoningDeltaChunk,
    ReasoningEndChunk,
    ToolInputStartChunk,
    ToolInputDeltaChunk,
    ToolInputAvailableChunk,
    ToolInputErrorChunk,
    ToolApprovalRequestChunk,
    ToolApprovalResponseChunk,
    ToolOutputAvailableChunk,
    ToolOutputErrorChunk,
    ToolOutputDeniedChunk,
    SourceUrlChunk,
    SourceDocumentChunk,
    FileChunk,
    ReasoningFileChunk,
    CustomChunk,
    SteeringMessageChunk,
)

UIMessageChunk: TypeAlias = Annotated[
    Annotated[StartChunk, Tag("start")]
    | Annotated[FinishChunk, Tag("finish")]
    | Annotated[AbortChunk, Tag("abort")]
    | Annotated[ErrorChunk, Tag("error")]
    | Annotated[MessageMetadataChunk, Tag("message-metadata")]
    | Annotated[StartStepChunk, Tag("start-step")]
    | Annotated[FinishStepChunk, Tag("finish-step")]
    | Annotated[ResetStepChunk, Tag("reset-step")]
    | Annotated[TextStartChunk, Tag("text-start")]
    | Annotated[TextDeltaChunk, Tag("text-delta")]
    | Annotated[TextEndChunk, Tag("text-end")]
    | Annotated[ReasoningStartChunk, Tag("reasoning-start")]
    | Annotated[ReasoningDeltaChunk, Tag("reasoning-delta")]
    | Annotated[ReasoningEndChunk, Tag("reasoning-end")]
    | Annotated[ToolInputStartChunk, Tag("tool-input-start")]
    | Annotated[ToolInputDeltaChunk, Tag("tool-input-delta")]
    | Annotated[ToolInputAvailableChunk, Tag("tool-input-available")]
    | Annotated[ToolInputErrorChunk, Tag("tool-input-error")]
    | Annotated[ToolApprovalRequestChunk, Tag("tool-approval-request")]
    | Annotated[ToolApprovalResponseChunk, Tag("tool-approval-response")]
    | Annotated[ToolOutputAvailableChunk, Tag("tool-output-available")]
    | Annotated[ToolOutputErrorChunk, Tag("tool-output-error")]
    | Annotated[ToolOutputDeniedChunk, Tag("tool-output-denied")]
    | Annotated[SourceUrlChunk, Tag("source-url")]
    | Annotated[SourceDocumentChunk, Tag("source-document")]
    | Annotated[FileChunk, Tag("file")]
    | Annotated[ReasoningFileChunk, Tag("reasoning-file")]
    | Annotated[CustomChunk, Tag("custom")]
    | Annotated[SteeringMessageChunk, Tag("steering-message")]
    | Annotated[DataChunk, Tag("data")],
    Discriminator(_chunk_tag),
]
"""Any UI message chunk of ai 5, 6 or 7 (30 types counting ``data-*`` as one)."""

CHUNK_TYPES: tuple[str, ...] = (*(m.model_fields["type"].default for m in _MODELS), "data-*")
"""Every chunk type name, ``data-*`` standing for the data family."""

_ADAPTER: TypeAdapter[UIMessageChunk] = TypeAdapter(UIMessageChunk)


def parse_chunk(value: str | bytes | dict[str, Any]) -> UIMessageChunk:
    """Parse one chunk (JSON text or an already decoded object) into its typed model.

    Args:
        value: The JSON of one chunk, e.g. ``'{"type":"text-delta","id":"t","delta":"Hi"}'``.

    Returns:
        The model for the chunk's ``type``; any ``data-<name>`` becomes a :class:`DataChunk`.

    Raises:
        ChunkParseError: The JSON is invalid, the type is unknown, or a field is wrong (the
            message names the field); ``null`` in an optional field is refused as the client does.
    """
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ChunkParseError("A chunk is not valid JSON.") from exc
    if not isinstance(value, dict):
        raise ChunkParseError("A chunk must be a JSON object with a string 'type'.")
    if _chunk_tag(value) is None:
        raise ChunkParseError("A chunk must be a JSON object with a string 'type'.")
    for key, item in value.items():
        if item is None and key not in _NULLABLE_KEYS:
            raise ChunkParseError(
                f"Chunk field {key!r} is null; optional fields must be absent, not null."
            )
    try:
        return _ADAPTER.validate_python(value, by_alias=True, by_name=False)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "type"
        raise ChunkParseError(
            f"Invalid {value.get('type')!r} chunk at {where!r}: {first['msg']}."
        ) from exc


_NULLABLE_KEYS = frozenset({"input", "output", "data", "messageMetadata"})

# Names used by ai-sdk-stream-python, kept so code written against that API keeps working.
StartEvent = StartChunk
StartStepEvent = StartStepChunk
ReasoningStartEvent = ReasoningStartChunk
ReasoningDeltaEvent = ReasoningDeltaChunk
ReasoningEndEvent = ReasoningEndChunk
TextStartEvent = TextStartChunk
TextDeltaEvent = TextDeltaChunk
TextEndEvent = TextEndChunk
ToolInputStartEvent = ToolInputStartChunk
ToolInputDeltaEvent = ToolInputDeltaChunk
ToolInputAvailableEvent = ToolInputAvailableChunk
ToolOutputAvailableEvent = ToolOutputAvailableChunk
ToolOutputErrorEvent = ToolOutputErrorChunk
SourceUrlEvent = SourceUrlChunk
FinishStepEvent = FinishStepChunk
FinishEvent = FinishChunk
ErrorEvent = ErrorChunk
AbortEvent = AbortChunk
DataEvent = DataChunk
FileEvent = FileChunk
