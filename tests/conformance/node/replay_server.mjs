#!/usr/bin/env node
// A long-running replayer: loads every installed `ai` release once, then answers
// one JSON request per stdin line with one JSON line on stdout. It runs the very
// code of replay.mjs (ai 5/6/7 UI message streams), replay_v4.mjs (ai 4 data
// streams) and text_streams.mjs (text streams, useCompletion), so a request
// costs milliseconds instead of a node start.
//
// stdin, one line per request:
//   {"id": 7, "protocol": "ui", "cases": [{"name", "body" | "bodyBase64", "versions", ...}], "timeoutMs"?}
//   {"id": 8, "protocol": "data-stream", "cases": [{"name", "body" | "bodyBase64", ...}], "timeoutMs"?}
//   {"id": 10, "protocol": "text", "cases": [{"name", "bodyBase64", "runs", "versions"?}]}
//   {"id": 9, "ping": true}
// stdout, one line per request, in order:
//   {"id": 7, "results": {"<case name>": {"<version>": RESULT}}}      (RESULT as replay.mjs)
//   {"id": 8, "results": {"<case name>": RESULT}}                     (RESULT as replay_v4.mjs)
//   {"id": 10, "results": {"<case name>": {"<version>": {"<run>": RESULT}}}} (as text_streams.mjs)
//   {"id": 9, "pong": true}
//   {"id": …, "error": "…"} when the request itself is unusable (bad JSON, unknown protocol).
// The first line is {"ready": true, "installed": [...]} once every release is loaded.
// Requests are handled one at a time; stdin EOF ends the process. Library output goes to stderr.

import { createInterface } from 'node:readline';

import { INSTALLED, errorText, logUnhandled } from './harness_common.mjs';
import { loadRelease, replayCases } from './replay.mjs';
import { replayCasesV4 } from './replay_v4.mjs';
import { replayTextCases } from './text_streams.mjs';

logUnhandled('replay_server', { exceptions: true });

function send(doc) {
  let text;
  try {
    text = JSON.stringify(doc);
  } catch (err) {
    text = JSON.stringify({ id: doc?.id ?? null, error: `unserialisable result: ${errorText(err)}` });
  }
  return new Promise((resolve) => process.stdout.write(text + '\n', resolve));
}

async function handle(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch (err) {
    return { id: null, error: `invalid request JSON: ${errorText(err)}` };
  }
  const id = request?.id ?? null;
  try {
    if (request.ping === true) return { id, pong: true };
    const batch = { cases: request.cases, timeoutMs: request.timeoutMs };
    const protocol = request.protocol ?? 'ui';
    if (protocol === 'ui') return { id, results: await replayCases(batch) };
    if (protocol === 'data-stream') return { id, results: await replayCasesV4(batch) };
    if (protocol === 'text') return { id, results: await replayTextCases(batch) };
    return { id, error: `unknown protocol ${JSON.stringify(protocol)}` };
  } catch (err) {
    return { id, error: `harness exception: ${errorText(err)}` };
  }
}

async function main() {
  for (const version of INSTALLED) await loadRelease(version);
  await import('@ai-sdk/ui-utils');
  await send({ ready: true, installed: INSTALLED });
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    await send(await handle(line));
  }
  process.exit(0);
}

main().catch((err) => {
  console.error('[replay_server] fatal:', err);
  process.exit(2);
});
