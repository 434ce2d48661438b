#!/usr/bin/env node
// Replays ai 4 "data stream protocol" bodies (lines like `0:"hi"\n`) through the
// REAL client code that useChat 4.x (@ai-sdk/react 1.2.12) uses:
// `callChatApi` from @ai-sdk/ui-utils 1.2.11 with a fake fetch, which runs
// `processChatResponse` → `processDataStream` on the response body.
//
// stdin : {"cases": [{"name", "body", ...options}], "timeoutMs"?}
// stdout: {"results": {"<name>": {"message", "messages", "data", "errors", "finish", "toolCalls", "updates", "request"}}}
//
// See README.md ("replay_v4.mjs") for the contract.

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import {
  bodyStream,
  emitJson,
  errorText,
  logUnhandled,
  plain,
  readStdin,
  routeConsoleToStderr,
  withFixedClock,
  withTimeout,
} from './harness_common.mjs';

// stdout carries JSON only, also when another script (replay_server.mjs) imports this module.
routeConsoleToStderr();

const API = 'http://test/api/chat';
const DEFAULT_TIMEOUT_MS = 5000;
const encoder = new TextEncoder();

function stripRevisionId(message) {
  if (message == null || typeof message !== 'object') return message;
  const { revisionId, ...rest } = message;
  return rest;
}

function emptyResult(errors = []) {
  return {
    message: null,
    messages: [],
    data: [],
    errors,
    finish: null,
    toolCalls: [],
    updates: 0,
    request: null,
  };
}

/** The body bytes of a case: `bodyBase64` (exact bytes) when given, else `body` as UTF-8. */
function caseBytes(c) {
  if (typeof c.bodyBase64 === 'string') return new Uint8Array(Buffer.from(c.bodyBase64, 'base64'));
  return encoder.encode(typeof c.body === 'string' ? c.body : '');
}

async function runCase(ui, c, defaultTimeoutMs) {
  const out = emptyResult();
  const timeoutMs = Number.isFinite(c.timeoutMs) ? c.timeoutMs : defaultTimeoutMs;
  const keepRevisionId = c.keepRevisionId === true;
  const clean = (m) => plain(keepRevisionId ? m : stripRevisionId(m));
  const status = Number.isInteger(c.status) ? c.status : 200;
  const bytes = caseBytes(c);
  const history = Array.isArray(c.messages) ? structuredClone(c.messages) : [{ id: 'user-1', role: 'user', content: 'hi', parts: [{ type: 'text', text: 'hi' }] }];
  const lastMessage = history[history.length - 1];
  const toolResults = c.toolResults && typeof c.toolResults === 'object' ? c.toolResults : {};
  let counter = 0;
  let chatMessages = history;
  let streamData = [];

  const fakeFetch = async (url, init = {}) => {
    let body = init.body;
    try {
      body = JSON.parse(body);
    } catch {
      // keep raw
    }
    out.request = plain({ url: String(url), method: init.method ?? 'GET', body });
    const noBody = status === 204 || status === 205 || status === 304;
    return new Response(noBody ? null : bodyStream(bytes, c.splitBytes), {
      status,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'x-vercel-ai-data-stream': 'v1', ...(c.headers ?? {}) },
    });
  };

  const work = ui.callChatApi({
      api: API,
      body: { id: 'chat-1', messages: history },
      streamProtocol: c.streamProtocol ?? 'data',
      credentials: undefined,
      headers: undefined,
      abortController: () => null,
      restoreMessagesOnFailure: () => {},
      onResponse: undefined,
      onUpdate: ({ message, data, replaceLastMessage }) => {
        out.updates++;
        chatMessages = [...(replaceLastMessage ? history.slice(0, -1) : history), message];
        if (data?.length) streamData = [...data];
      },
      onToolCall: async ({ toolCall }) => {
        out.toolCalls.push(plain(toolCall));
        return Object.prototype.hasOwnProperty.call(toolResults, toolCall.toolName) ? toolResults[toolCall.toolName] : undefined;
      },
      onFinish: (message, { usage, finishReason }) => {
        out.finish = plain({ finishReason, usage });
      },
      generateId: () => `gen-${++counter}`,
      fetch: fakeFetch,
      lastMessage,
      requestType: 'generate',
    });

  try {
    const r = await withTimeout(work, timeoutMs);
    if (r.timedOut) out.errors.push(`harness timeout after ${timeoutMs} ms`);
  } catch (err) {
    out.errors.push(errorText(err));
  }
  const last = chatMessages[chatMessages.length - 1];
  out.message = chatMessages === history || last?.role !== 'assistant' ? null : clean(last);
  out.messages = chatMessages.map(clean);
  out.data = plain(streamData) ?? [];
  return out;
}

/** Replay a batch `{cases, timeoutMs?}` through the ai 4 client: {"<case name>": RESULT}. */
export async function replayCasesV4(input) {
  const ui = await import('@ai-sdk/ui-utils');
  const cases = Array.isArray(input.cases) ? input.cases : [];
  const defaultTimeoutMs = Number.isFinite(input.timeoutMs) ? input.timeoutMs : DEFAULT_TIMEOUT_MS;
  const results = {};
  // Messages get `createdAt: new Date()`: pin the clock for the whole run so the
  // output is deterministic (createdAt is always 2025-01-01T00:00:00.000Z).
  await withFixedClock(async () => {
    for (const c of cases) {
      try {
        results[String(c.name)] = await runCase(ui, c, defaultTimeoutMs);
      } catch (err) {
        results[String(c.name)] = emptyResult([`harness exception: ${errorText(err)}`]);
      }
    }
  });
  return results;
}

async function main() {
  logUnhandled('replay_v4');
  const input = JSON.parse(await readStdin());
  await emitJson({ results: await replayCasesV4(input) }, 0);
}

// Run only as a script (`node replay_v4.mjs`), not when imported (replay_server.mjs).
if (process.argv[1] != null && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error('[replay_v4] fatal:', err);
    process.exit(2);
  });
}
