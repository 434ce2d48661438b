"""Writer programs: random sequences of calls on a :class:`~ai_stream.StreamContext`.

A :class:`Program` is data (a tuple of :class:`Op`), so that a failing program can be printed,
minimised and kept as a regression test. :func:`programs` draws programs from the whole public
writer API with drawn arguments: text and reasoning deltas (emoji, control characters, lone
surrogates, surrogate pairs split across deltas), tool calls in every form (most ids refer to
calls started earlier in the program, some to unknown ids), approvals, sources, files, data parts
(ids reused so that parts are replaced), metadata, steps, errors, hand-written chunks through
``write`` / ``write_event_to_stream``, ``finish``, ``abort`` and ``stop``. A program may continue
the message of its first operations in a second stream (``continue_at``), as a chat continues
the last assistant message after approvals or client-side tool results. Values come from a JSON-ish
strategy that occasionally holds NaN and infinities, integers beyond 2**53, non-string keys and
keys such as ``"__proto__"``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from hypothesis import strategies as st

from ai_stream import StreamContext

__all__ = (
    "WRITER_API",
    "Op",
    "Program",
    "ProgramError",
    "json_values",
    "op",
    "program",
    "programs",
    "py_repr",
)

WRITER_API: Final = frozenset(
    {
        "write_text",
        "write_reasoning",
        "end_text",
        "end_reasoning",
        "begin_tool_call",
        "start_tool_input",
        "stream_tool_input_delta",
        "finish_tool_input",
        "fail_tool_input",
        "complete_tool_call",
        "fail_tool_call",
        "request_tool_approval",
        "deny_tool_call",
        "decide_tool_approval",
        "write_source",
        "write_source_document",
        "write_file",
        "write_data",
        "write_message_metadata",
        "start",
        "new_step",
        "error",
        "write",
        "write_event_to_stream",
        "finish",
        "abort",
        "stop",
    }
)
"""The public writer methods of ``StreamContext`` a program calls."""

RAISE: Final = "raise"
"""A pseudo-operation: the work raises :class:`ProgramError` (``run()`` must mask it)."""


class ProgramError(Exception):
    """Raised by the ``raise`` operation: the work failing on purpose."""


def py_repr(value: Any) -> str:
    """``repr`` that is valid Python for every value a program holds (NaN, infinities)."""
    if isinstance(value, float) and not math.isfinite(value):
        return f'float("{value}")'
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_repr(k)}: {py_repr(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(py_repr(v) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(py_repr(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


@dataclass(frozen=True)
class Op:
    """One call: ``ctx.<name>(*args, **kwargs)`` (``raise``: the work raises)."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.name not in WRITER_API and self.name != RAISE:
            raise ValueError(f"{self.name!r} is not a writer of the public API")

    def call(self, ctx: StreamContext[Any]) -> Any:
        """Call the writer (the result may be awaitable); ``raise`` raises ProgramError."""
        if self.name == RAISE:
            raise ProgramError("the work failed on purpose")
        return getattr(ctx, self.name)(*self.args, **dict(self.kwargs))

    def __repr__(self) -> str:
        items = [repr(self.name), *map(py_repr, self.args)]
        items += [f"{key}={py_repr(value)}" for key, value in self.kwargs]
        return f"op({', '.join(items)})"


def op(name: str, *args: Any, **kwargs: Any) -> Op:
    """Build an :class:`Op`: ``op("write_text", "Hi")``."""
    return Op(name, args, tuple(kwargs.items()))


