#!/usr/bin/env node
// Live round trip: drives the REAL client of one `ai` release (AbstractChat with
// a minimal ChatState + DefaultChatTransport) against a REAL HTTP server, using
// Node's global fetch, and prints one JSON document describing what happened.
//
//   node roundtrip.mjs --url http://127.0.0.1:PORT/api/chat --version 6.0.326 --flow approve
//
// Flows: submit | regenerate | approve | deny | client-tool-output | client-tool-error
// See README.md ("roundtrip.mjs") for options and the output contract.
// Exit code: 0 whenever a JSON document describing the run was printed (even if
// the chat ended in error or timed out); 2 for harness failures (bad arguments,
// release not installed, flow not supported by the release, crash).

import {
  INSTALLED,
  InFlightTracker,
  emitJson,
  errorText,
  loadRelease,
  logUnhandled,
  parseRequestBody,
  plain,
  routeConsoleToStderr,
  waitForIdle,
  withTimeout,
} from './harness_common.mjs';

routeConsoleToStderr();
logUnhandled('roundtrip');

const FLOWS = ['submit', 'regenerate', 'approve', 'deny', 'client-tool-output', 'client-tool-error', 'resume', 'agent'];

const DEFAULTS = {
  timeoutMs: 20000,
  chatId: 'chat-1',
  text: null, // per flow, see defaultText
  output: { city: 'Berlin' },
  errorText: 'Location permission denied',
  approveReason: 'User approved',
  denyReason: 'not now',
  body: null,
  headers: null,
  quietMs: 150,
};

function defaultText(flow) {
  if (flow === 'approve' || flow === 'deny') return 'delete the file';
  if (flow === 'agent') return 'plan my day';
  if (flow === 'client-tool-output' || flow === 'client-tool-error') return 'where am I';
  return 'hi';
}

const USAGE = `usage: node roundtrip.mjs --url URL --version VERSION --flow FLOW [options]
  --url URL            chat endpoint (POST), e.g. http://127.0.0.1:8000/api/chat
  --version V          installed ai release (${INSTALLED.join(', ')})
  --flow F             ${FLOWS.join(' | ')}
  --timeout-ms N       overall time limit (default ${DEFAULTS.timeoutMs})
  --chat-id ID         chat id sent as body.id (default ${DEFAULTS.chatId})
  --messages JSON      initial messages of the chat (e.g. for --flow resume)
  --text T             text of the user message (default per flow: "hi", "delete the file", "where am I")
  --output JSON        client tool output for client-tool-output (default ${JSON.stringify(DEFAULTS.output)})
  --error-text T       errorText for client-tool-error (default "${DEFAULTS.errorText}")
  --reason T           reason passed to addToolApprovalResponse (default "${DEFAULTS.approveReason}" / "${DEFAULTS.denyReason}")
  --body JSON          extra transport body fields (DefaultChatTransport({body}))
  --headers JSON       extra transport headers (DefaultChatTransport({headers}))
  --last-message-only  send {id, message, trigger, messageId} (prepareSendMessagesRequest)`;

class UsageError extends Error {}
class UnsupportedError extends Error {}

function parseArgs(argv) {
  const args = { ...DEFAULTS };
  const need = (i) => {
    if (i >= argv.length) throw new UsageError(`missing value for ${argv[i - 1]}`);
    return argv[i];
  };
  const parseJson = (name, text) => {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new UsageError(`${name}: invalid JSON (${errorText(err)})`);
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--url': args.url = need(++i); break;
      case '--version': args.version = need(++i); break;
      case '--flow': args.flow = need(++i); break;
      case '--timeout-ms': args.timeoutMs = Number(need(++i)); break;
      case '--chat-id': args.chatId = need(++i); break;
      case '--text': args.text = need(++i); break;
      case '--output': args.output = parseJson('--output', need(++i)); break;
      case '--error-text': args.errorText = need(++i); break;
      case '--reason': args.reason = need(++i); break;
      case '--body': args.body = parseJson('--body', need(++i)); break;
      case '--headers': args.headers = parseJson('--headers', need(++i)); break;
      case '--messages': args.messages = parseJson('--messages', need(++i)); break;
      case '--last-message-only': args.lastMessageOnly = true; break;
      case '-h':
      case '--help':
        console.error(USAGE);
        process.exit(0);
        break;
      default:
        throw new UsageError(`unknown argument ${a}`);
    }
  }
  if (!args.url) throw new UsageError('--url is required');
  if (!args.version) throw new UsageError('--version is required');
  if (!FLOWS.includes(args.flow)) throw new UsageError(`--flow must be one of ${FLOWS.join(', ')}`);
  if (!INSTALLED.includes(args.version)) throw new UsageError(`release ${args.version} is not installed (installed: ${INSTALLED.join(', ')})`);
  if (!Number.isFinite(args.timeoutMs) || args.timeoutMs <= 0) throw new UsageError('--timeout-ms must be a positive number');
  args.text ??= defaultText(args.flow);
  return args;
}

