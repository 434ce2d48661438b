"""Google ADK runs → UI message stream (``ai-stream[google-adk]``).

:func:`stream_adk_run` writes the events of ``Runner.run_async(...)`` into a
:class:`~ai_stream.StreamContext`; :func:`confirmation_message` turns the user's verified
approval decisions into the message that answers ADK's tool confirmations;
:func:`to_adk_contents` turns a ``UIMessage`` history into ``google.genai`` contents.

Run the agent with SSE streaming so that text comes as the model writes it::

    events = runner.run_async(
        user_id=user_id,
        session_id=chat_request.id,
        new_message=new_message,
        run_config=RunConfig(streaming_mode=StreamingMode.SSE),
    )
    await stream_adk_run(ctx, events)

Mapping:

=====================================================  ==========================================
ADK (``Event``)                                        UI message stream
=====================================================  ==========================================
``partial`` events: ``content.parts[].text``           ``text-start/delta/end``
… parts with ``thought=True``                          ``reasoning-start/delta/end``
the final (not partial) event of a model call          ends the text and reasoning parts (its
                                                       text, which repeats the partial events, is
                                                       sent only when no partial event came)
``get_function_calls()`` (final events)                ``tool-input-available`` with the
                                                       arguments
``get_function_responses()``                           ``tool-output-available`` (the response
                                                       object as it is)
… of a call the user rejected                          ``tool-output-denied`` (ai 6+)
``long_running_tool_ids``                              the call is left open (its interim
                                                       response, which ADK gives the model, is
                                                       not sent); finish reason ``tool-calls``
``actions.transfer_to_agent``                          after the ``transfer_to_agent`` tool part,
                                                       a ``data-transfer`` part
                                                       ``{"from", "to"}`` (and ``"reason"``)
``actions.state_delta``                                nothing by default; with ``state=``, a
                                                       ``data-state`` part per delta
the event's ``author`` (an agent)                      ``message-metadata`` ``{"agent": name}``
                                                       when it changes
a model call after tool responses                      ``finish-step`` + ``start-step``
``usage_metadata`` (summed over the run's model       ``message-metadata`` ``{"usage": ...}``
calls; a follow-up request's run counts its own)
``adk_request_confirmation`` (tool confirmation)       ``tool-approval-request`` (signed) for the
                                                       original call; finish reason
                                                       ``tool-calls``
``error_code`` ``MAX_TOKENS``                          finish reason ``length``
``error_code`` ``SAFETY``, ``RECITATION``,             finish reason ``content-filter``
``BLOCKLIST``, ``PROHIBITED_CONTENT``, ``SPII``,
``IMAGE_SAFETY``
any other ``error_code``, and exceptions               :class:`~ai_stream.exceptions.ProviderError`
                                                       raised: masked ``error`` (``on_error``)
=====================================================  ==========================================

Transfers: ADK transfers with a function call of the model (``transfer_to_agent`` with
``{"agent_name": ...}``) whose response event carries ``actions.transfer_to_agent``. The call is
shown as a tool part with its output (so that :func:`to_adk_contents` gives ADK the history it
had), then a ``data-transfer`` part says who transferred to whom, where it happened, like the
Agents SDK bridge's ``data-handoff``. The new agent's model call is the next step.

State: ``actions.state_delta`` may hold what only the server may see, so it is not sent unless
asked: ``state=True`` sends each delta (without ``temp:`` keys) as a ``data-state`` part
``{key: value}``; a function sends what it returns for the delta (``None`` sends nothing). The
session keeps the whole state; read it there (``session.state``) in ``on_finish``.

Errors: what the run raises propagates, and :meth:`StreamContext.run` logs it and sends only
``on_error``'s text (masked by default); an ``error_code`` event other than a length or content
filter stop is raised as a :class:`~ai_stream.exceptions.ProviderError` (``code`` is the error
code, the message ADK's ``error_message``), so it is masked the same way.

Approvals are a round trip, and the server's state is the ADK session. A tool with
``require_confirmation`` (or one calling ``tool_context.request_confirmation()``) makes ADK answer
the call with a placeholder, not sent, and emit an ``adk_request_confirmation`` call naming the
original one; the original call gets a signed ``tool-approval-request`` and the run ends. The
follow-up request continues the same message: :func:`confirmation_message` reads the session's
pending confirmations and answers those the verified decisions
(``ctx.tool_approvals(chat_request)``) name, with ``{"confirmed": true|false}``; run ADK with it as
``new_message``, and pass the decisions to :func:`stream_adk_run` as ``approvals``. Nothing the
client sends is trusted but the signed decisions: the calls and their arguments come from the
session.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import anyio

from ai_stream.agent import StreamResult, ToolCallInfo
from ai_stream.convert._history import (
    AssistantTurn,
    Reasoning,
    SystemTurn,
    Text,
    ToolTurn,
    UserTurn,
    file_source,
    to_turns,
    user_blocks,
)
from ai_stream.exceptions import ProviderError
from ai_stream.integrations._agent_common import (
    aclose_quietly,
    add_usage,
    get,
    jsonable,
    knows_tool,
)
from ai_stream.integrations._common import import_sdk, usage_metadata, write_metadata

if TYPE_CHECKING:
    from google.adk.events import Event
    from google.adk.sessions import Session
    from google.genai import types

    from ai_stream.context import StreamContext
    from ai_stream.convert import DataPartConverter, FileFallback
    from ai_stream.protocol.messages import FileUIPart, ToolApprovalDecision, UIMessage

__all__ = (
    "CONFIRMATION_CALL",
    "confirmation_message",
    "stream_adk_run",
    "to_adk_contents",
)

logger = logging.getLogger("ai_stream")

_PROVIDER = "google-adk"

CONFIRMATION_CALL = "adk_request_confirmation"
"""The name of the function call with which ADK asks to confirm a tool call."""

_DEFAULT_HINT = "Please approve or reject the tool call "
"""The start of ADK's own confirmation hint (developer text, not sent to the user)."""

