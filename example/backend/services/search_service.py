"""A tiny document search: the ``searchDocs`` tool, whose hits become the answer's sources."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ai_stream import StreamContext
    from schemas import RequestInfo

DOCS: list[dict[str, str]] = [
    {
        "id": "doc-context",
        "url": "https://ai-sdk.dev/docs/ai-sdk-ui/stream-protocol",
        "title": "UI Message Stream protocol",
        "text": "The stream protocol: steps, text, reasoning, tools, sources and data parts.",
    },
    {
        "id": "doc-usechat",
        "url": "https://ai-sdk.dev/docs/reference/ai-sdk-ui/use-chat",
        "title": "useChat reference",
        "text": "useChat sends the messages to /api/chat and renders the streamed message.",
    },
    {
        "id": "doc-tools",
        "url": "https://ai-sdk.dev/docs/ai-sdk-ui/chatbot-tool-usage",
        "title": "Chatbot tool usage",
        "text": "Server tools, client-side tools with onToolCall, and tool approvals.",
    },
    {
        "id": "doc-resume",
        "url": "https://ai-sdk.dev/docs/ai-sdk-ui/chatbot-resume-streams",
        "title": "Resuming streams",
        "text": "useChat({resume: true}) reconnects to a running answer after a reload.",
    },
]


def _score(query: str, doc: dict[str, str]) -> int:
    words = {w for w in query.lower().split() if len(w) > 2}
    haystack = f"{doc['title']} {doc['text']}".lower()
    return sum(word in haystack for word in words)


async def search(query: str, *, ctx: StreamContext[RequestInfo], limit: int = 3) -> dict[str, Any]:
    """Find the documents for ``query``; each hit is also sent as a ``source-url`` part."""
    ranked = sorted(DOCS, key=lambda doc: -_score(query, doc))[:limit]
    for doc in ranked:
        await ctx.write_source(doc["id"], doc["url"], doc["title"])
    await ctx.store.set("search.hits", [doc["id"] for doc in ranked])
    return {
        "query": query,
        "results": [
            {"id": d["id"], "title": d["title"], "url": d["url"], "snippet": d["text"]}
            for d in ranked
        ],
    }