async function run(args) {
  const rel = await loadRelease(args.version);
  const ai = rel.ai;
  const deadline = Date.now() + args.timeoutMs;

  const out = {
    version: args.version,
    flow: args.flow,
    status: null,
    error: null,
    errorName: null,
    timedOut: false,
    messages: [],
    requests: [],
    finishCalls: [],
    onError: [],
    toolCalls: [],
    approvalsAnswered: [],
    notes: [],
  };

  // --- capability checks (a flow the release cannot do is a harness failure)
  // agent: approve every approval request AND answer client-side tools, in one conversation
  const isApproval = args.flow === 'approve' || args.flow === 'deny' || args.flow === 'agent';
  const isClientTool =
    args.flow === 'client-tool-output' || args.flow === 'client-tool-error' || args.flow === 'agent';
  if (isApproval && typeof ai.lastAssistantMessageIsCompleteWithApprovalResponses !== 'function') {
    throw new UnsupportedError(`ai ${args.version} has no tool approval (no lastAssistantMessageIsCompleteWithApprovalResponses)`);
  }
  if (isClientTool && typeof ai.lastAssistantMessageIsCompleteWithToolCalls !== 'function') {
    throw new UnsupportedError(`ai ${args.version} has no lastAssistantMessageIsCompleteWithToolCalls`);
  }

  // --- real fetch, tracked
  const tracker = new InFlightTracker();
  const trackedFetch = tracker.wrapFetch(async (input, init = {}) => {
    const entry = {
      url: String(input),
      method: init.method ?? 'GET',
      body: parseRequestBody(init.body),
      responseStatus: null,
    };
    out.requests.push(entry);
    try {
      const response = await globalThis.fetch(input, init);
      entry.responseStatus = response.status;
      return response;
    } catch (err) {
      entry.fetchError = errorText(err);
      throw err;
    }
  });

  let counter = 0;
  const chatRef = { current: null };
  const answeredToolCalls = new Set();
  const chatOptions = {
    id: args.chatId,
    ...(args.messages != null ? { messages: args.messages } : {}),
    generateId: () => `gen-${++counter}`,
    transport: new rel.DefaultChatTransport({
      api: args.url,
      fetch: trackedFetch,
      ...(args.body != null ? { body: args.body } : {}),
      ...(args.headers != null ? { headers: args.headers } : {}),
      // the AI SDK's "send only the last message" pattern: the server keeps the history
      ...(args.lastMessageOnly
        ? {
            prepareSendMessagesRequest: ({ id, messages, trigger, messageId, body }) => ({
              body: { ...body, id, message: messages[messages.length - 1], trigger, messageId },
            }),
          }
        : {}),
    }),
    onError: (error) => {
      out.onError.push(errorText(error));
    },
    onFinish: (options) => {
      out.finishCalls.push(plain(options));
    },
  };
  if (isApproval) {
    chatOptions.sendAutomaticallyWhen = ai.lastAssistantMessageIsCompleteWithApprovalResponses;
  }
  if (isClientTool) {
    chatOptions.sendAutomaticallyWhen =
      args.flow === 'agent'
        ? (o) => ai.lastAssistantMessageIsCompleteWithApprovalResponses(o) || ai.lastAssistantMessageIsCompleteWithToolCalls(o)
        : ai.lastAssistantMessageIsCompleteWithToolCalls;
    chatOptions.onToolCall = ({ toolCall }) => {
      out.toolCalls.push(plain(toolCall));
      if (answeredToolCalls.has(toolCall.toolCallId)) return;
      answeredToolCalls.add(toolCall.toolCallId);
      const chat = chatRef.current;
      const add = chat.addToolOutput ?? chat.addToolResult; // addToolResult only on early v5
      const payload =
        args.flow !== 'client-tool-error'
          ? { tool: toolCall.toolName, toolCallId: toolCall.toolCallId, output: args.output }
          : { tool: toolCall.toolName, toolCallId: toolCall.toolCallId, state: 'output-error', errorText: args.errorText };
      // Do not await inside onToolCall (documented pattern: it would deadlock the job queue).
      add.call(chat, payload).catch((err) => out.notes.push(`addToolOutput failed: ${errorText(err)}`));
    };
  }
  const chat = new rel.Chat(chatOptions);
  chatRef.current = chat;
  if (args.flow === 'client-tool-error') {
    // ai 5.0.0's addToolResult has no `state`/`errorText` parameters: it would
    // silently send output-available. Refuse instead of testing the wrong thing.
    const add = chat.addToolOutput ?? chat.addToolResult;
    const params = /^\s*async\s*\(\s*\{([^}]*)\}/.exec(Function.prototype.toString.call(add))?.[1] ?? '';
    if (!/\bstate\b/.test(params)) {
      throw new UnsupportedError(`ai ${args.version}: addToolResult has no output-error state`);
    }
  }

  const idle = async () => {
    const ok = await waitForIdle(chat, tracker, { deadline, quietMs: args.quietMs });
    if (!ok) out.timedOut = true;
    return ok;
  };
  // Run a chat call, bounded by the deadline (the call itself may hang on a bad server).
  const call = async (fn) => {
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      out.timedOut = true;
      return false;
    }
    const settled = Promise.resolve()
      .then(fn)
      .catch((err) => {
        out.notes.push(`call threw: ${errorText(err)}`);
      });
    const r = await withTimeout(settled, remaining);
    if (r.timedOut) {
      out.timedOut = true;
      return false;
    }
    return idle();
  };

  // --- flows
  // resume: GET {api}/{chatId}/stream, as useChat({resume: true}) does on mount
  let ok =
    args.flow === 'resume'
      ? await call(() => chat.resumeStream())
      : await call(() => chat.sendMessage({ text: args.text }));
  if (ok && args.flow === 'regenerate') {
    ok = await call(() => chat.regenerate());
  }
  if (ok && isApproval) {
    const approved = args.flow === 'approve' || args.flow === 'agent';
    const reason = args.reason ?? (approved ? DEFAULTS.approveReason : DEFAULTS.denyReason);
    const answered = new Set();
    // Answer every approval request that shows up, round after round (bounded).
    for (let round = 0; round < 10 && ok; round++) {
      const pending = chat.messages
        .filter((m) => m.role === 'assistant')
        .flatMap((m) => m.parts)
        .filter((p) => p.state === 'approval-requested' && p.approval?.id != null && !answered.has(p.approval.id));
      if (pending.length === 0) break;
      for (const part of pending) {
        answered.add(part.approval.id);
        out.approvalsAnswered.push({ id: part.approval.id, toolCallId: part.toolCallId, approved, reason });
        ok = await call(() => chat.addToolApprovalResponse({ id: part.approval.id, approved, reason }));
        if (!ok) break;
      }
    }
    if (out.approvalsAnswered.length === 0) out.notes.push('no tool part reached state approval-requested');
  }
  if (isClientTool && out.toolCalls.length === 0) out.notes.push('onToolCall was never called');

  out.status = out.timedOut ? 'timeout' : chat.status;
  out.chatStatus = chat.status;
  out.error = chat.error == null ? null : errorText(chat.error);
  out.errorName = chat.error instanceof Error ? chat.error.name : null;
  out.messages = plain(chat.messages) ?? [];
  out.inFlight = tracker.count;
  return out;
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
    const out = await run(args);
    await emitJson(out, 0);
  } catch (err) {
    const usage = err instanceof UsageError;
    const unsupported = err instanceof UnsupportedError;
    const kind = usage ? 'usage error' : unsupported ? 'flow not supported by this release' : 'harness failure';
    console.error(`[roundtrip] ${kind}: ${errorText(err)}`);
    if (usage) console.error(USAGE);
    else if (!unsupported) console.error(err);
    await emitJson({ harnessError: errorText(err), unsupported, version: args?.version ?? null, flow: args?.flow ?? null }, 2);
  }
}

main();
