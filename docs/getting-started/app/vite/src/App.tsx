import { useChat } from "@ai-sdk/react";
import {
  DefaultChatTransport,
  lastAssistantMessageIsCompleteWithApprovalResponses,
  lastAssistantMessageIsCompleteWithToolCalls,
  type UIMessage,
} from "ai";
import { useEffect, useState } from "react";

/** The chat of this page: `?chat=<id>` in the URL, so that a reload shows the same chat. */
function chatId(): string {
  const url = new URL(window.location.href);
  let id = url.searchParams.get("chat");
  if (!id) {
    id = crypto.randomUUID();
    url.searchParams.set("chat", id);
    window.history.replaceState(null, "", url);
  }
  return id;
}

export function App() {
  const [id] = useState(chatId);
  const [saved, setSaved] = useState<UIMessage[] | null>(null);
  useEffect(() => {
    fetch(`/api/chats/${id}`)
      .then((response) => response.json())
      .then((chat: { messages: UIMessage[] }) => setSaved(chat.messages));
  }, [id]);
  return saved === null ? <p>Loading…</p> : <Chat id={id} saved={saved} />;
}

// The server keeps the history: send only the new message (or the one the tools answered).
const transport = new DefaultChatTransport({
  api: "/api/chat",
  prepareSendMessagesRequest: ({ id, messages, trigger, messageId }) => ({
    body: { id, message: messages[messages.length - 1], trigger, messageId },
  }),
});

function Chat({ id, saved }: { id: string; saved: UIMessage[] }) {
  const [input, setInput] = useState("");
  const { messages, sendMessage, stop, status, error, addToolOutput, addToolApprovalResponse } = useChat({
    id,
    messages: saved,
    transport,
    // Send again by itself once the browser's tool answered or the user approved or denied.
    sendAutomaticallyWhen: ({ messages }) =>
      lastAssistantMessageIsCompleteWithToolCalls({ messages }) ||
      lastAssistantMessageIsCompleteWithApprovalResponses({ messages }),
    // A tool the browser runs.
    onToolCall: ({ toolCall }) => {
      if (toolCall.toolName === "getLocalTime") {
        void addToolOutput({
          tool: "getLocalTime",
          toolCallId: toolCall.toolCallId,
          output: { time: new Date().toLocaleTimeString() },
        });
      }
    },
  });
  const busy = status === "submitted" || status === "streaming";

  return (
    <main>
      {messages.map((message) => (
        <div key={message.id} className={`message ${message.role}`}>
          <b>{message.role === "user" ? "You" : "AI"}: </b>
          {message.parts.map((part, i) => {
            if (part.type === "text") return <span key={i}>{part.text}</span>;
            if (!part.type.startsWith("tool-") || !("toolCallId" in part)) return null;
            return (
              <div key={i} className="tool">
                <code>{part.type.slice(5)}</code> {part.state}
                {part.state === "approval-requested" && (
                  <>
                    <button onClick={() => addToolApprovalResponse({ id: part.approval.id, approved: true })}>
                      Approve
                    </button>
                    <button onClick={() => addToolApprovalResponse({ id: part.approval.id, approved: false })}>
                      Deny
                    </button>
                  </>
                )}
                {part.state === "output-available" && <pre>{JSON.stringify(part.output)}</pre>}
              </div>
            );
          })}
        </div>
      ))}
      {error && <p className="error">{error.message}</p>}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (input.trim()) void sendMessage({ text: input });
          setInput("");
        }}
      >
        <input value={input} onChange={(e) => setInput(e.target.value)} placeholder="Say something" />
        {busy ? <button type="button" onClick={() => void stop()}>Stop</button> : <button>Send</button>}
      </form>
    </main>
  );
}
