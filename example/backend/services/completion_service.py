"""The completion page's model: a text for a prompt, the demo model or a real one.

A :class:`CompletionModel` writes text into a context of either protocol (``"data"``: the UI
message stream ``useCompletion`` reads by default; ``"text"``: plain text), so the route picks
the protocol and the model does not care.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from services.demo_model import DemoModel

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from ai_stream import StreamContext
    from settings import Settings

COMPLETION_PROMPT = (
    "You are the ai_stream demo's completion model. Answer or continue the user's text in one "
    "or two short paragraphs of plain prose (no markdown)."
)


class CompletionModel(Protocol):
    """Streams the completion of ``prompt`` into ``ctx`` (text only)."""

    async def __call__(self, ctx: StreamContext[Any], prompt: str) -> None: ...


def openai_completion(settings: Settings, client: AsyncOpenAI | None = None) -> CompletionModel:
    """A real model through the OpenAI Chat Completions API (any compatible server)."""
    from openai import AsyncOpenAI

    if client is None:
        client = AsyncOpenAI(api_key=settings.openai_api_key, base_url=settings.openai_base_url)

    async def complete(ctx: StreamContext[Any], prompt: str) -> None:
        stream = await client.chat.completions.create(
            model=settings.openai_model,
            messages=[
                {"role": "system", "content": COMPLETION_PROMPT},
                {"role": "user", "content": prompt},
            ],
            stream=True,
        )
        try:  # (a stop cancels this loop; the finally closes the HTTP stream)
            async for chunk in stream:
                for choice in chunk.choices:
                    if choice.index == 0 and choice.delta.content:
                        await ctx.write_text(choice.delta.content)
        finally:
            await stream.close()

    return complete


def make_completion_model(settings: Settings, client: AsyncOpenAI | None = None) -> CompletionModel:
    """The real model when ``OPENAI_API_KEY`` is set, else the offline demo model."""
    if settings.openai_api_key:
        return openai_completion(settings, client)
    return DemoModel(settings.demo_delay).complete
