// Shared helpers for replay.mjs, replay_v4.mjs, record_requests.mjs and roundtrip.mjs.
//
// Nothing here implements protocol logic: it only loads the installed `ai`
// releases, provides the minimal ChatState that AbstractChat needs, and offers
// small utilities (stdio set-up, JSON-safe copies, chunked response bodies,
// timeouts, request tracking, waiting until a chat is idle, a
// FileList/FileReader stand-in for Node).

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = dirname(fileURLToPath(import.meta.url));

const pkg = JSON.parse(readFileSync(join(HERE, 'package.json'), 'utf8'));

/** Installed `ai-<version>` aliases with major >= 5 (the UI message stream releases). */
export const INSTALLED = Object.keys(pkg.dependencies ?? {})
  .filter((name) => name.startsWith('ai-'))
  .map((name) => name.slice(3))
  .filter((version) => Number.parseInt(version, 10) >= 5);

/** Compare two dotted versions numerically: <0, 0, >0. */
export function compareVersions(a, b) {
  const pa = String(a).split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = String(b).split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function major(version) {
  return Number.parseInt(String(version), 10);
}

// ---------------------------------------------------------------------------
// stdout must carry exactly one JSON document: route any library console
// output to stderr.
export function routeConsoleToStderr() {
  for (const level of ['log', 'info', 'debug']) {
    console[level] = (...args) => console.error(...args);
  }
}

/** Log unhandled rejections (and, with `exceptions`, uncaught exceptions) as `[tag] ...` instead of dying. */
export function logUnhandled(tag, { exceptions = false } = {}) {
  process.on('unhandledRejection', (reason) => {
    console.error(`[${tag}] unhandled rejection:`, reason);
  });
  if (exceptions) {
    process.on('uncaughtException', (err) => {
      console.error(`[${tag}] uncaught exception:`, err);
    });
  }
}

export async function readStdin() {
  const parts = [];
  for await (const part of process.stdin) parts.push(part);
  return Buffer.concat(parts).toString('utf8');
}

/** Write `doc` as one JSON line to stdout, then exit with `code`. */
export async function emitJson(doc, code) {
  const text = JSON.stringify(doc) + '\n';
  await new Promise((resolve) => process.stdout.write(text, resolve));
  process.exit(code);
}

// ---------------------------------------------------------------------------
// Minimal ChatState, modelled on @ai-sdk/react's ReactChatState (minus the
// React callbacks). The interface is the same in v5, v6 and v7:
//   status, error, messages (get/set), pushMessage, popMessage,
//   replaceMessage, snapshot   (+ optional experimental_queuedMessages in v7,
//   which we deliberately do not implement: AbstractChat then keeps the queue
//   itself, as documented in v7's ChatState).
export class TestChatState {
  #messages;

  constructor(messages = []) {
    this.status = 'ready';
    this.error = undefined;
    this.#messages = [...messages];
  }

  get messages() {
    return this.#messages;
  }

  set messages(messages) {
    this.#messages = [...messages];
  }

  pushMessage = (message) => {
    this.#messages = this.#messages.concat(message);
  };

  popMessage = () => {
    this.#messages = this.#messages.slice(0, -1);
  };

  replaceMessage = (index, message) => {
    this.#messages = [
      ...this.#messages.slice(0, index),
      this.snapshot(message),
      ...this.#messages.slice(index + 1),
    ];
  };

  snapshot = (thing) => structuredClone(thing);
}

const releaseCache = new Map();

/**
 * Load an installed release: {version, ai, Chat, DefaultChatTransport, ...}.
 * `Chat` is a subclass of the release's AbstractChat that builds its own TestChatState.
 */
export async function loadRelease(version) {
  if (!INSTALLED.includes(version)) {
    throw new Error(`ai release ${version} is not installed (installed: ${INSTALLED.join(', ')})`);
  }
  if (!releaseCache.has(version)) {
    releaseCache.set(
      version,
      (async () => {
        const ai = await import(`ai-${version}`);
        for (const name of ['AbstractChat', 'DefaultChatTransport']) {
          if (typeof ai[name] !== 'function') throw new Error(`ai-${version}: missing export ${name}`);
        }
        const AbstractChat = ai.AbstractChat;
        class TestChat extends AbstractChat {
          constructor({ messages, ...init }) {
            super({ ...init, state: new TestChatState(messages) });
          }
        }
        return { version, ai, Chat: TestChat, DefaultChatTransport: ai.DefaultChatTransport };
      })(),
    );
  }
  return releaseCache.get(version);
}

// ---------------------------------------------------------------------------
// small utilities

export function plain(value) {
  if (value === undefined) return null;
  try {
    return JSON.parse(JSON.stringify(value));
  } catch (err) {
    return `<unserialisable: ${errorText(err)}>`;
  }
}

export function errorText(err) {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Settle with {timedOut: false, value} when `promise` fulfils first, {timedOut: true} after `ms`; rejects as `promise` does. */
export function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ timedOut: true }), ms);
  });
  return Promise.race([
    promise.then((value) => ({ timedOut: false, value })),
    timeout,
  ]).finally(() => clearTimeout(timer));
}

