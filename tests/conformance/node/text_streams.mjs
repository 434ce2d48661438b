#!/usr/bin/env node
// text_streams.mjs — replay plain text and completion bodies through the real client code.
//
// stdin:  {"cases": [{"name", "bodyBase64", "splitBytes"?, "runs": ["chat-text", "completion-text",
//          "completion-data"], "versions"?: [...]}]}
// stdout: {"results": {<case>: {<version>: {<run>: result}}}}
//
// chat-text:        AbstractChat + TextStreamChatTransport (useChat over a text stream); result
//                   {status, error, message} (the last assistant message).
// completion-text / completion-data:
//                   callCompletionApi with streamProtocol "text" / "data" (useCompletion's own
//                   fetch-and-parse code); result {completion, completions, error, finished,
//                   requests}. For ai 4 ("versions": ["4.3.19"]) from @ai-sdk/ui-utils, whose
//                   "data" protocol is the v4 data stream.
// Nothing here re-implements the client: the release's own exports do the parsing.

import {
  INSTALLED,
  bodyStream,
  emitJson,
  errorText,
  loadRelease,
  logUnhandled,
  major,
  plain,
  readStdin,
  routeConsoleToStderr,
  withTimeout,
} from './harness_common.mjs';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

routeConsoleToStderr();

const API = 'http://localhost/api/completion';
const TIMEOUT_MS = 10_000;

function response(bytes, splitBytes, contentType) {
  return new Response(bodyStream(bytes, splitBytes), { status: 200, headers: { 'content-type': contentType } });
}

async function chatText(release, bytes, c) {
  const out = { status: null, error: null, message: null, requests: [] };
  const fetch = async (url, init = {}) => {
    out.requests.push(JSON.parse(init.body));
    return response(bytes, c.splitBytes, 'text/plain; charset=utf-8');
  };
  let counter = 0;
  const transport = new release.ai.TextStreamChatTransport({ api: API, fetch });
  const chat = new release.Chat({ id: 'chat-1', generateId: () => `gen-${++counter}`, transport });
  const r = await withTimeout(chat.sendMessage({ text: 'hi' }), TIMEOUT_MS);
  out.status = r.timedOut ? 'timeout' : chat.status;
  out.error = chat.error == null ? null : errorText(chat.error);
  const last = chat.messages.at(-1);
  out.message = last?.role === 'assistant' ? plain(last) : null;
  return out;
}

async function completion(release, bytes, c, streamProtocol) {
  const out = { completion: null, completions: [], error: null, finished: null, requests: [] };
  const fetch = async (url, init = {}) => {
    out.requests.push(JSON.parse(init.body));
    const type = streamProtocol === 'text' ? 'text/plain; charset=utf-8' : 'text/event-stream';
    return response(bytes, c.splitBytes, type);
  };
  const call = release.ai.callCompletionApi({
    api: API,
    prompt: c.prompt ?? 'Say hi',
    body: c.body ?? {},
    streamProtocol,
    fetch,
    setCompletion: (value) => {
      out.completion = value;
      out.completions.push(value);
    },
    setLoading: () => {},
    setError: (error) => {
      if (error != null) out.error = errorText(error);
    },
    setAbortController: () => {},
    onFinish: (prompt, value) => {
      out.finished = value;
    },
    onError: (error) => {
      out.error = errorText(error);
    },
  });
  const r = await withTimeout(call, TIMEOUT_MS);
  if (r.timedOut) out.error = 'timeout';
  return out;
}

const RUNS = {
  'chat-text': (release, bytes, c) => chatText(release, bytes, c),
  'completion-text': (release, bytes, c) => completion(release, bytes, c, 'text'),
  'completion-data': (release, bytes, c) => completion(release, bytes, c, 'data'),
};

/** Replay a batch `{cases}`: {"<case name>": {"<version>": {"<run>": result}}}. */
export async function replayTextCases({ cases }) {
  const modern = INSTALLED.filter((v) => major(v) >= 5);
  const results = {};
  for (const c of cases) {
    const bytes = new Uint8Array(Buffer.from(c.bodyBase64, 'base64'));
    results[c.name] = {};
    for (const version of c.versions ?? modern) {
      // ai 4: useCompletion's callCompletionApi lives in @ai-sdk/ui-utils (the ai 4.3 pin)
      const release = major(version) === 4 ? { version, ai: await import('@ai-sdk/ui-utils') } : await loadRelease(version);
      const runs = {};
      for (const name of c.runs) {
        try {
          runs[name] = await RUNS[name](release, bytes, c);
        } catch (err) {
          runs[name] = { exception: errorText(err) };
        }
      }
      results[c.name][version] = runs;
    }
  }
  return results;
}

async function main() {
  logUnhandled('text_streams');
  await emitJson({ results: await replayTextCases(JSON.parse(await readStdin())) }, 0);
}

// Run only as a script (`node text_streams.mjs`), not when imported (replay_server.mjs).
if (process.argv[1] != null && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error('[text_streams] fatal:', err);
    process.exit(2);
  });
}
