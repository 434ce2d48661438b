"use client";

import { useChat } from "@ai-sdk/react";
import {
  DefaultChatTransport,
  lastAssistantMessageIsCompleteWithApprovalResponses,
  lastAssistantMessageIsCompleteWithToolCalls,
  type UIMessage,
} from "ai";
import { useEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import MessageView from "./MessageView";

type Props = {
  id: string;
  initialMessages: UIMessage[];
  /** Called when the server may have saved something (the sidebar refreshes). */
  onActivity: () => void;
};

export default function ChatView({ id, initialMessages, onActivity }: Props) {
  // DefaultChatTransport: POST /api/chat with {id, messages, trigger, messageId};
  // resume: GET /api/chat/{id}/stream (204 = nothing running).
  const transport = useMemo(() => new DefaultChatTransport({ api: "/api/chat" }), []);

  const { messages, sendMessage, regenerate, stop, status, error, clearError, addToolOutput, addToolApprovalResponse } =
    useChat({
      id,
      messages: initialMessages,
      transport,
      resume: true,
      // Send again on our own once every tool call of the last step has an
      // output (client tool getTimeZone) or an approval answer (deleteDataset).
      sendAutomaticallyWhen: ({ messages }) =>
        lastAssistantMessageIsCompleteWithToolCalls({ messages }) ||
        lastAssistantMessageIsCompleteWithApprovalResponses({ messages }),
      // Client-side tool: the server streams the call, the browser answers it.
      onToolCall: ({ toolCall }) => {
        if (toolCall.dynamic) return;
        if (toolCall.toolName === "getTimeZone") {
          // Not awaited: awaiting addToolOutput inside onToolCall can deadlock.
          void addToolOutput({
            tool: "getTimeZone",
            toolCallId: toolCall.toolCallId,
            output: { timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone },
          });
        }
      },
      onFinish: () => onActivity(),
    });

  const [input, setInput] = useState("");
  const busy = status === "submitted" || status === "streaming";

  // The stop button: stop() only hangs up (the answer would keep running on the server, for a
  // reload to resume it); POST /api/chat/{id}/stop stops it wherever it runs, and the server
  // saves the partial answer.
  const stopAnswer = async () => {
    await stop();
    await fetch(`/api/chat/${encodeURIComponent(id)}/stop`, { method: "POST" }).catch(() => undefined);
    onActivity();
  };

  // Keep the newest content in view while streaming.
  const bottom = useRef<HTMLDivElement>(null);
  useEffect(() => {
    bottom.current?.scrollIntoView({ block: "end" });
  }, [messages]);

  // A new chat shows up in the sidebar as soon as the server has it.
  const sentOnce = useRef(false);
  useEffect(() => {
    if (status === "streaming" && !sentOnce.current) {
      sentOnce.current = true;
      onActivity();
    }
  }, [status, onActivity]);

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    const text = input.trim();
    if (!text || busy) return;
    if (error) clearError();
    void sendMessage({ text });
    setInput("");
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) submit(e);
  };

  const last = messages[messages.length - 1];

  return (
    <div className="chat">
      <div className="messages">
        {messages.length === 0 && (
          <div className="empty-chat">
            <h2>Ask something</h2>
            <p>
              The demo model reacts to keywords: <code>weather</code>, <code>search</code>, <code>delete</code>,{" "}
              <code>time zone</code>, <code>long task</code>, <code>error</code>.
            </p>
          </div>
        )}
        {messages.map((m) => (
          <MessageView
            key={m.id}
            message={m}
            streaming={busy && m === last && m.role === "assistant"}
            onApproval={(approvalId, approved) => void addToolApprovalResponse({ id: approvalId, approved })}
          />
        ))}
        {status === "submitted" && <div className="typing">Thinking…</div>}
        {error && (
          <div className="banner error" role="alert">
            <span>{error.message || "Something went wrong."}</span>
            <button
              onClick={() => {
                clearError();
                void regenerate();
              }}
            >
              Retry
            </button>
          </div>
        )}
        {!busy && !error && last?.role === "assistant" && (
          <div className="after-actions">
            <button className="link" onClick={() => void regenerate()}>
              ↻ Regenerate
            </button>
          </div>
        )}
        <div ref={bottom} />
      </div>
      <form className="composer" onSubmit={submit}>
        <textarea
          value={input}
          onChange={(e) => setInput(e.target.value)}
          onKeyDown={onKeyDown}
          placeholder="Send a message (Enter to send, Shift+Enter for a new line)"
          rows={2}
          autoFocus
        />
        {busy ? (
          <button type="button" className="stop" onClick={() => void stopAnswer()}>
            ■ Stop
          </button>
        ) : (
          <button type="submit" className="primary" disabled={!input.trim()}>
            Send
          </button>
        )}
      </form>
      <div className="status">
        chat <code>{id}</code> · {status}
      </div>
    </div>
  );
}