@dataclass(frozen=True)
class Program:
    """A writer program: the context's ``message_metadata`` and the operations, in order.

    With ``continue_at``, the operations before that index make a first stream, and the rest a
    second stream that continues the first one's message (``continue_message``), as the client
    shows it, with every approval request answered (``approve``). The second stream is the one
    checked; the first one is checked as a program of its own elsewhere.
    """

    ops: tuple[Op, ...] = ()
    message_metadata: Any = None
    notes: tuple[str, ...] = field(default=(), compare=False)
    continue_at: int | None = None
    approve: bool = True

    def without(self, indices: set[int] | frozenset[int]) -> Program:
        """The program without the operations at ``indices``."""
        ops = tuple(o for i, o in enumerate(self.ops) if i not in indices)
        at = self.continue_at
        if at is not None:
            at -= sum(1 for i in indices if i < at)
        return Program(ops, self.message_metadata, continue_at=at, approve=self.approve)

    def replace(self, ops: tuple[Op, ...] | None = None, message_metadata: Any = ...) -> Program:
        """The program with other operations (as many) or other ``message_metadata``."""
        return Program(
            self.ops if ops is None else ops,
            self.message_metadata if message_metadata is ... else message_metadata,
            continue_at=self.continue_at,
            approve=self.approve,
        )

    @property
    def first(self) -> tuple[Op, ...]:
        """The operations of the first stream (none without ``continue_at``)."""
        return () if self.continue_at is None else self.ops[: self.continue_at]

    def __repr__(self) -> str:
        lines = [f"    {o!r}," for o in self.ops]
        if self.message_metadata is not None:
            lines.append(f"    message_metadata={py_repr(self.message_metadata)},")
        if self.continue_at is not None:
            lines.append(f"    continue_at={self.continue_at},")
            if not self.approve:
                lines.append("    approve=False,")
        return "program(\n" + "\n".join(lines) + "\n)" if lines else "program()"


def program(
    *ops: Op, message_metadata: Any = None, continue_at: int | None = None, approve: bool = True
) -> Program:
    """Build a :class:`Program` from operations."""
    return Program(tuple(ops), message_metadata, continue_at=continue_at, approve=approve)


# ------------------------------------------------------------------------------------------------
# Values
# ------------------------------------------------------------------------------------------------

SPECIAL_TEXT: Final = (
    "",
    "NaN",
    "Infinity",
    "-Infinity",
    "null",
    "true",
    "__proto__",
    "constructor",
    "toString",
    "\ud800",
    "\udc00",
    "\udfff",
    "a\ud83d",
    "\ude00b",
    "😀",
    "👩‍💻",
    "é",
    "\x00",
    "\x1f",
    "\x7f",
    "\u2028\u2029",
    "\r\n",
    "\n\ndata: [DONE]\n\n",
    '"',
    "\\",
    "\\u0000",
    "</script>",
    "\ufeff",
)
"""Strings that have broken JSON encoders, SSE framers or JavaScript clients before."""

HOSTILE_KEYS: Final = (
    "__proto__",
    "constructor",
    "prototype",
    "toString",
    "valueOf",
    "hasOwnProperty",
)

BIG_INTS: Final = (2**53, 2**53 + 1, -(2**53) - 1, 2**63, 2**64 + 1, 10**20)
ODD_FLOATS: Final = (
    math.nan,
    math.inf,
    -math.inf,
    -0.0,
    0.1,
    1e21,
    1e308,
    5e-324,
    1.0,
    -1.5,
)

HOSTILE: Final = int(os.environ.get("AI_STREAM_FUZZ_HOSTILE", "1") != "0")
"""1: values include the trouble-makers above (the default); ``AI_STREAM_FUZZ_HOSTILE=0`` leaves
them out, so that a fuzz run finds the lifecycle bugs they would hide."""

any_char = st.characters(exclude_categories=())  # includes lone surrogates
plain_text = st.text(st.characters(codec="utf-8"), max_size=6)


