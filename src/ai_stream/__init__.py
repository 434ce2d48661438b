"""ai_stream: stream from any Python backend to the Vercel AI SDK frontend (``useChat``).

Write the assistant message through a :class:`StreamContext` from any layer of your app and serve it
with :class:`UIMessageStreamResponse`; the context speaks the UI message stream of ai 5, 6 and 7.
"""

from __future__ import annotations

from ai_stream.chats import ChatStore as ChatStore
from ai_stream.chats import ChatTurn as ChatTurn
from ai_stream.chats import MemoryChatStore as MemoryChatStore
from ai_stream.chats import StoredChat as StoredChat
from ai_stream.chats import begin_turn as begin_turn
from ai_stream.context import DEFAULT_ERROR_TEXT as DEFAULT_ERROR_TEXT
from ai_stream.context import StreamContext as StreamContext
from ai_stream.context import ToolCallHandle as ToolCallHandle
from ai_stream.context import generate_id as generate_id
from ai_stream.encoding import UI_MESSAGE_STREAM_HEADERS as UI_MESSAGE_STREAM_HEADERS
from ai_stream.encoding import encode_sse as encode_sse
from ai_stream.exceptions import AIStreamError as AIStreamError
from ai_stream.exceptions import ApprovalVerificationError as ApprovalVerificationError
from ai_stream.exceptions import ChatConflictError as ChatConflictError
from ai_stream.exceptions import ChatError as ChatError
from ai_stream.exceptions import ChatNotFoundError as ChatNotFoundError
from ai_stream.exceptions import ChatStoreError as ChatStoreError
from ai_stream.exceptions import ChunkParseError as ChunkParseError
from ai_stream.exceptions import ClientDisconnectedError as ClientDisconnectedError
from ai_stream.exceptions import EventTooLargeError as EventTooLargeError
from ai_stream.exceptions import MissingExtraError as MissingExtraError
from ai_stream.exceptions import ObjectValidationError as ObjectValidationError
from ai_stream.exceptions import ProducerLostError as ProducerLostError
from ai_stream.exceptions import ProviderError as ProviderError
from ai_stream.exceptions import RequestParseError as RequestParseError
from ai_stream.exceptions import StreamClosedError as StreamClosedError
from ai_stream.exceptions import StreamStateError as StreamStateError
from ai_stream.exceptions import StreamStoreError as StreamStoreError
from ai_stream.exceptions import TooManyStreamsError as TooManyStreamsError
from ai_stream.exceptions import UIMessageStreamError as UIMessageStreamError
from ai_stream.exceptions import UnsupportedByClientError as UnsupportedByClientError
from ai_stream.objects import ObjectResult as ObjectResult
from ai_stream.objects import ObjectStreamContext as ObjectStreamContext
from ai_stream.protocol import CHUNK_TYPES as CHUNK_TYPES
from ai_stream.protocol import DEFAULT_MAX_BODY_SIZE as DEFAULT_MAX_BODY_SIZE
from ai_stream.protocol import PROTOCOL_FINISH_REASONS as PROTOCOL_FINISH_REASONS
from ai_stream.protocol import AbortChunk as AbortChunk
from ai_stream.protocol import AbortEvent as AbortEvent
from ai_stream.protocol import ChatRequest as ChatRequest
from ai_stream.protocol import Citation as Citation
from ai_stream.protocol import ClientTarget as ClientTarget
from ai_stream.protocol import CompletionRequest as CompletionRequest
from ai_stream.protocol import CustomChunk as CustomChunk
from ai_stream.protocol import CustomUIPart as CustomUIPart
from ai_stream.protocol import DataChunk as DataChunk
from ai_stream.protocol import DataEvent as DataEvent
from ai_stream.protocol import DataUIPart as DataUIPart
from ai_stream.protocol import DocumentCitationSource as DocumentCitationSource
from ai_stream.protocol import DynamicToolUIPart as DynamicToolUIPart
from ai_stream.protocol import ErrorChunk as ErrorChunk
from ai_stream.protocol import ErrorEvent as ErrorEvent
from ai_stream.protocol import FileChunk as FileChunk
from ai_stream.protocol import FileEvent as FileEvent
from ai_stream.protocol import FileUIPart as FileUIPart
from ai_stream.protocol import FinishChunk as FinishChunk
from ai_stream.protocol import FinishEvent as FinishEvent
from ai_stream.protocol import FinishReason as FinishReason
from ai_stream.protocol import FinishStepChunk as FinishStepChunk
from ai_stream.protocol import FinishStepEvent as FinishStepEvent
from ai_stream.protocol import JSONValue as JSONValue
from ai_stream.protocol import MessageMetadataChunk as MessageMetadataChunk
from ai_stream.protocol import ProviderMetadata as ProviderMetadata
from ai_stream.protocol import ReasoningDeltaChunk as ReasoningDeltaChunk
from ai_stream.protocol import ReasoningDeltaEvent as ReasoningDeltaEvent
from ai_stream.protocol import ReasoningEndChunk as ReasoningEndChunk
from ai_stream.protocol import ReasoningEndEvent as ReasoningEndEvent
from ai_stream.protocol import ReasoningFileChunk as ReasoningFileChunk
from ai_stream.protocol import ReasoningFileUIPart as ReasoningFileUIPart
from ai_stream.protocol import ReasoningStartChunk as ReasoningStartChunk
from ai_stream.protocol import ReasoningStartEvent as ReasoningStartEvent
from ai_stream.protocol import ReasoningUIPart as ReasoningUIPart
from ai_stream.protocol import ResetStepChunk as ResetStepChunk
from ai_stream.protocol import SdkVersion as SdkVersion
from ai_stream.protocol import SourceDocumentChunk as SourceDocumentChunk
from ai_stream.protocol import SourceDocumentUIPart as SourceDocumentUIPart
from ai_stream.protocol import SourceUrlChunk as SourceUrlChunk
from ai_stream.protocol import SourceUrlEvent as SourceUrlEvent
from ai_stream.protocol import SourceUrlUIPart as SourceUrlUIPart
from ai_stream.protocol import StartChunk as StartChunk
from ai_stream.protocol import StartEvent as StartEvent
from ai_stream.protocol import StartStepChunk as StartStepChunk
from ai_stream.protocol import StartStepEvent as StartStepEvent
from ai_stream.protocol import SteeringFilePart as SteeringFilePart
from ai_stream.protocol import SteeringMessageChunk as SteeringMessageChunk
from ai_stream.protocol import SteeringMessageUIPart as SteeringMessageUIPart
from ai_stream.protocol import SteeringTextPart as SteeringTextPart
from ai_stream.protocol import StepStartUIPart as StepStartUIPart
from ai_stream.protocol import TextDeltaChunk as TextDeltaChunk
from ai_stream.protocol import TextDeltaEvent as TextDeltaEvent
from ai_stream.protocol import TextEndChunk as TextEndChunk
from ai_stream.protocol import TextEndEvent as TextEndEvent
from ai_stream.protocol import TextStartChunk as TextStartChunk
from ai_stream.protocol import TextStartEvent as TextStartEvent
from ai_stream.protocol import TextUIPart as TextUIPart
from ai_stream.protocol import ToolApproval as ToolApproval
from ai_stream.protocol import ToolApprovalRequestChunk as ToolApprovalRequestChunk
from ai_stream.protocol import ToolApprovalResponseChunk as ToolApprovalResponseChunk
from ai_stream.protocol import ToolInputAvailableChunk as ToolInputAvailableChunk
from ai_stream.protocol import ToolInputAvailableEvent as ToolInputAvailableEvent
from ai_stream.protocol import ToolInputDeltaChunk as ToolInputDeltaChunk
from ai_stream.protocol import ToolInputDeltaEvent as ToolInputDeltaEvent
from ai_stream.protocol import ToolInputErrorChunk as ToolInputErrorChunk
from ai_stream.protocol import ToolInputStartChunk as ToolInputStartChunk
from ai_stream.protocol import ToolInputStartEvent as ToolInputStartEvent
from ai_stream.protocol import ToolMetadata as ToolMetadata
from ai_stream.protocol import ToolOutputAvailableChunk as ToolOutputAvailableChunk
from ai_stream.protocol import ToolOutputAvailableEvent as ToolOutputAvailableEvent
from ai_stream.protocol import ToolOutputDeniedChunk as ToolOutputDeniedChunk
from ai_stream.protocol import ToolOutputErrorChunk as ToolOutputErrorChunk
from ai_stream.protocol import ToolOutputErrorEvent as ToolOutputErrorEvent
from ai_stream.protocol import ToolUIPart as ToolUIPart
from ai_stream.protocol import UIMessage as UIMessage
from ai_stream.protocol import UIMessageChunk as UIMessageChunk
from ai_stream.protocol import UIMessagePart as UIMessagePart
from ai_stream.protocol import UnknownUIPart as UnknownUIPart
from ai_stream.protocol import UrlCitationSource as UrlCitationSource
from ai_stream.protocol import WireModel as WireModel
from ai_stream.protocol import normalize_finish_reason as normalize_finish_reason
from ai_stream.protocol import parse_chunk as parse_chunk
from ai_stream.protocol.messages import ToolApprovalDecision as ToolApprovalDecision
from ai_stream.protocol.messages import ToolResult as ToolResult
from ai_stream.record import DataRecord as DataRecord
from ai_stream.record import FileRecord as FileRecord
from ai_stream.record import SourceRecord as SourceRecord
from ai_stream.record import StreamRecord as StreamRecord
from ai_stream.record import ToolCallRecord as ToolCallRecord
from ai_stream.reducer import UIMessageReducer as UIMessageReducer
from ai_stream.responses import FollowStreamResponse as FollowStreamResponse
from ai_stream.responses import UIMessageStreamResponse as UIMessageStreamResponse
from ai_stream.responses import chat_routes as chat_routes
from ai_stream.responses import request_error_response as request_error_response
from ai_stream.responses import request_parse_error_handler as request_parse_error_handler
from ai_stream.responses import resumable_response as resumable_response
from ai_stream.responses import resume_response as resume_response
from ai_stream.responses import stop_response as stop_response
from ai_stream.resume import MemoryStreamStore as MemoryStreamStore
from ai_stream.resume import ResumableStreams as ResumableStreams
from ai_stream.resume import StreamStore as StreamStore
from ai_stream.state import StateStore as StateStore

