"""UI message chunks → a plain text stream (``TextStreamChatTransport``, ``useCompletion`` text).

The body is the text of the message and nothing else: the client turns every piece it reads
into a ``text-delta`` of one text part (``useChat``) or appends it to the completion
(``useCompletion``). The lifecycle of a text target sends only text chunks, and keeps one text
part and one step open for the whole stream (see ``ClientTarget.text``); what is not text has
no bytes here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ("TEXT_STREAM_HEADERS", "TextStreamEncoder", "well_formed")

TEXT_STREAM_HEADERS: Final[dict[str, str]] = {"content-type": "text/plain; charset=utf-8"}
"""The response headers of a text stream (those of the TS ``toTextStreamResponse``)."""


def well_formed(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD, as the client decodes it.

    UTF-8 cannot carry a lone surrogate; the client's ``TextDecoder`` shows U+FFFD for it.
    """
    try:
        text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


BOM: Final = "\ufeff"
_BOM_BYTES: Final = BOM.encode()


class TextStreamEncoder:
    """The plain text encoder: a ``text-delta`` is its text, every other chunk nothing.

    One encoder per body: the client's ``TextDecoderStream`` drops a byte order mark that opens
    the body, so a text that starts with U+FEFF is sent after one more, and shows as written.
    """

    headers: Final = TEXT_STREAM_HEADERS
    terminator: Final = b""

    def __init__(self) -> None:
        self._opened = False  # bytes were sent: a U+FEFF is text from here on

    def encode(self, chunk: Mapping[str, Any]) -> bytes:
        """Encode one chunk object: the UTF-8 text of a ``text-delta``, else no bytes."""
        if chunk["type"] != "text-delta":
            return b""
        data = str(chunk["delta"]).encode()
        if not self._opened and data:
            self._opened = True
            if data.startswith(_BOM_BYTES):
                return _BOM_BYTES + data
        return data

    @staticmethod
    def delta_affixes(kind: str, part_id: str) -> tuple[bytes, bytes]:
        """Unused: a text stream's run of deltas is sealed as one ``text-delta`` (``encode``)."""
        raise NotImplementedError("a text stream's deltas have no frame around them")
