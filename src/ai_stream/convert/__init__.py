"""Convert a ``UIMessage`` history (what ``useChat`` sends) into a model provider's input.

One function per target, all pure (no I/O) and with the same options::

    to_openai_chat(messages)        → Chat Completions ``messages`` (plain dicts)
    to_openai_responses(messages)   → Responses ``input`` items (plain dicts)
    to_anthropic(messages)          → ``(system, messages)`` for the Messages API (plain dicts)
    to_langchain(messages)          → LangChain message objects (needs ``ai-stream[langchain]``)

``messages`` may hold :class:`~ai_stream.protocol.messages.UIMessage` models or the JSON objects
``useChat`` sends. The provider SDKs are never imported; their request types are only named for
type checkers.

The rules follow the AI SDK (``convertToModelMessages`` and the ``@ai-sdk/openai`` and
``@ai-sdk/anthropic`` providers):

* **Steps.** An assistant message is split at its ``step-start`` parts. Each step becomes an
  assistant message (text, reasoning where the target takes it, tool calls) followed by the
  results of its tool calls.
* **Tool results.** An output is sent as text (non-string outputs as compact JSON). An
  ``output-error`` is sent as its ``errorText``, flagged as an error where the target has a flag
  (Anthropic ``is_error``, LangChain ``status="error"``).
* **Denied approvals** (``output-denied``, or ``approval-responded`` with ``approved: false``)
  get an error result ``"Tool call execution denied."``, followed by ``" Reason: <reason>"``
  when the user gave one.
* **Pending calls are left out**, call and all: ``input-streaming``, ``input-available``,
  ``approval-requested``, a ``preliminary`` output, and ``approval-responded`` with
  ``approved: true``. An API sent a call without its result fails, so run approved tools first
  and put their outputs into the history (state ``output-available``) before converting.
* **Provider-executed calls** (``providerExecuted``, e.g. web search) are left out with their
  results; the text that used them stays.
* **Files.** Images (``data:`` URLs of JPEG, PNG, GIF or WebP, or http(s) URLs) and PDFs
  become the target's image and document parts, as far as the target takes them. Anthropic
  also takes ``text/plain``. Any other file in a user message becomes a text note, or whatever
  ``unsupported_file`` returns. Files in assistant messages are left out.
* **Reasoning** is sent only where the target can check it: Anthropic ``thinking`` blocks
  need ``providerMetadata.anthropic.signature`` (sent by default). OpenAI Responses
  ``reasoning`` items need ``providerMetadata.openai.itemId`` (opt in with
  ``include_reasoning``). Chat Completions and LangChain drop reasoning unless asked.
* **Data parts** are left out, unless ``data`` turns them into text.
* **Left out entirely:** sources, ``step-start`` (it only splits steps), ai 7 ``custom`` and
  ``reasoning-file`` parts, and unknown parts.
* **Steering.** An ai 7 ``steering-message`` becomes a user message in place.
* **System messages** become system messages; Anthropic gets them as its ``system`` string.
"""

from __future__ import annotations

from ai_stream.convert._anthropic import to_anthropic as to_anthropic
from ai_stream.convert._history import DataPartConverter as DataPartConverter
from ai_stream.convert._history import FileFallback as FileFallback
from ai_stream.convert._langchain import to_langchain as to_langchain
from ai_stream.convert._openai import to_openai_chat as to_openai_chat
from ai_stream.convert._openai import to_openai_responses as to_openai_responses

__all__ = (
    "DataPartConverter",
    "FileFallback",
    "to_anthropic",
    "to_langchain",
    "to_openai_chat",
    "to_openai_responses",
)
