#!/usr/bin/env node
// Replays UI Message Stream SSE bodies through the REAL client code of several
// `ai` npm releases (installed side by side as npm aliases "ai-<version>").
//
// stdin : {"cases": [{"name", "body", "versions": ["5.0.0", ...], ...options}], "timeoutMs"?}
// stdout: {"results": {"<case name>": {"<version>": RESULT}}}
//
// See README.md for the full contract. Nothing here re-implements protocol
// logic: framing, JSON parsing, schema validation, message assembly and the
// chat state machine all run inside the installed release.

import { readFileSync, realpathSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  HERE,
  INSTALLED,
  bodyStream,
  emitJson,
  errorText,
  loadRelease as loadChatRelease,
  logUnhandled,
  plain,
  readStdin,
  routeConsoleToStderr,
  sleep,
  withTimeout,
} from './harness_common.mjs';

const API = 'http://test/api/chat';
const DEFAULT_TIMEOUT_MS = 5000;
const SETTLE_GRACE_MS = 100;

// stdout carries JSON only, also when another script (replay_server.mjs) imports this module.
routeConsoleToStderr();

// ---------------------------------------------------------------------------
// Early ai 5.0.x releases (e.g. 5.0.0) do not export `uiMessageChunkSchema`,
// although their DefaultChatTransport uses it. This loader hook appends
// `export { uiMessageChunkSchema as __harness_uiMessageChunkSchema }` to the
// release's own ESM bundle when (and only when) the bundle defines the schema at
// top level but does not export it. The release's code is otherwise untouched,
// and the exported object is the very one its transport validates with.
const HOOK_SOURCE = `
const AI_DIST = /\\/node_modules\\/ai-[^/]+\\/dist\\/index\\.m?js$/;
export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (!AI_DIST.test(url) || result.format !== 'module' || result.source == null) return result;
  const src = typeof result.source === 'string' ? result.source : new TextDecoder().decode(result.source);
  const defined = /^(?:var|let|const) uiMessageChunkSchema\\b/m.test(src);
  const exported = /export\\s*\\{[^}]*\\buiMessageChunkSchema\\b[^}]*\\}/.test(src);
  if (!defined || exported) return result;
  return { ...result, source: src + '\\nexport { uiMessageChunkSchema as __harness_uiMessageChunkSchema };\\n' };
}
`;
register('data:text/javascript,' + encodeURIComponent(HOOK_SOURCE), import.meta.url);

// ---------------------------------------------------------------------------
// Installed releases: every dependency "ai-<version>" in package.json whose
// major version is >= 5 (ai 4.x speaks the older data stream protocol and is
// handled by replay_v4.mjs, not here). harness_common.mjs loads a release and
// gives its Chat (AbstractChat + minimal ChatState); this adds what the chunk
// and read runs need.
const releaseCache = new Map();

/** Load an installed ai >= 5 release with what the chunk, read and chat runs need (cached). */
export function loadRelease(version) {
  if (!releaseCache.has(version)) {
    releaseCache.set(version, doLoadRelease(version));
  }
  return releaseCache.get(version);
}

async function doLoadRelease(version) {
  const { ai, Chat, DefaultChatTransport } = await loadChatRelease(version);
  const alias = `ai-${version}`;

  const schema = ai.uiMessageChunkSchema ?? ai.__harness_uiMessageChunkSchema;
  if (schema == null) throw new Error(`${alias}: cannot find uiMessageChunkSchema`);

  // parseJsonEventStream: the release's re-export, else the one from the
  // @ai-sdk/provider-utils that this release itself resolves (same ESM file).
  let parseJsonEventStream = ai.parseJsonEventStream;
  if (parseJsonEventStream == null) {
    const req = createRequire(join(HERE, 'node_modules', alias, 'package.json'));
    const puPkgPath = req.resolve('@ai-sdk/provider-utils/package.json');
    const puPkg = JSON.parse(readFileSync(puPkgPath, 'utf8'));
    const entry = puPkg.exports?.['.']?.import ?? puPkg.module ?? puPkg.main;
    const pu = await import(pathToFileURL(join(dirname(puPkgPath), entry)).href);
    parseJsonEventStream = pu.parseJsonEventStream;
  }
  if (typeof parseJsonEventStream !== 'function') {
    throw new Error(`${alias}: cannot find parseJsonEventStream`);
  }

  if (typeof ai.readUIMessageStream !== 'function') throw new Error(`${alias}: missing export readUIMessageStream`);

  return {
    version,
    schema,
    parseJsonEventStream,
    readUIMessageStream: ai.readUIMessageStream,
    DefaultChatTransport,
    Chat,
  };
}

