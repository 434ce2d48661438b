"""Which client release the stream is written for, and what that release accepts.

``StreamContext(sdk_version=...)`` takes a major (``5``, ``6``, ``7``) or an exact release
(``"5.0.60"``, ``"6.0.0"``) and turns it into a :class:`ClientTarget`:

* **A major** means "every release of that major". The target accepts what both the first and the
  latest known release of the major accept, so a stream works with all of them (for example
  ``sdk_version=5`` leaves out ``finish.finishReason``, which ai 5.0.0–5.0.91 reject).
* **An exact release** accepts exactly what that release's ``uiMessageChunkSchema`` accepts,
  according to the table in :mod:`ai_stream.protocol._client_releases` (scanned from the
  published packages). A release newer than the table is treated as the newest known one.

The target also answers how its releases *process* chunks (:mod:`ai_stream.protocol._behaviours`):
:meth:`ClientTarget.always` holds when every release of the target behaves so (what a writer
relies on), :attr:`ClientTarget.behaviour` gives the flags of its latest release (what the
reducer replays). These two tables are the only place that knows what a release does.

Fields a target does not know are dropped from the chunk (the client would reject the whole
stream otherwise); chunk *types* it does not know raise :class:`UnsupportedByClientError`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any, Final, Literal

from ai_stream.exceptions import UnsupportedByClientError
from ai_stream.protocol._behaviours import BEHAVIOURS, MAX_EVENT_SIZE, Behaviour
from ai_stream.protocol._client_releases import FEATURES, FIRST, LATEST

__all__ = (
    "PROTOCOL_FINISH_REASONS",
    "ClientTarget",
    "Release",
    "SdkVersion",
    "Wire",
    "normalize_finish_reason",
    "parse_release",
)

logger = logging.getLogger("ai_stream")

SdkVersion = int | str
"""A major (``6``) or an exact release (``"6.0.0"``); see :meth:`ClientTarget.parse`."""
Wire = Literal["sse", "data", "text"]
"""A stream's wire format (see :attr:`ClientTarget.wire`)."""

Release = tuple[int, int, int]
"""An exact ``ai`` release as ``(major, minor, patch)``."""

PROTOCOL_FINISH_REASONS: Final = frozenset(
    {"stop", "length", "content-filter", "tool-calls", "error", "interrupted", "other", "unknown"}
)

_RELEASE_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")

# Optional fields of any release; every other key of a chunk is required and always kept.
_OPTIONAL_FIELDS: Final = frozenset(
    name
    for features in FEATURES.values()
    for name, _since, _until in features
    if name.startswith("field:")
)


def parse_release(text: str) -> Release:
    """Turn ``"6.0.0"`` into ``(6, 0, 0)``.

    Raises:
        ValueError: ``text`` is not an ``X.Y.Z`` release.
    """
    match = _RELEASE_RE.match(text)
    if match is None:
        raise ValueError(
            f"sdk_version {text!r} is not a release like '6.0.0'; pass a major (5, 6, 7) or an "
            "exact 'X.Y.Z' release of the ai package."
        )
    return int(match[1]), int(match[2]), int(match[3])


@cache
def _features_at(major: int, release: Release) -> frozenset[str]:
    """What ``release`` accepts and how it behaves (``behaviour:<name>`` entries)."""
    present: set[str] = set()
    for name, since, until in FEATURES[major]:
        if parse_release(since) <= release and (until is None or release <= parse_release(until)):
            present.add(name)
    for name, since_by_major in BEHAVIOURS.items():
        first = since_by_major.get(major)
        if first is not None and parse_release(first) <= release:
            present.add(f"behaviour:{name}")
    return frozenset(present)


@cache
def _behaviour_at(major: int, release: Release) -> Behaviour:
    present = _features_at(major, release)
    flags = {name: f"behaviour:{name}" in present for name in BEHAVIOURS}
    return Behaviour(major=major, **flags)


@cache
def _ai4_record_behaviour() -> Behaviour:
    """The latest ai 5 behaviour, except where the table says how ai 4 differs (a ``4`` entry).

    An ai 4 client holds another message shape; a stream written for it is recorded as the ai 5
    ``UIMessage`` it stands for, processed as ai 4 processes it where that differs.
    """
    latest = _behaviour_at(5, parse_release(LATEST[5]))
    ai4 = {name: False for name, since in BEHAVIOURS.items() if 4 in since and since[4] is None}
    return replace(latest, **ai4)


