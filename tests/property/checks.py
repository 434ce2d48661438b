"""The property every writer program must have, checked through the real ``ai`` clients.

For a program and a target (4 = the ai 4 data stream, the majors 5, 6, 7, an exact release, or a
text stream); a program with ``continue_at`` is checked on its second stream, which continues the
message of the first one (the clients hold that message and continue it):

1. Run it with ``collect=True`` and with ``collect=False`` (same deterministic ids). Calls may be
   refused with the library's documented exceptions (:class:`~ai_stream.exceptions.AIStreamError`,
   ``ValueError``, ``TypeError``; a ``UnicodeError`` is not a refusal): the program goes on with
   the next call. Anything else raised by a call, by the stream, by a task or logged as an error
   is a crash.
2. Both runs give the same bytes and the same refusals, and a refusal changes nothing: the
   program without its refused calls gives the same bytes.
3. Ai 5/6/7: the body is valid SSE ending in ``[DONE]``; replayed through the first and the
   latest release of the major it has no chunk schema error; ``useChat`` ends ``error`` (with the
   first error text) exactly when the stream holds an ``error`` chunk, else ``ready``;
   ``readUIMessageStream`` reports exactly the error chunks; and the assistant message of
   ``AbstractChat`` == ``record.to_ui_message(release)`` == ``UIMessageReducer(release,
   mode="chat")`` over the decoded chunks, the message of ``readUIMessageStream`` ==
   ``read_ui_message(chunks, release)``.
4. Ai 4: the 4.3.19 client throws only the first written error, and its text, reasoning and tool
   invocations are what the record holds (as far as a v4 message can express them).
5. Text: ``useChat`` over ``TextStreamChatTransport`` ends ``ready`` showing the record's parts.

All of it is compared as one ``observed == expected`` structure; on failure the message lists
every differing path. The *signature* of a failure names its first differing path (normalised:
part types, no indices or random keys), so that distinct bugs get distinct signatures.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import itertools
import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from ai_stream import StreamContext
from ai_stream.exceptions import AIStreamError, ChunkParseError, UIMessageStreamError
from ai_stream.record import StreamRecord
from ai_stream.reducer import UIMessageReducer
from ai_stream.testing import collect_stream, parse_sse_json, read_ui_message
from tests.conformance.client import FIRST_AND_LATEST, STRICT
from tests.property.programs import RAISE, Op, Program, ProgramError, py_repr
from tests.property.replayer import Replayer

__all__ = (
    "TARGETS",
    "TEXT",
    "V4_RELEASE",
    "ProgramFailure",
    "Run",
    "Verdict",
    "assert_conforms",
    "check_program",
    "continues",
    "minimize",
    "releases",
    "run_program",
)

Target = int | str
"""A major (4 = the ai 4 data stream, 5, 6, 7), an exact release such as ``"7.0.185"``, or
``"text"``: a text stream (``stream_protocol="text"``) for ``TextStreamChatTransport``."""

TEXT: Final = "text"
TARGETS: Final[tuple[Target, ...]] = (
    4,
    *FIRST_AND_LATEST,
    *(latest for _, latest in FIRST_AND_LATEST.values()),
    TEXT,
)
"""The majors, the latest release of each (which accepts more: ``reset-step``, …), and text."""
V4_RELEASE: Final = "4.3.19"


def releases(target: Target) -> tuple[str, ...]:
    """The releases a target is replayed through: the first, latest and strict-schema releases
    of a major, the release itself, or for text the first and latest of every major."""
    if target == TEXT:
        return tuple(release for pair in FIRST_AND_LATEST.values() for release in pair)
    if isinstance(target, str):
        return (target,)
    if target == 4:
        return (V4_RELEASE,)
    return (*FIRST_AND_LATEST[target], *([STRICT[target]] if target in STRICT else []))


def major(target: Target) -> int:
    """The major of a target (a text stream: the latest major)."""
    if target == TEXT:
        return max(FIRST_AND_LATEST)
    return int(str(target).split(".")[0])


def continues(target: Target) -> bool:
    """Whether programs for ``target`` may continue a message (the UI message stream only)."""
    return target != TEXT and major(target) >= 5


CHAT_ID: Final = "chat-1"
APPROVAL_SECRET: Final = "the property suite's approval secret"
RUN_TIMEOUT: Final = 10.0

REFUSALS: Final = (AIStreamError, ValueError, TypeError)
"""The documented ways to refuse a call; ``UnicodeError`` (a ValueError) is excluded."""


# ------------------------------------------------------------------------------------------------
# Running a program
# ------------------------------------------------------------------------------------------------


@dataclass
class Run:
    """What one run of a program produced."""

    body: bytes = b""
    refusals: list[tuple[int, str]] = field(default_factory=list)
    """``(operation index, exception type)`` of every refused call."""
    crashes: list[tuple[str, str]] = field(default_factory=list)
    """``(signature, description)`` of every crash."""
    record: StreamRecord | None = None
    message_id: str = ""
    rejected: str | None = None
    """The constructor refused the program's options (nothing ran)."""
    marks: dict[int, int] = field(default_factory=dict)
    """Operation index → chunks sent before it (``record.chunk_count``; with ``collect``)."""
    continued: dict[str, Any] | None = None
    """The message the stream continues (the client holds it before the stream)."""


