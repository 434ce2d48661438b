"""Turn the UIMessage history useChat sends into each provider's input.

Run it: ``python docs/examples/providers_convert.py`` converts one history for OpenAI Chat
Completions, OpenAI Responses, Anthropic and LangChain and checks every result.
"""

import json
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from ai_stream import ChatRequest, DataUIPart
from ai_stream.convert import to_anthropic, to_langchain, to_openai_chat, to_openai_responses

# --8<-- [start:history]
body = ChatRequest.parse(
    {
        "id": "chat-1",
        "messages": [
            {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Weather in Paris?"}]},
            {
                "id": "a1",
                "role": "assistant",
                "parts": [
                    {"type": "step-start"},
                    {
                        "type": "reasoning",
                        "text": "Use the tool.",
                        "providerMetadata": {"anthropic": {"signature": "sig-1"}},
                    },
                    {"type": "text", "text": "Let me check."},
                    {
                        "type": "tool-getWeather",
                        "toolCallId": "call-1",
                        "state": "output-available",
                        "input": {"city": "Paris"},
                        "output": {"tempC": 21},
                    },
                    {"type": "data-progress", "data": {"pct": 100}},
                    {"type": "step-start"},
                    {"type": "text", "text": "It is 21°C."},
                ],
            },
            {"id": "u2", "role": "user", "parts": [{"type": "text", "text": "Thanks!"}]},
        ],
    }
)
# --8<-- [end:history]


def check_openai_chat() -> None:
    # --8<-- [start:openai_chat]
    messages = to_openai_chat(body.messages, system="Be brief.")
    assert messages == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": "Let me check.",
            "tool_calls": [
                {
                    "id": "call-1",
                    "type": "function",
                    "function": {"name": "getWeather", "arguments": '{"city":"Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call-1", "content": '{"tempC":21}'},
        {"role": "assistant", "content": "It is 21°C."},
        {"role": "user", "content": "Thanks!"},
    ]
    # --8<-- [end:openai_chat]


def check_openai_responses() -> None:
    # --8<-- [start:openai_responses]
    items = to_openai_responses(body.messages)
    assert items == [
        {"role": "user", "content": [{"type": "input_text", "text": "Weather in Paris?"}]},
        {"role": "assistant", "content": "Let me check."},
        {
            "type": "function_call",
            "call_id": "call-1",
            "name": "getWeather",
            "arguments": '{"city":"Paris"}',
        },
        {"type": "function_call_output", "call_id": "call-1", "output": '{"tempC":21}'},
        {"role": "assistant", "content": "It is 21°C."},
        {"role": "user", "content": [{"type": "input_text", "text": "Thanks!"}]},
    ]
    # --8<-- [end:openai_responses]


def check_anthropic() -> None:
    # --8<-- [start:anthropic]
    system, messages = to_anthropic(body.messages, system="Be brief.")
    assert system == "Be brief."  # the Messages API takes it apart from the messages
    first_step, results = messages[1], messages[2]
    assert first_step == {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "Use the tool.", "signature": "sig-1"},
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "call-1", "name": "getWeather", "input": {"city": "Paris"}},
        ],
    }
    assert results == {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": "call-1", "content": '{"tempC":21}'}],
    }
    # --8<-- [end:anthropic]


def check_langchain() -> None:
    # --8<-- [start:langchain]
    messages = to_langchain(body.messages)
    assert [type(m) for m in messages] == [
        HumanMessage,
        AIMessage,
        ToolMessage,
        AIMessage,
        HumanMessage,
    ]
    call = messages[1]
    assert isinstance(call, AIMessage)
    assert call.tool_calls == [
        {"name": "getWeather", "args": {"city": "Paris"}, "id": "call-1", "type": "tool_call"}
    ]
    # --8<-- [end:langchain]


def check_options() -> None:
    # --8<-- [start:options]
    def progress_as_text(part: DataUIPart) -> str | None:
        return f" [{part.name}: {json.dumps(part.data)}]"

    messages: list[Any] = to_openai_chat(body.messages, data=progress_as_text)
    assert messages[1]["content"] == 'Let me check. [progress: {"pct": 100}]'
    # --8<-- [end:options]


def main() -> None:
    check_openai_chat()
    check_openai_responses()
    check_anthropic()
    check_langchain()
    check_options()


if __name__ == "__main__":
    main()
