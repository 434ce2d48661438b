"""The server owns the chat: a :class:`ChatStore` keeps every chat as ``useChat`` shows it.

With a store, a request is answered from the stored history, and the body is trusted only
where the user may change the chat (see :mod:`ai_stream.protocol.trust`)::

    chats = MemoryChatStore()  # or SQLChatStore("sqlite+aiosqlite:///chats.db")

    @app.post("/api/chat")
    async def chat(request: Request) -> Response:
        body = await ChatRequest.from_request(request)
        try:
            turn = await begin_turn(chats, body, user=user_id, client_tools={"getLocation"})
        except ChatError as error:  # 404, 409 or 503
            return JSONResponse(error.to_dict(), status_code=error.status_code)
        ctx = StreamContext.for_request(turn.request, on_finish=turn.save)
        await ctx.run(work, turn.request)
        return UIMessageStreamResponse(ctx)

:func:`begin_turn` takes the chat's *turn*: one answer per chat at a time, on every worker
that shares the store (a second request waits up to ``wait`` seconds, then gets
:class:`~ai_stream.ChatConflictError` with ``busy``). It saves the user message at once (a
reload shows it while the answer runs), and the decisions it took from the body (so that a
replay finds them taken). ``turn.save`` (``on_finish``) writes the answer, a continuation in
place, and gives the turn back. Both full-history bodies and "last message only" bodies
(``prepareSendMessagesRequest`` sending ``{id, message, trigger, messageId}``) work: the stored
copy is what counts.
"""

from __future__ import annotations

import copy
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

import anyio

from ai_stream.exceptions import (
    AIStreamError,
    ChatConflictError,
    ChatNotFoundError,
    ChatStoreError,
)
from ai_stream.protocol.messages import ChatRequest
from ai_stream.protocol.trust import TrustedHistory, close_interrupted, merge_request

if TYPE_CHECKING:
    from collections.abc import Awaitable, Collection

    from ai_stream.record import StreamRecord

T = TypeVar("T")

__all__ = (
    "ChatStore",
    "ChatTurn",
    "Claim",
    "MemoryChatStore",
    "StoredChat",
    "begin_turn",
)

logger = logging.getLogger("ai_stream")

Claim = Literal["claimed", "busy", "forbidden"]
"""What :meth:`ChatStore.claim` found: the turn is ours, another's, or the chat another user's."""


@dataclass
class StoredChat:
    """A chat as the store keeps it.

    Attributes:
        id: The chat id.
        owner: The user it belongs to (``None``: no owner, e.g. a single-user app).
        messages: Its ``UIMessage`` JSON objects, oldest first, as ``useChat`` shows them.
        updated_at: When it last changed (seconds since the epoch).
    """

    id: str
    owner: str | None
    messages: list[dict[str, Any]] = field(default_factory=list)
    updated_at: float = 0.0


class ChatStore(Protocol):
    """Where chats are kept. Every method is safe to call concurrently, from any worker."""

    async def claim(self, chat_id: str, *, owner: str | None, turn: str, ttl: float) -> Claim:
        """Atomically: create the chat for ``owner`` if it is new, then take its turn.

        ``"forbidden"`` when the chat is another owner's, ``"busy"`` while another turn holds
        it (a turn expires ``ttl`` seconds after it was taken), else ``"claimed"``.
        """
        ...

    async def load(self, chat_id: str) -> StoredChat | None:
        """The chat, or ``None``."""
        ...

    async def save(self, chat_id: str, messages: list[dict[str, Any]], *, turn: str) -> bool:
        """Replace the chat's messages if ``turn`` still holds it; whether it did."""
        ...

    async def release(self, chat_id: str, turn: str) -> None:
        """Give the turn back (nothing if ``turn`` no longer holds it)."""
        ...

    async def list_chats(self, owner: str | None) -> list[StoredChat]:
        """The owner's chats, the most recently changed first."""
        ...

    async def delete(self, chat_id: str, owner: str | None) -> bool:
        """Delete the owner's chat; whether there was one."""
        ...


@dataclass
class _MemoryChat:
    chat: StoredChat
    turn: str | None = None
    turn_until: float = 0.0


class MemoryChatStore:
    """A :class:`ChatStore` in this process's memory (one worker; tests, demos)."""

    def __init__(self) -> None:
        self._chats: dict[str, _MemoryChat] = {}

    async def claim(self, chat_id: str, *, owner: str | None, turn: str, ttl: float) -> Claim:
        """See :meth:`ChatStore.claim`."""
        now = time.time()
        entry = self._chats.setdefault(chat_id, _MemoryChat(StoredChat(chat_id, owner, [], now)))
        if entry.chat.owner != owner:
            return "forbidden"
        if entry.turn is not None and entry.turn_until > now:
            return "busy"
        entry.turn, entry.turn_until = turn, now + ttl
        return "claimed"

    async def load(self, chat_id: str) -> StoredChat | None:
        """See :meth:`ChatStore.load` (a copy)."""
        entry = self._chats.get(chat_id)
        return copy.deepcopy(entry.chat) if entry is not None else None

    async def save(self, chat_id: str, messages: list[dict[str, Any]], *, turn: str) -> bool:
        """See :meth:`ChatStore.save`."""
        entry = self._chats.get(chat_id)
        if entry is None or entry.turn != turn:
            return False
        entry.chat.messages, entry.chat.updated_at = copy.deepcopy(messages), time.time()
        return True

    async def release(self, chat_id: str, turn: str) -> None:
        """See :meth:`ChatStore.release`."""
        entry = self._chats.get(chat_id)
        if entry is not None and entry.turn == turn:
            entry.turn = None

    async def list_chats(self, owner: str | None) -> list[StoredChat]:
        """See :meth:`ChatStore.list_chats`."""
        chats = [copy.deepcopy(e.chat) for e in self._chats.values() if e.chat.owner == owner]
        return sorted(chats, key=lambda chat: chat.updated_at, reverse=True)

    async def delete(self, chat_id: str, owner: str | None) -> bool:
        """See :meth:`ChatStore.delete`."""
        entry = self._chats.get(chat_id)
        if entry is None or entry.chat.owner != owner:
            return False
        del self._chats[chat_id]
        return True


