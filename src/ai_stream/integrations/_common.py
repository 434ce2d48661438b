"""What every provider adapter shares: usage metadata, lazy SDK imports, object stream text.

Their result type, :class:`~ai_stream.agent.StreamResult`, belongs to the agent loop that
consumes it.
"""

from __future__ import annotations

import importlib
import json
from typing import TYPE_CHECKING, Any

from ai_stream.exceptions import MissingExtraError, ObjectValidationError

if TYPE_CHECKING:
    from ai_stream.context import StreamContext
    from ai_stream.objects import ObjectStreamContext

__all__ = (
    "ELEMENTS",
    "ObjectText",
    "import_sdk",
    "object_json_schema",
    "usage_metadata",
    "write_metadata",
)


def usage_metadata(usage: dict[str, Any] | None) -> dict[str, Any] | None:
    """The message metadata adapters write for usage: ``{"usage": usage}`` (or ``None``)."""
    return {"usage": usage} if usage else None


async def write_metadata(ctx: StreamContext[Any], metadata: dict[str, Any] | None) -> None:
    """Write message metadata an adapter adds of its own (usage, the agent speaking).

    Nothing when there is none, when the stream already finished, or when the client takes no
    metadata (a text stream carries text only: the adapter's result still has it).
    """
    if (
        metadata is not None
        and not ctx.is_finished
        and ctx.target.accepts_chunk("message-metadata")
    ):
        await ctx.write_message_metadata(metadata)


def import_sdk(module: str, extra: str) -> Any:
    """Import an optional SDK module, or raise ImportError naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(module.split(".")[0], extra, "This integration") from exc


# --- object streams (experimental_useObject) ----------------------------------------------------

ELEMENTS = "elements"
"""The key an array stream's elements go under (the AI SDK's own wrapping of an array output)."""


def object_json_schema(obj: ObjectStreamContext[Any]) -> dict[str, Any]:
    """The JSON schema to ask a provider for ``obj``'s value: an object at the top.

    The schema of the value, or for an array stream (``output="array"``) the object
    ``{"elements": [...]}``, as the AI SDK asks for an array (tools and OpenAI's structured
    outputs take an object only). The pumps of this package unwrap it.
    """
    schema = obj.json_schema
    if obj.output != "array":
        return schema
    defs = schema.pop("$defs", None)
    wrapped: dict[str, Any] = {
        "type": "object",
        "properties": {ELEMENTS: schema},
        "required": [ELEMENTS],
        "additionalProperties": False,
    }
    if defs is not None:
        wrapped["$defs"] = defs
    return wrapped


class _ArrayElements:
    """Finds the complete elements of a JSON array in its text, as the text comes.

    The array is the whole value (``[...]``) or its ``"elements"`` (``{"elements": [...]}``,
    see :func:`object_json_schema`). An element is complete when the ``,`` or the ``]`` after
    it comes. The scan is linear: each character is looked at once.
    """

    def __init__(self) -> None:
        self._depth = 0
        self._array: int | None = None  # the depth of the array's elements, once it opened
        self._closed = False
        self._in_string = False
        self._escaped = False
        self._element: list[str] = []

    def feed(self, text: str) -> list[Any]:
        """Scan more text; return the elements it completed.

        Raises:
            ObjectValidationError: A complete element is not JSON.
        """
        complete: list[Any] = []
        for char in text:
            inside = self._array is not None and not self._closed and self._depth >= self._array
            if inside and self._depth == self._array and not self._in_string and char in ",]":
                element = "".join(self._element).strip()
                self._element.clear()
                if element:
                    try:
                        complete.append(json.loads(element))
                    except ValueError:
                        raise ObjectValidationError(
                            "An element of the streamed array is not JSON."
                        ) from None
                if char == "]":
                    self._closed = True
                    self._depth -= 1
                continue
            if inside:
                self._element.append(char)
            if self._in_string:
                if self._escaped:
                    self._escaped = False
                elif char == "\\":
                    self._escaped = True
                elif char == '"':
                    self._in_string = False
            elif char == '"':
                self._in_string = True
            elif char in "[{":
                self._depth += 1
                if char == "[" and self._array is None and self._depth <= 2:
                    self._array = self._depth
            elif char in "]}":
                self._depth -= 1
        return complete


class ObjectText:
    """Writes a provider's streamed JSON text into an object stream.

    An object stream gets the text as it comes (:meth:`ObjectStreamContext.write_json`); an
    array stream (``output="array"``) gets each element once it is complete
    (:meth:`ObjectStreamContext.write_element`), from ``[...]`` or ``{"elements": [...]}``.
    """

    def __init__(self, obj: ObjectStreamContext[Any]) -> None:
        self.obj = obj
        self._elements = _ArrayElements() if obj.output == "array" else None

    async def write(self, delta: str) -> None:
        """Write the next piece of the text."""
        if self._elements is None:
            await self.obj.write_json(delta)
            return
        for element in self._elements.feed(delta):
            await self.obj.write_element(element)
