"""The wire contract: typed UI message chunks and client-version rules (pure, no I/O).

Mirrors ``uiMessageChunkSchema`` of the ``ai`` npm package, releases 5.0.0 to 7.0.173.
"""

from __future__ import annotations

from ai_stream.protocol._base import JSONValue as JSONValue
from ai_stream.protocol._base import ProviderMetadata as ProviderMetadata
from ai_stream.protocol._base import ToolMetadata as ToolMetadata
from ai_stream.protocol._base import WireModel as WireModel
from ai_stream.protocol.chunks import CHUNK_TYPES as CHUNK_TYPES
from ai_stream.protocol.chunks import AbortChunk as AbortChunk
from ai_stream.protocol.chunks import AbortEvent as AbortEvent
from ai_stream.protocol.chunks import Citation as Citation
from ai_stream.protocol.chunks import CustomChunk as CustomChunk
from ai_stream.protocol.chunks import DataChunk as DataChunk
from ai_stream.protocol.chunks import DataEvent as DataEvent
from ai_stream.protocol.chunks import DocumentCitationSource as DocumentCitationSource
from ai_stream.protocol.chunks import ErrorChunk as ErrorChunk
from ai_stream.protocol.chunks import ErrorEvent as ErrorEvent
from ai_stream.protocol.chunks import FileChunk as FileChunk
from ai_stream.protocol.chunks import FileEvent as FileEvent
from ai_stream.protocol.chunks import FinishChunk as FinishChunk
from ai_stream.protocol.chunks import FinishEvent as FinishEvent
from ai_stream.protocol.chunks import FinishReason as FinishReason
from ai_stream.protocol.chunks import FinishStepChunk as FinishStepChunk
from ai_stream.protocol.chunks import FinishStepEvent as FinishStepEvent
from ai_stream.protocol.chunks import MessageMetadataChunk as MessageMetadataChunk
from ai_stream.protocol.chunks import ReasoningDeltaChunk as ReasoningDeltaChunk
from ai_stream.protocol.chunks import ReasoningDeltaEvent as ReasoningDeltaEvent
from ai_stream.protocol.chunks import ReasoningEndChunk as ReasoningEndChunk
from ai_stream.protocol.chunks import ReasoningEndEvent as ReasoningEndEvent
from ai_stream.protocol.chunks import ReasoningFileChunk as ReasoningFileChunk
from ai_stream.protocol.chunks import ReasoningStartChunk as ReasoningStartChunk
from ai_stream.protocol.chunks import ReasoningStartEvent as ReasoningStartEvent
from ai_stream.protocol.chunks import ResetStepChunk as ResetStepChunk
from ai_stream.protocol.chunks import SourceDocumentChunk as SourceDocumentChunk
from ai_stream.protocol.chunks import SourceUrlChunk as SourceUrlChunk
from ai_stream.protocol.chunks import SourceUrlEvent as SourceUrlEvent
from ai_stream.protocol.chunks import StartChunk as StartChunk
from ai_stream.protocol.chunks import StartEvent as StartEvent
from ai_stream.protocol.chunks import StartStepChunk as StartStepChunk
from ai_stream.protocol.chunks import StartStepEvent as StartStepEvent
from ai_stream.protocol.chunks import SteeringFilePart as SteeringFilePart
from ai_stream.protocol.chunks import SteeringMessageChunk as SteeringMessageChunk
from ai_stream.protocol.chunks import SteeringTextPart as SteeringTextPart
from ai_stream.protocol.chunks import TextDeltaChunk as TextDeltaChunk
from ai_stream.protocol.chunks import TextDeltaEvent as TextDeltaEvent
from ai_stream.protocol.chunks import TextEndChunk as TextEndChunk
from ai_stream.protocol.chunks import TextEndEvent as TextEndEvent
from ai_stream.protocol.chunks import TextStartChunk as TextStartChunk
from ai_stream.protocol.chunks import TextStartEvent as TextStartEvent
from ai_stream.protocol.chunks import ToolApprovalRequestChunk as ToolApprovalRequestChunk
from ai_stream.protocol.chunks import ToolApprovalResponseChunk as ToolApprovalResponseChunk
from ai_stream.protocol.chunks import ToolInputAvailableChunk as ToolInputAvailableChunk
from ai_stream.protocol.chunks import ToolInputAvailableEvent as ToolInputAvailableEvent
from ai_stream.protocol.chunks import ToolInputDeltaChunk as ToolInputDeltaChunk
from ai_stream.protocol.chunks import ToolInputDeltaEvent as ToolInputDeltaEvent
from ai_stream.protocol.chunks import ToolInputErrorChunk as ToolInputErrorChunk
from ai_stream.protocol.chunks import ToolInputStartChunk as ToolInputStartChunk
from ai_stream.protocol.chunks import ToolInputStartEvent as ToolInputStartEvent
from ai_stream.protocol.chunks import ToolOutputAvailableChunk as ToolOutputAvailableChunk
from ai_stream.protocol.chunks import ToolOutputAvailableEvent as ToolOutputAvailableEvent
from ai_stream.protocol.chunks import ToolOutputDeniedChunk as ToolOutputDeniedChunk
from ai_stream.protocol.chunks import ToolOutputErrorChunk as ToolOutputErrorChunk
from ai_stream.protocol.chunks import ToolOutputErrorEvent as ToolOutputErrorEvent
from ai_stream.protocol.chunks import UIMessageChunk as UIMessageChunk
from ai_stream.protocol.chunks import UrlCitationSource as UrlCitationSource
from ai_stream.protocol.chunks import parse_chunk as parse_chunk
from ai_stream.protocol.messages import DEFAULT_MAX_BODY_SIZE as DEFAULT_MAX_BODY_SIZE
from ai_stream.protocol.messages import ChatRequest as ChatRequest
from ai_stream.protocol.messages import CompletionRequest as CompletionRequest
from ai_stream.protocol.messages import CustomUIPart as CustomUIPart
from ai_stream.protocol.messages import DataUIPart as DataUIPart
from ai_stream.protocol.messages import DynamicToolUIPart as DynamicToolUIPart
from ai_stream.protocol.messages import FileUIPart as FileUIPart
from ai_stream.protocol.messages import ReasoningFileUIPart as ReasoningFileUIPart
from ai_stream.protocol.messages import ReasoningUIPart as ReasoningUIPart
from ai_stream.protocol.messages import SourceDocumentUIPart as SourceDocumentUIPart
from ai_stream.protocol.messages import SourceUrlUIPart as SourceUrlUIPart
from ai_stream.protocol.messages import SteeringMessageUIPart as SteeringMessageUIPart
from ai_stream.protocol.messages import StepStartUIPart as StepStartUIPart
from ai_stream.protocol.messages import TextUIPart as TextUIPart
from ai_stream.protocol.messages import ToolApproval as ToolApproval
from ai_stream.protocol.messages import ToolUIPart as ToolUIPart
from ai_stream.protocol.messages import UIMessage as UIMessage
from ai_stream.protocol.messages import UIMessagePart as UIMessagePart
from ai_stream.protocol.messages import UnknownUIPart as UnknownUIPart
from ai_stream.protocol.versions import PROTOCOL_FINISH_REASONS as PROTOCOL_FINISH_REASONS
from ai_stream.protocol.versions import ClientTarget as ClientTarget
from ai_stream.protocol.versions import SdkVersion as SdkVersion
from ai_stream.protocol.versions import normalize_finish_reason as normalize_finish_reason

