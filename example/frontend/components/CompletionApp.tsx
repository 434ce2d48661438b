"use client";

import { useCompletion } from "@ai-sdk/react";
import { useState, type FormEvent, type KeyboardEvent } from "react";
import { errorText } from "./errors";
import PageShell from "./PageShell";
import PromptActions from "./PromptActions";

type Protocol = "data" | "text";

const EXAMPLES = ["Write a haiku about streaming", "Explain backpressure in one paragraph", "Trigger an error"];

/**
 * useCompletion against POST /api/completion. The protocol is the page's choice: the hook
 * reads the answer with `streamProtocol`, and the body field `protocol` tells the backend which
 * one to write ("data": the UI message stream, which carries errors; "text": plain text).
 */
export default function CompletionApp() {
  const [protocol, setProtocol] = useState<Protocol>("data");
  const [stopped, setStopped] = useState(false);
  const { completion, complete, input, setInput, isLoading, stop, error } = useCompletion({
    api: "/api/completion",
    streamProtocol: protocol,
  });

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    const prompt = input.trim();
    if (!prompt || isLoading) return;
    setStopped(false);
    void complete(prompt, { body: { protocol } });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) submit(e);
  };

  const state = isLoading ? "streaming" : error ? "error" : stopped ? "stopped" : completion ? "done" : "idle";

  return (
    <PageShell
      hints={
        <>
          The demo model writes a short text about your prompt, word by word. A prompt containing{" "}
          <em>error</em> fails half-way: with the <code>data</code> protocol the page shows the error, with{" "}
          <code>text</code> the text just ends (plain text has no error channel).
        </>
      }
    >
      <div className="oneshot">
        <div className="oneshot-body">
          <h2>Completion</h2>
          <p className="muted">
            <code>useCompletion</code> posts <code>{"{prompt, protocol}"}</code> to <code>/api/completion</code>; the
            completion streams in as the backend writes it.
          </p>
          <form className="prompt-form" onSubmit={submit}>
            <textarea
              value={input}
              onChange={(e) => setInput(e.target.value)}
              onKeyDown={onKeyDown}
              placeholder="A prompt (Enter to generate)"
              rows={3}
              autoFocus
            />
            <div className="prompt-actions">
              <fieldset className="protocol" disabled={isLoading}>
                <legend>Stream protocol</legend>
                {(["data", "text"] as const).map((p) => (
                  <label key={p}>
                    <input type="radio" name="protocol" value={p} checked={protocol === p} onChange={() => setProtocol(p)} />{" "}
                    <code>{p}</code>
                  </label>
                ))}
              </fieldset>
              <PromptActions
                examples={EXAMPLES}
                isLoading={isLoading}
                canSubmit={Boolean(input.trim())}
                submitLabel="Generate"
                onExample={setInput}
                onStop={() => {
                  setStopped(true);
                  stop();
                }}
              />
            </div>
          </form>
          {(completion || isLoading) && (
            <div className="output completion-output" aria-live="polite">
              <span className="completion-text">{completion}</span>
              {isLoading && <span className="cursor" aria-hidden />}
            </div>
          )}
          {stopped && !isLoading && <div className="note">Stopped: the rest was not generated.</div>}
          {error && (
            <div className="banner error" role="alert">
              <span>{errorText(error)}</span>
              <button onClick={() => submit()}>Retry</button>
            </div>
          )}
        </div>
        <div className="status">
          completion · <code>{protocol}</code> protocol · <span className="state">{state}</span>
        </div>
      </div>
    </PageShell>
  );
}
