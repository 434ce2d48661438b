"use client";

import { generateId, type UIMessage } from "ai";
import { useRouter, useSearchParams } from "next/navigation";
import { useCallback, useEffect, useRef, useState } from "react";
import { deleteChat, listChats, loadChat, type ChatSummary } from "./api";
import ChatView from "./ChatView";
import Sidebar from "./Sidebar";

type Loaded = { id: string; messages: UIMessage[] };

/**
 * The page: a sidebar of saved chats and the open chat. The open chat's id is
 * in the URL (`/?chat=<id>`), so a reload reopens it (and `resume: true` in
 * ChatView picks up a stream that was still running).
 */
export default function ChatApp() {
  const router = useRouter();
  const params = useSearchParams();
  const chatId = params.get("chat");

  const [chats, setChats] = useState<ChatSummary[]>([]);
  const [listError, setListError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  // Ids made by "New chat" in this tab: nothing to load for them.
  const fresh = useRef(new Set<string>());

  const refreshChats = useCallback(async () => {
    try {
      setChats(await listChats());
      setListError(null);
    } catch (err) {
      setListError((err as Error).message);
    }
  }, []);

  const openChat = useCallback(
    (id: string, replace = false) => {
      const url = `/?chat=${encodeURIComponent(id)}`;
      if (replace) router.replace(url);
      else router.push(url);
    },
    [router],
  );

  const newChat = useCallback(() => {
    const id = generateId();
    fresh.current.add(id);
    openChat(id);
  }, [openChat]);

  // No id in the URL: start a new chat (replace, so Back doesn't loop).
  useEffect(() => {
    if (!chatId) {
      const id = generateId();
      fresh.current.add(id);
      openChat(id, true);
    }
  }, [chatId, openChat]);

  // Load the stored messages whenever the open chat changes.
  useEffect(() => {
    if (!chatId) return;
    let cancelled = false;
    setLoadError(null);
    if (fresh.current.has(chatId)) {
      setLoaded({ id: chatId, messages: [] });
      return;
    }
    setLoaded(null);
    loadChat(chatId)
      .then((chat) => {
        if (!cancelled) setLoaded({ id: chatId, messages: chat?.messages ?? [] });
      })
      .catch((err) => {
        if (!cancelled) setLoadError((err as Error).message);
      });
    return () => {
      cancelled = true;
    };
  }, [chatId, attempt]);

  useEffect(() => {
    void refreshChats();
  }, [refreshChats, chatId]);

  const removeChat = useCallback(
    async (id: string) => {
      try {
        await deleteChat(id);
      } catch (err) {
        setListError((err as Error).message);
      }
      await refreshChats();
      if (id === chatId) newChat();
    },
    [chatId, newChat, refreshChats],
  );

  return (
    <div className="app">
      <Sidebar
        chats={chats}
        currentId={chatId}
        error={listError}
        onNew={newChat}
        onOpen={(id) => openChat(id)}
        onDelete={removeChat}
      />
      <main className="main">
        {loadError ? (
          <div className="banner error">
            <span>Could not load this chat: {loadError}</span>
            <button onClick={() => setAttempt((n) => n + 1)}>Retry</button>
          </div>
        ) : loaded && loaded.id === chatId ? (
          <ChatView key={loaded.id} id={loaded.id} initialMessages={loaded.messages} onActivity={refreshChats} />
        ) : (
          <div className="loading">Loading chat…</div>
        )}
      </main>
    </div>
  );
}
