"""Rebuild the assistant ``UIMessage`` from UI message chunks, exactly as the ``ai`` client does.

A Python port of the client's ``processUIMessageStream`` and ``createStreamingUIMessageState``
(``packages/ai/src/ui/process-ui-message-stream.ts``), plus the helpers they use:
``parsePartialJson`` / ``fixJson`` (partial tool input) and ``mergeObjects`` (message metadata).
It covers ai 5, 6 and 7, release by release, and was checked against the real packages
(``tests/fixtures/reducer/cases.json`` holds the messages the real clients built).

Chunks are plain mappings with the wire's camelCase keys, e.g.
``{"type": "text-delta", "id": "t1", "delta": "Hi"}``; they are expected to be valid for the
release (:mod:`ai_stream.protocol` checks that). The message is JSON-shaped: a key the client
leaves ``undefined`` is absent, a key the client sets to ``null`` holds ``None``.

Two modes, matching the two ways the client consumes a stream:

* ``"read"`` is ``readUIMessageStream``: an ``error`` chunk is recorded and processing goes on;
  since ai 5.0.274 / 6.0.303 / 7.0.137 a ``start`` chunk with a *different* ``messageId``
  discards the message built so far (a new response).
* ``"chat"`` is ``useChat`` / ``AbstractChat`` sending a message: an ``error`` chunk stops
  processing (later chunks are ignored); a ``start`` with another ``messageId`` only renames.

Where the client throws (a delta for a part that was never started, an unknown tool call id, ...),
:meth:`UIMessageReducer.apply` raises :class:`~ai_stream.exceptions.UIMessageStreamError` with
the client's message, and the reducer stops like the client does.

Deliberate limits: data-part and metadata *schemas* (``dataPartSchemas``,
``messageMetadataSchema``) are not applied, ``onToolCall``/``onData`` callbacks do not exist, and
ids named after ``Object.prototype`` members (``"constructor"``, ``"__proto__"`` ...) behave like
any other id, as in the releases that use prototype-free id maps (5.0.198+, 6.0.200+, 7.x).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from ai_stream.exceptions import ChunkParseError, UIMessageStreamError
from ai_stream.protocol._js import (
    UNDEFINED,
    coalesce,
    js_concat,
    js_get,
    js_put,
    js_string,
    merge_metadata,
    merge_objects,
    nullish,
    truthy,
)
from ai_stream.protocol.messages import tool_part_name
from ai_stream.protocol.partial_json import fix_json, parse_partial_json, parse_with
from ai_stream.protocol.versions import ClientTarget, SdkVersion

__all__ = (
    "UIMessageReducer",
    "fix_json",
    "merge_objects",
    "parse_partial_json",
    "read_ui_message",
)

Mode = Literal["read", "chat"]


# ---------------------------------------------------------------------------------------------
# The reducer
# ---------------------------------------------------------------------------------------------


class _ParseLater:
    """The input of a tool part until its streamed text is parsed.

    The parse is deferred: only the last one before anything reads the part counts, and the
    client's parse never throws.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> _ParseLater:
        return self


_PARSE_LATER: Final = _ParseLater()


@dataclass(slots=True)
class _PartialToolCall:
    text: str
    tool_name: Any
    dynamic: Any
    input_encoding: Any = UNDEFINED
    title: Any = UNDEFINED
    tool_metadata: Any = UNDEFINED


def _is_dynamic_tool(part: Mapping[str, Any]) -> bool:
    return part.get("type") == "dynamic-tool"


def _is_any_tool(part: Mapping[str, Any]) -> bool:
    return tool_part_name(part) is not None


def _is_static_tool(part: Mapping[str, Any]) -> bool:
    return part.get("type") != "dynamic-tool" and tool_part_name(part) is not None


def _static_tool_name(part: Mapping[str, Any]) -> str:
    name = tool_part_name(part)
    assert name is not None
    return name


def _same(value: Any) -> Any:
    return value


class _Run:
    """Consecutive deltas of one text or reasoning part, the first ``joined`` already in it."""

    __slots__ = ("deltas", "joined", "part")

    def __init__(self, part: dict[str, Any], delta: str) -> None:
        self.part = part
        self.deltas = [delta]
        self.joined = 0


def _missing_part_error(chunk_type: str, kind: str, chunk_id: Any) -> UIMessageStreamError:
    start = chunk_type.rsplit("-", 1)[0] + "-start"
    noun = "tool call" if kind == "tool" else f"{kind} part"
    return UIMessageStreamError(
        f'Received {chunk_type} for missing {noun} with ID "{js_string(chunk_id)}". '
        f'Ensure a "{start}" chunk is sent before any "{chunk_type}" chunks.',
        chunk_type=chunk_type,
        chunk_id=js_string(chunk_id),
    )


def _required(chunk: Mapping[str, Any], key: str) -> Any:
    if key not in chunk:
        raise ChunkParseError(
            f"A {chunk.get('type')!r} chunk lacks its required field {key!r}; "
            "the client would reject it."
        )
    return chunk[key]


def _required_str(chunk: Mapping[str, Any], key: str) -> str:
    value = _required(chunk, key)
    if not isinstance(value, str):
        raise ChunkParseError(
            f"The field {key!r} of a {chunk.get('type')!r} chunk must be a string; "
            "the client would reject it."
        )
    return value


_OUTPUT_STATES: Final = frozenset({"output-available", "output-error"})


