import type { UIMessage } from "ai";

export type ChatSummary = { id: string; title: string; updatedAt: string };
export type StoredChat = { id: string; title: string; messages: UIMessage[] };

export async function listChats(): Promise<ChatSummary[]> {
  const res = await fetch("/api/chats", { cache: "no-store" });
  if (!res.ok) throw new Error(`GET /api/chats: ${res.status}`);
  return res.json();
}

/** The stored chat, or null when the backend doesn't know this id (a new chat). */
export async function loadChat(id: string): Promise<StoredChat | null> {
  const res = await fetch(`/api/chats/${encodeURIComponent(id)}`, { cache: "no-store" });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`GET /api/chats/${id}: ${res.status}`);
  return res.json();
}

export async function deleteChat(id: string): Promise<void> {
  const res = await fetch(`/api/chats/${encodeURIComponent(id)}`, { method: "DELETE" });
  if (!res.ok && res.status !== 404) throw new Error(`DELETE /api/chats/${id}: ${res.status}`);
}
