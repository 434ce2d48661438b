from __future__ import annotations

from typing import Any

import pytest

from ai_stream import ApprovalVerificationError, ChatRequest
from ai_stream.protocol.approvals import (
    canonical_json,
    resolve_secret,
    sign_approval_id,
    verify_approval_id,
)

SECRET = "s3cret-s3cret-s3cret"
CALL: dict[str, Any] = {"chat_id": "chat-1", "tool_call_id": "call-1", "tool_name": "deleteFile"}
INPUT = {"path": "/tmp/x", "force": True, "size": 1.0}


def test_sign_and_verify() -> None:
    approval_id = sign_approval_id(SECRET, input=INPUT, **CALL)
    assert approval_id.startswith("apr2.")
    verify_approval_id(approval_id, SECRET, input=INPUT, **CALL)
    # the browser's JSON.stringify writes 1.0 as 1 and may reorder nothing else: still valid
    verify_approval_id(
        approval_id, SECRET, input={"size": 1, "force": True, "path": "/tmp/x"}, **CALL
    )


@pytest.mark.parametrize(
    "change",
    [
        {"chat_id": "chat-2"},  # replayed into another chat
        {"tool_call_id": "call-2"},  # moved to another call
        {"tool_name": "readFile"},  # another tool
        {"input": {**INPUT, "path": "/etc/passwd"}},  # input changed after approval
        {"input": {**INPUT, "extra": 1}},
        {"secret": "another-secret-entirely"},  # signed by someone else
    ],
)
def test_tampering_is_detected(change: dict[str, Any]) -> None:
    approval_id = sign_approval_id(SECRET, input=INPUT, **CALL)
    arguments: dict[str, Any] = {**CALL, "input": INPUT, "secret": SECRET, **change}
    secret = arguments.pop("secret")
    with pytest.raises(ApprovalVerificationError, match="does not match"):
        verify_approval_id(approval_id, secret, **arguments)


@pytest.mark.parametrize(
    "forged",
    [
        "",
        "approval-1",
        "apr1.x.y",
        "apr1.1.2.3.4",
        "apr2.a.b.c",
        "apr1.6.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
    ],
)
def test_ids_we_did_not_issue_are_refused(forged: str) -> None:
    with pytest.raises(ApprovalVerificationError):
        verify_approval_id(forged, SECRET, input=INPUT, **CALL)


def test_expiry() -> None:
    approval_id = sign_approval_id(SECRET, input=INPUT, issued_at=1000, **CALL)
    verify_approval_id(approval_id, SECRET, input=INPUT, max_age=60, now=1050, **CALL)
    with pytest.raises(ApprovalVerificationError, match="expired"):
        verify_approval_id(approval_id, SECRET, input=INPUT, max_age=60, now=1100, **CALL)


def test_secret_is_required_and_long_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AI_STREAM_SECRET", raising=False)
    with pytest.raises(ValueError, match="AI_STREAM_SECRET"):
        resolve_secret(None)
    with pytest.raises(ValueError, match="at least 16 bytes"):
        resolve_secret("short")
    monkeypatch.setenv("AI_STREAM_SECRET", SECRET)
    assert resolve_secret(None) == SECRET.encode()


def test_canonical_json() -> None:
    assert canonical_json({"b": [1.0, 2.5], "a": "é"}) == '{"a":"é","b":[1,2.5]}'.encode()


def _follow_up(
    approval: dict[str, Any], *, chat: str = "chat-1", input: Any = INPUT
) -> ChatRequest:
    return ChatRequest.parse(
        {
            "id": chat,
            "trigger": "submit-message",
            "messageId": "a1",
            "messages": [
                {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "delete it"}]},
                {
                    "id": "a1",
                    "role": "assistant",
                    "parts": [
                        {"type": "step-start"},
                        {
                            "type": "tool-deleteFile",
                            "toolCallId": "call-1",
                            "state": "approval-responded",
                            "input": input,
                            "approval": approval,
                        },
                    ],
                },
            ],
        }
    )


