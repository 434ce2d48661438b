"use client";

import {
  getToolOrDynamicToolName,
  isToolOrDynamicToolUIPart,
  type DynamicToolUIPart,
  type SourceDocumentUIPart,
  type SourceUrlUIPart,
  type ToolUIPart,
  type UIMessage,
} from "ai";
import Markdown from "./Markdown";

type Props = {
  message: UIMessage;
  streaming: boolean;
  onApproval: (approvalId: string, approved: boolean) => void;
};

type Source = SourceUrlUIPart | SourceDocumentUIPart;

/** One message, every part type of the ai v6 UI message rendered in order. */
export default function MessageView({ message, streaming, onApproval }: Props) {
  const sources = message.parts.filter(
    (p): p is Source => p.type === "source-url" || p.type === "source-document",
  );
  let steps = 0;

  return (
    <div className={`message ${message.role}`}>
      <div className="role">{message.role === "user" ? "You" : message.role === "assistant" ? "Assistant" : "System"}</div>
      <div className="parts">
        {message.parts.map((part, i) => {
          const key = `${message.id}-${i}`;
          if (part.type === "text") {
            return message.role === "user" ? (
              <div key={key} className="user-text">
                {part.text}
              </div>
            ) : (
              <Markdown key={key} text={part.text} />
            );
          }
          if (part.type === "reasoning") {
            const live = part.state === "streaming";
            return (
              <details key={key} className="reasoning" open={live || undefined}>
                <summary>{live ? "Reasoning…" : "Reasoning"}</summary>
                <div className="reasoning-text">{part.text}</div>
              </details>
            );
          }
          if (part.type === "step-start") {
            // The first step needs no separator.
            return steps++ === 0 ? null : <hr key={key} className="step" title="step" />;
          }
          if (part.type === "file") {
            return <FileView key={key} url={part.url} mediaType={part.mediaType} filename={part.filename} />;
          }
          if (part.type === "source-url" || part.type === "source-document") {
            return null; // listed together below
          }
          if (part.type === "data-progress") {
            return <Progress key={key} data={part.data} />;
          }
          if (isToolOrDynamicToolUIPart(part)) {
            return <ToolCard key={key} part={part} onApproval={onApproval} />;
          }
          if (part.type.startsWith("data-")) {
            const data = (part as { data?: unknown }).data;
            return (
              <div key={key} className="data-part">
                <span className="badge">{part.type}</span>
                <pre>{JSON.stringify(data, null, 2)}</pre>
              </div>
            );
          }
          return null;
        })}
        {sources.length > 0 && <Sources sources={sources} />}
        {streaming && <span className="cursor" aria-hidden />}
      </div>
    </div>
  );
}

function FileView({ url, mediaType, filename }: { url: string; mediaType: string; filename?: string }) {
  if (mediaType.startsWith("image/")) {
    // eslint-disable-next-line @next/next/no-img-element
    return <img className="file-image" src={url} alt={filename ?? "image"} />;
  }
  return (
    <a className="file-link" href={url} target="_blank" rel="noreferrer" download={filename}>
      File: {filename ?? mediaType}
    </a>
  );
}

function Sources({ sources }: { sources: Source[] }) {
  return (
    <div className="sources">
      <div className="sources-title">Sources</div>
      <ol>
        {sources.map((s) =>
          s.type === "source-url" ? (
            <li key={s.sourceId}>
              <a href={s.url} target="_blank" rel="noreferrer">
                {s.title || s.url}
              </a>
            </li>
          ) : (
            <li key={s.sourceId}>
              {s.title} <span className="muted">({s.filename ?? s.mediaType})</span>
            </li>
          ),
        )}
      </ol>
    </div>
  );
}

function Progress({ data }: { data: unknown }) {
  const { percent = 0, label = "" } = (data ?? {}) as { percent?: number; label?: string };
  const pct = Math.max(0, Math.min(100, Number(percent) || 0));
  return (
    <div className="progress">
      <div className="progress-label">
        <span>{label || "Working"}</span>
        <span>{Math.round(pct)}%</span>
      </div>
      <div className="progress-track">
        <div className={`progress-bar${pct >= 100 ? " done" : ""}`} style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

const STATE_LABEL: Record<string, string> = {
  "input-streaming": "preparing input…",
  "input-available": "running…",
  "approval-requested": "needs your approval",
  "approval-responded": "answered",
  "output-available": "done",
  "output-error": "error",
  "output-denied": "denied",
};

function ToolCard({
  part,
  onApproval,
}: {
  part: ToolUIPart | DynamicToolUIPart;
  onApproval: (approvalId: string, approved: boolean) => void;
}) {
  const name = getToolOrDynamicToolName(part);
  const state = part.state;
  return (
    <div className={`tool tool-${state}`}>
      <div className="tool-head">
        <span className="tool-name">{name}</span>
        <span className={`badge state-${state}`}>
          {(state === "input-streaming" || state === "input-available") && <span className="spinner" />}
          {STATE_LABEL[state] ?? state}
        </span>
      </div>
      {part.input !== undefined && (
        <div className="tool-section">
          <div className="tool-label">Input</div>
          <pre>{JSON.stringify(part.input, null, 2)}</pre>
        </div>
      )}
      {state === "approval-requested" && (
        <div className="approval">
          <span>
            Run <strong>{name}</strong> with this input?
          </span>
          <button className="approve" onClick={() => onApproval(part.approval.id, true)}>
            Approve
          </button>
          <button className="deny" onClick={() => onApproval(part.approval.id, false)}>
            Deny
          </button>
        </div>
      )}
      {state === "approval-responded" && (
        <div className="tool-note">
          {part.approval.approved ? "Approved" : "Denied"}
          {part.approval.reason ? ` — ${part.approval.reason}` : ""}; waiting for the server…
        </div>
      )}
      {state === "output-available" && (
        <div className="tool-section">
          <div className="tool-label">Output{part.preliminary ? " (preliminary)" : ""}</div>
          <pre>{JSON.stringify(part.output, null, 2)}</pre>
        </div>
      )}
      {state === "output-error" && <div className="tool-error">{part.errorText}</div>}
      {state === "output-denied" && (
        <div className="tool-note">
          Not run: the call was denied{part.approval.reason ? ` (${part.approval.reason})` : ""}.
        </div>
      )}
    </div>
  );
}