def weighted(*options: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of ``options``, picked with the given integer weights (shrinks to the first)."""
    total = sum(w for w, _ in options)

    def pick(n: int) -> st.SearchStrategy[Any]:
        for w, strategy in options:
            if n < w:
                return strategy
            n -= w
        raise AssertionError("unreachable")

    return st.integers(0, total - 1).flatmap(pick)


texts: st.SearchStrategy[str] = weighted(
    (12, plain_text),
    (3 * HOSTILE, st.sampled_from(SPECIAL_TEXT)),
    (2 * HOSTILE, st.text(any_char, max_size=4)),
)
"""Text: mostly plain, sometimes special strings, lone surrogates or control characters."""

keys: st.SearchStrategy[Any] = weighted(
    (14, st.sampled_from(("a", "b", "city", "n", "nested", "x"))),
    (4, plain_text),
    (HOSTILE, st.sampled_from(HOSTILE_KEYS)),
    (HOSTILE, st.sampled_from(SPECIAL_TEXT)),
    (HOSTILE, st.one_of(st.integers(-2, 3), st.booleans(), st.none(), st.just(1.5))),
)
"""Dict keys: mostly plain; rarely hostile (``__proto__``) or not a string at all."""

scalars: st.SearchStrategy[Any] = weighted(
    (4, st.integers(-1000, 1000)),
    (3, texts),
    (2, st.booleans()),
    (2, st.none()),
    (1, st.floats(allow_nan=False, allow_infinity=False)),
    (HOSTILE, st.sampled_from(BIG_INTS)),
    (HOSTILE, st.sampled_from(ODD_FLOATS)),
    (HOSTILE, st.integers()),
)


def json_values(max_leaves: int = 6) -> st.SearchStrategy[Any]:
    """JSON-ish values, nested dicts and lists included (see the module docstring)."""
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(keys, children, max_size=3),
        ),
        max_leaves=max_leaves,
    )


values = json_values()
objects: st.SearchStrategy[Any] = weighted(
    (6, st.dictionaries(keys, json_values(4), max_size=3)),
    (1, values),
)
"""Mostly dicts (tool inputs, metadata), sometimes any value."""

provider_metadata: st.SearchStrategy[Any] = weighted(
    (8, st.none()),
    (
        5,
        st.dictionaries(
            st.sampled_from(("anthropic", "openai", "p")),
            st.dictionaries(keys, json_values(3), max_size=2),
            min_size=1,
            max_size=2,
        ),
    ),
    (
        1,
        st.sampled_from(
            ({"anthropic": {"signature": "sig"}}, {"anthropic": {"redactedData": "r"}})
        ),
    ),
    (HOSTILE, values),  # not a Record<string, Record<string, JSON>>: should be refused
)


def utf16_split(text: str, pieces: int, at: Sequence[int]) -> list[str]:
    """Split ``text`` at UTF-16 code unit offsets (a surrogate pair may be split in two)."""
    units = text.encode("utf-16-le", "surrogatepass")
    n = len(units) // 2
    cuts = sorted({min(max(0, c), n) for c in at[: pieces - 1]})
    bounds = [0, *cuts, n]
    return [
        units[2 * a : 2 * b].decode("utf-16-le", "surrogatepass")
        for a, b in zip(bounds, bounds[1:], strict=False)
    ]


@st.composite
def split_text(draw: st.DrawFn) -> list[str]:
    """A text (often with emoji) split into deltas, sometimes between the halves of a pair."""
    text = draw(weighted((3, st.sampled_from(("a😀b", "😀", "👩‍💻!", "𝄞x", "é😀"))), (2, texts)))
    pieces = draw(st.integers(1, 3 if HOSTILE else 1))
    at = draw(st.lists(st.integers(0, 8), min_size=2, max_size=2))
    return utf16_split(text, pieces, at)


# ------------------------------------------------------------------------------------------------
# Operations
# ------------------------------------------------------------------------------------------------

TOOL_NAMES: Final = ("getWeather", "search", "x", "a-b", "tool name", "ÄÖ", "__proto__", "")
FINISH_REASONS: Final = (
    "stop",
    "length",
    "tool-calls",
    "content-filter",
    "error",
    "other",
    "unknown",
    "interrupted",
    "tool_calls",
    "end_turn",
    "max_tokens",
    "bogus",
)
URLS: Final = ("https://example.com/a", "https://x.test/p?q=1#f", "data:image/png;base64,AAAA", "")
MEDIA_TYPES: Final = ("image/png", "text/plain", "application/pdf", "")
DATA_NAMES: Final = ("weather", "data-weather", "progress", "x", "__proto__", "", "data-")
DATA_IDS: Final = ("d1", "d2", "constructor")
PART_IDS: Final = ("t1", "t2", "r1", "text-1", "reasoning-1", "text-2")


def maybe(strategy: st.SearchStrategy[Any], weight_none: int = 1) -> st.SearchStrategy[Any]:
    """``None`` (the argument is left out) or a value."""
    return weighted((weight_none, st.none()), (1, strategy))


def kwargs_of(draw: st.DrawFn, **strategies: st.SearchStrategy[Any]) -> dict[str, Any]:
    """Draw keyword arguments; those drawn as ``None`` are left out."""
    out: dict[str, Any] = {}
    for name, strategy in strategies.items():
        value = draw(strategy)
        if value is not None:
            out[name] = value
    return out


class _Tools:
    """The tool call ids a program has started so far (for ids that mostly refer to them)."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.fresh = 0

    def new_id(self, draw: st.DrawFn) -> str | None:
        choice = draw(st.integers(0, 9))
        if choice == 0:
            return None  # generated by the context
        if choice == 1 and self.started:
            return draw(st.sampled_from(self.started))  # the same id started again
        self.fresh += 1
        return f"call-{self.fresh}"

    def ref(self, draw: st.DrawFn) -> str:
        if self.started and draw(st.integers(0, 9)) > 0:
            return str(draw(st.sampled_from(self.started)))
        return str(draw(st.sampled_from(("call-unknown", "call-1", "constructor"))))

    def started_with(self, tool_call_id: str | None) -> None:
        if tool_call_id is not None and tool_call_id not in self.started:
            self.started.append(tool_call_id)


def _tool_options(draw: st.DrawFn) -> dict[str, Any]:
    return kwargs_of(
        draw,
        dynamic=maybe(st.booleans(), 2),
        provider_executed=maybe(st.booleans(), 3),
        provider_metadata=provider_metadata,
        title=maybe(texts, 3),
        tool_metadata=maybe(objects, 3),
    )


def _hand_chunk(draw: st.DrawFn, tools: _Tools) -> dict[str, Any]:
    """A chunk written by hand (``write`` / ``write_event_to_stream``)."""
    kind = draw(
        st.sampled_from(
            (
                "start-step",
                "finish-step",
                "reset-step",
                "text-start",
                "text-delta",
                "text-end",
                "reasoning-start",
                "reasoning-delta",
                "reasoning-end",
                "custom",
                "reasoning-file",
                "data",
                "message-metadata",
                "source-url",
                "file",
                "tool-input-start",
                "tool-input-available",
                "tool-output-available",
                "error",
                "start",
                "finish",
                "abort",
                "bogus",
            )
        )
    )
    meta = draw(provider_metadata)
    chunk: dict[str, Any]
    if kind in ("start-step", "finish-step", "reset-step"):
        chunk = {"type": kind}
    elif kind.startswith(("text-", "reasoning-")) and kind != "reasoning-file":
        chunk = {"type": kind, "id": draw(st.sampled_from(PART_IDS))}
        if kind.endswith("-delta"):
            chunk["delta"] = draw(texts)
        if meta is not None:
            chunk["providerMetadata"] = meta
    elif kind == "custom":
        chunk = {"type": "custom", "kind": draw(st.sampled_from(("acme.note", "x", "")))}
        if meta is not None:
            chunk["providerMetadata"] = meta
    elif kind in ("reasoning-file", "file"):
        chunk = {"type": kind, "url": draw(st.sampled_from(URLS))}
        chunk["mediaType"] = draw(st.sampled_from(MEDIA_TYPES))
    elif kind == "data":
        chunk = {"type": "data-" + draw(st.sampled_from(("weather", "x", "__proto__")))}
        chunk.update(kwargs_of(draw, id=maybe(st.sampled_from(DATA_IDS))))
        chunk["data"] = draw(values)
        chunk.update(kwargs_of(draw, transient=maybe(st.booleans(), 2)))
    elif kind == "message-metadata":
        chunk = {"type": kind, "messageMetadata": draw(objects)}
    elif kind == "source-url":
        chunk = {"type": kind, "sourceId": draw(texts), "url": draw(st.sampled_from(URLS))}
    elif kind == "tool-input-start":
        tool_call_id = tools.new_id(draw) or "call-hand"
        tools.started_with(tool_call_id)
        chunk = {"type": kind, "toolCallId": tool_call_id}
        chunk["toolName"] = draw(st.sampled_from(TOOL_NAMES))
    elif kind == "tool-input-available":
        tool_call_id = tools.new_id(draw) or "call-hand"
        tools.started_with(tool_call_id)
        chunk = {"type": kind, "toolCallId": tool_call_id}
        chunk["toolName"] = draw(st.sampled_from(TOOL_NAMES))
        chunk["input"] = draw(objects)
    elif kind == "tool-output-available":
        chunk = {"type": kind, "toolCallId": tools.ref(draw), "output": draw(values)}
    elif kind == "error":
        chunk = {"type": "error", "errorText": draw(texts)}
    elif kind == "start":
        chunk = {"type": "start"}
        chunk.update(kwargs_of(draw, messageMetadata=maybe(objects)))
    elif kind == "finish":
        chunk = {"type": "finish"}
        chunk.update(
            kwargs_of(
                draw,
                finishReason=maybe(st.sampled_from(FINISH_REASONS[:6])),
                messageMetadata=maybe(objects),
            )
        )
    elif kind == "abort":
        chunk = {"type": "abort"}
        chunk.update(kwargs_of(draw, reason=maybe(texts)))
    else:
        chunk = {"type": "text", "text": "not a chunk"}
    return chunk


# Each builder draws the operations of one step of the program (usually one operation).
Builder = Callable[[st.DrawFn, _Tools], list[Op]]


def _write_text(draw: st.DrawFn, tools: _Tools) -> list[Op]:
    return [op("write_text", draw(texts), **kwargs_of(draw, provider_metadata=provider_metadata))]


def _write_reasoning(draw: st.DrawFn, tools: _Tools) -> list[Op]:
    meta = kwargs_of(draw, provider_metadata=provider_metadata)
    return [op("write_reasoning", draw(texts), **meta)]


def _split_deltas(draw: st.DrawFn, tools: _Tools) -> list[Op]:
    name = draw(st.sampled_from(("write_text", "write_reasoning")))
    return [op(name, piece) for piece in draw(split_text())]


def _end_part(draw: st.DrawFn, tools: _Tools) -> list[Op]:
    name = draw(st.sampled_from(("end_text", "end_reasoning")))
    return [op(name, **kwargs_of(draw, provider_metadata=provider_metadata))]


def _begin_tool_call(draw: st.DrawFn, tools: _Tools) -> list[Op]:
    tool_call_id = tools.new_id(draw)
    tools.started_with(tool_call_id)
    name = draw(st.sampled_from(TOOL_NAMES))
    options = kwargs_of(draw, tool_call_id=st.just(tool_call_id)) | _tool_options(draw)
    return [op("begin_tool_call", name, draw(objects), **options)]


def _streamed_tool_input(draw: st.DrawFn, tools: _Tools) -> list[Op]:
    """start_tool_input, JSON pieces, then (usually) finish_tool_input or fail_tool_input."""
    tool_call_id = tools.new_id(draw) or "call-streamed"
    tools.started_with(tool_call_id)
    name = draw(st.sampled_from(TOOL_NAMES))
    options = _tool_options(draw)
    ops = [op("start_tool_input", name, tool_call_id=tool_call_id, **options)]
    text = draw(
        weighted(
            (4, objects.map(lambda v: json.dumps(v, ensure_ascii=False, default=str))),
            (1, texts),
        )
    )
    count = draw(st.integers(0, 3))
    at = draw(st.lists(st.integers(0, len(text) + 2), min_size=2, max_size=2))
    if count:
        ops += [
            op("stream_tool_input_delta", tool_call_id, p) for p in utf16_split(text, count, at)
        ]
    end = draw(st.integers(0, 5))
    if end <= 2:
        ops.append(op("finish_tool_input", tool_call_id))
    elif end == 3:
        ops.append(op("finish_tool_input", tool_call_id, draw(objects)))
    elif end == 4:
        ops.append(
            op("fail_tool_input", tool_call_id, draw(texts), **kwargs_of(draw, input=maybe(values)))
        )
    return ops


def _tool_input_piece(draw: st.DrawFn, tools: _Tools) -> list[Op]:
    return [op("stream_tool_input_delta", tools.ref(draw), draw(texts))]


def _finish_tool_input(draw: st.DrawFn, tools: _Tools) -> list[Op]:
    if draw(st.booleans()):
        return [op("finish_tool_input", tools.ref(draw))]
    return [op("fail_tool_input", tools.ref(draw), draw(texts))]


def _complete_tool_call(draw: st.DrawFn, tools: _Tools) -> list[Op]:
    tool_call_id = tools.ref(draw)
    options = kwargs_of(
        draw,
        provider_executed=maybe(st.booleans(), 3),
        provider_metadata=provider_metadata,
        tool_metadata=maybe(objects, 3),
    )
    if draw(st.integers(0, 3)) == 0:  # a preliminary result, then the final one
        return [
            op("complete_tool_call", tool_call_id, draw(values), preliminary=True),
            op("complete_tool_call", tool_call_id, draw(values), **options),
        ]
    options |= kwargs_of(draw, preliminary=maybe(st.booleans(), 4))
    return [op("complete_tool_call", tool_call_id, draw(values), **options)]


def _fail_tool_call(draw: st.DrawFn, tools: _Tools) -> list[Op]:
    options = kwargs_of(
        draw,
        provider_executed=maybe(st.booleans(), 3),
        provider_metadata=provider_metadata,
        tool_metadata=maybe(objects, 3),
    )
    return [op("fail_tool_call", tools.ref(draw), draw(texts), **options)]


def _approval(draw: st.DrawFn, tools: _Tools) -> list[Op]:
    tool_call_id = tools.ref(draw)
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return [op("request_tool_approval", tool_call_id, **kwargs_of(draw, reason=maybe(texts)))]
    if kind == 1:
        return [op("deny_tool_call", tool_call_id)]
    if kind == 2:
        return [op("request_tool_approval", tool_call_id), op("deny_tool_call", tool_call_id)]
    reason = kwargs_of(draw, reason=maybe(texts))
    return [op("decide_tool_approval", tool_call_id, draw(st.booleans()), **reason)]


def _source(draw: st.DrawFn, tools: _Tools) -> list[Op]:
    meta = kwargs_of(draw, provider_metadata=provider_metadata)
    if draw(st.booleans()):
        title = kwargs_of(draw, title=maybe(texts))
        return [op("write_source", draw(texts), draw(st.sampled_from(URLS)), **title, **meta)]
    media = draw(st.sampled_from(MEDIA_TYPES))
    filename = kwargs_of(draw, filename=maybe(texts))
    return [op("write_source_document", draw(texts), media, draw(texts), **filename, **meta)]


def _file(draw: st.DrawFn, tools: _Tools) -> list[Op]:
    meta = kwargs_of(draw, provider_metadata=provider_metadata)
    url, media = draw(st.sampled_from(URLS)), draw(st.sampled_from(MEDIA_TYPES))
    return [op("write_file", url, media, **meta)]


def _data(draw: st.DrawFn, tools: _Tools) -> list[Op]:
    options = kwargs_of(
        draw, id=maybe(st.sampled_from(DATA_IDS)), transient=maybe(st.booleans(), 3)
    )
    return [op("write_data", draw(st.sampled_from(DATA_NAMES)), draw(values), **options)]


def _metadata(draw: st.DrawFn, tools: _Tools) -> list[Op]:
    if draw(st.integers(0, 3)) == 0:
        return [op("start", **kwargs_of(draw, metadata=maybe(objects, 1)))]
    return [op("write_message_metadata", draw(objects))]


def _new_step(draw: st.DrawFn, tools: _Tools) -> list[Op]:
    return [op("new_step")]


def _error(draw: st.DrawFn, tools: _Tools) -> list[Op]:
    return [op("error", draw(texts))] if draw(st.integers(0, 3)) else [op(RAISE)]


def _question(draw: st.DrawFn, tools: _Tools) -> list[Op]:
    """A tool call the client answers: its approval asked, or a client-side tool."""
    tools.fresh += 1
    tool_call_id = f"call-{tools.fresh}"
    tools.started_with(tool_call_id)
    name = draw(st.sampled_from(TOOL_NAMES))
    ops = [op("begin_tool_call", name, draw(objects), tool_call_id=tool_call_id)]
    if draw(st.booleans()):
        ops.append(op("request_tool_approval", tool_call_id))
    return ops


def _hand_written(draw: st.DrawFn, tools: _Tools) -> list[Op]:
    name = draw(st.sampled_from(("write", "write_event_to_stream")))
    return [op(name, _hand_chunk(draw, tools))]


def _end(draw: st.DrawFn, tools: _Tools) -> list[Op]:
    if draw(st.integers(0, 5)) == 0:
        return [op("stop", **kwargs_of(draw, reason=maybe(texts)))]
    if draw(st.integers(0, 2)):
        options = kwargs_of(
            draw,
            finish_reason=maybe(st.sampled_from(FINISH_REASONS)),
            metadata=maybe(objects, 2),
        )
        return [op("finish", **options)]
    return [op("abort", **kwargs_of(draw, reason=maybe(texts)))]


BUILDERS: Final[tuple[tuple[int, Builder], ...]] = (
    (10, _write_text),
    (5, _write_reasoning),
    (3, _split_deltas),
    (4, _end_part),
    (5, _begin_tool_call),
    (4, _streamed_tool_input),
    (2, _tool_input_piece),
    (2, _finish_tool_input),
    (5, _complete_tool_call),
    (3, _fail_tool_call),
    (4, _approval),
    (3, _source),
    (2, _file),
    (5, _data),
    (3, _metadata),
    (3, _new_step),
    (2, _error),
    (8, _hand_written),
    (1, _end),
)
_TOTAL: Final = sum(w for w, _ in BUILDERS)


def _steps(draw: st.DrawFn, tools: _Tools, max_steps: int) -> list[Op]:
    ops: list[Op] = []
    for _ in range(draw(st.integers(0, max_steps))):
        n = draw(st.integers(0, _TOTAL - 1))
        for w, builder in BUILDERS:
            if n < w:
                ops += builder(draw, tools)
                break
            n -= w
    return ops


@st.composite
def programs(draw: st.DrawFn, max_steps: int = 10, continuations: bool = True) -> Program:
    """A random writer program (``max_steps`` builders, each one to a few operations).

    With ``continuations``, one program in four is two streams: the second continues the
    message of the first (:attr:`Program.continue_at`); their tool calls are shared.
    """
    tools = _Tools()
    ops: list[Op] = []
    continue_at = None
    if continuations and draw(st.integers(0, 3)) == 0:
        ops = _steps(draw, tools, max_steps // 2)
        for _ in range(draw(st.integers(0, 2))):  # usually the first stream asks something
            ops += _question(draw, tools)
        continue_at = len(ops)
    ops += _steps(draw, tools, max_steps)
    if draw(st.integers(0, 3)) == 0:  # otherwise run() finishes the stream
        ops += _end(draw, tools)
    message_metadata = draw(weighted((8, st.none()), (1, objects), (HOSTILE, values)))
    approve = continue_at is None or draw(st.integers(0, 3)) > 0
    return Program(tuple(ops), message_metadata, continue_at=continue_at, approve=approve)
