"""Object streams for ``experimental_useObject``: a JSON text typed by a pydantic model.

``useObject`` POSTs its input as JSON and reads the answer as a plain text stream: after every
piece it shows ``parsePartialJson`` of the text so far (see
:mod:`ai_stream.protocol.partial_json`), and when the body ends it validates the last value
against its schema. An :class:`ObjectStreamContext` writes that text, typed by a model:

* :meth:`~ObjectStreamContext.write_json` appends JSON text as it comes (a provider's
  structured output, streamed);
* :meth:`~ObjectStreamContext.write_partial` takes a whole partial value and sends what
  extends the text sent so far (a framework that yields growing objects);
* :meth:`~ObjectStreamContext.write_element` appends one element of an array stream
  (``output="array"``: the client shows the complete elements so far);
* :meth:`~ObjectStreamContext.write_object` sends a whole final value at once.

The text travels through a :class:`~ai_stream.StreamContext` with the text protocol, so
everything a context does holds here too: writers from any layer, ``run()`` supervision,
backpressure, a disconnect cancels the work. When the work returns, the text is closed and
validated; a value that fails the schema is refused (:class:`ObjectValidationError`) and the
body just ends (the text protocol has no error channel: the client's own validation fails).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import (
    TYPE_CHECKING,
    Any,
    Final,
    Generic,
    Literal,
    TypeVar,
    TypeVarTuple,
    get_args,
    get_origin,
)

from pydantic import TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError, to_json, to_jsonable_python

from ai_stream.context import StreamContext
from ai_stream.encoding.text import well_formed
from ai_stream.exceptions import ObjectValidationError
from ai_stream.protocol.partial_json import UNDEFINED, Undefined, parse_with
from ai_stream.protocol.versions import ClientTarget, SdkVersion

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ai_stream.record import StreamRecord

__all__ = ("ObjectResult", "ObjectStreamContext", "OutputMode", "stream_context")

logger = logging.getLogger("ai_stream")

T = TypeVar("T")
Ts = TypeVarTuple("Ts")

OutputMode = Literal["object", "array"]
"""``"object"``: the stream is one value; ``"array"``: a list streamed element by element."""


@dataclass(frozen=True, slots=True)
class ObjectResult(Generic[T]):
    """How an object stream ended (what ``on_finish`` gets).

    Attributes:
        object: The final value, validated (the model instance, or the list of elements), or
            ``None`` when the stream was aborted or its value failed the schema.
        error: Why there is no object: the schema's refusal or the work's exception.
        text: The JSON text sent.
        aborted: The stream was aborted (the client went away, or ``stop``).
        record: The underlying text stream's record.
    """

    object: T | None
    error: BaseException | None
    text: str
    aborted: bool
    record: StreamRecord


OnObjectFinish = Callable[[ObjectResult[Any]], Awaitable[None] | None]


class ObjectStreamContext(Generic[T]):
    """Streams one value of a pydantic model (or type) to ``experimental_useObject``.

    Args:
        schema: The type of the stream's value: a pydantic model, or any type pydantic
            validates. With ``output="array"`` a list type such as ``list[Step]``.
        output: ``"object"`` (the default) or ``"array"`` (a JSON array of elements).
        sdk_version: The client (a major, or an exact release such as ``"7.0.185"``): its
            ``parsePartialJson`` decides what :attr:`partial` shows.
        on_finish: Called once with the :class:`ObjectResult` when the stream ends (also when
            aborted or failed). Only then does the text stream keep a record
            (``context.record``), which costs a little per delta.
        on_error: As for :class:`~ai_stream.StreamContext` (the text protocol has no error
            channel: by default the body just ends).
        headers: Extra response headers.
        buffer_size: Bytes held before a writer waits for the reader.

    Example:
        ``obj = ObjectStreamContext(Recipe); await obj.run(work); return
        UIMessageStreamResponse(obj)``, where ``work(obj)`` writes with the methods below.
    """

    def __init__(
        self,
        schema: type[T],
        *,
        output: OutputMode = "object",
        sdk_version: SdkVersion | ClientTarget = 7,
        on_finish: OnObjectFinish | None = None,
        on_error: Callable[[BaseException], str] | None = None,
        headers: Mapping[str, str] | None = None,
        buffer_size: int | None = None,
    ) -> None:
        if output == "array":
            if get_origin(schema) is not list or len(get_args(schema)) != 1:
                raise ValueError('output="array" takes a list type, such as list[Step].')
            self._element: TypeAdapter[Any] = TypeAdapter(get_args(schema)[0])
        elif output != "object":
            raise ValueError('output must be "object" or "array".')
        self.output: OutputMode = output
        self._value: TypeAdapter[T] = TypeAdapter(schema)
        self._on_finish = on_finish
        self._behaviour = ClientTarget.parse(sdk_version).behaviour
        self._pieces: list[str] = []  # the text sent, joined when read (appending stays linear)
        self._size = 0  # its length
        self._closers = ""  # what closes the text written by write_partial/write_element
        self._elements = 0
        self._closed = False
        self._error: BaseException | None = None
        self._result: T | None = None
        self._parsed: tuple[int, Any] = (0, UNDEFINED)
        extra: dict[str, Any] = {} if buffer_size is None else {"buffer_size": buffer_size}
        self.context: StreamContext[None] = StreamContext(
            sdk_version=sdk_version,
            stream_protocol="text",
            # A record (what on_finish gets) costs a reducer step per delta: only when asked.
            on_finish=None if on_finish is None else self._finished,
            on_error=on_error,
            headers=headers,
            **extra,
        )
        """The text stream the JSON travels in (responses, ``disconnect``, ``stop``)."""

    # --- what the schema says ----------------------------------------------------------------

    @property
    def json_schema(self) -> dict[str, Any]:
        """The JSON schema of the stream's value.

        For the provider call (structured outputs), and for the client's ``useObject({schema:
        jsonSchema(...)})``.
        """
        return self._value.json_schema()

    # --- writers -----------------------------------------------------------------------------

    def write_json(self, delta: str) -> Awaitable[None]:
        """Append JSON text as it comes (e.g. a provider's streamed structured output).

        ``await obj.write_json(delta)``. A lone surrogate is sent as U+FFFD (UTF-8 cannot carry
        it), and shows so.

        Raises:
            ObjectValidationError: The text was closed (:meth:`write_object`, :meth:`close`).
        """
        # (the hot path of a provider's deltas: _open and _send inlined, and the context's
        # write_text is what the caller awaits, one coroutine less per delta)
        if not delta:
            return _nothing()
        if self._closed:
            self._open()  # (raises)
        self._closers = ""  # (raw text closes itself)
        if not delta.isascii():
            delta = well_formed(delta)  # (as the client decodes a lone surrogate)
        self._pieces.append(delta)
        self._size += len(delta)
        return self.context.write_text(delta)

    async def write_partial(self, value: Any) -> None:
        """Send what extends the text so far to show ``value``, a partial value that grows.

        The value is written as JSON whose last string, arrays and objects are left open, so
        the next, larger value continues it; the closing characters go out when the stream
        ends. Each value must extend the previous one (a string may grow, keys and elements
        may be added at the end): the text protocol cannot take anything back. Keys keep the
        value's own order (not JavaScript's, which puts keys such as ``"0"`` first).

        Raises:
            ObjectValidationError: ``value`` is not JSON, or does not extend what was sent.
        """
        opened, closers = _open_json(value)
        sent = self._joined()
        if not opened.startswith(sent):
            raise ObjectValidationError(
                "A partial value must extend the previous one (the text sent cannot be taken "
                "back): keep earlier keys and elements as they were, add new ones at the end, "
                "and let only the last string grow."
            )
        self._open()
        self._closers = closers
        await self._send(opened[len(sent) :])

    async def write_element(self, element: Any) -> None:
        """Append one complete element to an array stream (``output="array"``).

        The element is validated against the schema first, and refused before anything is
        sent when it fails.

        Raises:
            ObjectValidationError: Not an array stream, or the element fails the schema.
        """
        if self.output != "array":
            raise ObjectValidationError(
                'write_element needs output="array" (an object stream takes write_partial, '
                "write_json or write_object)."
            )
        text = _dumps(self._validated(self._element, element))
        self._open()
        first = self._elements == 0 and not self._size
        self._elements += 1
        self._closers = "]"
        await self._send(("[" if first else ",") + text)

    async def write_object(self, value: Any) -> None:
        """Send the whole final value at once (validated first) and close the text.

        Raises:
            ObjectValidationError: The value fails the schema, or does not extend the text
                already sent.
        """
        text = _dumps(self._validated(self._value, value))
        sent = self._joined()
        if not text.startswith(sent):
            raise ObjectValidationError(
                "The final value does not extend the text already sent (the text protocol "
                "cannot take it back)."
            )
        self._open()
        self._closers = ""
        await self._send(text[len(sent) :])
        self._closed = True

    # --- what was sent -----------------------------------------------------------------------

    @property
    def text(self) -> str:
        """The JSON text sent so far."""
        return self._joined()

    @property
    def partial(self) -> Any:
        """What the client shows now: ``parsePartialJson`` of the text so far.

        The client release's variant; :data:`~ai_stream.protocol.partial_json.UNDEFINED`
        before a value shows. Parsed when read (many small deltas are not parsed per write).
        """
        size, value = self._parsed
        if size != self._size:
            value = parse_with(self._joined(), self._behaviour).value
            self._parsed = (self._size, value)
        return value

    def validate_partial(self) -> T | None:
        """The partial value, validated by the schema as a partial, or ``None``.

        pydantic's ``experimental_allow_partial``: ``None`` while the value is not valid yet
        (e.g. a required field still missing: give fields defaults to see them earlier).
        """
        value = self.partial
        if value is UNDEFINED:
            return None
        try:
            result: T = self._value.validate_python(value, experimental_allow_partial=True)
        except ValidationError:
            return None
        return result

    @property
    def result(self) -> T | None:
        """The final value, validated, once the work ended well.

        ``None`` before, and after a failure (see :attr:`error`).
        """
        return self._result

    @property
    def error(self) -> BaseException | None:
        """Why the stream has no valid final value (the schema's refusal or the work's error)."""
        return self._error

    # --- running -----------------------------------------------------------------------------

    async def run(
        self, work: Callable[[ObjectStreamContext[T], *Ts], Awaitable[object]], *args: *Ts
    ) -> None:
        """Supervise ``work(obj, *args)`` (see :meth:`StreamContext.run`), then close and validate.

        When the work returns, the open strings, arrays and objects are closed and the whole
        text is validated against the schema; a failure is an :class:`ObjectValidationError`
        of the work (logged; the body ends; :attr:`error` and ``on_finish`` have it).
        """

        async def supervised(_ctx: StreamContext[None]) -> None:
            try:
                await work(self, *args)
                await self.close()
            except BaseException as exc:  # (also cancelled: a disconnect or a stop)
                self._result = None
                if self._error is None and isinstance(exc, Exception):
                    self._error = exc
                raise

        await self.context.run(supervised)

    async def close(self) -> None:
        """Close the text and validate it (``run`` does this when the work returns).

        What :meth:`write_partial` and :meth:`write_element` left open is closed first. The
        value validated is the one the client validates: ``parsePartialJson`` of the whole
        text, so a text cut short (a provider that stopped mid-value) counts as the value the
        client repairs it to, as ``useObject`` does.

        Raises:
            ObjectValidationError: The complete text fails the schema (or nothing was sent).
        """
        if not self._closed:
            if self.output == "array" and not self._size:
                self._closers = "[]"
            closers, self._closers = self._closers, ""
            if closers:
                await self._send(closers)
            self._closed = True
        value = self.partial  # (what the client validates: its view of the whole text)
        if value is UNDEFINED:
            self._error = ObjectValidationError(
                "The streamed text is not JSON, not even a truncated JSON value: "
                + ("nothing was sent." if not self._size else "the client shows no value.")
            )
            raise self._error
        try:
            self._result = _validate(self._value, value)
        except ObjectValidationError as exc:
            self._error = exc
            raise

    # --- inside ------------------------------------------------------------------------------

    def _open(self) -> None:
        if self._closed:
            raise ObjectValidationError(
                "The object stream was closed (write_object or close): nothing can follow."
            )

    def _joined(self) -> str:
        """The text sent so far: its pieces joined (once; they stay joined)."""
        pieces = self._pieces
        if len(pieces) > 1:
            pieces[:] = ["".join(pieces)]
        return pieces[0] if pieces else ""

    async def _send(self, text: str) -> None:
        self._pieces.append(text)
        self._size += len(text)
        await self.context.write_text(text)

    @staticmethod
    def _validated(adapter: TypeAdapter[Any], value: Any) -> Any:
        """``value`` validated, as the JSON the client will see."""
        try:
            jsonable = to_jsonable_python(value)
        except Exception as exc:  # (pydantic_core's serializer error for unknown types)
            raise ObjectValidationError(f"The value is not JSON: {type(value).__name__}.") from exc
        return adapter.dump_python(_validate(adapter, jsonable), mode="json")

    async def _finished(self, record: StreamRecord) -> None:
        if record.aborted or self._error is not None:
            self._result = None
        if self._on_finish is not None:
            result = ObjectResult(
                object=self._result,
                error=self._error,
                text=self._joined(),
                aborted=record.aborted,
                record=record,
            )
            outcome = self._on_finish(result)
            if outcome is not None:
                await outcome


async def _nothing() -> None:
    """What ``write_json("")`` returns to await."""


def _validate(adapter: TypeAdapter[Any], value: Any) -> Any:
    """A JSON value validated in pydantic's JSON mode.

    In Python mode when it holds a lone surrogate, which pydantic's JSON parser refuses and
    JavaScript strings hold.

    Raises:
        ObjectValidationError: The value fails the schema (the first error's path and message).
    """
    try:
        try:  # pydantic's own encoder first: fast, and it refuses a lone surrogate
            data = to_json(value)
        except PydanticSerializationError:
            pass
        else:  # (it writes a non-finite number as Infinity or NaN, which are not JSON)
            if b"Infinity" not in data and b"NaN" not in data:
                return adapter.validate_json(data)
        try:
            return adapter.validate_json(_dumps(value))
        except ValidationError as exc:
            if exc.errors()[0]["type"] != "json_invalid":
                raise
        return adapter.validate_python(value)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        where = ".".join(str(item) for item in errors[0]["loc"]) if errors else ""
        raise ObjectValidationError(
            "The value does not match the schema"
            + (f" at {where!r}" if where else "")
            + f": {errors[0]['msg'] if errors else exc.title}.",
            errors,
        ) from None


def _dumps(value: Any) -> str:
    """Compact JSON of a JSON-able value; a lone surrogate is escaped (UTF-8 cannot carry it).

    Only the surrogates are escaped: every other character is written as itself whatever the
    value holds, so that a value's text stays a prefix of the text of a value that extends it.
    """
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError as exc:
        raise ObjectValidationError(f"The value is not JSON: {exc}.") from None
    try:
        text.encode()
    except UnicodeEncodeError:  # (they can only be in strings, where \uXXXX stands for them)
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def _open_json(value: Any) -> tuple[str, str]:
    """The JSON of ``value`` with its trailing closers cut off, and those closers.

    The closers are the ``]``/``}`` at the end and the closing quote of a last string: what a
    larger value continuing this one would come after.
    """
    try:
        jsonable = to_jsonable_python(value)
    except Exception as exc:  # (pydantic_core's serializer error for unknown types)
        raise ObjectValidationError(f"The value is not JSON: {type(value).__name__}.") from exc
    if isinstance(jsonable, Undefined):
        raise ObjectValidationError("The value is not JSON: undefined.")
    text = _dumps(jsonable)
    end = len(text)
    while end and text[end - 1] in "]}":
        end -= 1
    if end and text[end - 1] == '"' and isinstance(_last_scalar(jsonable), str):
        end -= 1
    return text[:end], text[end:]


def _last_scalar(value: Any) -> Any:
    """The value's last scalar in document order (``None`` when it ends with an empty container)."""
    while True:
        if isinstance(value, dict):
            if not value:
                return None
            value = next(reversed(value.values()))
        elif isinstance(value, list):
            if not value:
                return None
            value = value[-1]
        else:
            return value


def stream_context(context: StreamContext[Any] | ObjectStreamContext[Any]) -> StreamContext[Any]:
    """The stream context a response drains: ``context`` itself, or an object stream's."""
    return context.context if isinstance(context, ObjectStreamContext) else context