class UIMessageReducer:
    """Applies UI message chunks to an assistant message, like the ``ai`` client.

    Example::

        reducer = UIMessageReducer(sdk_version=6)
        for chunk in chunks:
            reducer.apply(chunk)
        reducer.message  # {"id": ..., "role": "assistant", "parts": [...]}

    Args:
        sdk_version: The client: a major (``5``, ``6``, ``7``: its latest release) or an exact
            release (``"6.0.0"``); see :class:`~ai_stream.protocol.ClientTarget`.
        message: The last message of the conversation, to continue; like
            ``createStreamingUIMessageState``, only an assistant message is continued. It is
            deep-copied.
        message_id: The id of a new message.
        mode: ``"read"`` (``readUIMessageStream``) or ``"chat"`` (``useChat`` sending a message);
            see the module docstring.
    """

    def __init__(
        self,
        sdk_version: SdkVersion | ClientTarget = 6,
        *,
        message: Mapping[str, Any] | None = None,
        message_id: str = "",
        mode: Mode = "read",
        owned: bool = False,
    ) -> None:
        if mode not in ("read", "chat"):
            raise ValueError(f"mode must be 'read' or 'chat', not {mode!r}.")
        self._b = ClientTarget.parse(sdk_version).behaviour
        # Values of chunks the caller hands over for good need no defensive copies.
        self._copy: Callable[[Any], Any] = _same if owned else copy.deepcopy
        self._mode: Mode = mode
        self._errors: list[str] = []
        self._stopped = False
        self._finish_reason: str | None = None
        self._writes = 0  # publications so far
        self._pending_step_starts = 0
        # The chat's last message id: the first publication of a message with another id pushes
        # it (the chat then holds the very object); one with the same id replaces it by a copy.
        self._continued_id: object = UNDEFINED
        self._pushed = False
        self._active_text: dict[str, dict[str, Any]] = {}
        self._active_reasoning: dict[str, dict[str, Any]] = {}
        self._partial: dict[str, _PartialToolCall] = {}
        # Tool parts whose input is the partial parse of a streamed text, parsed when it can be
        # seen: by any chunk other than another tool-input-delta, or by a read of the message.
        self._unparsed: dict[str, tuple[dict[str, Any], str]] = {}
        # Deltas not yet joined into their part's text, so that long streams stay linear: runs of
        # consecutive deltas of one part, each [part, deltas, how many are joined already].
        self._runs: list[_Run] = []
        self._run: _Run | None = None
        # Indexes over the parts, so that lookups stay O(1) however long the message grows.
        self._step_start = 0
        self._tool_parts: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self._data_parts: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        self._approval_parts: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        if message is not None and message.get("role") == "assistant":
            self._message: dict[str, Any] = copy.deepcopy(dict(message))
            if not isinstance(self._message.get("parts"), list):
                raise ValueError("The message to continue needs a 'parts' list.")
            self._continued_id = self._message.get("id")
            self._index_parts()
            if self._b.partial_input_hydration:
                self._hydrate_partial_tool_calls()
        else:
            self._message = {"id": message_id, "role": "assistant", "parts": []}

    # -- public state -------------------------------------------------------------------------

    @property
    def message(self) -> dict[str, Any]:
        """The message as processed so far (a deep copy; what ``onFinish`` receives)."""
        self._join_pieces()
        self._parse_inputs()
        return copy.deepcopy(self._message)

    def _join_pieces(self) -> None:
        for run in self._runs:
            deltas = run.deltas
            if run.joined < len(deltas):
                part = run.part
                part["text"] = js_concat(part["text"], "".join(deltas[run.joined :]))
                run.joined = len(deltas)
        self._runs = [self._run] if self._run is not None else []

    def _append_delta(self, part: dict[str, Any], chunk: Mapping[str, Any]) -> None:
        delta = _required_str(chunk, "delta")
        run = self._run
        if run is not None and run.part is part and "providerMetadata" not in chunk:
            run.deltas.append(delta)
        else:
            self._run = run = _Run(part, delta)
            self._runs.append(run)
        if "providerMetadata" in chunk:  # a run holds plain deltas only
            self._run = None
            self._keep_provider_metadata(part, chunk)
        self._write()

    def delta_run(self, chunk: Mapping[str, Any]) -> list[str]:
        """Apply a ``text-delta``/``reasoning-delta`` chunk; return its run's list of deltas.

        Later deltas of the same part, up to the next chunk of any other kind, may be appended to
        the returned list directly instead of being applied one by one (the writers' fast path).
        The list must only ever be appended to.

        Raises:
            UIMessageStreamError: The part is not open.
        """
        self.apply(chunk)
        run = self._run
        return [] if run is None else run.deltas  # none once stopped: later deltas are ignored

    @property
    def snapshot(self) -> dict[str, Any] | None:
        """The last message the client published, or ``None`` if none was published yet.

        ``readUIMessageStream`` yielded it (a copy made at the time). It differs from
        :attr:`message` only by trailing ``step-start`` parts: ``start-step`` is the one chunk that
        changes the message without publishing it.
        """
        return self._published(keep_pending=False) if self._writes else None

    @property
    def shown(self) -> dict[str, Any]:
        """The message ``useChat`` holds after these chunks (a copy).

        The chat stores the message object itself at its first publication (``pushMessage``)
        and a copy at each later one (``replaceMessage``), so a trailing ``step-start`` shows
        while the message was published once, and not after later publications. A continued
        message is replaced from the first publication on. Before any publication: the message
        without its ``step-start`` parts so far.
        """
        return self._published(keep_pending=self._pushed and self._writes == 1)

    def _published(self, *, keep_pending: bool) -> dict[str, Any]:
        self._join_pieces()
        self._parse_inputs()
        message = copy.deepcopy(self._message)
        if self._pending_step_starts and not keep_pending:
            del message["parts"][-self._pending_step_starts :]
        return message

    @property
    def finish_reason(self) -> str | None:
        """The ``finishReason`` of the ``finish`` chunk (ai 5 before 5.0.92 ignores it)."""
        return self._finish_reason

    @property
    def errors(self) -> list[str]:
        """The ``errorText`` of each ``error`` chunk applied."""
        return list(self._errors)

    @property
    def stopped(self) -> bool:
        """Processing has stopped: an ``error`` chunk in chat mode, or a chunk the client refuses.

        Later chunks are ignored, as by the client.
        """
        return self._stopped

    # -- applying chunks ----------------------------------------------------------------------

    def apply(self, chunk: Mapping[str, Any]) -> None:
        """Apply one chunk to the message.

        Args:
            chunk: A UI message chunk with the wire's camelCase keys.

        Raises:
            UIMessageStreamError: The client would throw on this chunk (e.g. a ``text-delta``
                without ``text-start``, an unknown ``toolCallId``). The reducer stops.
            ChunkParseError: The chunk lacks a field that processing needs.
        """
        if self._stopped:
            return
        if not isinstance(chunk, Mapping) or not isinstance(chunk.get("type"), str):
            raise ChunkParseError("A UI message chunk must be a mapping with a string 'type'.")
        try:
            self._apply(chunk)
        except UIMessageStreamError:
            self._stopped = True
            raise

    def _write(self) -> None:
        self._pending_step_starts = 0
        if self._writes == 0:
            self._pushed = self._message.get("id") != self._continued_id
        self._writes += 1

    def _apply(self, chunk: Mapping[str, Any]) -> None:
        b = self._b
        kind: str = chunk["type"]
        if kind != "text-delta" and kind != "reasoning-delta":
            self._run = None
            if self._runs:
                self._join_pieces()
        if self._unparsed and kind != "tool-input-delta":
            self._parse_inputs()
        if kind == "text-start":
            self._text_start(chunk)
        elif kind == "text-delta":
            self._text_delta(chunk)
        elif kind == "text-end":
            self._text_end(chunk)
        elif kind == "reasoning-start":
            self._reasoning_start(chunk)
        elif kind == "reasoning-delta":
            self._reasoning_delta(chunk)
        elif kind == "reasoning-end":
            self._reasoning_end(chunk)
        elif kind == "file" or (kind == "reasoning-file" and b.v7_parts):
            self._file(chunk)
        elif kind == "custom" and b.v7_parts:
            part: dict[str, Any] = {"type": "custom", "kind": _required(chunk, "kind")}
            js_put(part, "providerMetadata", self._copy(js_get(chunk, "providerMetadata")))
            self._push(part)
        elif kind == "source-url":
            part = {
                "type": "source-url",
                "sourceId": _required(chunk, "sourceId"),
                "url": _required(chunk, "url"),
            }
            js_put(part, "title", js_get(chunk, "title"))
            js_put(part, "providerMetadata", self._copy(js_get(chunk, "providerMetadata")))
            self._push(part)
        elif kind == "source-document":
            part = {
                "type": "source-document",
                "sourceId": _required(chunk, "sourceId"),
                "mediaType": _required(chunk, "mediaType"),
            }
            js_put(part, "title", js_get(chunk, "title"))
            js_put(part, "filename", js_get(chunk, "filename"))
            js_put(part, "providerMetadata", self._copy(js_get(chunk, "providerMetadata")))
            self._push(part)
        elif kind == "tool-input-start":
            self._tool_input_start(chunk)
        elif kind == "tool-input-delta":
            self._tool_input_delta(chunk)
        elif kind == "tool-input-available":
            self._tool_input_available(chunk)
        elif kind == "tool-input-error" and b.input_error:
            self._tool_input_error(chunk)
        elif kind == "tool-approval-request" and b.major >= 6:
            self._tool_approval_request(chunk)
        elif kind == "tool-approval-response" and b.v7_parts:
            self._tool_approval_response(chunk)
        elif kind == "tool-output-denied" and b.major >= 6:
            invocation = self._tool_invocation(_required(chunk, "toolCallId"))
            invocation["state"] = "output-denied"
            self._write()
        elif kind == "tool-output-available":
            self._tool_output(chunk, "output-available")
        elif kind == "tool-output-error":
            self._tool_output(chunk, "output-error")
        elif kind == "steering-message" and b.steering_message:
            self._push(
                {
                    "type": "steering-message",
                    "id": _required(chunk, "id"),
                    "parts": self._copy(_required(chunk, "parts")),
                }
            )
        elif kind == "start-step":
            self._push_part({"type": "step-start"})
            self._pending_step_starts += 1
        elif kind == "finish-step":
            if not b.finish_step_keeps_parts:
                self._active_text = {}
                self._active_reasoning = {}
        elif kind == "reset-step" and b.reset_step:
            self._reset_step()
        elif kind == "start":
            self._start(chunk)
        elif kind == "finish":
            reason = js_get(chunk, "finishReason")
            if b.finish_reason and not nullish(reason):
                self._finish_reason = reason
            self._update_metadata(js_get(chunk, "messageMetadata"))
        elif kind == "message-metadata":
            self._update_metadata(js_get(chunk, "messageMetadata"))
        elif kind == "error":
            self._errors.append(js_string(js_get(chunk, "errorText")))
            if self._mode == "chat":
                self._stopped = True
        elif kind.startswith("data-"):
            self._data(chunk)
        # anything else (abort, or a type this release does not know) changes nothing

    # -- parts --------------------------------------------------------------------------------

    def _push(self, part: dict[str, Any]) -> None:
        self._push_part(part)
        self._write()

    def _text_start(self, chunk: Mapping[str, Any]) -> None:
        part: dict[str, Any] = {"type": "text", "text": ""}
        js_put(part, "providerMetadata", self._copy(js_get(chunk, "providerMetadata")))
        part["state"] = "streaming"
        self._active_text[js_string(_required(chunk, "id"))] = part
        self._push(part)

    def _text_delta(self, chunk: Mapping[str, Any]) -> None:
        part = self._active_text.get(js_string(_required(chunk, "id")))
        if part is None:
            raise _missing_part_error("text-delta", "text", chunk["id"])
        self._append_delta(part, chunk)

    def _text_end(self, chunk: Mapping[str, Any]) -> None:
        key = js_string(_required(chunk, "id"))
        part = self._active_text.get(key)
        if part is None:
            raise _missing_part_error("text-end", "text", chunk["id"])
        part["state"] = "done"
        citations = js_get(chunk, "citations")
        if self._b.citations and not nullish(citations):
            part["citations"] = self._copy(citations)
        self._keep_provider_metadata(part, chunk)
        del self._active_text[key]
        self._write()

    def _reasoning_start(self, chunk: Mapping[str, Any]) -> None:
        part: dict[str, Any] = {"type": "reasoning"}
        if self._b.reasoning_id:
            part["id"] = _required(chunk, "id")
        part["text"] = ""
        js_put(part, "providerMetadata", self._copy(js_get(chunk, "providerMetadata")))
        part["state"] = "streaming"
        self._active_reasoning[js_string(_required(chunk, "id"))] = part
        self._push(part)

    def _reasoning_delta(self, chunk: Mapping[str, Any]) -> None:
        part = self._active_reasoning.get(js_string(_required(chunk, "id")))
        if part is None:
            raise _missing_part_error("reasoning-delta", "reasoning", chunk["id"])
        self._append_delta(part, chunk)

    def _reasoning_end(self, chunk: Mapping[str, Any]) -> None:
        key = js_string(_required(chunk, "id"))
        part = self._active_reasoning.get(key)
        if part is None:
            raise _missing_part_error("reasoning-end", "reasoning", chunk["id"])
        self._keep_provider_metadata(part, chunk)
        part["state"] = "done"
        del self._active_reasoning[key]
        self._write()

    def _keep_provider_metadata(self, part: dict[str, Any], chunk: Mapping[str, Any]) -> None:
        value = coalesce(js_get(chunk, "providerMetadata"), js_get(part, "providerMetadata"))
        js_put(part, "providerMetadata", self._copy(value))

    def _file(self, chunk: Mapping[str, Any]) -> None:
        part: dict[str, Any] = {
            "type": chunk["type"],
            "mediaType": _required(chunk, "mediaType"),
            "url": _required(chunk, "url"),
        }
        metadata = js_get(chunk, "providerMetadata")
        if self._b.file_provider_metadata and not nullish(metadata):
            part["providerMetadata"] = self._copy(metadata)
        self._push(part)

    def _data(self, chunk: Mapping[str, Any]) -> None:
        if truthy(js_get(chunk, "transient")):
            return
        data_id = js_get(chunk, "id")
        found = self._data_parts.get((chunk["type"], data_id)) if isinstance(data_id, str) else None
        if found is not None:
            js_put(found[1], "data", self._copy(js_get(chunk, "data")))
            self._write()
        else:
            self._push(self._copy(dict(chunk)))

    # -- steps, start, metadata ---------------------------------------------------------------

    def _index_parts(self) -> None:
        """Index the parts of a continued message (every later part goes through ``_push``)."""
        parts: list[Any] = self._message["parts"]
        self._message["parts"] = []
        for part in parts:
            self._push_part(part)

    def _push_part(self, part: Any) -> None:
        """Append a part to the message and to the indexes."""
        parts: list[Any] = self._message["parts"]
        position = len(parts)
        parts.append(part)
        if not isinstance(part, dict):
            return
        kind = part.get("type")
        if kind == "step-start":
            self._step_start = position + 1
        elif tool_part_name(part) is not None:
            tool_call_id = part.get("toolCallId")
            if isinstance(tool_call_id, str):
                self._tool_parts.setdefault(tool_call_id, []).append((position, part))
            self._index_approval(position, part)
        elif isinstance(kind, str) and kind.startswith("data-"):
            data_id = part.get("id")
            if isinstance(data_id, str):
                self._data_parts.setdefault((kind, data_id), (position, part))

    def _index_approval(self, position: int, part: dict[str, Any]) -> None:
        approval = part.get("approval")
        if isinstance(approval, dict) and isinstance(approval.get("id"), str):
            entries = self._approval_parts.setdefault(approval["id"], [])
            if (position, part) not in entries:
                entries.append((position, part))
                entries.sort(key=lambda entry: entry[0])

    def _position(self, part: dict[str, Any]) -> int:
        """Where a tool part sits in the message (it is in the index)."""
        for position, indexed in self._tool_parts.get(part.get("toolCallId"), ()):  # type: ignore[arg-type]
            if indexed is part:
                return position
        raise AssertionError("unindexed tool part")  # pragma: no cover

    def _truncate(self, start: int) -> None:
        """Delete the parts from ``start`` on (``reset-step``), and their index entries."""
        del self._message["parts"][start:]
        for index in (self._tool_parts, self._approval_parts):
            for key in list(index):
                kept = [entry for entry in index[key] if entry[0] < start]
                if kept:
                    index[key] = kept
                else:
                    del index[key]
        for data_key, entry in list(self._data_parts.items()):
            if entry[0] >= start:
                del self._data_parts[data_key]

    def _reset_step(self) -> None:
        start = self._step_start
        self._active_text = {}
        self._active_reasoning = {}
        self._partial = {}
        if start < len(self._message["parts"]):
            self._truncate(start)
            self._write()

    def _start(self, chunk: Mapping[str, Any]) -> None:
        message_id = js_get(chunk, "messageId")
        reset = (
            self._mode == "read"
            and self._b.read_reset
            and not nullish(message_id)
            and message_id != self._message.get("id")
        )
        if reset:
            self._message = {"id": message_id, "role": "assistant", "parts": []}
            self._step_start = 0
            self._tool_parts = {}
            self._data_parts = {}
            self._approval_parts = {}
            self._active_text = {}
            self._active_reasoning = {}
            self._partial = {}
            self._finish_reason = None
            self._pending_step_starts = 0
        if not nullish(message_id):
            self._message["id"] = message_id
        metadata = js_get(chunk, "messageMetadata")
        self._update_metadata(metadata, write=False)
        if reset or not nullish(message_id) or not nullish(metadata):
            self._write()

    def _update_metadata(self, metadata: Any, *, write: bool = True) -> None:
        if nullish(metadata):
            return
        current = js_get(self._message, "metadata")
        merged = (
            merge_metadata(  # merges into ``current`` in place: it never shares a chunk's value
                current,
                copy.deepcopy(metadata),
                skip_proto_keys=self._b.merge_skips_proto_keys,
            )
            if not nullish(current)
            else copy.deepcopy(metadata)
        )
        self._message["metadata"] = merged
        if write:
            self._write()

    # -- tools --------------------------------------------------------------------------------

    def _hydrate_partial_tool_calls(self) -> None:
        """Let the input-streaming tool parts of a continued message take further deltas.

        As ``createStreamingUIMessageState`` does, for the current step of the message only.
        """
        b = self._b
        for part in self._message["parts"][self._step_start :]:
            if not isinstance(part, dict) or not _is_any_tool(part):
                continue
            if part.get("state") != "input-streaming":
                continue
            dynamic = _is_dynamic_tool(part)
            raw = coalesce(js_get(part, "rawInput"), "")
            partial = _PartialToolCall(
                text=raw if isinstance(raw, str) else js_string(raw),
                tool_name=js_get(part, "toolName") if dynamic else _static_tool_name(part),
                dynamic=dynamic,
            )
            if b.input_encoding:
                partial.input_encoding = js_get(part, "inputEncoding")
            if b.title:
                partial.title = js_get(part, "title")
            if b.tool_metadata:
                partial.tool_metadata = js_get(part, "toolMetadata")
            self._partial[js_string(js_get(part, "toolCallId"))] = partial

    def _find_tool(self, tool_call_id: Any, *, dynamic_only: bool = False) -> dict[str, Any] | None:
        """``getToolInvocation`` without the error.

        ai 5 looks only at static parts (or only at dynamic ones, for chunks flagged ``dynamic``);
        ai 6/7 at both.
        """
        b = self._b
        if dynamic_only:
            matches = _is_dynamic_tool
        elif b.major == 5:
            matches = _is_static_tool
        else:
            matches = _is_any_tool
        if not isinstance(tool_call_id, str):
            return None
        entries = self._tool_parts.get(tool_call_id, ())
        if not b.step_lookup:
            return next((p for _, p in entries if matches(p)), None)
        start = self._step_start
        found = next((p for i, p in entries if i >= start and matches(p)), None)
        if found is None:
            found = next((p for _, p in reversed(entries) if matches(p)), None)
        return found

    def _tool_invocation(self, tool_call_id: Any, *, dynamic_only: bool = False) -> dict[str, Any]:
        part = self._find_tool(tool_call_id, dynamic_only=dynamic_only)
        if part is None:
            text = js_string(tool_call_id)
            raise UIMessageStreamError(
                self._b.tool_invocation_error.format(id=text),
                chunk_type="tool-invocation",
                chunk_id=text,
            )
        return part

    def _first_in_scope(
        self, kind: Callable[[Mapping[str, Any]], bool], tool_call_id: Any
    ) -> dict[str, Any] | None:
        """The first tool part of this kind and call id in the current step.

        In releases without step lookup: in the whole message.
        """
        if not isinstance(tool_call_id, str):
            return None
        start = self._step_start if self._b.step_lookup else 0
        entries = self._tool_parts.get(tool_call_id, ())
        return next((p for i, p in entries if i >= start and kind(p)), None)

    def _set_provider_metadata(self, part: dict[str, Any], options: Mapping[str, Any]) -> None:
        metadata = js_get(options, "providerMetadata")
        if nullish(metadata):
            return
        if self._b.result_provider_metadata:
            key = (
                "resultProviderMetadata"
                if options["state"] in _OUTPUT_STATES
                else "callProviderMetadata"
            )
            part[key] = self._copy(metadata)
        elif part.get("state") == "input-available":
            part["callProviderMetadata"] = self._copy(metadata)

    def _new_provider_metadata(self, part: dict[str, Any], options: Mapping[str, Any]) -> None:
        metadata = js_get(options, "providerMetadata")
        if nullish(metadata):
            return
        key = "callProviderMetadata"
        if self._b.result_provider_metadata and options["state"] in _OUTPUT_STATES:
            key = "resultProviderMetadata"
        part[key] = self._copy(metadata)

    def _update_common(self, part: dict[str, Any], options: Mapping[str, Any]) -> None:
        """The assignments ``updateToolPart`` and ``updateDynamicToolPart`` share."""
        js_put(part, "input", self._copy(js_get(options, "input")))
        js_put(part, "output", self._copy(js_get(options, "output")))
        js_put(part, "errorText", js_get(options, "errorText"))

    def _update_tail(
        self, part: dict[str, Any], options: Mapping[str, Any], *, provider_executed: bool
    ) -> None:
        b = self._b
        if b.input_encoding:
            encoding = js_get(options, "inputEncoding")
            if not nullish(encoding):
                part["inputEncoding"] = encoding
            else:
                part.pop("inputEncoding", None)
        if b.preliminary:
            js_put(part, "preliminary", js_get(options, "preliminary"))
        if b.title and js_get(options, "title") is not UNDEFINED:
            part["title"] = options["title"]
        if b.tool_metadata and js_get(options, "toolMetadata") is not UNDEFINED:
            part["toolMetadata"] = self._copy(options["toolMetadata"])
        if provider_executed:
            js_put(
                part,
                "providerExecuted",
                coalesce(js_get(options, "providerExecuted"), js_get(part, "providerExecuted")),
            )
        self._set_provider_metadata(part, options)

    def _find_in_step(
        self, kind: Callable[[Mapping[str, Any]], bool], tool_call_id: Any
    ) -> dict[str, Any] | None:
        """The tool part of the current step with this call id and kind, if any."""
        return self._first_in_scope(kind, tool_call_id)

    def _update_tool_part(
        self, options: Mapping[str, Any], existing: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """``updateToolPart``: create or update the static part ``tool-<toolName>``."""
        b = self._b
        part = (
            existing
            if existing is not None
            else self._find_in_step(_is_static_tool, options["toolCallId"])
        )
        if part is not None:
            part["state"] = options["state"]
            if b.rename_tool_type:
                part["type"] = f"tool-{js_string(options['toolName'])}"
            self._update_common(part, options)
            if b.input_error:
                js_put(part, "rawInput", self._copy(js_get(options, "rawInput")))
            self._update_tail(part, options, provider_executed=True)
            return part
        new: dict[str, Any] = {
            "type": f"tool-{js_string(options['toolName'])}",
            "toolCallId": options["toolCallId"],
            "state": options["state"],
        }
        self._new_common(new, options)
        if b.input_error:
            js_put(new, "rawInput", self._copy(js_get(options, "rawInput")))
        js_put(new, "providerExecuted", js_get(options, "providerExecuted"))
        self._new_provider_metadata(new, options)
        self._push_part(new)
        return new

    def _update_dynamic_tool_part(
        self, options: Mapping[str, Any], existing: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """``updateDynamicToolPart``: create or update a ``dynamic-tool`` part."""
        b = self._b
        part = (
            existing
            if existing is not None
            else self._find_in_step(_is_dynamic_tool, options["toolCallId"])
        )
        if part is not None:
            part["state"] = options["state"]
            js_put(part, "toolName", options["toolName"])
            self._update_common(part, options)
            raw_input = js_get(options, "rawInput")
            if b.partial_input_hydration:
                js_put(part, "rawInput", raw_input)
            elif not nullish(raw_input):
                part["rawInput"] = raw_input
            self._update_tail(part, options, provider_executed=b.dynamic_provider_executed)
            return part
        new: dict[str, Any] = {"type": "dynamic-tool"}
        js_put(new, "toolName", options["toolName"])
        new["toolCallId"] = options["toolCallId"]
        new["state"] = options["state"]
        self._new_common(new, options)
        if b.dynamic_provider_executed:
            js_put(new, "providerExecuted", js_get(options, "providerExecuted"))
        self._new_provider_metadata(new, options)
        self._push_part(new)
        return new

    def _new_common(self, new: dict[str, Any], options: Mapping[str, Any]) -> None:
        b = self._b
        if b.title:
            js_put(new, "title", js_get(options, "title"))
        if b.tool_metadata and js_get(options, "toolMetadata") is not UNDEFINED:
            new["toolMetadata"] = self._copy(options["toolMetadata"])
        js_put(new, "input", self._copy(js_get(options, "input")))
        if b.input_encoding and not nullish(js_get(options, "inputEncoding")):
            new["inputEncoding"] = options["inputEncoding"]
        js_put(new, "output", self._copy(js_get(options, "output")))
        js_put(new, "errorText", js_get(options, "errorText"))
        if b.preliminary:
            js_put(new, "preliminary", js_get(options, "preliminary"))

    def _update_either(self, dynamic: bool, options: Mapping[str, Any]) -> dict[str, Any]:
        if dynamic:
            return self._update_dynamic_tool_part(options)
        return self._update_tool_part(options)

    def _tool_input_start(self, chunk: Mapping[str, Any]) -> None:
        b = self._b
        tool_call_id = _required(chunk, "toolCallId")
        tool_name = _required(chunk, "toolName")
        partial = _PartialToolCall(text="", tool_name=tool_name, dynamic=js_get(chunk, "dynamic"))
        options: dict[str, Any] = {
            "toolCallId": tool_call_id,
            "toolName": tool_name,
            "state": "input-streaming",
            "providerExecuted": js_get(chunk, "providerExecuted"),
        }
        if b.input_encoding:
            partial.input_encoding = options["inputEncoding"] = js_get(chunk, "inputEncoding")
        if b.title:
            partial.title = options["title"] = js_get(chunk, "title")
        if b.tool_metadata:
            partial.tool_metadata = options["toolMetadata"] = js_get(chunk, "toolMetadata")
        if b.input_start_provider_metadata:
            options["providerMetadata"] = js_get(chunk, "providerMetadata")
        self._partial[js_string(tool_call_id)] = partial
        self._update_either(truthy(partial.dynamic), options)
        self._write()

    def _tool_input_delta(self, chunk: Mapping[str, Any]) -> None:
        b = self._b
        tool_call_id = _required(chunk, "toolCallId")
        partial = self._partial.get(js_string(tool_call_id))
        if partial is None:
            raise _missing_part_error("tool-input-delta", "tool", tool_call_id)
        partial.text += _required_str(chunk, "inputTextDelta")
        text_input = b.input_encoding and partial.input_encoding == "text"
        options: dict[str, Any] = {
            "toolCallId": tool_call_id,
            "toolName": partial.tool_name,
            "state": "input-streaming",
            "input": partial.text if text_input else _PARSE_LATER,
        }
        if b.input_encoding:
            options["inputEncoding"] = partial.input_encoding
        if b.partial_input_hydration:
            options["rawInput"] = partial.text
        if b.title:
            options["title"] = partial.title
        if b.tool_metadata:
            options["toolMetadata"] = partial.tool_metadata
        part = self._update_either(truthy(partial.dynamic), options)
        if not text_input:
            self._unparsed[js_string(tool_call_id)] = (part, partial.text)
        self._write()

    def _parse_inputs(self) -> None:
        """Parse the streamed inputs still waiting (see ``_PARSE_LATER``)."""
        for part, text in self._unparsed.values():
            if part.get("input") is _PARSE_LATER:
                js_put(part, "input", parse_with(text, self._b).value)
        self._unparsed.clear()

    def _tool_input_available(self, chunk: Mapping[str, Any]) -> None:
        b = self._b
        options: dict[str, Any] = {
            "toolCallId": _required(chunk, "toolCallId"),
            "toolName": _required(chunk, "toolName"),
            "state": "input-available",
            "input": _required(chunk, "input"),
            "providerExecuted": js_get(chunk, "providerExecuted"),
            "providerMetadata": js_get(chunk, "providerMetadata"),
        }
        if b.title:
            options["title"] = js_get(chunk, "title")
        if b.tool_metadata:
            options["toolMetadata"] = js_get(chunk, "toolMetadata")
        self._update_either(truthy(js_get(chunk, "dynamic")), options)
        self._write()

    def _tool_input_error(self, chunk: Mapping[str, Any]) -> None:
        b = self._b
        tool_call_id = _required(chunk, "toolCallId")
        dynamic = truthy(js_get(chunk, "dynamic"))
        if b.input_error_existing_type:
            existing = self._first_in_scope(_is_any_tool, tool_call_id)
            if existing is not None:
                dynamic = _is_dynamic_tool(existing)
        bad_input = _required(chunk, "input")
        options: dict[str, Any] = {
            "toolCallId": tool_call_id,
            "toolName": _required(chunk, "toolName"),
            "state": "output-error",
            "errorText": _required(chunk, "errorText"),
            "providerExecuted": js_get(chunk, "providerExecuted"),
            "providerMetadata": js_get(chunk, "providerMetadata"),
        }
        if b.tool_metadata:
            options["toolMetadata"] = js_get(chunk, "toolMetadata")
        if dynamic or b.input_error_in_input:
            options["input"] = bad_input
        else:
            options["rawInput"] = bad_input
        self._update_either(dynamic, options)
        self._write()

    def _tool_output(self, chunk: Mapping[str, Any], state: str) -> None:
        b = self._b
        tool_call_id = _required(chunk, "toolCallId")
        if b.major == 5:
            dynamic = truthy(js_get(chunk, "dynamic"))
            invocation = self._tool_invocation(tool_call_id, dynamic_only=dynamic)
        else:
            invocation = self._tool_invocation(tool_call_id)
            dynamic = _is_dynamic_tool(invocation)
        options: dict[str, Any] = {
            "toolCallId": tool_call_id,
            "toolName": js_get(invocation, "toolName")
            if dynamic
            else _static_tool_name(invocation),
            "state": state,
            "input": js_get(invocation, "input"),
        }
        if state == "output-available":
            options["output"] = _required(chunk, "output")
            options["preliminary"] = js_get(chunk, "preliminary")
        else:
            options["errorText"] = _required(chunk, "errorText")
            if not dynamic:
                options["rawInput"] = js_get(invocation, "rawInput")
        # ai 5 passes no providerExecuted for dynamic output-available, and none for any
        # tool-output-error before 5.0.86
        if not (b.major == 5 and dynamic and state == "output-available") and (
            b.dynamic_provider_executed or state == "output-available"
        ):
            options["providerExecuted"] = js_get(chunk, "providerExecuted")
        if b.result_provider_metadata:
            options["providerMetadata"] = js_get(chunk, "providerMetadata")
        if b.title:
            options["title"] = js_get(invocation, "title")
        if b.tool_metadata:
            own = js_get(invocation, "toolMetadata")
            options["toolMetadata"] = (
                coalesce(js_get(chunk, "toolMetadata"), own) if b.output_tool_metadata else own
            )
        if dynamic:
            self._update_dynamic_tool_part(options, invocation)
        else:
            self._update_tool_part(options, invocation)
        self._write()

    def _tool_approval_request(self, chunk: Mapping[str, Any]) -> None:
        b = self._b
        approval: dict[str, Any] = {"id": _required(chunk, "approvalId")}
        invocation = self._tool_invocation(_required(chunk, "toolCallId"))
        invocation["state"] = "approval-requested"
        descriptor = js_get(chunk, "approvalDescriptor")
        if b.approval_descriptor and not nullish(descriptor):
            approval["descriptor"] = self._copy(descriptor)
        if b.approval_input_schema_input and "inputSchemaInput" in chunk:
            approval["inputSchemaInput"] = self._copy(chunk["inputSchemaInput"])
        reason = js_get(chunk, "reason")
        if b.approval_request_reason and not nullish(reason):
            approval["requestReason"] = reason
        if b.v7_parts and js_get(chunk, "isAutomatic") is True:
            approval["isAutomatic"] = True
        signature = js_get(chunk, "signature")
        if b.approval_signature and not nullish(signature):
            approval["signature"] = signature
        invocation["approval"] = approval
        self._index_approval(self._position(invocation), invocation)
        self._write()

    def _tool_approval_response(self, chunk: Mapping[str, Any]) -> None:
        b = self._b
        approval_id = _required(chunk, "approvalId")
        invocation = next(
            (
                p
                for _, p in (
                    self._approval_parts.get(approval_id, ())
                    if isinstance(approval_id, str)
                    else ()
                )
                if isinstance(p.get("approval"), dict)
                and p["approval"].get("id", UNDEFINED) == approval_id
            ),
            None,
        )
        if invocation is None:
            text = js_string(approval_id)
            raise UIMessageStreamError(
                f'No tool invocation found for approval ID "{text}".',
                chunk_type="tool-approval-response",
                chunk_id=text,
            )
        previous: dict[str, Any] = invocation["approval"]
        invocation["state"] = "approval-responded"
        reason = js_get(chunk, "reason")
        approval: dict[str, Any]
        if b.approval_response_spread:
            approval = dict(previous)
            approval["id"] = approval_id
            js_put(approval, "approved", js_get(chunk, "approved"))
            if not nullish(reason):
                approval["reason"] = reason
        else:
            approval = {"id": approval_id}
            js_put(approval, "approved", js_get(chunk, "approved"))
            if b.approval_request_reason and not nullish(js_get(previous, "requestReason")):
                approval["requestReason"] = previous["requestReason"]
            if not nullish(reason):
                approval["reason"] = reason
            if previous.get("isAutomatic") is True:
                approval["isAutomatic"] = True
            if b.approval_response_signature and not nullish(js_get(previous, "signature")):
                approval["signature"] = previous["signature"]
        invocation["approval"] = approval
        provider_executed = js_get(chunk, "providerExecuted")
        if not nullish(provider_executed):
            invocation["providerExecuted"] = provider_executed
        metadata = js_get(chunk, "providerMetadata")
        if not nullish(metadata):
            invocation["callProviderMetadata"] = self._copy(metadata)
        self._write()


def read_ui_message(
    chunks: Iterable[Mapping[str, Any]],
    sdk_version: SdkVersion | ClientTarget = 6,
    *,
    message: Mapping[str, Any] | None = None,
    message_id: str = "",
) -> dict[str, Any] | None:
    """Apply all chunks in read mode and return the last message ``readUIMessageStream`` yields.

    ``readUIMessageStream`` yields the message each time a chunk changes what it shows; a
    ``start-step`` alone does not, so a trailing ``step-start`` part is not in the result (see
    :attr:`UIMessageReducer.snapshot`).

    Args:
        chunks: The UI message chunks, in order.
        sdk_version: The client release; see :class:`UIMessageReducer`.
        message: The message to continue. As in ``readUIMessageStream``, its id is also the id
            of the new message when it is not an assistant message.
        message_id: The id of the new message when ``message`` is not given.

    Returns:
        The message as last yielded, or ``None`` when no chunk made the client yield one.

    Raises:
        UIMessageStreamError: The client would throw on one of the chunks.
        ChunkParseError: A chunk lacks a field that processing needs.
    """
    if message is not None:
        message_id = js_string(message.get("id", ""))
    reducer = UIMessageReducer(sdk_version, message=message, message_id=message_id)
    for chunk in chunks:
        reducer.apply(chunk)
    return reducer.snapshot