/** A response body that delivers `bytes` in pieces of `splitBytes` (all at once when not a positive integer). */
export function bodyStream(bytes, splitBytes) {
  const size = Number.isInteger(splitBytes) && splitBytes > 0 ? splitBytes : bytes.length || 1;
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  });
}

/** Headers (object, array or Headers) → plain object with lower-case names, in the order given. */
export function headersToObject(headers) {
  const out = {};
  if (headers == null) return out;
  const entries =
    typeof headers.entries === 'function' && !Array.isArray(headers)
      ? [...headers.entries()]
      : Array.isArray(headers)
        ? headers
        : Object.entries(headers);
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    out[String(name).toLowerCase()] = String(value);
  }
  return out;
}

/** Request body as sent (string) → parsed JSON when possible, else the raw value. */
export function parseRequestBody(body) {
  if (body == null) return null;
  if (typeof body === 'string') {
    try {
      return JSON.parse(body);
    } catch {
      return body;
    }
  }
  return `<non-string body: ${Object.prototype.toString.call(body)}>`;
}

/**
 * Counts requests whose response is still in flight: from the fetch call until
 * the response body has been read to the end, errored or cancelled.
 * `wrapFetch(fetchImpl, onRequest)` returns a fetch that does the counting.
 */
export class InFlightTracker {
  count = 0;
  started = 0;

  wrapFetch(fetchImpl, onRequest) {
    return async (input, init = {}) => {
      this.count++;
      this.started++;
      let released = false;
      const release = () => {
        if (!released) {
          released = true;
          this.count--;
        }
      };
      try {
        onRequest?.(input, init);
        const response = await fetchImpl(input, init);
        if (response.body == null) {
          release();
          return response;
        }
        const reader = response.body.getReader();
        const body = new ReadableStream({
          async pull(controller) {
            try {
              const { done, value } = await reader.read();
              if (done) {
                release();
                controller.close();
              } else {
                controller.enqueue(value);
              }
            } catch (err) {
              release();
              controller.error(err);
            }
          },
          async cancel(reason) {
            release();
            await reader.cancel(reason).catch(() => {});
          },
        });
        return new Response(body, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        });
      } catch (err) {
        release();
        throw err;
      }
    };
  }
}

/**
 * Wait until the chat is idle: status ready/error, no active response, no
 * request in flight, and that state held for `quietMs` (automatic follow-up
 * requests are started without being awaited by the release, so a short quiet
 * period is needed to see them). Returns true when idle, false on timeout.
 */
export async function waitForIdle(chat, tracker, { deadline, quietMs = 150 } = {}) {
  let quietSince = null;
  while (Date.now() < deadline) {
    const idle =
      (chat.status === 'ready' || chat.status === 'error') &&
      chat.activeResponse == null &&
      tracker.count === 0;
    if (idle) {
      quietSince ??= Date.now();
      if (Date.now() - quietSince >= quietMs) return true;
    } else {
      quietSince = null;
    }
    await sleep(10);
  }
  return false;
}

// ---------------------------------------------------------------------------
// Node has File and Blob but no FileList / FileReader. The releases convert a
// FileList with `FileReader.readAsDataURL` (ai >= 5 `convertFileListToFileUIParts`,
// ai 4 `prepareAttachmentsForRequest`). These stand-ins behave like the browser
// ones for that use; install them only around the call that needs them.

class HarnessFileList {
  constructor(files) {
    files.forEach((file, i) => {
      this[i] = file;
    });
    this.length = files.length;
  }

  item(i) {
    return this[i] ?? null;
  }

  *[Symbol.iterator]() {
    for (let i = 0; i < this.length; i++) yield this[i];
  }
}

class HarnessFileReader {
  result = null;
  onload = null;
  onerror = null;

  readAsDataURL(blob) {
    blob.arrayBuffer().then(
      (buffer) => {
        const type = blob.type || 'application/octet-stream';
        this.result = `data:${type};base64,${Buffer.from(buffer).toString('base64')}`;
        this.onload?.({ target: this });
      },
      (err) => this.onerror?.(err),
    );
  }
}

/** Run `fn(makeFileList)` with FileList/FileReader stand-ins installed on globalThis. */
export async function withFileListPolyfill(fn) {
  const saved = { FileList: globalThis.FileList, FileReader: globalThis.FileReader };
  globalThis.FileList = HarnessFileList;
  globalThis.FileReader = HarnessFileReader;
  try {
    return await fn((files) => new HarnessFileList(files));
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete globalThis[key];
      else globalThis[key] = value;
    }
  }
}

// ---------------------------------------------------------------------------
export const FIXED_TIME = Date.UTC(2025, 0, 1, 0, 0, 0);

// ai 4 puts `createdAt: new Date()` into messages (sent with sendExtraMessageFields).
// Pin the clock while recording so that the recorded bodies are deterministic.
export async function withFixedClock(fn) {
  const RealDate = globalThis.Date;
  class FixedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(FIXED_TIME);
      else super(...args);
    }
    static now() {
      return FIXED_TIME;
    }
  }
  globalThis.Date = FixedDate;
  try {
    return await fn();
  } finally {
    globalThis.Date = RealDate;
  }
}