@dataclass(frozen=True)
class ClientTarget:
    """The client release(s) a stream is written for.

    Attributes:
        major: The ``ai`` major version: 4, 5, 6 or 7.
        release: The exact release, or ``None`` for "every release of ``major``".
        text: A plain text stream (``TextStreamChatTransport``, ``useCompletion`` with
            ``streamProtocol: "text"``) instead of the major's own protocol: the body is the
            text, and the client makes it one text part of one step.
    """

    major: int
    release: Release | None = None
    text: bool = False
    _features: frozenset[str] = field(init=False, repr=False, compare=False)
    _latest: Release = field(init=False, repr=False, compare=False)
    _drops: dict[str, frozenset[str] | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.major == 4:
            features = _text_features(_V4_FEATURES) if self.text else _V4_FEATURES
            object.__setattr__(self, "_features", features)
            object.__setattr__(self, "_drops", {})
            object.__setattr__(self, "_latest", (4, 3, 19))
            return
        if self.major not in FEATURES:
            supported = ", ".join(str(m) for m in sorted({4, *FEATURES}))
            raise ValueError(
                f"sdk_version major {self.major} is not supported; use one of {supported}."
            )
        latest = parse_release(LATEST[self.major])
        if self.release is None:
            features = _features_at(self.major, parse_release(FIRST[self.major])) & _features_at(
                self.major, latest
            )
        else:
            if self.release[0] != self.major:
                raise ValueError("ClientTarget.release must belong to ClientTarget.major.")
            latest = min(self.release, latest)
            features = _features_at(self.major, latest)
        object.__setattr__(self, "_features", features)
        object.__setattr__(self, "_latest", latest)
        # Per chunk type: the optional fields to drop (``None``: the type is not accepted).
        object.__setattr__(self, "_drops", {})
        if self.text:
            object.__setattr__(self, "_features", _text_features(features))

    @classmethod
    def parse(cls, value: SdkVersion | ClientTarget) -> ClientTarget:
        """Turn ``5``/``6``/``7``, ``"6"`` or ``"6.0.0"`` into a target.

        Raises:
            ValueError: The value names no supported major or no valid release.
        """
        if isinstance(value, ClientTarget):
            return value
        if isinstance(value, bool):
            raise ValueError("sdk_version must be a major such as 6 or a release such as '6.0.0'.")
        if isinstance(value, int):
            return _target(value, None)
        text = value.strip().removeprefix("v")
        if text.isdigit():
            return _target(int(text), None)
        release = parse_release(text)
        return _target(release[0], release)

    @property
    def label(self) -> str:
        """Human-readable name, e.g. ``"ai 6.x"`` or ``"ai 6.0.0"``."""
        if self.text:
            return f"a text stream (ai {self.major})"
        if self.major == 4:
            return "ai 4 (data stream)"
        if self.release is None:
            return f"ai {self.major}.x ({FIRST[self.major]} … {LATEST[self.major]})"
        return "ai {}.{}.{}".format(*self.release)

    @property
    def wire(self) -> Wire:
        """The wire format: ``"sse"``, ``"data"`` or ``"text"``.

        ``"sse"`` is the UI message stream of ai 5-7, ``"data"`` the data stream of ai 4 and
        ``"text"`` plain text.
        """
        if self.text:
            return "text"
        return "data" if self.major == 4 else "sse"

    def as_text(self) -> ClientTarget:
        """The same client reading a plain text stream (see :attr:`text`)."""
        return self if self.text else replace(self, text=True)

    @property
    def strict(self) -> bool:
        """Whether some accepted release rejects unknown keys in a chunk."""
        return "loose" not in self._features

    @property
    def latest(self) -> ClientTarget:
        """The newest release the target covers, as an exact target (itself when exact)."""
        if self.release is not None or self.major == 4:
            return self
        return _target(self.major, self._latest)

    @property
    def behaviour(self) -> Behaviour:
        """How the target's latest release processes chunks (what the reducer replays).

        ai 4 clients read the data stream and hold another message shape: for them it is the
        behaviour of the ai 5 message their streams are recorded as (latest ai 5, with the
        table's ai 4 entries).
        """
        if self.major == 4:
            return _ai4_record_behaviour()
        return _behaviour_at(self.major, self._latest)

    def always(self, behaviour: str) -> bool:
        """Whether every release of the target behaves so (see ``_behaviours.BEHAVIOURS``).

        A writer relies only on what all of them do: e.g. ``always("finish_step_keeps_parts")``
        is false for ``sdk_version=7`` because 7.0.0–7.0.78 forget open parts at ``finish-step``,
        and true for ``sdk_version="7.0.79"``.
        """
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"Unknown client behaviour {behaviour!r}.")
        return f"behaviour:{behaviour}" in self._features

    @property
    def max_event_size(self) -> int | None:
        """The longest SSE event (characters) the target's newest release reads, if bounded.

        Every release of the target must read every event, so the newest release's bound holds
        for the whole target (``sdk_version=7`` included); older releases have none.
        """
        if self.wire != "sse":
            return None
        return MAX_EVENT_SIZE if self.behaviour.max_event_size else None

    @property
    def finish_reasons(self) -> frozenset[str]:
        """The ``finishReason`` values the target accepts."""
        return _finish_reasons(self._features)

    def accepts_chunk(self, chunk_type: str) -> bool:
        """Whether the target accepts chunks of this type (``data-x`` counts as ``data-*``)."""
        if chunk_type.startswith("data-"):
            chunk_type = "data-*"
        return f"chunk:{chunk_type}" in self._features

    def accepts_field(self, chunk_type: str, name: str) -> bool:
        """Whether the target accepts the optional field ``name`` on ``chunk_type`` chunks."""
        if chunk_type.startswith("data-"):
            chunk_type = "data-*"
        return f"field:{chunk_type}.{name}" in self._features

    def check_chunk(self, chunk_type: str) -> None:
        """Raise :class:`UnsupportedByClientError` if the target cannot take ``chunk_type``."""
        if not self.accepts_chunk(chunk_type):
            hint = _TEXT_HINT if self.text else _HINTS.get(chunk_type, "")
            raise UnsupportedByClientError(chunk_type, self.label, hint)

    def check_file_url(self, url: str) -> None:
        """Refuse a ``file`` URL the target cannot carry (ai 4 files are base64 ``data:`` URLs).

        Raises:
            UnsupportedByClientError: The target is ai 4 and ``url`` is not a base64 data URL.
        """
        if self.major == 4 and not (url.startswith("data:") and ";base64," in url):
            raise UnsupportedByClientError(
                "file", self.label, "ai 4 files carry their bytes: pass a base64 data: URL."
            )

    def fit(self, chunk: dict[str, Any]) -> dict[str, Any]:
        """Return ``chunk`` without the optional fields the target does not accept.

        Raises:
            UnsupportedByClientError: The target does not accept the chunk type at all.
        """
        kind: str = chunk["type"]
        try:
            drops = self._drops[kind]
        except KeyError:
            drops = self._drops_for(kind)
        if drops is None:
            self.check_chunk(kind)
        if not drops or drops.isdisjoint(chunk):
            return chunk
        return {k: v for k, v in chunk.items() if k not in drops}

    def _drops_for(self, kind: str) -> frozenset[str] | None:
        base = "data-*" if kind.startswith("data-") else kind
        drops: frozenset[str] | None = None
        if self.accepts_chunk(kind):
            prefix = f"field:{base}."
            drops = frozenset(
                name.removeprefix(prefix)
                for name in _OPTIONAL_FIELDS
                if name.startswith(prefix) and name not in self._features
            )
        if len(self._drops) < 512:  # data-<name> types are open-ended; keep the cache small
            self._drops[kind] = drops
        return drops


