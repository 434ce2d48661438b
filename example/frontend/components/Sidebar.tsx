"use client";

import type { ChatSummary } from "./api";
import Nav from "./Nav";

type Props = {
  chats: ChatSummary[];
  currentId: string | null;
  error: string | null;
  onNew: () => void;
  onOpen: (id: string) => void;
  onDelete: (id: string) => void;
};

export default function Sidebar({ chats, currentId, error, onNew, onOpen, onDelete }: Props) {
  return (
    <aside className="sidebar">
      <div className="sidebar-head">
        <strong>ai_stream demo</strong>
        <button className="primary" onClick={onNew}>
          + New chat
        </button>
      </div>
      <Nav />
      {error && <div className="sidebar-error">Backend: {error}</div>}
      <ul className="chat-list">
        {chats.map((chat) => (
          <li key={chat.id} className={chat.id === currentId ? "active" : undefined}>
            <button className="chat-link" title={chat.updatedAt} onClick={() => onOpen(chat.id)}>
              {chat.title || "Untitled chat"}
            </button>
            <button
              className="icon"
              aria-label={`Delete ${chat.title || "chat"}`}
              title="Delete chat"
              onClick={() => onDelete(chat.id)}
            >
              ×
            </button>
          </li>
        ))}
        {chats.length === 0 && !error && <li className="empty">No saved chats yet</li>}
      </ul>
      <div className="hints">
        Try: <em>weather in Paris</em>, <em>search the docs</em>, <em>delete the dataset</em>, <em>my time zone</em>,{" "}
        <em>run a long task</em>, <em>trigger an error</em>, or anything else.
      </div>
    </aside>
  );
}