class ChatTurn:
    """One answer's hold on a chat (from :func:`begin_turn`).

    Attributes:
        request: The request to answer: the body with the trusted history in place of the
            client's (give it to ``StreamContext.for_request`` and to the model).
        trusted: What was taken from the body (:class:`~ai_stream.protocol.trust.TrustedHistory`).
    """

    def __init__(
        self,
        store: ChatStore,
        chat_id: str,
        turn: str,
        request: ChatRequest,
        trusted: TrustedHistory,
    ) -> None:
        self.store, self.chat_id, self.turn = store, chat_id, turn
        self.request, self.trusted = request, trusted
        self._done = False

    async def save(self, record: StreamRecord) -> None:
        """Save the answer and give the turn back (use it as ``on_finish``).

        A new answer is appended (unless it has no parts); a continuation replaces the message
        it continued. When the answer was cut off, the calls approved in this turn that got no
        output are closed as errors, so that they are never reported as approved again.
        """
        if self._done:
            return
        self._done = True
        messages = self.trusted.messages
        message = record.to_ui_message()
        if record.aborted:
            close_interrupted(message, self.trusted.decisions)
        if self.trusted.continuation:
            messages = [*messages[:-1], message]
        elif message.get("parts"):
            messages = [*messages, message]
        try:
            if not await self.store.save(self.chat_id, messages, turn=self.turn):
                logger.warning("A chat's answer was not saved: its turn had expired")
        finally:
            await self.store.release(self.chat_id, self.turn)

    async def release(self) -> None:
        """Give the turn back without an answer (when no stream is made after all)."""
        if not self._done:
            self._done = True
            await self.store.release(self.chat_id, self.turn)


async def begin_turn(
    store: ChatStore,
    body: ChatRequest,
    *,
    user: str | None,
    client_tools: Collection[str] = (),
    wait: float = 5.0,
    ttl: float = 600.0,
) -> ChatTurn:
    """Take the chat's turn and build the request to answer from the stored chat.

    Args:
        store: Where the chats are.
        body: The parsed request (full history or last message only).
        user: Who asks (the chat's owner; a new chat becomes theirs).
        client_tools: The tools the browser runs: only their outputs are taken from a body.
        wait: Seconds to wait for another answer of the chat to end.
        ttl: Seconds after which a turn that was never given back (a dead worker) expires.

    Raises:
        ChatNotFoundError: The chat is another user's (404, as for a chat that does not exist).
        ChatConflictError: Another answer still runs after ``wait`` (``busy``), or the body
            continues or regenerates a message the chat does not have.
        ChatStoreError: The store failed (503; logged with the store's exception). All three
            are a :class:`~ai_stream.exceptions.ChatError`: answer it with its ``to_dict()``
            and ``status_code``.
    """
    turn = secrets.token_hex(8)
    deadline = anyio.current_time() + wait
    while (claim := await _stored(store.claim(body.id, owner=user, turn=turn, ttl=ttl))) != (
        "claimed"
    ):
        if claim == "forbidden":
            raise ChatNotFoundError()
        if anyio.current_time() >= deadline:
            raise ChatConflictError(busy=True)
        await anyio.sleep(0.05)
    try:
        chat = await _stored(store.load(body.id))
        trusted = merge_request(chat.messages if chat else [], body, client_tools=client_tools)
        await _stored(store.save(body.id, trusted.messages, turn=turn))  # the user message, now
        fields = body.model_dump(
            mode="json", by_alias=True, exclude_unset=True, exclude={"messages"}
        )
        request = ChatRequest.model_validate({**fields, "messages": trusted.messages})
    except BaseException:
        with anyio.CancelScope(shield=True):
            try:
                await store.release(body.id, turn)
            except Exception:  # (the turn expires after ttl)
                logger.warning("A chat's turn could not be given back", exc_info=True)
        raise
    return ChatTurn(store, body.id, turn, request, trusted)


async def _stored(call: Awaitable[T]) -> T:
    """The result of a store call; a failure of the store is a :class:`ChatStoreError`."""
    try:
        return await call
    except AIStreamError:
        raise
    except Exception as exc:
        logger.warning("The chat store failed", exc_info=True)
        raise ChatStoreError() from exc