class _ErrorLogs(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _crash_name(exc: BaseException | None) -> str:
    return type(exc).__name__


async def _run(
    program: Program,
    target: Target,
    collect: bool,
    skip: frozenset[int],
    start: int = 0,
    continued: dict[str, Any] | None = None,
) -> Run:
    """Run ``program.ops[start:]`` in one stream (continuing ``continued``, if given)."""
    out = Run(continued=copy.deepcopy(continued))
    counter = itertools.count(1)
    prefix = "id" if continued is None else "next"  # ids of a second stream differ
    program = copy.deepcopy(program)  # the library must not see values another run mutated
    try:
        ctx: StreamContext[None] = StreamContext(
            sdk_version=major(target) if target == TEXT else target,
            stream_protocol="text" if target == TEXT else "data",
            collect=collect,
            chat_id=CHAT_ID,
            approval_secret=APPROVAL_SECRET,
            id_generator=lambda: f"{prefix}{next(counter)}",
            message_metadata=program.message_metadata,
            continue_message=continued,
        )
    except REFUSALS as exc:
        if isinstance(exc, UnicodeError):
            out.crashes.append((f"init:{_crash_name(exc)}", repr(exc)))
        else:
            out.rejected = repr(exc)
        return out
    except Exception as exc:
        out.crashes.append((f"init:{_crash_name(exc)}", repr(exc)))
        return out
    out.message_id = ctx.message_id

    async def work(ctx: StreamContext[None]) -> None:
        for index, operation in enumerate(program.ops[start:], start):
            if index in skip:
                continue
            if ctx.record is not None:
                out.marks[index] = ctx.record.chunk_count
            try:
                result = operation.call(ctx)
                if inspect.isawaitable(result):
                    await result
            except ProgramError:
                raise
            except REFUSALS as exc:
                if isinstance(exc, UnicodeError):
                    out.crashes.append((f"op:{_crash_name(exc)}", f"{operation.name}(): {exc!r}"))
                    raise
                out.refusals.append((index, _crash_name(exc)))
            except Exception as exc:
                out.crashes.append((f"op:{_crash_name(exc)}", f"{operation.name}(): {exc!r}"))
                raise

    tasks: list[asyncio.Task[Any]] = []  # every task the library starts, finished ones too

    def task_factory(
        loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any
    ) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.Task(coro, loop=loop, **kwargs)
        tasks.append(task)
        return task

    asyncio.get_running_loop().set_task_factory(task_factory)
    logger = logging.getLogger("ai_stream")
    logs = _ErrorLogs()
    logger.addHandler(logs)
    propagate, logger.propagate = logger.propagate, False  # judged here, not printed
    try:
        await ctx.run(work)
        try:
            async with asyncio.timeout(RUN_TIMEOUT):
                out.body = await collect_stream(ctx)
        except TimeoutError:
            out.crashes.append(("stream:timeout", f"the stream did not end in {RUN_TIMEOUT} s"))
        except Exception as exc:
            out.crashes.append((f"stream:{_crash_name(exc)}", repr(exc)))
        current = asyncio.current_task()
        others = [t for t in {*tasks, *asyncio.all_tasks()} if t is not current]
        if others:
            await asyncio.wait(others, timeout=RUN_TIMEOUT)
        for task in others:
            if not task.done():
                task.cancel()
                out.crashes.append(("task:hang", f"{task!r} did not end"))
            elif not task.cancelled() and task.exception() is not None:
                failure = task.exception()
                out.crashes.append((f"task:{_crash_name(failure)}", repr(failure)))
    finally:
        logger.removeHandler(logs)
        logger.propagate = propagate
    for log in logs.records:
        error = log.exc_info[1] if log.exc_info else None
        if isinstance(error, ProgramError) or any(
            error is not None and desc.endswith(repr(error)) for _, desc in out.crashes
        ):
            continue  # the deliberate failure, or a crash already counted
        message = log.getMessage()
        name = _crash_name(error) if error is not None else ""
        out.crashes.append((f"log:{message[:40]}:{name}", f"{message}: {error!r}"))
    if not ctx.is_finished:
        out.crashes.append(("unfinished", "the context is not finished after the stream ended"))
    out.record = ctx.record
    return out


CLIENT_OUTPUT: Final = {"answer": "from the browser"}


def answered(message: dict[str, Any], approve: bool) -> dict[str, Any]:
    """``message`` as the client sends it back: every approval request answered (``approve``),
    and every call left to the client (input available, not provider-executed) given a result,
    as ``addToolApprovalResponse`` and ``addToolResult`` do."""
    message = copy.deepcopy(message)
    for part in message.get("parts", []):
        state = part.get("state")
        if state == "approval-requested":
            part["state"] = "approval-responded"
            part["approval"] = {**part.get("approval", {}), "approved": approve}
        elif state == "input-available" and not part.get("providerExecuted"):
            part["state"] = "output-available"
            part["output"] = CLIENT_OUTPUT
    return message


def run_program(
    program: Program, target: Target, *, collect: bool, skip: frozenset[int] = frozenset()
) -> Run:
    """Run ``program`` on asyncio and drain the body (``skip``: operation indices left out).

    A program with ``continue_at`` runs its first operations in a first stream (collected); the
    result is the run of the second stream, which continues the first one's message as the
    target's client shows it, approval requests answered. A crash of the first stream is the
    run's crash.
    """
    if program.continue_at is None or not continues(target):
        return asyncio.run(_run(program, target, collect, skip))
    first = asyncio.run(_run(program.replace(ops=program.first), target, True, skip))
    if first.crashes or first.rejected is not None or first.record is None:
        first.crashes = [(f"first:{sig}", desc) for sig, desc in first.crashes]
        return first
    message = answered(first.record.to_ui_message(), program.approve)
    return asyncio.run(_run(program, target, collect, skip, program.continue_at, message))


# ------------------------------------------------------------------------------------------------
# Comparing
# ------------------------------------------------------------------------------------------------

_MISSING: Final = "<missing>"


def canon(value: Any) -> Any:
    """Join surrogate pairs split in Python strings (JavaScript strings are UTF-16 anyway)."""
    if isinstance(value, str):
        if value.isascii():
            return value
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    if isinstance(value, dict):
        return {canon(k): canon(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canon(v) for v in value]
    return value


def from_js(value: Any) -> Any:
    """A value the node side printed: integers beyond 2**53 are JavaScript doubles."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        return float(value)
    if isinstance(value, dict):
        return {k: from_js(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_js(v) for v in value]
    return value


class Index(int):
    """A list index in a difference path (dict keys stay as they are, of any type)."""

    def __repr__(self) -> str:
        return int.__repr__(self)


def diff(observed: Any, expected: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Yield ``(path, observed, expected)`` for every difference, in document order.

    Booleans differ from numbers (``True != 1`` in JSON); ``1`` and ``1.0`` are the same number.
    """
    if isinstance(observed, dict) and isinstance(expected, dict):
        for key in [*observed, *(k for k in expected if k not in observed)]:
            if key not in expected:
                yield (*path, key), observed[key], _MISSING
            elif key not in observed:
                yield (*path, key), _MISSING, expected[key]
            else:
                yield from diff(observed[key], expected[key], (*path, key))
        return
    if isinstance(observed, list) and isinstance(expected, list):
        for i in range(max(len(observed), len(expected))):
            if i >= len(observed):
                yield (*path, Index(i)), _MISSING, expected[i]
            elif i >= len(expected):
                yield (*path, Index(i)), observed[i], _MISSING
            else:
                yield from diff(observed[i], expected[i], (*path, Index(i)))
        return
    if isinstance(observed, bool) != isinstance(expected, bool) or observed != expected:
        yield path, observed, expected


def _value_class(path: tuple[Any, ...], observed: Any, expected: Any) -> str | None:
    """Name the kind of value behind a difference when it is a known trouble-maker."""
    if any(not isinstance(p, str | Index) for p in path):
        return "non-string-key"
    for value in (observed, expected):
        if isinstance(value, float) and not math.isfinite(value):
            return "non-finite-number"
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
            return "integer-beyond-2**53"
    return None


def _short(value: Any, limit: int = 300) -> str:
    text = py_repr(value) if value is not _MISSING else _MISSING
    return text if len(text) <= limit else text[:limit] + "…"


def explain(observed: Any, expected: Any, limit: int = 12) -> str:
    """The differences as ``path: observed … expected …`` lines."""
    lines = []
    for n, (path, a, b) in enumerate(diff(observed, expected)):
        if n == limit:
            lines.append("  …")
            break
        where = "".join(f"[{p!r}]" for p in path)
        lines.append(f"  {where}:\n      observed {_short(a)}\n      expected {_short(b)}")
    return "\n".join(lines)


def _part_label(message: Any, index: Any) -> str:
    try:
        kind = str(message["parts"][index]["type"])
    except (KeyError, IndexError, TypeError):
        return "?"
    if kind.startswith("data-"):
        return "data-*"
    if kind.startswith("tool-"):
        return "tool-*"
    return kind


def _error_shape(text: Any) -> str:
    shape = re.sub(r'"[^"]*"', '"…"', str(text))
    shape = re.sub(r"\d+", "0", shape)
    return shape[:70]


def _bad_metadata(chunk: dict[str, Any]) -> str | None:
    """The metadata field of a chunk that is not of the shape the schema wants, if any."""
    meta = chunk.get("providerMetadata")
    if meta is not None and not (
        isinstance(meta, dict) and all(isinstance(v, dict) for v in meta.values())
    ):
        return "providerMetadata"
    tool_meta = chunk.get("toolMetadata")
    if tool_meta is not None and not isinstance(tool_meta, dict):
        return "toolMetadata"
    return None


def signature_of(
    difference: tuple[Any, ...],
    observed: dict[str, Any],
    expected: dict[str, Any],
    chunks: list[dict[str, Any]],
) -> str:
    """A short, stable name for the first difference (``(path, observed, expected)``)."""
    path = difference[0]
    top = path[0]
    if top in ("crashes", "init"):
        crashes = observed.get("crashes") or []
        return f"crash:{crashes[0][0]}" if crashes else "crash"
    if top == "unjustified_refusals":
        refusals = observed.get(top) or ["?"]
        return f"{top}:{refusals[0].split(':', 1)[1]}"
    if top == "non_atomic_refusals":
        culprits = observed.get(top) or ["?"]
        return f"{top}:{culprits[0].split(':')[-1]}"
    if top != "releases":
        return str(top)
    release, key = path[1], path[2] if len(path) > 2 else "?"
    result = observed["releases"][release]
    if key == "chunk_errors":
        errors = result["chunk_errors"]
        index = errors[0].get("index", -1) if errors else -1
        chunk = chunks[index] if 0 <= index < len(chunks) else {}
        if errors and errors[0].get("name") == "AI_JSONParseError":
            reason = str(errors[0].get("message", "")).rsplit("Error message:", 1)[-1]
            return f"{release}:json:{_error_shape(reason.strip())}"
        bad = _bad_metadata(chunk)
        if bad is not None:
            return f"{release}:schema:{bad}"
        kind = str(chunk.get("type", "?"))
        kind = "data-*" if kind.startswith("data-") else kind
        return f"{release}:schema:{kind}"
    if key in ("status", "error", "errors"):
        error = result.get("error") if key != "errors" else (result.get("errors") or [None])[0]
        return f"{release}:{key}:{result.get('status', '')}:{_error_shape(error)}"
    if key == "read_errors":
        errors = result["read_errors"]
        return f"{release}:read_errors:{_error_shape(errors[-1] if errors else None)}"
    if key == "record" and isinstance(result.get("record"), str):
        return f"{release}:record:to_ui_message-raised"
    value_class = _value_class(path[3:], difference[1], difference[2])
    if value_class is not None and key in ("assistant", "record", "read", "tools"):
        return f"{release}:{key}:{value_class}"
    if key in ("assistant", "record", "read", "message") and len(path) > 3:
        message = result[key]
        expected_message = expected["releases"][release][key]
        sub = path[3]
        if sub == "parts" and len(path) > 4:
            label = _part_label(message, path[4])
            if label == "?":
                label = _part_label(expected_message, path[4])
            field_name = path[5] if len(path) > 5 else ""
            return f"{release}:{key}:parts[{label}].{field_name}"
        return f"{release}:{key}:{sub}"
    if key == "tools" and len(path) > 4:
        return f"{release}:tools:{path[4]}"
    return f"{release}:{key}"


# ------------------------------------------------------------------------------------------------
# The check
# ------------------------------------------------------------------------------------------------


@dataclass
class Verdict:
    """The outcome of :func:`check_program`."""

    program: Program
    target: Target
    observed: dict[str, Any] = field(default_factory=dict)
    expected: dict[str, Any] = field(default_factory=dict)
    signature: str | None = None
    """``None`` when the program conforms."""
    refused: int = 0
    """How many calls were refused."""
    body: bytes = b""

    @property
    def ok(self) -> bool:
        return self.signature is None

    def report(self) -> str:
        """The failure: the program, its body, and every differing path."""
        body = self.body.decode(errors="backslashreplace")
        if len(body) > 3000:
            body = body[:3000] + "…"
        return (
            f"[{self.signature}] target {self.target}\n{self.program!r}\n"
            f"body:\n{body}\n"
            f"differences (observed = what happened, expected = what must happen):\n"
            f"{explain(self.observed, self.expected)}"
        )


class ProgramFailure(AssertionError):
    """A program that does not have the property (its :class:`Verdict` is attached)."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.report())
        self.verdict = verdict


_APPROVAL_ID: Final = re.compile(rb'"approvalId":"apr[0-9]+\.[^"]*"')


def comparable(body: bytes) -> bytes:
    """``body`` with each signed approval id numbered instead (each one holds a fresh nonce)."""
    numbers = itertools.count(1)
    return _APPROVAL_ID.sub(lambda _: b'"approvalId":"approval-%d"' % next(numbers), body)


def _non_atomic(program: Program, target: Target, reference: Run) -> list[str]:
    """The refused calls that change the bytes (a refusal must change nothing).

    Without any refused call the program must give the same bytes; a culprit is a refused call
    that, kept alone among the refused calls, changes them.
    """
    refused = frozenset(i for i, _ in reference.refusals)
    if not refused:
        return []
    baseline = comparable(run_program(program, target, collect=False, skip=refused).body)
    if baseline == comparable(reference.body):
        return []
    culprits = []
    for index in sorted(refused):
        alone = run_program(program, target, collect=False, skip=refused - {index})
        if comparable(alone.body) != baseline:
            culprits.append(f"{index}:{program.ops[index].name}")
    return culprits or ["<together>"]


def _oracle_chunk(operation: Op, message_id: str) -> dict[str, Any] | None:
    """The chunk a refused ``write``/``start`` call would have sent, when it is known."""
    if operation.name in ("write", "write_event_to_stream"):
        chunk = operation.args[0] if operation.args else None
        if not isinstance(chunk, dict) or not isinstance(chunk.get("type"), str):
            return None
        if chunk["type"] in ("start", "finish", "abort"):
            if operation.name == "write_event_to_stream":
                return None  # documented: the sync writer cannot send them
            if chunk["type"] == "start" and chunk.get("messageId", message_id) != message_id:
                return None  # documented: the message id is chosen at construction
            if chunk["type"] == "start":
                return {"type": "start", "messageId": message_id, **chunk}
        return chunk
    if operation.name == "start":
        chunk = {"type": "start", "messageId": message_id}
        metadata = dict(operation.kwargs).get("metadata")
        if metadata is not None:
            chunk["messageMetadata"] = metadata
        return chunk
    return None


def _encode_sse(chunks: list[dict[str, Any]]) -> bytes:
    frames = [f"data: {json.dumps(c, separators=(',', ':'), allow_nan=False)}\n\n" for c in chunks]
    return ("".join(frames) + "data: [DONE]\n\n").encode()


USER_MESSAGE: Final = {"id": "user-1", "role": "user", "parts": [{"type": "text", "text": "hi"}]}


def _replay_options(run: Run) -> dict[str, Any]:
    """How the clients replay a run: a continued message is the chat's last one, and the chat
    continues it (``sendMessage()`` without a message), as after approvals or tool results."""
    if run.continued is None:
        return {}
    return {
        "initialMessages": [USER_MESSAGE, run.continued],
        "sendMessage": None,
        "readMessage": run.continued,
    }


def _accepted(result: dict[str, Any]) -> bool:
    chat = result.get("chat") or {}
    read = result.get("read") or {}
    return (
        not result.get("chunkErrors") and chat.get("status") == "ready" and not read.get("errors")
    )


def _unjustified_refusals(
    program: Program, target: Target, run: Run, chunks: list[dict[str, Any]], replayer: Replayer
) -> list[str]:
    """Refused hand-written chunks that every release of the target accepts at that point.

    ``write`` promises to refuse (StreamStateError) only what the client would reject there, and
    UnsupportedByClientError only chunk types some release of the target does not know.
    """
    unjustified = []
    for index, name in run.refusals:
        if name not in ("StreamStateError", "UnsupportedByClientError") or index not in run.marks:
            continue
        chunk = _oracle_chunk(program.ops[index], run.message_id)
        prefix = chunks[: run.marks[index]]
        if chunk is None or any(c.get("type") == "error" for c in prefix):
            continue
        try:
            body = _encode_sse([*prefix, chunk])
        except (TypeError, ValueError):
            continue  # not JSON (NaN, non-string keys): no verdict
        results = replayer.replay_ui(body, releases(target), **_replay_options(run))
        if all(_accepted(results[release]) for release in releases(target)):
            unjustified.append(f"{index}:{program.ops[index].name}:{chunk['type']}:{name}")
    return unjustified


def _record_message(record: StreamRecord, release: str | None = None) -> Any:
    """``record.to_ui_message(release)``, or what it raised (it must not raise)."""
    try:
        return record.to_ui_message(release)
    except Exception as exc:
        return f"to_ui_message({release!r}) raised {type(exc).__name__}: {exc}"


def _reduce_chat(
    chunks: list[dict[str, Any]], release: str, continued: dict[str, Any] | None
) -> tuple[UIMessageReducer, str | None]:
    reducer = UIMessageReducer(release, message=copy.deepcopy(continued), mode="chat")
    try:
        for chunk in chunks:
            reducer.apply(chunk)
    except (UIMessageStreamError, ChunkParseError) as exc:
        return reducer, f"{type(exc).__name__}: {exc}"
    return reducer, None


def _read(
    chunks: list[dict[str, Any]], release: str, continued: dict[str, Any] | None
) -> tuple[Any, str | None]:
    try:
        return read_ui_message(chunks, release, message=copy.deepcopy(continued)), None
    except (UIMessageStreamError, ChunkParseError) as exc:
        return None, f"{type(exc).__name__}: {exc}"


def _check_ui(
    program: Program,
    run: Run,
    target: Target,
    replayer: Replayer,
    observed: dict[str, Any],
    expected: dict[str, Any],
) -> list[dict[str, Any]]:
    try:
        chunks = parse_sse_json(run.body)
    except ChunkParseError as exc:
        observed["sse_error"], expected["sse_error"] = str(exc), None
        return []
    observed["sse_error"] = expected["sse_error"] = None
    assert run.record is not None
    observed["unjustified_refusals"] = _unjustified_refusals(program, target, run, chunks, replayer)
    expected["unjustified_refusals"] = []
    results = replayer.replay_ui(run.body, releases(target), **_replay_options(run))
    error_texts = [c.get("errorText") for c in chunks if c.get("type") == "error"]
    observed["releases"], expected["releases"] = {}, {}
    for release in releases(target):
        result = results[release]
        chat = result.get("chat") or {}
        messages = chat.get("messages") or []
        reduced, reducer_error = _reduce_chat(chunks, release, run.continued)
        read, read_error = _read(chunks, release, run.continued)
        observed["releases"][release] = {
            "chunk_errors": result.get("chunkErrors", result.get("exception")),
            "status": chat.get("status"),
            "error": chat.get("error"),
            "read_errors": (result.get("read") or {}).get("errors"),
            "python_reducer_error": reducer_error or read_error,
            "assistant": canon(from_js(messages[-1] if len(messages) > 1 else None)),
            "record": canon(_record_message(run.record, release)),
            "read": canon(from_js((result.get("read") or {}).get("message"))),
        }
        expected["releases"][release] = {
            "chunk_errors": [],
            "status": "error" if error_texts else "ready",
            "error": error_texts[0] if error_texts else None,
            "read_errors": error_texts,
            "python_reducer_error": None,
            "assistant": canon(reduced.shown if reduced.snapshot is not None else run.continued),
            "record": canon(reduced.shown),
            "read": canon(read),
        }
    return chunks


def _v4_tools(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Tool call id → the v4 invocation the record's ai 5 message stands for.

    A v4 message has one tool-invocation part per call id, so the comparison is by id; the name
    and step are left out (a call id announced again under another name or in a later step
    becomes a new invocation in v4 but stays one part in ai 5).
    """
    tools: dict[str, dict[str, Any]] = {}
    for part in message.get("parts", []):
        kind = str(part.get("type", ""))
        if kind != "dynamic-tool" and not kind.startswith("tool-"):
            continue
        state = part.get("state")
        inp = part.get("input")
        args = inp if isinstance(inp, dict) else {}
        tool: dict[str, Any]
        if state == "input-streaming":
            tool = {"state": "partial-call"}
            if "input" in part:
                tool["args"] = inp
        elif state == "input-available" or (
            state == "output-available" and part.get("preliminary")
        ):
            tool = {"state": "call", "args": args}
        elif state == "output-available":
            tool = {"state": "result", "args": args, "result": part.get("output")}
        elif state == "output-error":
            tool = {"state": "result", "args": args, "result": {"error": part.get("errorText")}}
        else:
            tool = {"state": f"<{state}: not expressible in ai 4>"}
        tools[str(part.get("toolCallId"))] = tool
    return tools


def _v4_invocations(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Tool call id → the invocation of the v4 message's tool-invocation part."""
    tools: dict[str, dict[str, Any]] = {}
    for part in message.get("parts", []):
        if part.get("type") == "tool-invocation":
            invocation = part.get("toolInvocation") or {}
            fields = {k: v for k, v in invocation.items() if k in ("state", "args", "result")}
            tools[str(invocation.get("toolCallId"))] = fields
    return tools


def _v4_text(record_message: dict[str, Any], kind: str, text: str) -> Any:
    """The text v4 must show: in part order, or (parts written interleaved) the same characters.

    v4 has one text (and one reasoning) stream, so parts written in turns cannot be told apart;
    with more than one such part only the characters are compared.
    """
    parts = [p for p in record_message.get("parts", []) if p.get("type") == kind]
    return text if len(parts) <= 1 else sorted(text)


def _check_v4(
    run: Run, replayer: Replayer, observed: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert run.record is not None
    result = replayer.replay_v4(run.body)
    message = result.get("message") or {}
    record_message = _record_message(run.record)
    if not isinstance(record_message, dict):
        observed["record_error"], expected["record_error"] = record_message, None
        return
    stepped = any(p.get("type") == "step-start" for p in record_message["parts"])
    text, reasoning = canon(run.record.text), canon(run.record.reasoning)
    expected_text = _v4_text(record_message, "text", text)
    expected_reasoning = _v4_text(record_message, "reasoning", reasoning)
    content = canon(from_js(message.get("content", "")))
    thoughts = canon(from_js(message.get("reasoning", "")))
    observed["releases"] = {
        V4_RELEASE: {
            "errors": result.get("errors"),
            "id": message.get("id") if stepped else None,
            "content": content if isinstance(expected_text, str) else sorted(content),
            "reasoning": thoughts if isinstance(expected_reasoning, str) else sorted(thoughts),
            "tools": canon(from_js(_v4_invocations(message))),
        }
    }
    expected["releases"] = {
        V4_RELEASE: {
            "errors": run.record.errors[:1],
            "id": run.message_id if stepped else None,
            "content": expected_text,
            "reasoning": expected_reasoning,
            "tools": canon(_v4_tools(record_message)),
        }
    }


def _check_text(
    run: Run, replayer: Replayer, observed: dict[str, Any], expected: dict[str, Any]
) -> None:
    """A text stream: ``useChat`` over ``TextStreamChatTransport`` shows the record's parts."""
    assert run.record is not None
    results = replayer.replay_text(run.body, releases(TEXT), runs=("chat-text",))
    record_message = _record_message(run.record)
    parts = record_message["parts"] if isinstance(record_message, dict) else record_message
    observed["releases"], expected["releases"] = {}, {}
    for release in releases(TEXT):
        chat = results[release]["chat-text"]
        message = chat.get("message") or {}
        observed["releases"][release] = {
            "status": chat.get("status"),
            "error": chat.get("error", chat.get("exception")),
            "message": {"parts": canon(from_js(message.get("parts")))},
        }
        expected["releases"][release] = {
            "status": "ready",
            "error": None,
            "message": {"parts": canon(parts)},
        }


def check_program(program: Program, target: Target, replayer: Replayer) -> Verdict:
    """Run the property on ``program`` for ``target`` (see the module docstring)."""
    verdict = Verdict(program, target)
    observed, expected = verdict.observed, verdict.expected
    collected = run_program(program, target, collect=True)
    plain = run_program(program, target, collect=False)
    verdict.body = collected.body
    verdict.refused = len(collected.refusals)
    observed["crashes"] = [c for run in (collected, plain) for c in run.crashes]
    expected["crashes"] = []
    observed["init"] = expected["init"] = collected.rejected
    chunks: list[dict[str, Any]] = []
    if not observed["crashes"] and collected.rejected is None:
        observed["same_bytes_without_collect"] = comparable(collected.body) == comparable(
            plain.body
        )
        expected["same_bytes_without_collect"] = True
        observed["refusals_without_collect"] = plain.refusals
        expected["refusals_without_collect"] = collected.refusals
        observed["non_atomic_refusals"] = _non_atomic(program, target, plain)
        expected["non_atomic_refusals"] = []
        if target == TEXT:
            _check_text(collected, replayer, observed, expected)
        elif major(target) >= 5:
            chunks = _check_ui(program, collected, target, replayer, observed, expected)
        else:
            _check_v4(collected, replayer, observed, expected)
    first = next(diff(observed, expected), None)
    if first is not None:
        verdict.signature = f"{target}/" + signature_of(first, observed, expected, chunks)
    return verdict


def assert_conforms(program: Program, target: Target, replayer: Replayer) -> None:
    """Raise :class:`ProgramFailure` unless ``program`` has the property for ``target``."""
    verdict = check_program(program, target, replayer)
    if not verdict.ok:
        raise ProgramFailure(verdict)


# ------------------------------------------------------------------------------------------------
# Minimising a failing program
# ------------------------------------------------------------------------------------------------


def _simpler_values(value: Any) -> Iterator[Any]:
    """Smaller candidates for one value, simplest first."""
    if value is None:
        return
    if isinstance(value, dict):
        if value:
            yield {}
        for key in value:
            yield {k: v for k, v in value.items() if k != key}
        for key, item in value.items():
            for smaller in _simpler_values(item):
                yield {**value, key: smaller}
        yield None
        return
    if isinstance(value, list):
        if value:
            yield []
        for i in range(len(value)):
            yield value[:i] + value[i + 1 :]
        for i, item in enumerate(value):
            for smaller in _simpler_values(item):
                yield [*value[:i], smaller, *value[i + 1 :]]
        yield None
        return
    if isinstance(value, str):
        if value:
            yield ""
        if len(value) > 1:
            yield from dict.fromkeys(value)  # single characters, in order
            yield value[: len(value) // 2]
            yield value[len(value) // 2 :]
        return
    if isinstance(value, bool):
        return
    if isinstance(value, int | float) and value != 0:
        yield 0
    yield None


def _simpler_ops(operation: Op) -> Iterator[Op]:
    for i in range(len(operation.kwargs)):  # leave an option out
        yield Op(operation.name, operation.args, operation.kwargs[:i] + operation.kwargs[i + 1 :])
    for i, arg in enumerate(operation.args):
        for smaller in _simpler_values(arg):
            args = (*operation.args[:i], smaller, *operation.args[i + 1 :])
            yield Op(operation.name, args, operation.kwargs)
    for i, (key, value) in enumerate(operation.kwargs):
        for smaller in _simpler_values(value):
            kwargs = (*operation.kwargs[:i], (key, smaller), *operation.kwargs[i + 1 :])
            yield Op(operation.name, operation.args, kwargs)


def minimize(
    verdict: Verdict,
    replayer: Replayer,
    *,
    seconds: float = 30.0,
    keep: Callable[[Verdict], bool] | None = None,
) -> Verdict:
    """Shrink a failing program while it fails with the same signature (greedy, bounded)."""
    target, signature = verdict.target, verdict.signature
    deadline = time.monotonic() + seconds
    best = verdict

    def still_fails(candidate: Program) -> bool:
        nonlocal best
        if time.monotonic() > deadline:
            return False
        result = check_program(candidate, target, replayer)
        if result.signature == signature and (keep is None or keep(result)):
            best = result
            return True
        return False

    progress = True
    while progress and time.monotonic() < deadline:
        progress = False
        ops = best.program.ops
        size = max(1, len(ops) // 2)
        while size >= 1 and time.monotonic() < deadline:  # drop runs of operations
            start = 0
            while start < len(best.program.ops):
                indices = set(range(start, min(start + size, len(best.program.ops))))
                if still_fails(best.program.without(indices)):
                    progress = True
                else:
                    start += size
            size //= 2
        if best.program.message_metadata is not None:
            for smaller in [None, *_simpler_values(best.program.message_metadata)]:
                if still_fails(best.program.replace(message_metadata=smaller)):
                    progress = True
                    break
        for index in range(len(best.program.ops)):
            changed = True
            while changed and time.monotonic() < deadline:
                changed = False
                current = best.program.ops[index]
                if current.name == RAISE:
                    break
                for candidate in _simpler_ops(current):
                    ops_list = list(best.program.ops)
                    ops_list[index] = candidate
                    if still_fails(best.program.replace(ops=tuple(ops_list))):
                        changed = progress = True
                        break
    return best