__all__ = (
    "AbortChunk",
    "AbortEvent",
    "CHUNK_TYPES",
    "ChatRequest",
    "Citation",
    "ClientTarget",
    "CompletionRequest",
    "CustomChunk",
    "CustomUIPart",
    "DEFAULT_MAX_BODY_SIZE",
    "DataChunk",
    "DataEvent",
    "DataUIPart",
    "DocumentCitationSource",
    "DynamicToolUIPart",
    "ErrorChunk",
    "ErrorEvent",
    "FileChunk",
    "FileEvent",
    "FileUIPart",
    "FinishChunk",
    "FinishEvent",
    "FinishReason",
    "FinishStepChunk",
    "FinishStepEvent",
    "JSONValue",
    "MessageMetadataChunk",
    "PROTOCOL_FINISH_REASONS",
    "ProviderMetadata",
    "ReasoningDeltaChunk",
    "ReasoningDeltaEvent",
    "ReasoningEndChunk",
    "ReasoningEndEvent",
    "ReasoningFileChunk",
    "ReasoningFileUIPart",
    "ReasoningStartChunk",
    "ReasoningStartEvent",
    "ReasoningUIPart",
    "ResetStepChunk",
    "SdkVersion",
    "SourceDocumentChunk",
    "SourceDocumentUIPart",
    "SourceUrlChunk",
    "SourceUrlEvent",
    "SourceUrlUIPart",
    "StartChunk",
    "StartEvent",
    "StartStepChunk",
    "StartStepEvent",
    "SteeringFilePart",
    "SteeringMessageChunk",
    "SteeringMessageUIPart",
    "SteeringTextPart",
    "StepStartUIPart",
    "TextDeltaChunk",
    "TextDeltaEvent",
    "TextEndChunk",
    "TextEndEvent",
    "TextStartChunk",
    "TextStartEvent",
    "TextUIPart",
    "ToolApproval",
    "ToolApprovalRequestChunk",
    "ToolApprovalResponseChunk",
    "ToolInputAvailableChunk",
    "ToolInputAvailableEvent",
    "ToolInputDeltaChunk",
    "ToolInputDeltaEvent",
    "ToolInputErrorChunk",
    "ToolInputStartChunk",
    "ToolInputStartEvent",
    "ToolMetadata",
    "ToolOutputAvailableChunk",
    "ToolOutputAvailableEvent",
    "ToolOutputDeniedChunk",
    "ToolOutputErrorChunk",
    "ToolOutputErrorEvent",
    "ToolUIPart",
    "UIMessage",
    "UIMessageChunk",
    "UIMessagePart",
    "UnknownUIPart",
    "UrlCitationSource",
    "WireModel",
    "normalize_finish_reason",
    "parse_chunk",
)