_V4_CHUNKS: Final = (
    "start",
    "finish",
    "abort",
    "error",
    "message-metadata",
    "start-step",
    "finish-step",
    "text-start",
    "text-delta",
    "text-end",
    "reasoning-start",
    "reasoning-delta",
    "reasoning-end",
    "tool-input-start",
    "tool-input-delta",
    "tool-input-available",
    "tool-output-available",
    "tool-output-error",
    "source-url",
    "file",
    "data-*",
)
# ai 4 (data stream): the encoder reads what it can express from every accepted chunk.
_V4_FEATURES: Final = frozenset(
    {f"chunk:{kind}" for kind in _V4_CHUNKS}
    | {name for name in _OPTIONAL_FIELDS if name.split(".")[0][6:] in _V4_CHUNKS}
    | {
        f"finishReason:{r}"
        for r in ("stop", "length", "content-filter", "tool-calls", "error", "other", "unknown")
    }
)

# A text stream carries the text alone: the client wraps the body as one step with one text part.
_TEXT_CHUNKS: Final = frozenset(
    f"chunk:{kind}"
    for kind in (
        "start",
        "start-step",
        "finish-step",
        "finish",
        "abort",
        "error",
        "text-start",
        "text-delta",
        "text-end",
    )
)


def _text_features(features: frozenset[str]) -> frozenset[str]:
    """The features of a text stream read by a client with ``features``."""
    return frozenset(f for f in features if not f.startswith("chunk:") or f in _TEXT_CHUNKS)