__version__ = "0.1.0"

__all__ = (
    "AIStreamError",
    "AbortChunk",
    "AbortEvent",
    "ApprovalVerificationError",
    "CHUNK_TYPES",
    "ChatConflictError",
    "ChatError",
    "ChatNotFoundError",
    "ChatRequest",
    "ChatStore",
    "ChatStoreError",
    "ChatTurn",
    "ChunkParseError",
    "Citation",
    "ClientDisconnectedError",
    "ClientTarget",
    "CompletionRequest",
    "CustomChunk",
    "CustomUIPart",
    "DEFAULT_ERROR_TEXT",
    "DEFAULT_MAX_BODY_SIZE",
    "DataChunk",
    "DataEvent",
    "DataRecord",
    "DataUIPart",
    "DocumentCitationSource",
    "DynamicToolUIPart",
    "ErrorChunk",
    "ErrorEvent",
    "EventTooLargeError",
    "FileChunk",
    "FileEvent",
    "FileRecord",
    "FileUIPart",
    "FinishChunk",
    "FinishEvent",
    "FinishReason",
    "FinishStepChunk",
    "FinishStepEvent",
    "FollowStreamResponse",
    "JSONValue",
    "MemoryChatStore",
    "MemoryStreamStore",
    "MessageMetadataChunk",
    "MissingExtraError",
    "ObjectResult",
    "ObjectStreamContext",
    "ObjectValidationError",
    "PROTOCOL_FINISH_REASONS",
    "ProducerLostError",
    "ProviderError",
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
    "RequestParseError",
    "ResetStepChunk",
    "ResumableStreams",
    "SdkVersion",
    "SourceDocumentChunk",
    "SourceDocumentUIPart",
    "SourceRecord",
    "SourceUrlChunk",
    "SourceUrlEvent",
    "SourceUrlUIPart",
    "StartChunk",
    "StartEvent",
    "StartStepChunk",
    "StartStepEvent",
    "StateStore",
    "SteeringFilePart",
    "SteeringMessageChunk",
    "SteeringMessageUIPart",
    "SteeringTextPart",
    "StepStartUIPart",
    "StoredChat",
    "StreamClosedError",
    "StreamContext",
    "StreamRecord",
    "StreamStateError",
    "StreamStore",
    "StreamStoreError",
    "TextDeltaChunk",
    "TextDeltaEvent",
    "TextEndChunk",
    "TextEndEvent",
    "TextStartChunk",
    "TextStartEvent",
    "TextUIPart",
    "TooManyStreamsError",
    "ToolApproval",
    "ToolApprovalDecision",
    "ToolApprovalRequestChunk",
    "ToolApprovalResponseChunk",
    "ToolCallHandle",
    "ToolCallRecord",
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
    "ToolResult",
    "ToolUIPart",
    "UIMessage",
    "UIMessageChunk",
    "UIMessagePart",
    "UIMessageReducer",
    "UIMessageStreamError",
    "UIMessageStreamResponse",
    "UI_MESSAGE_STREAM_HEADERS",
    "UnknownUIPart",
    "UnsupportedByClientError",
    "UrlCitationSource",
    "WireModel",
    "begin_turn",
    "chat_routes",
    "encode_sse",
    "generate_id",
    "normalize_finish_reason",
    "parse_chunk",
    "request_error_response",
    "request_parse_error_handler",
    "resumable_response",
    "resume_response",
    "stop_response",
)
