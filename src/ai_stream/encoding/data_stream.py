r"""UI message chunks → the ai 4 "data stream" (``0:"text"\n`` lines), for ``sdk_version=4``.

Mirrors ``formatDataStreamPart`` of ``@ai-sdk/ui-utils`` 1.2.x (ai 4.3): one ``<code>:<JSON>``
line per part, no terminator, headers ``x-vercel-ai-data-stream: v1`` and
``content-type: text/plain; charset=utf-8``. The writers are the same as for ai 5+; each chunk
maps to the v4 part that carries the same information:

======================== ==========================================================
chunk                    v4 line
======================== ==========================================================
start-step               ``f:{"messageId"}``
text-delta               ``0:"…"``
reasoning-delta          ``g:"…"``; ``reasoning-end`` with an Anthropic signature
                         → ``j:{"signature"}``, redacted reasoning → ``i:{"data"}``
source-url               ``h:{"sourceType":"url","id","url","title"?}``
file (``data:`` URL)     ``k:{"data":<base64>,"mimeType"}``
data-<name>              ``2:[data]`` (v4 appends it to ``useChat``'s ``data``; name and id are
                         not part of the v4 protocol)
message metadata         ``8:[metadata]`` (a message annotation)
error                    ``3:"…"``
tool-input-start/delta   ``b:{toolCallId,toolName}`` / ``c:{toolCallId,argsTextDelta}``
tool-input-available     ``9:{toolCallId,toolName,args}``
tool-output-available    ``a:{toolCallId,result}``; ``tool-output-error`` → ``a:`` with
                         ``{"error": errorText}`` as the result
finish-step              ``e:{"finishReason","isContinued":false}``
finish                   ``d:{"finishReason","usage"?}`` (usage from ``metadata["usage"]``)
======================== ==========================================================

``text-start``/``-end``, ``reasoning-start`` and ``abort`` have no v4 line. Chunk types v4 cannot
express (approvals, source documents, ai 7 parts) are refused by the ai 4 target before encoding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from ai_stream.encoding.sse import encode_json, encode_json_string

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ("DATA_STREAM_HEADERS", "DataStreamEncoder")

DATA_STREAM_HEADERS: Final[dict[str, str]] = {
    "content-type": "text/plain; charset=utf-8",
    "x-vercel-ai-data-stream": "v1",
}
"""The response headers of an ai 4 data stream response."""


def _line(code: str, value: Any) -> bytes:
    return code.encode() + b":" + encode_json(value) + b"\n"


def _usage(metadata: Any) -> dict[str, Any] | None:
    usage = metadata.get("usage") if isinstance(metadata, dict) else None
    if not isinstance(usage, dict):
        return None
    prompt = usage.get("inputTokens", usage.get("promptTokens"))
    completion = usage.get("outputTokens", usage.get("completionTokens"))
    if not isinstance(prompt, int) or not isinstance(completion, int):
        return None
    return {"promptTokens": prompt, "completionTokens": completion}


class DataStreamEncoder:
    """The ai 4 data stream encoder; one instance per stream (it tracks the message and step)."""

    headers: Final = DATA_STREAM_HEADERS
    terminator: Final = b""

    def __init__(self) -> None:
        self._message_id = ""
        self._step_has_tool_calls = False

    def encode(self, chunk: Mapping[str, Any]) -> bytes:
        """Encode one chunk object as zero or more data stream lines."""
        kind: str = chunk["type"]
        if kind == "text-delta" or kind == "reasoning-delta":
            if not chunk["delta"]:
                return b""  # an empty v4 reasoning part would show an empty detail
            return (
                (b"0:" if kind == "text-delta" else b"g:")
                + encode_json_string(chunk["delta"])
                + b"\n"
            )
        if kind == "start":
            self._message_id = chunk.get("messageId", "")
            metadata = chunk.get("messageMetadata")
            return _line("8", [metadata]) if metadata is not None else b""
        if kind == "start-step":
            self._step_has_tool_calls = False
            return _line("f", {"messageId": self._message_id})
        if kind == "finish-step":
            reason = "tool-calls" if self._step_has_tool_calls else "stop"
            return _line("e", {"finishReason": reason, "isContinued": False})
        if kind == "finish":
            out = b""
            metadata = chunk.get("messageMetadata")
            if metadata is not None:
                out += _line("8", [metadata])
            finish: dict[str, Any] = {"finishReason": chunk.get("finishReason", "stop")}
            usage = _usage(metadata)
            if usage is not None:
                finish["usage"] = usage
            return out + _line("d", finish)
        if kind == "reasoning-end":
            anthropic = (chunk.get("providerMetadata") or {}).get("anthropic") or {}
            if isinstance(anthropic.get("redactedData"), str):
                return _line("i", {"data": anthropic["redactedData"]})
            if isinstance(anthropic.get("signature"), str):
                return _line("j", {"signature": anthropic["signature"]})
            return b""
        if kind == "message-metadata":
            return _line("8", [chunk["messageMetadata"]])
        if kind == "error":
            return b"3:" + encode_json_string(chunk["errorText"]) + b"\n"
        if kind == "source-url":
            source: dict[str, Any] = {
                "sourceType": "url",
                "id": chunk["sourceId"],
                "url": chunk["url"],
            }
            if chunk.get("title") is not None:
                source["title"] = chunk["title"]
            if chunk.get("providerMetadata") is not None:
                source["providerMetadata"] = chunk["providerMetadata"]
            return _line("h", source)
        if kind == "file":
            # the ai 4 target admits base64 data: URLs only (ClientTarget.check_file_url)
            data = chunk["url"].split(";base64,", 1)[-1]
            return _line("k", {"data": data, "mimeType": chunk["mediaType"]})
        if kind.startswith("data-"):
            return _line("2", [chunk["data"]])
        if kind == "tool-input-start":
            self._step_has_tool_calls = True
            return _line("b", {"toolCallId": chunk["toolCallId"], "toolName": chunk["toolName"]})
        if kind == "tool-input-delta":
            return _line(
                "c", {"toolCallId": chunk["toolCallId"], "argsTextDelta": chunk["inputTextDelta"]}
            )
        if kind == "tool-input-available":
            self._step_has_tool_calls = True
            args = chunk["input"] if isinstance(chunk["input"], dict) else {}
            call = {"toolCallId": chunk["toolCallId"], "toolName": chunk["toolName"], "args": args}
            return _line("9", call)
        if kind == "tool-output-available":
            if chunk.get("preliminary"):
                return b""  # v4 has one result per call
            return _line("a", {"toolCallId": chunk["toolCallId"], "result": chunk["output"]})
        if kind == "tool-output-error":
            result = {"error": chunk["errorText"]}
            return _line("a", {"toolCallId": chunk["toolCallId"], "result": result})
        return b""  # text-start/-end, reasoning-start, abort: no v4 line

    @staticmethod
    def delta_affixes(kind: str, part_id: str) -> tuple[bytes, bytes]:
        """Return the bytes around the JSON string of a text or reasoning delta."""
        return (b"0:" if kind == "text-delta" else b"g:"), b"\n"