// ---------------------------------------------------------------------------
// helpers

const encoder = new TextEncoder();

/** The body bytes of a case: `bodyBase64` (exact bytes) when given, else `body` as UTF-8. */
export function caseBytes(c) {
  if (typeof c.bodyBase64 === 'string') return new Uint8Array(Buffer.from(c.bodyBase64, 'base64'));
  return encoder.encode(typeof c.body === 'string' ? c.body : '');
}

function errorName(err) {
  return err instanceof Error ? err.name : typeof err;
}

// ---------------------------------------------------------------------------
// 1. chunks / chunkErrors: parseJsonEventStream({stream, schema: uiMessageChunkSchema})
//    of the release, keeping going after failed parses.
async function runChunks(release, bytes, c, timeoutMs) {
  const chunks = [];
  const chunkErrors = [];
  try {
    const work = (async () => {
      const stream = release.parseJsonEventStream({
        stream: bodyStream(bytes, c.splitBytes),
        schema: release.schema,
      });
      let index = 0;
      for await (const result of stream) {
        if (result.success) {
          chunks.push(plain(result.value));
        } else {
          chunkErrors.push({
            index,
            name: errorName(result.error),
            message: errorText(result.error),
          });
        }
        index++;
      }
    })();
    const r = await withTimeout(work, timeoutMs);
    if (r.timedOut) chunkErrors.push({ index: -1, name: 'HarnessTimeout', message: `harness timeout after ${timeoutMs} ms` });
  } catch (err) {
    chunkErrors.push({ index: -1, name: 'HarnessException', message: `harness exception: ${errorText(err)}` });
  }
  return { chunks, chunkErrors };
}

// 2. read: the transport's own processResponseStream (parseJsonEventStream +
//    uiMessageChunkSchema, throwing on the first failed chunk) fed into the
//    release's readUIMessageStream.
async function runRead(release, bytes, c, timeoutMs) {
  const out = { message: null, errors: [] };
  try {
    const transport = new release.DefaultChatTransport({ api: API });
    const chunkStream = transport.processResponseStream(bodyStream(bytes, c.splitBytes));
    const work = (async () => {
      const iterable = release.readUIMessageStream({
        ...(c.readMessage != null ? { message: structuredClone(c.readMessage) } : {}),
        stream: chunkStream,
        onError: (error) => {
          out.errors.push(errorText(error));
        },
      });
      try {
        for await (const message of iterable) {
          out.message = plain(message);
        }
      } catch (err) {
        out.errors.push(errorText(err));
      }
    })();
    const r = await withTimeout(work, timeoutMs);
    if (r.timedOut) out.errors.push(`harness timeout after ${timeoutMs} ms`);
  } catch (err) {
    out.errors.push(`harness exception: ${errorText(err)}`);
  }
  return out;
}

// 3. chat: AbstractChat subclass + DefaultChatTransport with a fake fetch.
function emptyChatResult() {
  return {
    status: null,
    error: null,
    errorName: null,
    messages: [],
    finish: null,
    finishCount: 0,
    onError: [],
    requests: [],
    exception: null,
  };
}