def test_chat_request_returns_verified_decisions() -> None:
    approval_id = sign_approval_id(SECRET, input=INPUT, **CALL)
    request = _follow_up({"id": approval_id, "approved": False, "reason": "not now"})
    [decision] = request.tool_approvals(SECRET)
    assert (decision.tool_call_id, decision.tool_name, decision.approved, decision.reason) == (
        "call-1",
        "deleteFile",
        False,
        "not now",
    )
    assert decision.input == INPUT


@pytest.mark.parametrize(
    ("approval", "chat", "input"),
    [
        ({"id": "made-up", "approved": True}, "chat-1", INPUT),
        ({"id": "<signed>", "approved": True}, "chat-2", INPUT),  # replay into another chat
        ({"id": "<signed>", "approved": True}, "chat-1", {"path": "/"}),  # input changed
    ],
)
def test_chat_request_refuses_forged_approvals(
    approval: dict[str, Any], chat: str, input: Any
) -> None:
    if approval["id"] == "<signed>":
        approval = {**approval, "id": sign_approval_id(SECRET, input=INPUT, **CALL)}
    with pytest.raises(ApprovalVerificationError):
        _follow_up(approval, chat=chat, input=input).tool_approvals(SECRET)


@pytest.mark.parametrize("approved", [1, "true", "yes", [True], {"v": True}])
def test_approved_must_be_a_real_boolean(approved: Any) -> None:
    from ai_stream import RequestParseError

    approval_id = sign_approval_id(SECRET, input=INPUT, **CALL)
    with pytest.raises(RequestParseError, match=r"approval\.approved"):
        _follow_up({"id": approval_id, "approved": approved})


def test_fields_cannot_be_shifted_across_a_nul() -> None:
    """A NUL in a client-chosen id cannot move an approval to another chat or call."""
    approval_id = sign_approval_id(
        SECRET, chat_id="a\x00b", tool_call_id="c", tool_name="t", input={}
    )
    with pytest.raises(ApprovalVerificationError):
        verify_approval_id(approval_id, SECRET, chat_id="a", tool_call_id="b\x00c",
                           tool_name="t", input={})  # fmt: skip


@pytest.mark.parametrize(
    "malformed",
    [
        "apr2.1.nonce." + "\u00e9" * 22,  # a non-ASCII MAC
        "apr2.\ud800.nonce.AAAAAAAAAAAAAAAAAAAAAA",  # a lone surrogate
        "apr2.1.\x00.AAAAAAAAAAAAAAAAAAAAAA",
        "apr2.1.n." + "A" * 10_000,
    ],
)
def test_malformed_ids_are_verification_errors(malformed: str) -> None:
    with pytest.raises(ApprovalVerificationError, match="not issued by this server"):
        verify_approval_id(malformed, SECRET, input=INPUT, **CALL)


def test_ids_with_lone_surrogates_in_the_call_still_sign_and_verify() -> None:
    call = {**CALL, "tool_call_id": "call-\ud800"}
    approval_id = sign_approval_id(SECRET, input=INPUT, **call)
    verify_approval_id(approval_id, SECRET, input=INPUT, **call)


def test_integers_beyond_2_53_survive_the_browsers_json_round_trip() -> None:
    """``JSON.parse`` rounds 12345678901234567890 to the nearest double, which
    ``JSON.stringify`` writes as 12345678901234567000: the approval still verifies, and a
    different number still does not."""
    approval_id = sign_approval_id(SECRET, input={"n": 12345678901234567890, "m": -(2**60)}, **CALL)
    round_tripped = {"n": 12345678901234567000, "m": -1152921504606847000}
    verify_approval_id(approval_id, SECRET, input=round_tripped, **CALL)
    with pytest.raises(ApprovalVerificationError):
        verify_approval_id(approval_id, SECRET, input={**round_tripped, "n": 12345678901234569000},
                           **CALL)  # fmt: skip
    assert canonical_json({"x": 10**400}) == b'{"x":null}'  # beyond any double: Infinity → null