_TEXT_HINT: Final = (
    "A text stream carries text only; answer with the UI message stream (the default) to send it."
)

_HINTS: Final = {
    "tool-approval-request": "Tool approval needs ai 6 or newer (sdk_version=6).",
    "tool-output-denied": "Tool approval needs ai 6 or newer (sdk_version=6).",
    "tool-input-error": "ai 5.0.0–5.0.6 lack it: target sdk_version='5.0.7' or newer.",
}


@cache
def _finish_reasons(features: frozenset[str]) -> frozenset[str]:
    return frozenset(
        name.removeprefix("finishReason:") for name in features if name.startswith("finishReason:")
    )


@cache
def _target(major: int, release: Release | None) -> ClientTarget:
    target = ClientTarget(major, release)
    if release is not None and major in LATEST and release > parse_release(LATEST[major]):
        # (once per release: targets are cached)
        logger.warning(
            "ai %s is newer than the releases ai_stream knows; it is treated as ai %s, the "
            "newest known release of ai %d. Upgrade ai_stream, or refresh the table: node "
            "scripts/scan_client_releases.mjs (see its header).",
            ".".join(map(str, release)),
            LATEST[major],
            major,
        )
    return target


_PROVIDER_FINISH_REASONS: Final = {
    # OpenAI (Chat Completions, Responses) and OpenAI-compatible (LiteLLM, DeepSeek, vLLM ...)
    "tool_calls": "tool-calls",
    "function_call": "tool-calls",
    "content_filter": "content-filter",
    # Anthropic
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool-calls",
    "refusal": "content-filter",
    "pause_turn": "other",
    # Google and others, lower-cased
    "max_output_tokens": "length",
    "safety": "content-filter",
    "recitation": "content-filter",
    "blocklist": "content-filter",
    "prohibited_content": "content-filter",
    "malformed_function_call": "error",
    "finish_reason_unspecified": "other",
    "cancelled": "interrupted",
    "incomplete": "length",
}


def normalize_finish_reason(value: str, target: ClientTarget | None = None) -> str:
    """Map a provider's stop reason to the protocol enum the target accepts.

    Provider spellings are translated (OpenAI ``tool_calls`` → ``tool-calls``,
    ``content_filter`` → ``content-filter``; Anthropic ``end_turn`` → ``stop``, ``max_tokens`` →
    ``length``, ``tool_use`` → ``tool-calls``, ``stop_sequence`` → ``stop``). A protocol value the
    target lacks falls back to its nearest equivalent (``unknown`` and ``interrupted`` → ``other``).

    Args:
        value: A protocol value or a provider spelling (case-insensitive).
        target: The client target; ``None`` checks only that the value is known.

    Returns:
        A value of the target's ``finishReason`` enum.

    Raises:
        ValueError: ``value`` is neither a protocol value nor a known provider spelling.
    """
    key = value.strip().lower()
    reason = _PROVIDER_FINISH_REASONS.get(key, key.replace("_", "-"))
    if reason not in PROTOCOL_FINISH_REASONS:
        accepted = ", ".join(sorted(PROTOCOL_FINISH_REASONS - {"unknown"}))
        raise ValueError(
            f"Unknown finish reason {value!r}. Use one of: {accepted} (provider spellings such as "
            "'tool_calls' or 'end_turn' are mapped automatically)."
        )
    if target is not None and reason not in target.finish_reasons and target.finish_reasons:
        reason = "other"
    return reason
