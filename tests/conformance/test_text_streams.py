"""Text streams and completions through the real client code of every installed release.

A text stream (``stream_protocol="text"``) is read by ``TextStreamChatTransport`` (``useChat``)
and by ``callCompletionApi`` with ``streamProtocol: "text"`` (``useCompletion``); a completion in
the ``"data"`` protocol is the UI message stream. Random writer programs are written, their body
replayed through each release (split into small reads, so multi-byte characters are cut), and
what the client shows is compared with the context's record in one assertion per program.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Literal

import anyio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ai_stream import CompletionRequest, StreamContext
from ai_stream.testing import collect_stream
from tests.conformance.client import FIRST_AND_LATEST, replay_text

V4 = "4.3.19"  # (useCompletion of ai 4: callCompletionApi of @ai-sdk/ui-utils 1.2)

Op = tuple[Literal["text", "end", "step", "fail"], str]

TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["é", "😀", "\u2028", "\ud800", "\udfff", "\x00", "\r", "\n", "中"]),
    ),
    max_size=12,
)
_KIND: st.SearchStrategy[Literal["end", "step"]] = st.sampled_from(["end", "step"])
OPS: st.SearchStrategy[list[Op]] = st.lists(
    st.one_of(
        st.tuples(st.just("text"), TEXT),
        st.tuples(_KIND, st.just("")),
    ),
    max_size=8,
)


@dataclass
class Written:
    body: bytes
    message: dict[str, Any]
    text: str
    finish_reason: str | None


async def _write(
    ops: list[Op],
    protocol: Literal["data", "text"],
    raises: bool,
    error_text: str | None,
    sdk_version: int,
) -> Written:
    ctx: StreamContext = StreamContext(
        sdk_version=sdk_version,
        stream_protocol=protocol,
        collect=True,
        on_error=None if error_text is None else (lambda error: error_text),
    )

    async def work(ctx: StreamContext) -> None:
        for kind, text in ops:
            if kind == "text":
                await ctx.write_text(text)
            elif kind == "end":
                await ctx.end_text()
            else:
                await ctx.new_step()
        if raises:
            raise RuntimeError("the model failed")

    await ctx.run(work)
    body = await collect_stream(ctx)
    record = ctx.record
    assert record is not None
    return Written(body, record.to_ui_message(), record.text, record.finish_reason)


def write(
    ops: list[Op],
    protocol: Literal["data", "text"],
    *,
    raises: bool = False,
    error_text: str | None = None,
    sdk_version: int = 6,
) -> Written:
    return anyio.run(_write, ops, protocol, raises, error_text, sdk_version)


def _case(name: str, body: bytes, runs: list[str], split: int) -> dict[str, Any]:
    encoded = base64.b64encode(body).decode()
    return {"name": name, "bodyBase64": encoded, "splitBytes": split, "runs": runs}


def _seen(written: Written) -> dict[str, Any]:
    """What each client should show for a text stream: the record."""
    parts = written.message["parts"]
    return {"chat": {"status": "ready", "error": None, "parts": parts}, "completion": written.text}


def _shown(runs: dict[str, Any]) -> dict[str, Any]:
    chat = runs["chat-text"]
    return {
        "chat": {
            "status": chat["status"],
            "error": chat["error"],
            "parts": chat["message"]["parts"],
        },
        "completion": runs["completion-text"]["completion"],
    }


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(programs=st.lists(st.tuples(OPS, st.integers(1, 5)), min_size=12, max_size=12))
def test_text_programs_show_what_the_record_says(programs: list[tuple[list[Op], int]]) -> None:
    """12 programs per example, replayed in one node run through every installed release."""
    written = [write(ops, "text") for ops, _ in programs]
    cases = [
        _case(str(i), w.body, ["chat-text", "completion-text"], split)
        for i, (w, (_, split)) in enumerate(zip(written, programs, strict=True))
    ]
    results = replay_text(cases)
    shown = {
        name: {release: _shown(runs) for release, runs in by_release.items()}
        for name, by_release in results.items()
    }
    assert shown == {
        str(i): dict.fromkeys(results[str(i)], _seen(w)) for i, w in enumerate(written)
    }


def test_text_stream_error_appends_on_error_text_or_ends_quietly() -> None:
    quiet = write([("text", "Hel"), ("text", "lo")], "text", raises=True)
    told = write([("text", "Hello")], "text", raises=True, error_text=" [the answer failed]")
    assert quiet.finish_reason == told.finish_reason == "error"
    results = replay_text(
        [
            _case("quiet", quiet.body, ["chat-text", "completion-text"], 2),
            _case("told", told.body, ["chat-text", "completion-text"], 2),
        ]
    )
    shown = {
        name: {release: _shown(runs)["completion"] for release, runs in by_release.items()}
        for name, by_release in results.items()
    }
    releases = list(results["quiet"])
    assert shown == {
        "quiet": dict.fromkeys(releases, "Hello"),
        "told": dict.fromkeys(releases, "Hello [the answer failed]"),
    }
    assert (quiet.text, told.text) == ("Hello", "Hello [the answer failed]")


def _texts(message: dict[str, Any]) -> str:
    return "".join(part["text"] for part in message["parts"] if part["type"] == "text")


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(programs=st.lists(st.tuples(OPS, st.booleans()), min_size=6, max_size=6))
def test_completion_in_the_data_protocol(programs: list[tuple[list[Op], bool]]) -> None:
    """useCompletion's "data" protocol: the completion is every text delta; an error is shown.

    Each program is written for each major and replayed through its first and latest release
    (ai 4: the v4 data stream through ``@ai-sdk/ui-utils`` of ai 4.3).
    """
    cases, expected = [], {}
    for i, (ops, fail) in enumerate(programs):
        for major, releases in {4: (V4,), **FIRST_AND_LATEST}.items():
            w = write(ops, "data", raises=fail, error_text="Oops", sdk_version=major)
            name = f"{i}-{major}"
            case = _case(name, w.body, ["completion-data"], 7)
            cases.append({**case, "versions": list(releases)})
            outcome = {"completion": _texts(w.message), "error": "Oops" if fail else None}
            expected[name] = dict.fromkeys(releases, outcome)
    results = replay_text(cases)
    shown = {
        name: {
            release: {
                "completion": runs["completion-data"]["completion"],
                "error": runs["completion-data"]["error"],
            }
            for release, runs in by_release.items()
        }
        for name, by_release in results.items()
    }
    assert shown == expected


def test_what_use_completion_posts_is_a_completion_request() -> None:
    """The body every release's ``callCompletionApi`` posts parses: the prompt and the
    hook's extra body fields, whatever the stream protocol."""
    body = write([("text", "ok")], "text").body
    case = {
        **_case("posted", body, ["completion-text", "completion-data"], 64),
        "prompt": 'Plan a trip to Lyon 🚆 \u2028 with "quotes"',
        "body": {"temperature": 0.2, "user": {"id": 7}},
        "versions": [V4, *(r for pair in FIRST_AND_LATEST.values() for r in pair)],
    }
    results = replay_text([case])
    posted = {
        (release, run): CompletionRequest.parse(json.dumps(result["requests"][0]))
        for release, runs in results["posted"].items()
        for run, result in runs.items()
    }
    assert len(posted) == 2 * 7
    assert {(r.prompt, json.dumps(r.extra)) for r in posted.values()} == {
        (case["prompt"], json.dumps(case["body"]))
    }
