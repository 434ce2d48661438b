"use client";

import { experimental_useObject as useObject } from "@ai-sdk/react";
import type { DeepPartial } from "ai";
import { useState, type FormEvent, type KeyboardEvent } from "react";
import { errorText } from "./errors";
import PageShell from "./PageShell";
import PromptActions from "./PromptActions";
import { itinerarySchema, type Itinerary } from "./trip";

type PartialTrip = DeepPartial<Itinerary>;

const EXAMPLES = ["A 3-day trip to Lisbon", "4 days in Kyoto", "A weekend trip to Rome with an error"];

/**
 * experimental_useObject against POST /api/trip: the backend streams the JSON text of an
 * Itinerary, and the hook shows it parsed as far as it got. Errors come two ways: a 4xx before
 * anything streams (`error`), or a value that fails the schema when the text ends, e.g. cut
 * short by a failure on the server (plain text has no error channel): `onFinish({error})`.
 */
export default function TripApp() {
  const [input, setInput] = useState("A 3-day trip to Lisbon");
  const [finishError, setFinishError] = useState<Error | undefined>();
  const [stopped, setStopped] = useState(false);
  const { object, submit, isLoading, stop, error } = useObject({
    api: "/api/trip",
    schema: itinerarySchema,
    onFinish: ({ error }) => setFinishError(error),
  });

  const send = (e?: FormEvent) => {
    e?.preventDefault();
    const prompt = input.trim();
    if (!prompt || isLoading) return;
    setFinishError(undefined);
    setStopped(false);
    submit({ prompt });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) send(e);
  };

  const failed = error ?? finishError;
  const state = isLoading ? "streaming" : failed ? "error" : stopped ? "stopped" : object ? "done" : "idle";

  return (
    <PageShell
      hints={
        <>
          The demo model plans <em>N days</em> (1 to 5, or a <em>weekend</em>) in the place named after{" "}
          <em>to</em> or <em>in</em>. A prompt containing <em>error</em> fails during the second day: the text
          ends early and the schema refuses the incomplete itinerary.
        </>
      }
    >
      <div className="oneshot">
        <div className="oneshot-body">
          <h2>Trip planner</h2>
          <p className="muted">
            <code>experimental_useObject</code> posts <code>{"{prompt}"}</code> to <code>/api/trip</code>; the typed
            itinerary (a zod schema mirroring the backend&apos;s pydantic model) grows as the JSON streams in.
          </p>
          <form className="prompt-form" onSubmit={send}>
            <textarea
              value={input}
              onChange={(e) => setInput(e.target.value)}
              onKeyDown={onKeyDown}
              placeholder="Describe the trip (Enter to plan)"
              rows={2}
              autoFocus
            />
            <div className="prompt-actions">
              <PromptActions
                examples={EXAMPLES}
                isLoading={isLoading}
                canSubmit={Boolean(input.trim())}
                submitLabel="Plan the trip"
                onExample={setInput}
                onStop={() => {
                  setStopped(true);
                  stop();
                }}
              />
            </div>
          </form>
          {object && <TripView trip={object} streaming={isLoading} />}
          {isLoading && !object && <div className="typing">Planning…</div>}
          {stopped && !isLoading && <div className="note">Stopped: the rest of the itinerary was not generated.</div>}
          {error && (
            <div className="banner error" role="alert">
              <span>{errorText(error)}</span>
            </div>
          )}
          {!error && finishError && (
            <div className="banner error" role="alert" title={finishError.message}>
              <span>The itinerary is incomplete: the answer ended before it matched the schema.</span>
              <button onClick={() => send()}>Retry</button>
            </div>
          )}
        </div>
        <div className="status">
          trip · <span className="state">{state}</span>
        </div>
      </div>
    </PageShell>
  );
}

/** The itinerary as far as it streamed: any field, day or activity may still be missing. */
function TripView({ trip, streaming }: { trip: PartialTrip; streaming: boolean }) {
  const days = (trip.days ?? []).filter((d) => d != null);
  const tips = (trip.tips ?? []).filter((t): t is string => typeof t === "string");
  return (
    <article className="output trip" aria-live="polite">
      <h3 className="trip-destination">{trip.destination ?? "…"}</h3>
      {trip.summary !== undefined && <p className="trip-summary">{trip.summary}</p>}
      {days.length > 0 && (
        <ol className="trip-days">
          {days.map((d, i) => (
            <li key={i} className="trip-day">
              <div className="trip-day-head">
                <span className="badge">Day {d.day ?? i + 1}</span>
                <strong>{d.title ?? ""}</strong>
              </div>
              {(d.activities ?? []).length > 0 && (
                <ul className="trip-activities">
                  {(d.activities ?? []).map((a, j) => (
                    <li key={j}>{a}</li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ol>
      )}
      {tips.length > 0 && (
        <div className="trip-tips">
          <div className="sources-title">Tips</div>
          <ul>
            {tips.map((t, i) => (
              <li key={i}>{t}</li>
            ))}
          </ul>
        </div>
      )}
      {streaming && <span className="cursor" aria-hidden />}
    </article>
  );
}
