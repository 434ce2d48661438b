"""Typed shapes of the chunk objects the writers build (``TypedDict``: free at run time).

The writers' hot path works on plain dicts with the wire's camelCase keys; these shapes let mypy
check every key and value the lifecycle puts into them. They mirror the models of
:mod:`ai_stream.protocol.chunks` (which parse and validate chunks from outside) key for key.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypeAlias, TypedDict

__all__ = (
    "AbortShape",
    "ChunkShape",
    "DataShape",
    "ErrorShape",
    "FileShape",
    "FinishShape",
    "FinishStepShape",
    "MessageMetadataShape",
    "PartDeltaShape",
    "PartEndShape",
    "PartStartShape",
    "ProviderMetadata",
    "ResetStepShape",
    "SourceDocumentShape",
    "SourceUrlShape",
    "StartShape",
    "StartStepShape",
    "ToolApprovalRequestShape",
    "ToolApprovalResponseShape",
    "ToolInputAvailableShape",
    "ToolInputDeltaShape",
    "ToolInputErrorShape",
    "ToolInputStartShape",
    "ToolOutputAvailableShape",
    "ToolOutputDeniedShape",
    "ToolOutputErrorShape",
)

ProviderMetadata: TypeAlias = dict[str, dict[str, Any]]


class StartShape(TypedDict):
    type: Literal["start"]
    messageId: NotRequired[str]
    messageMetadata: NotRequired[Any]


class FinishShape(TypedDict):
    type: Literal["finish"]
    finishReason: NotRequired[str]
    messageMetadata: NotRequired[Any]


class AbortShape(TypedDict):
    type: Literal["abort"]
    reason: NotRequired[str]


class ErrorShape(TypedDict):
    type: Literal["error"]
    errorText: str


class MessageMetadataShape(TypedDict):
    type: Literal["message-metadata"]
    messageMetadata: Any


class StartStepShape(TypedDict):
    type: Literal["start-step"]


class FinishStepShape(TypedDict):
    type: Literal["finish-step"]


class ResetStepShape(TypedDict):
    type: Literal["reset-step"]


class PartStartShape(TypedDict):
    """``text-start`` or ``reasoning-start``."""

    type: Literal["text-start", "reasoning-start"]
    id: str
    providerMetadata: NotRequired[ProviderMetadata]


class PartDeltaShape(TypedDict):
    """``text-delta`` or ``reasoning-delta``."""

    type: Literal["text-delta", "reasoning-delta"]
    id: str
    delta: str
    providerMetadata: NotRequired[ProviderMetadata]


class PartEndShape(TypedDict):
    """``text-end`` (``citations``: ai 7) or ``reasoning-end``."""

    type: Literal["text-end", "reasoning-end"]
    id: str
    providerMetadata: NotRequired[ProviderMetadata]
    citations: NotRequired[list[Any]]


class ToolInputStartShape(TypedDict):
    type: Literal["tool-input-start"]
    toolCallId: str
    toolName: str
    providerExecuted: NotRequired[bool]
    providerMetadata: NotRequired[ProviderMetadata]
    dynamic: NotRequired[bool]
    title: NotRequired[str]
    inputEncoding: NotRequired[Literal["json", "text"]]
    toolMetadata: NotRequired[dict[str, Any]]


class ToolInputDeltaShape(TypedDict):
    type: Literal["tool-input-delta"]
    toolCallId: str
    inputTextDelta: str


class ToolInputAvailableShape(TypedDict):
    type: Literal["tool-input-available"]
    toolCallId: str
    toolName: str
    input: Any
    providerExecuted: NotRequired[bool]
    providerMetadata: NotRequired[ProviderMetadata]
    dynamic: NotRequired[bool]
    title: NotRequired[str]
    toolMetadata: NotRequired[dict[str, Any]]


class ToolInputErrorShape(TypedDict):
    type: Literal["tool-input-error"]
    toolCallId: str
    toolName: str
    input: Any
    errorText: str
    providerExecuted: NotRequired[bool]
    providerMetadata: NotRequired[ProviderMetadata]
    dynamic: NotRequired[bool]
    title: NotRequired[str]
    toolMetadata: NotRequired[dict[str, Any]]


class ToolApprovalRequestShape(TypedDict):
    type: Literal["tool-approval-request"]
    approvalId: str
    toolCallId: str
    approvalDescriptor: NotRequired[Any]
    inputSchemaInput: NotRequired[Any]
    signature: NotRequired[str]
    reason: NotRequired[str]
    isAutomatic: NotRequired[bool]


class ToolApprovalResponseShape(TypedDict):
    type: Literal["tool-approval-response"]
    approvalId: str
    approved: bool
    reason: NotRequired[str]
    providerExecuted: NotRequired[bool]
    providerMetadata: NotRequired[ProviderMetadata]


class ToolOutputAvailableShape(TypedDict):
    type: Literal["tool-output-available"]
    toolCallId: str
    output: Any
    providerExecuted: NotRequired[bool]
    providerMetadata: NotRequired[ProviderMetadata]
    dynamic: NotRequired[bool]
    preliminary: NotRequired[bool]
    toolMetadata: NotRequired[dict[str, Any]]


class ToolOutputErrorShape(TypedDict):
    type: Literal["tool-output-error"]
    toolCallId: str
    errorText: str
    providerExecuted: NotRequired[bool]
    providerMetadata: NotRequired[ProviderMetadata]
    dynamic: NotRequired[bool]
    toolMetadata: NotRequired[dict[str, Any]]


class ToolOutputDeniedShape(TypedDict):
    type: Literal["tool-output-denied"]
    toolCallId: str


class SourceUrlShape(TypedDict):
    type: Literal["source-url"]
    sourceId: str
    url: str
    title: NotRequired[str]
    providerMetadata: NotRequired[ProviderMetadata]


class SourceDocumentShape(TypedDict):
    type: Literal["source-document"]
    sourceId: str
    mediaType: str
    title: str
    filename: NotRequired[str]
    providerMetadata: NotRequired[ProviderMetadata]


class FileShape(TypedDict):
    """``file`` or (ai 7) ``reasoning-file``."""

    type: Literal["file", "reasoning-file"]
    url: str
    mediaType: str
    providerMetadata: NotRequired[ProviderMetadata]


class DataShape(TypedDict):
    """``data-<name>``; ``type`` is any string that starts with ``data-``."""

    type: str
    id: NotRequired[str]
    data: Any
    transient: NotRequired[bool]


ChunkShape: TypeAlias = (
    StartShape
    | FinishShape
    | AbortShape
    | ErrorShape
    | MessageMetadataShape
    | StartStepShape
    | FinishStepShape
    | ResetStepShape
    | PartStartShape
    | PartDeltaShape
    | PartEndShape
    | ToolInputStartShape
    | ToolInputDeltaShape
    | ToolInputAvailableShape
    | ToolInputErrorShape
    | ToolApprovalRequestShape
    | ToolApprovalResponseShape
    | ToolOutputAvailableShape
    | ToolOutputErrorShape
    | ToolOutputDeniedShape
    | SourceUrlShape
    | SourceDocumentShape
    | FileShape
    | DataShape
)
"""Any chunk a writer builds (``custom`` and ``steering-message`` come only hand-written)."""