_LENGTH = {"MAX_TOKENS"}
_FILTERED = {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"}

StateFilter = Callable[[dict[str, Any]], Any]
"""Turns a state delta into the ``data-state`` payload, or ``None`` to send nothing."""


# --- the stream ----------------------------------------------------------------------------------


def _code(value: Any) -> str:
    """An error code or finish reason (an enum or a string) as its name."""
    name = getattr(value, "name", None)
    return str(name if isinstance(name, str) else value)


def _usage(usage: Any) -> dict[str, int] | None:
    """``GenerateContentResponseUsageMetadata`` → the documented usage shape (``None``: none)."""
    if usage is None:
        return None
    prompt = int(get(usage, "prompt_token_count") or 0)
    candidates = int(get(usage, "candidates_token_count") or 0)
    thoughts = int(get(usage, "thoughts_token_count") or 0)
    if not (prompt or candidates or thoughts):
        return None
    result = {
        "inputTokens": prompt,
        "outputTokens": candidates + thoughts,
        "totalTokens": int(get(usage, "total_token_count") or (prompt + candidates + thoughts)),
    }
    if thoughts:
        result["reasoningTokens"] = thoughts
    cached = int(get(usage, "cached_content_token_count") or 0)
    if cached:
        result["cachedInputTokens"] = cached
    return result


def _parts(event: Any) -> list[Any]:
    content = get(event, "content")
    return list(get(content, "parts") or ())


class _EventWriter:
    def __init__(
        self, ctx: StreamContext[Any], rejected: set[str], state: bool | StateFilter
    ) -> None:
        self.ctx = ctx
        self.rejected = rejected
        self.state = state
        self.result = StreamResult()
        self.agent: str | None = None
        self.streamed = False  # a partial event of the current model call was written
        self.answered = False  # tool responses came since the last model call: a new step
        self.open: set[str] = set()  # long-running calls left open
        self.awaiting: set[str] = set()  # calls waiting for the user's confirmation
        self.usage: dict[str, int] = {}
        self.stop: str | None = None

    async def event(self, event: Event) -> None:
        author = event.author
        if author and author != "user" and author != self.agent:
            self.agent = author
            await write_metadata(self.ctx, {"agent": author})
        if event.partial:
            await self._text(event)
        else:
            if not self.streamed:
                await self._text(event)
            self.streamed = False
            await self.ctx.end_text()
            await self.ctx.end_reasoning()
            usage = _usage(event.usage_metadata)
            if usage is not None:
                add_usage(self.usage, usage)
            long_running = set(event.long_running_tool_ids or ())
            for call in event.get_function_calls():
                await self._call(call, long_running)
            confirming = set(event.actions.requested_tool_confirmations or ())
            for response in event.get_function_responses():
                await self._response(response, confirming)
            await self._actions(event)
        if event.error_code:
            self._error(event)

    async def _next_step(self) -> None:
        if self.answered:
            self.answered = False
            await self.ctx.new_step()

    async def _text(self, event: Event) -> None:
        for part in _parts(event):
            text = get(part, "text")
            if not text:
                continue
            await self._next_step()
            if get(part, "thought"):
                await self.ctx.write_reasoning(text)
            else:
                await self.ctx.write_text(text)
            if event.partial:
                self.streamed = True

    async def _call(self, call: types.FunctionCall, long_running: set[str]) -> None:
        ctx = self.ctx
        if call.name == CONFIRMATION_CALL:
            await self._confirmation(call)
            return
        call_id, name = str(call.id), str(call.name)
        if call.id in long_running:
            self.open.add(call_id)
        if knows_tool(ctx, call_id):
            return  # a call of the continued message
        await self._next_step()
        args = jsonable(call.args or {})
        self.result.tool_calls.append(ToolCallInfo(call_id, name, args))
        await ctx.begin_tool_call(name, args, tool_call_id=call_id)

    async def _confirmation(self, call: types.FunctionCall) -> None:
        ctx = self.ctx
        args = call.args or {}
        original = args.get("originalFunctionCall")
        if not isinstance(original, Mapping) or not original.get("id"):
            logger.warning("Google ADK: a tool confirmation without its call is not sent")
            return
        call_id, name = str(original["id"]), str(original.get("name") or "tool")
        self.awaiting.add(call_id)
        state = ctx.tool_call_state(call_id)
        if state is None:
            input = jsonable(original.get("args") or {})
            self.result.tool_calls.append(ToolCallInfo(call_id, name, input))
            await ctx.begin_tool_call(name, input, tool_call_id=call_id)
            state = "input-available"
        if state != "input-available" or not ctx.target.accepts_chunk("tool-approval-request"):
            return  # ai 5 has no approvals: the call is left waiting
        confirmation = args.get("toolConfirmation")
        hint = confirmation.get("hint") if isinstance(confirmation, Mapping) else None
        reason = (
            hint if isinstance(hint, str) and hint and not hint.startswith(_DEFAULT_HINT) else None
        )
        await ctx.request_tool_approval(call_id, reason=reason)

    async def _response(self, response: types.FunctionResponse, confirming: set[str]) -> None:
        ctx = self.ctx
        call_id = str(response.id)
        if response.name == CONFIRMATION_CALL or response.id in confirming:
            return  # the placeholder answer of a call that waits for confirmation
        if call_id in self.open:
            self.answered = True  # the model is called again with the interim response,
            return  # which is not the call's output: the call is left open
        state = ctx.tool_call_state(call_id)
        if state is None:
            logger.warning(
                "Google ADK: response of an unknown function call %r is not sent", call_id
            )
            return
        if state.startswith("output-"):
            return
        self.answered = True
        self.awaiting.discard(call_id)
        if call_id in self.rejected and ctx.target.accepts_chunk("tool-output-denied"):
            await ctx.deny_tool_call(call_id)
        else:
            await ctx.complete_tool_call(call_id, jsonable(response.response))

    async def _actions(self, event: Event) -> None:
        actions = event.actions
        target = actions.transfer_to_agent
        if target:
            transfer: dict[str, Any] = {"from": event.author, "to": target}
            if actions.transfer_reason:
                transfer["reason"] = actions.transfer_reason
            self.answered = True
            await self.ctx.write_data("transfer", transfer)
        delta = actions.state_delta
        if delta and self.state is not False:
            if self.state is True:
                payload: Any = {k: v for k, v in delta.items() if not k.startswith("temp:")}
            else:
                payload = self.state(dict(delta))
            if payload:
                await self.ctx.write_data("state", jsonable(payload))

    def _error(self, event: Event) -> None:
        code = _code(event.error_code)
        if code in _LENGTH:
            self.stop = "length"
        elif code in _FILTERED:
            self.stop = "content-filter"
        else:
            raise ProviderError(
                event.error_message or f"Google ADK error {code}",
                provider=_PROVIDER,
                code=code,
            )

    async def finish(self) -> StreamResult:
        ctx = self.ctx
        result = self.result
        await ctx.end_text()
        await ctx.end_reasoning()
        result.usage = dict(self.usage) or None
        waiting = self.awaiting | {
            c for c in self.open if ctx.tool_call_state(c) == "input-available"
        }
        result.finish_reason = "tool-calls" if waiting else (self.stop or "stop")
        result.provider_metadata = {_PROVIDER: {"lastAgent": self.agent}}
        await write_metadata(ctx, usage_metadata(result.usage))
        return result


async def stream_adk_run(
    ctx: StreamContext[Any],
    events: AsyncIterator[Event],
    *,
    approvals: Iterable[ToolApprovalDecision] = (),
    state: bool | StateFilter = False,
) -> StreamResult:
    """Write a Google ADK run (the events of ``Runner.run_async``) into ``ctx``.

    Text and thoughts stream from the partial events (run with
    ``RunConfig(streaming_mode=StreamingMode.SSE)``; without it each model call's text comes
    whole); function calls are tool parts with their arguments, function responses their
    outputs; long-running calls are left open; each model call after tool responses is a step;
    a transfer is its ``transfer_to_agent`` tool part and a ``data-transfer`` part
    ``{"from", "to"}``; the agent speaking is the message metadata's ``agent``, the summed usage
    its ``usage``. See the module's table.

    A run that stops for tool confirmations gets a signed ``tool-approval-request`` per call
    (ai 6+: the context needs the chat id and the approval secret,
    ``StreamContext.for_request(chat_request, approval_secret=...)``; ai 5, which has no
    approvals, is left the calls) and finish reason ``tool-calls``. Answer it on the follow-up
    request with :func:`confirmation_message`, and pass the decisions here as ``approvals`` so
    that the rejected calls are shown denied.

    When the work is cancelled (the client disconnected, ``ctx.stop()``), the run's generator is
    closed (``aclose``), which stops ADK and its model call. What the run raises propagates
    (``ctx.run`` masks it), as does an ``error_code`` event (a :class:`ProviderError`); open text
    and reasoning parts are ended, the context is not finished.

    Example::

        async def work(ctx):
            events = runner.run_async(
                user_id="u", session_id=chat_request.id, new_message=new_message,
                run_config=RunConfig(streaming_mode=StreamingMode.SSE),
            )
            await stream_adk_run(ctx, events)

    Args:
        ctx: The context to write into.
        events: What ``Runner.run_async`` returned (not yet iterated).
        approvals: The verified decisions this run resumes with (denied calls are shown as
            ``tool-output-denied``).
        state: Send state deltas as ``data-state`` parts: ``True`` sends each delta without its
            ``temp:`` keys, a function sends what it returns for the delta (``None``: nothing).
            Off by default: state may hold what only the server may see.

    Returns:
        The finish reason (``tool-calls`` when confirmations or long-running calls wait,
        ``length`` or ``content-filter`` for those stops, else ``stop``), the usage summed over
        the model calls, the function calls announced, and
        ``provider_metadata["google-adk"]["lastAgent"]``.

    Raises:
        ProviderError: An event reported an error (``error_code``).
    """
    import_sdk("google.adk", _PROVIDER)
    rejected = {d.tool_call_id for d in approvals if not d.approved}
    writer = _EventWriter(ctx, rejected, state)
    try:
        async for event in events:
            await writer.event(event)
        return await writer.finish()
    finally:
        with anyio.CancelScope(shield=True):
            await aclose_quietly(events)


# --- approvals -----------------------------------------------------------------------------------


def _pending_confirmations(session: Session) -> dict[str, tuple[str, types.FunctionCall]]:
    """Original call id → (confirmation call id, original call) of unanswered confirmations."""
    answered = {
        str(response.id)
        for event in session.events
        for response in event.get_function_responses()
        if response.name == CONFIRMATION_CALL
    }
    sdk = import_sdk("google.genai.types", _PROVIDER)
    pending: dict[str, tuple[str, types.FunctionCall]] = {}
    for event in session.events:
        for call in event.get_function_calls():
            if call.name != CONFIRMATION_CALL or not call.id or call.id in answered:
                continue
            original = (call.args or {}).get("originalFunctionCall")
            if isinstance(original, Mapping) and original.get("id"):
                pending[str(original["id"])] = (call.id, sdk.FunctionCall(**original))
    return pending


def confirmation_message(
    session: Session, decisions: Iterable[ToolApprovalDecision]
) -> types.Content | None:
    """The message that answers the session's pending tool confirmations with the decisions.

    For each confirmation ADK asked for in ``session`` (an ``adk_request_confirmation`` call not
    answered yet) whose original call has a decision with the same call id and tool name, a
    ``FunctionResponse`` ``{"confirmed": approved}``. Run ADK with it as ``new_message``; ADK
    then runs the confirmed calls with the arguments it kept and answers rejected ones with its
    rejection. The decisions must be verified ones: ``ctx.tool_approvals(chat_request)``.
    Confirmations without a decision stay pending.

    Example::

        session = await runner.session_service.get_session(
            app_name=runner.app_name, user_id="u", session_id=chat_request.id
        )
        decisions = ctx.tool_approvals(chat_request)
        message = confirmation_message(session, decisions)

    Args:
        session: The ADK session of the chat (from the session service, server side).
        decisions: The verified decisions.

    Returns:
        A ``user`` ``Content`` with the responses, or ``None`` when no decision answers a
        pending confirmation (already answered, or the session is not the one that asked).
    """
    sdk = import_sdk("google.genai.types", _PROVIDER)
    pending = _pending_confirmations(session)
    parts: list[types.Part] = []
    for decision in decisions:
        found = pending.pop(decision.tool_call_id, None)
        if found is None:
            continue
        request_id, original = found
        if original.name != decision.tool_name:
            logger.warning(
                "Google ADK: the decision on %r names another tool; not sent",
                decision.tool_call_id,
            )
            continue
        response = sdk.FunctionResponse(
            id=request_id, name=CONFIRMATION_CALL, response={"confirmed": decision.approved}
        )
        parts.append(sdk.Part(function_response=response))
    if not parts:
        return None
    content: types.Content = sdk.Content(role="user", parts=parts)
    return content


# --- history -------------------------------------------------------------------------------------


def _response_object(content: str, is_error: bool) -> dict[str, Any]:
    """A tool result's text as ADK's function response object."""
    if is_error:
        return {"error": content}
    try:
        value = json.loads(content)
    except ValueError:
        return {"result": content}
    return value if isinstance(value, dict) else {"result": value}


def _file_part(sdk: Any, part: FileUIPart) -> Any:
    source = file_source(part)
    media = source.media_type
    inline = source.kind != "other" or media.startswith(("audio/", "video/"))
    if not inline:
        return None
    if source.base64 is not None:
        return sdk.Part(inline_data=sdk.Blob(mime_type=media, data=base64.b64decode(source.base64)))
    if source.url is not None:
        return sdk.Part(file_data=sdk.FileData(file_uri=source.url, mime_type=media))
    return None


def to_adk_contents(
    messages: Iterable[UIMessage | Mapping[str, Any]],
    *,
    data: DataPartConverter | None = None,
    unsupported_file: FileFallback | None = None,
    include_reasoning: bool = False,
) -> list[types.Content]:
    """Convert a ``UIMessage`` history into ``google.genai`` contents, as ADK keeps them.

    User messages become ``user`` contents (text, and images, PDFs, text, audio and video files
    as ``inline_data`` for ``data:`` URLs or ``file_data`` for http(s) URLs; other files become
    the text of ``unsupported_file``); each step of an assistant message a ``model`` content
    (text, and function calls with their ids and arguments), followed by one ``user`` content
    with the step's function responses: an output object as it is (other outputs as
    ``{"result": ...}``, as ADK wraps them), a tool error or a denied approval as
    ``{"error": text}``. Pending calls and provider-executed calls are left out, and so are
    system messages (give the agent its instruction) and data parts (``data-transfer``
    included) unless ``data`` turns them into text. The rules are those of
    :mod:`ai_stream.convert`.

    For an app that does not keep ADK sessions, seed a new session with all but the last
    content (as events of ``"user"`` and of the agent) and run with the last as
    ``new_message``.

    Example::

        *history, new_message = to_adk_contents(chat_request.messages)

    Args:
        messages: The history: :class:`~ai_stream.protocol.messages.UIMessage` models or the
            JSON objects ``useChat`` sends (validated).
        data: Turns a ``data-*`` part into text (``None`` leaves it out).
        unsupported_file: Turns a file the model cannot take into text (``None`` leaves it
            out); by default ``"[Attached file omitted: <filename> (<media type>)]"``.
        include_reasoning: Send reasoning as ``thought`` parts (off by default).

    Returns:
        The contents, in order.

    Raises:
        ImportError: ``google-genai`` is not installed (``pip install 'ai-stream[google-adk]'``).
        pydantic.ValidationError: A message is not a valid ``UIMessage``.
    """
    sdk = import_sdk("google.genai.types", _PROVIDER)
    contents: list[types.Content] = []
    for turn in to_turns(messages, data=data):
        if isinstance(turn, SystemTurn):
            continue
        if isinstance(turn, UserTurn):
            parts = user_blocks(
                turn,
                unsupported_file,
                text=lambda text: sdk.Part(text=text),
                file=lambda part, _: _file_part(sdk, part),
            )
            if parts:
                contents.append(sdk.Content(role="user", parts=parts))
        elif isinstance(turn, AssistantTurn):
            model_parts: list[Any] = []
            for item in turn.content:
                if isinstance(item, Text):
                    model_parts.append(sdk.Part(text=item.text))
                elif isinstance(item, Reasoning):
                    if include_reasoning and item.text:
                        model_parts.append(sdk.Part(text=item.text, thought=True))
                else:
                    call = sdk.FunctionCall(
                        id=item.tool_call_id, name=item.tool_name, args=item.input_object
                    )
                    model_parts.append(sdk.Part(function_call=call))
            if model_parts:
                contents.append(sdk.Content(role="model", parts=model_parts))
        elif isinstance(turn, ToolTurn):
            responses = [
                sdk.Part(
                    function_response=sdk.FunctionResponse(
                        id=result.tool_call_id,
                        name=result.tool_name,
                        response=_response_object(result.content, result.is_error),
                    )
                )
                for result in turn.results
            ]
            contents.append(sdk.Content(role="user", parts=responses))
    return contents