async function runChat(release, bytes, c, timeoutMs) {
  const out = emptyChatResult();
  let chat;
  try {
    const mode = c.mode ?? 'send';
    const httpStatus = Number.isInteger(c.status)
      ? c.status
      : mode === 'resume' && bytes.length === 0
        ? 204
        : 200;

    const fakeFetch = async (url, init = {}) => {
      let body = init.body;
      if (typeof body === 'string') {
        try {
          body = JSON.parse(body);
        } catch {
          // keep raw text
        }
      }
      out.requests.push(plain({ url: String(url), method: init.method ?? 'GET', headers: init.headers, body }));
      const noBody = httpStatus === 204 || httpStatus === 205 || httpStatus === 304;
      return new Response(noBody ? null : bodyStream(bytes, c.splitBytes), {
        status: httpStatus,
        headers: { 'content-type': 'text/event-stream' },
      });
    };

    let counter = 0;
    const transport = new release.DefaultChatTransport({ api: API, fetch: fakeFetch });
    chat = new release.Chat({
      id: 'chat-1',
      generateId: () => `gen-${++counter}`,
      transport,
      ...(c.initialMessages != null ? { messages: structuredClone(c.initialMessages) } : {}),
      onError: (error) => {
        out.onError.push(errorText(error));
      },
      onFinish: (options) => {
        out.finishCount++;
        out.finish = plain(options);
      },
    });

    let action;
    if (mode === 'resume') {
      action = chat.resumeStream();
    } else if (mode === 'send') {
      if (Object.prototype.hasOwnProperty.call(c, 'sendMessage')) {
        // "sendMessage": null  -> chat.sendMessage() (no argument: continuation)
        // "sendMessage": {...} -> chat.sendMessage({...}) as given
        action = c.sendMessage == null ? chat.sendMessage() : chat.sendMessage(structuredClone(c.sendMessage));
      } else {
        action = chat.sendMessage({ text: 'hi' });
      }
    } else {
      throw new Error(`unknown mode ${JSON.stringify(mode)}`);
    }

    // sendMessage()/resumeStream() resolve only after the whole request
    // (including any automatic follow-up request) has finished, so the status
    // is normally final here. If the call does not settle within timeoutMs the
    // status is "timeout". If it settled but the status is still not
    // ready/error after a short grace period (e.g. ai 5.0.0 leaves "submitted"
    // after a 204 resume), the release's actual status is reported as is.
    const deadline = Date.now() + timeoutMs;
    const r = await withTimeout(action, timeoutMs);
    if (r.timedOut) {
      out.status = 'timeout';
    } else {
      const graceEnd = Math.min(deadline, Date.now() + SETTLE_GRACE_MS);
      while (chat.status !== 'ready' && chat.status !== 'error' && Date.now() < graceEnd) {
        await sleep(5);
      }
      out.status = chat.status;
    }
  } catch (err) {
    out.status = 'exception';
    out.exception = errorText(err);
  }
  try {
    if (chat != null) {
      const error = chat.error;
      out.error = error == null ? null : errorText(error);
      out.errorName = error == null ? null : errorName(error);
      out.messages = plain(chat.messages) ?? [];
    }
  } catch (err) {
    out.exception = (out.exception ? out.exception + '; ' : '') + errorText(err);
  }
  if (out.status === 'exception' && out.error == null) out.error = out.exception;
  return out;
}

/** Replay one case through one release: {chunks, chunkErrors, read, chat} (see README.md). */
export async function runCaseVersion(c, version, defaultTimeoutMs = DEFAULT_TIMEOUT_MS) {
  const timeoutMs = Number.isFinite(c.timeoutMs) ? c.timeoutMs : defaultTimeoutMs;
  let release;
  try {
    release = await loadRelease(version);
  } catch (err) {
    const msg = `harness exception: ${errorText(err)}`;
    return {
      chunks: [],
      chunkErrors: [{ index: -1, name: 'HarnessException', message: msg }],
      read: { message: null, errors: [msg] },
      chat: { ...emptyChatResult(), status: 'exception', error: msg, exception: msg },
    };
  }
  const bytes = caseBytes(c);
  const { chunks, chunkErrors } = await runChunks(release, bytes, c, timeoutMs);
  const read = await runRead(release, bytes, c, timeoutMs);
  const chat = await runChat(release, bytes, c, timeoutMs);
  return { chunks, chunkErrors, read, chat };
}

// ---------------------------------------------------------------------------

/** Replay a batch `{cases, timeoutMs?}`: {"<case name>": {"<version>": RESULT}}. */
export async function replayCases(input) {
  const cases = Array.isArray(input.cases) ? input.cases : [];
  const defaultTimeoutMs = Number.isFinite(input.timeoutMs) ? input.timeoutMs : DEFAULT_TIMEOUT_MS;
  const results = {};
  for (const c of cases) {
    const name = String(c.name);
    const versions = Array.isArray(c.versions) && c.versions.length > 0 ? c.versions : INSTALLED;
    const perVersion = {};
    for (const version of versions) {
      try {
        perVersion[version] = await runCaseVersion(c, String(version), defaultTimeoutMs);
      } catch (err) {
        perVersion[version] = { exception: `harness exception: ${errorText(err)}` };
      }
    }
    results[name] = perVersion;
  }
  return results;
}

async function main() {
  logUnhandled('replay', { exceptions: true });
  const input = JSON.parse(await readStdin());
  await emitJson({ results: await replayCases(input) }, 0);
}

// Run only as a script (`node replay.mjs`), not when imported (replay_server.mjs).
if (process.argv[1] != null && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error('[replay] fatal:', err);
    process.exit(2);
  });
}
