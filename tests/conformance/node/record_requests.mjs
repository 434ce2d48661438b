#!/usr/bin/env node
// Records the HTTP requests that the REAL client code of several `ai` releases
// sends, and writes them as fixtures under tests/fixtures/requests/.
//
//   ai >= 5: the release's AbstractChat (minimal ChatState) + DefaultChatTransport
//            with a fake fetch that records every request and answers with
//            hand-written UI message streams (SSE) that are valid for the release.
//   ai 4   : @ai-sdk/ui-utils 1.2.11 `callChatApi` (what useChat 4.x calls), driven
//            by a small Node port of @ai-sdk/react 1.2.12 useChat's request logic
//            (see UseChatV4 below), answered with hand-written data streams.
//
// Usage:
//   node record_requests.mjs [--out DIR] [--versions 5.0.277,6.0.326,...] [--check]
//
//   --out DIR    output directory (default: ../../fixtures/requests relative to this file)
//   --versions   comma-separated release keys (default: 4.3.19 5.0.0 5.0.277 6.0.0 6.0.326 7.0.0 7.0.173)
//   --check      do not write; compare what would be written with the files on disk
//                and exit 1 when they differ (useful to verify the fixtures are current)
//
// Output: <out>/<release>/<flow>.json (the parsed JSON body of the flow's key
// request, exactly as sent), <out>/<release>/index.json (every request of every
// flow: url, method, headers, content type, trigger, messageId, and unsupported
// flows with the reason) and <out>/index.json (summary). Ids are deterministic.

import { mkdirSync, readFileSync, writeFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  HERE,
  INSTALLED,
  InFlightTracker,
  compareVersions,
  errorText,
  headersToObject,
  loadRelease,
  major,
  parseRequestBody,
  plain,
  routeConsoleToStderr,
  waitForIdle,
  withFileListPolyfill,
  withFixedClock,
  withTimeout,
} from './harness_common.mjs';

routeConsoleToStderr();

const API = 'http://test/api/chat';
const CHAT_ID = 'chat-1';
const TRANSPORT_BODY = { sessionId: 's1' };
const FLOW_TIMEOUT_MS = 10000;
const DEFAULT_VERSIONS = ['4.3.19', '5.0.0', '5.0.277', '6.0.0', '6.0.326', '7.0.0', '7.0.173'];

// 1x1 transparent PNG and a small text file, as data URLs.
const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
const PNG_DATA_URL = `data:image/png;base64,${PNG_BASE64}`;
const TEXT_DATA_URL = `data:text/plain;base64,${Buffer.from('hello file').toString('base64')}`;

// ---------------------------------------------------------------------------
// CLI

function parseArgs(argv) {
  const args = { out: resolve(HERE, '..', '..', 'fixtures', 'requests'), versions: DEFAULT_VERSIONS, check: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') args.out = resolve(argv[++i]);
    else if (a === '--versions') args.versions = argv[++i].split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--check') args.check = true;
    else if (a === '-h' || a === '--help') {
      console.error('usage: node record_requests.mjs [--out DIR] [--versions v1,v2] [--check]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

// ---------------------------------------------------------------------------
// Hand-written UI message streams (SSE), valid for the given release.

function sse(chunks) {
  return chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join('') + 'data: [DONE]\n\n';
}

// ai 5.0.0–5.0.91 have a strict `finish` chunk without `finishReason`.
function finishChunk(version, finishReason) {
  const hasReason = major(version) >= 6 || compareVersions(version, '5.0.92') >= 0;
  return hasReason ? { type: 'finish', finishReason } : { type: 'finish' };
}

function textChunks(id, text) {
  return [
    { type: 'text-start', id },
    { type: 'text-delta', id, delta: text },
    { type: 'text-end', id },
  ];
}

const S = {
  text: (v, { messageId, text = 'Hi there!', finishReason = 'stop' }) =>
    sse([
      messageId != null ? { type: 'start', messageId } : { type: 'start' },
      { type: 'start-step' },
      ...textChunks('txt-1', text),
      { type: 'finish-step' },
      finishChunk(v, finishReason),
    ]),

  toolCall: (v, { messageId, toolCallId, toolName, input }) =>
    sse([
      { type: 'start', messageId },
      { type: 'start-step' },
      { type: 'tool-input-start', toolCallId, toolName },
      { type: 'tool-input-delta', toolCallId, inputTextDelta: JSON.stringify(input) },
      { type: 'tool-input-available', toolCallId, toolName, input },
      { type: 'finish-step' },
      finishChunk(v, 'tool-calls'),
    ]),

  approvalRequest: (v, { messageId, toolCallId, toolName, input, approvalId }) =>
    sse([
      { type: 'start', messageId },
      { type: 'start-step' },
      { type: 'tool-input-start', toolCallId, toolName },
      { type: 'tool-input-delta', toolCallId, inputTextDelta: JSON.stringify(input) },
      { type: 'tool-input-available', toolCallId, toolName, input },
      { type: 'tool-approval-request', approvalId, toolCallId },
      { type: 'finish-step' },
      finishChunk(v, 'tool-calls'),
    ]),

  approvalContinuation: (v, { messageId, toolCallId, approved, output, text }) =>
    sse([
      { type: 'start', messageId },
      approved ? { type: 'tool-output-available', toolCallId, output } : { type: 'tool-output-denied', toolCallId },
      { type: 'start-step' },
      ...textChunks('txt-2', text),
      { type: 'finish-step' },
      finishChunk(v, 'stop'),
    ]),
};

// ---------------------------------------------------------------------------
// Recording one flow: a fake fetch that records every request and answers with
// the scripted bodies, a time limit, and the result.

/**
 * A fake fetch for one flow (`rec` = {requests, responses, errors}): records every
 * request in `rec.requests` and answers with the next body of `rec.responses`
 * (status 200, `headers`). A request with no body left gets a 500 and an entry in
 * `rec.errors`. `answer(method)` may answer a request before the script does.
 */
function scriptedFetch(rec, headers, answer = () => null) {
  return async (input, init = {}) => {
    const method = init.method ?? 'GET';
    rec.requests.push({
      url: String(input),
      method,
      headers: headersToObject(init.headers),
      credentials: init.credentials ?? null,
      body: parseRequestBody(init.body),
    });
    const answered = answer(method);
    if (answered != null) return answered;
    const body = rec.responses.shift();
    if (body == null) {
      rec.errors.push(`unscripted request #${rec.requests.length}`);
      return new Response('no scripted response', { status: 500 });
    }
    return new Response(body, { status: 200, headers });
  };
}

/** Run `work()` within FLOW_TIMEOUT_MS; a throw or the timeout goes to `rec.errors`. Returns its value. */
async function runFlowWork(rec, work) {
  try {
    const r = await withTimeout(work(), FLOW_TIMEOUT_MS);
    if (r.timedOut) throw new Error('flow timeout');
    return r.value;
  } catch (err) {
    rec.errors.push(`exception: ${errorText(err)}`);
    return undefined;
  }
}

function flowResult(rec, chat) {
  if (rec.responses.length > 0) rec.errors.push(`${rec.responses.length} scripted response(s) not requested`);
  if (chat.status === 'error') rec.errors.push(`chat ended in error: ${errorText(chat.error)}`);
  return { requests: rec.requests, errors: rec.errors, messages: plain(chat.messages), status: chat.status };
}

// ---------------------------------------------------------------------------
// ai >= 5 flows.
//
// Each flow: {responses(version) → [SSE body per POST, in order], chatOptions(ai)?,
// run(ctx), keyRequest?: index of the request written as <flow>.json (default: last),
// unsupported?(rel) → reason | null}. ctx = {chat, rel, ai, until, idle, note}.

// Chat options of the client tool flows: onToolCall answers with addToolOutput
// (addToolResult before 5.0.x had addToolOutput) and `payload` added to
// {tool, toolCallId}; sendAutomaticallyWhen sends the follow-up.
function clientToolChatOptions(payload) {
  return (ai, chatRef) => ({
    sendAutomaticallyWhen: ai.lastAssistantMessageIsCompleteWithToolCalls,
    onToolCall: ({ toolCall }) => {
      const chat = chatRef.current;
      const add = chat.addToolOutput ?? chat.addToolResult;
      // do not await inside onToolCall (documented pattern)
      void add.call(chat, { tool: toolCall.toolName, toolCallId: toolCall.toolCallId, ...payload });
    },
  });
}

const FLOWS = [
  {
    name: 'submit',
    description: 'sendMessage({text})',
    responses: (v) => [S.text(v, { messageId: 'msg-a1' })],
    run: async ({ chat }) => {
      await chat.sendMessage({ text: 'Hello' });
    },
  },
  {
    name: 'submit-request-options',
    description: 'sendMessage({text}, {body, headers, metadata}): per-call body fields and headers',
    responses: (v) => [S.text(v, { messageId: 'msg-a1' })],
    run: async ({ chat }) => {
      await chat.sendMessage(
        { text: 'Hello' },
        { body: { temperature: 0.2, sessionId: 'per-call' }, headers: { 'x-request-id': 'req-1' }, metadata: { traceId: 't1' } },
      );
    },
  },
  {
    name: 'submit-files-metadata',
    description: 'sendMessage({text, files: FileUIPart[] with data URLs, metadata})',
    responses: (v) => [S.text(v, { messageId: 'msg-a1' })],
    run: async ({ chat }) => {
      await chat.sendMessage({
        text: 'Describe these files',
        files: [
          { type: 'file', mediaType: 'image/png', filename: 'dot.png', url: PNG_DATA_URL },
          { type: 'file', mediaType: 'text/plain', url: TEXT_DATA_URL },
        ],
        metadata: { sentAt: 1, client: 'record_requests' },
      });
    },
  },
  {
    name: 'submit-filelist',
    description: 'sendMessage({text, files: FileList, metadata}); the release converts the FileList itself (FileList/FileReader stand-ins)',
    responses: (v) => [S.text(v, { messageId: 'msg-a1' })],
    run: async ({ chat }) => {
      await withFileListPolyfill(async (makeFileList) => {
        const files = makeFileList([
          new File([Buffer.from(PNG_BASE64, 'base64')], 'dot.png', { type: 'image/png' }),
          new File(['hello file'], 'hello.txt', { type: 'text/plain' }),
        ]);
        await chat.sendMessage({ text: 'Describe these files', files, metadata: { sentAt: 1 } });
      });
    },
  },
  {
    name: 'edit',
    description: 'two turns, then sendMessage({text, messageId: <first user message id>})',
    responses: (v) => [
      S.text(v, { messageId: 'msg-a1', text: 'Answer one' }),
      S.text(v, { messageId: 'msg-a2', text: 'Answer two' }),
      S.text(v, { messageId: 'msg-a3', text: 'Answer one, edited' }),
    ],
    run: async ({ chat }) => {
      await chat.sendMessage({ text: 'first question' });
      const firstUserId = chat.messages[0].id;
      await chat.sendMessage({ text: 'second question' });
      await chat.sendMessage({ text: 'first question (edited)', messageId: firstUserId });
    },
  },
  {
    name: 'regenerate',
    description: 'sendMessage, then regenerate()',
    responses: (v) => [
      S.text(v, { messageId: 'msg-a1', text: 'First try' }),
      S.text(v, { messageId: 'msg-a2', text: 'Second try' }),
    ],
    run: async ({ chat }) => {
      await chat.sendMessage({ text: 'Tell me a joke' });
      await chat.regenerate();
    },
  },
  {
    name: 'regenerate-message-id',
    description: 'two turns, then regenerate({messageId: <first assistant message id>})',
    responses: (v) => [
      S.text(v, { messageId: 'msg-a1', text: 'Answer one' }),
      S.text(v, { messageId: 'msg-a2', text: 'Answer two' }),
      S.text(v, { messageId: 'msg-a3', text: 'Answer one again' }),
    ],
    run: async ({ chat }) => {
      await chat.sendMessage({ text: 'first question' });
      await chat.sendMessage({ text: 'second question' });
      await chat.regenerate({ messageId: 'msg-a1' });
    },
  },
  {
    name: 'client-tool-output',
    description:
      'response ends with tool-input-available (finish tool-calls); onToolCall calls addToolOutput (addToolResult before 5.0.x had addToolOutput); sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithToolCalls sends the follow-up',
    responses: (v) => [
      S.toolCall(v, { messageId: 'msg-a1', toolCallId: 'call-1', toolName: 'getLocation', input: { precise: true } }),
      S.text(v, { messageId: 'msg-a1', text: 'You are in Berlin.' }),
    ],
    chatOptions: clientToolChatOptions({ output: { city: 'Berlin' } }),
    unsupported: ({ ai }) =>
      typeof ai.lastAssistantMessageIsCompleteWithToolCalls === 'function' ? null : 'no lastAssistantMessageIsCompleteWithToolCalls export',
    run: async ({ chat, idle }) => {
      await chat.sendMessage({ text: 'where am I' });
      await idle();
    },
  },
  {
    name: 'client-tool-error',
    description: 'as client-tool-output, but addToolOutput({state: "output-error", errorText})',
    responses: (v) => [
      S.toolCall(v, { messageId: 'msg-a1', toolCallId: 'call-1', toolName: 'getLocation', input: { precise: true } }),
      S.text(v, { messageId: 'msg-a1', text: 'I could not get your location.' }),
    ],
    chatOptions: clientToolChatOptions({ state: 'output-error', errorText: 'Location permission denied' }),
    run: async ({ chat, idle }) => {
      await chat.sendMessage({ text: 'where am I' });
      await idle();
      // Real behaviour check: releases whose addToolResult has no `state`
      // parameter (5.0.0) silently produce output-available instead.
      const part = chat.messages
        .flatMap((m) => m.parts)
        .find((p) => p.toolCallId === 'call-1');
      if (part?.state !== 'output-error') {
        return { unsupported: `addToolResult ignores state "output-error" (the part became ${part?.state})` };
      }
    },
  },
  ...[true, false].map((approved) => ({
    name: approved ? 'approval-approved' : 'approval-denied',
    description: `response has tool-input-available + tool-approval-request; addToolApprovalResponse({id, approved: ${approved}, reason}); sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses sends the follow-up`,
    responses: (v) => [
      S.approvalRequest(v, {
        messageId: 'msg-a1',
        toolCallId: 'call-1',
        toolName: 'deleteFile',
        input: { path: '/tmp/x.txt' },
        approvalId: 'approval-1',
      }),
      S.approvalContinuation(v, {
        messageId: 'msg-a1',
        toolCallId: 'call-1',
        approved,
        output: 'deleted',
        text: approved ? 'The file was deleted.' : 'OK, I did not delete it.',
      }),
    ],
    chatOptions: (ai) => ({ sendAutomaticallyWhen: ai.lastAssistantMessageIsCompleteWithApprovalResponses }),
    unsupported: ({ ai, chat }) =>
      typeof ai.lastAssistantMessageIsCompleteWithApprovalResponses !== 'function' || typeof chat.addToolApprovalResponse !== 'function'
        ? 'no tool approval in this release (no addToolApprovalResponse / lastAssistantMessageIsCompleteWithApprovalResponses)'
        : null,
    run: async ({ chat, idle }) => {
      await chat.sendMessage({ text: 'delete the file' });
      await idle();
      const part = chat.lastMessage.parts.find((p) => p.state === 'approval-requested');
      if (part == null) throw new Error('no approval-requested part after the first response');
      await chat.addToolApprovalResponse({
        id: part.approval.id,
        approved,
        reason: approved ? 'User approved' : 'User denied the deletion',
      });
      await idle();
    },
  })),
  {
    name: 'continue-no-message',
    description: 'sendMessage({text}), then sendMessage() with no argument (continuation of the last assistant message)',
    responses: (v) => [
      S.text(v, { messageId: 'msg-a1', text: 'This answer was cut', finishReason: 'length' }),
      S.text(v, { messageId: 'msg-a1', text: ' and continues here.' }),
    ],
    run: async ({ chat }) => {
      await chat.sendMessage({ text: 'Write a long answer' });
      await chat.sendMessage();
    },
  },
  {
    name: 'resume',
    description: 'resumeStream(): the reconnect GET (answered 204, no active stream); recorded in index.json only',
    noBodyFile: true,
    responses: () => [],
    run: async ({ chat }) => {
      await chat.resumeStream();
    },
  },
];

async function runFlowV5(rel, flow) {
  const version = rel.version;
  const rec = { requests: [], responses: flow.responses(version), errors: [] };
  let counter = 0;

  const fakeFetch = scriptedFetch(
    rec,
    { 'content-type': 'text/event-stream', 'x-vercel-ai-ui-message-stream': 'v1' },
    (method) => (method === 'GET' ? new Response(null, { status: 204 }) : null),
  );

  const tracker = new InFlightTracker();
  const chatRef = { current: null };
  const transport = new rel.DefaultChatTransport({ api: API, fetch: tracker.wrapFetch(fakeFetch), body: TRANSPORT_BODY });
  const chat = new rel.Chat({
    id: CHAT_ID,
    generateId: () => `id-${++counter}`,
    transport,
    onError: (error) => rec.errors.push(`onError: ${errorText(error)}`),
    ...(flow.chatOptions?.(rel.ai, chatRef) ?? {}),
  });
  chatRef.current = chat;

  const reason = flow.unsupported?.({ ai: rel.ai, chat, version });
  if (reason) return { unsupported: reason };

  const deadline = Date.now() + FLOW_TIMEOUT_MS;
  const idle = async () => {
    if (!(await waitForIdle(chat, tracker, { deadline }))) throw new Error(`timeout waiting for the chat to settle (status ${chat.status})`);
  };
  const outcome = await runFlowWork(rec, async () => {
    const r = await flow.run({ chat, rel, ai: rel.ai, idle });
    // resume on 5.0.0 stays "submitted" after a 204 (real behaviour): do not wait for it
    if (flow.name !== 'resume') await idle();
    return r;
  });
  if (outcome?.unsupported) return { unsupported: outcome.unsupported };
  return flowResult(rec, chat);
}

// ---------------------------------------------------------------------------
// ai 4.3.19: @ai-sdk/ui-utils 1.2.11 callChatApi + a Node port of useChat's
// request logic (@ai-sdk/react 1.2.12 `useChat`: triggerRequest / append /
// reload / handleSubmit / addToolResult / experimental_resume). The port keeps
// the body construction and the resubmission rules line for line and calls the
// real ui-utils helpers (fillMessageParts, getMessageParts,
// prepareAttachmentsForRequest, shouldResubmitMessages,
// isAssistantMessageWithCompletedToolCalls, updateToolCallResult,
// extractMaxToolInvocationStep, callChatApi). React state becomes plain fields.

async function loadUiUtilsV4() {
  const ui = await import('@ai-sdk/ui-utils');
  for (const name of ['callChatApi', 'fillMessageParts', 'getMessageParts', 'prepareAttachmentsForRequest', 'shouldResubmitMessages']) {
    if (typeof ui[name] !== 'function') throw new Error(`@ai-sdk/ui-utils: missing export ${name}`);
  }
  return ui;
}

class UseChatV4 {
  constructor(ui, {
    api = '/api/chat',
    id,
    initialMessages = [],
    sendExtraMessageFields,
    onToolCall,
    maxSteps = 1,
    streamProtocol = 'data',
    credentials,
    headers,
    body,
    generateId,
    fetch,
    keepLastMessageOnError = true,
  }) {
    this.ui = ui;
    this.api = api;
    this.chatId = id;
    this.sendExtraMessageFields = sendExtraMessageFields;
    this.onToolCall = onToolCall;
    this.maxSteps = maxSteps;
    this.streamProtocol = streamProtocol;
    this.extraMetadata = { credentials, headers, body };
    this.generateId = generateId;
    this.fetch = fetch;
    this.keepLastMessageOnError = keepLastMessageOnError;
    this.messages = ui.fillMessageParts(initialMessages);
    this.streamData = undefined;
    this.status = 'ready';
    this.error = undefined;
  }

  async triggerRequest(chatRequest, requestType = 'generate') {
    const { ui } = this;
    this.status = 'submitted';
    this.error = undefined;
    const chatMessages = ui.fillMessageParts(chatRequest.messages);
    const messageCount = chatMessages.length;
    const maxStep = ui.extractMaxToolInvocationStep(chatMessages[chatMessages.length - 1]?.toolInvocations);
    try {
      const previousMessages = this.messages;
      this.messages = chatMessages;
      const constructedMessagesPayload = this.sendExtraMessageFields
        ? chatMessages
        : chatMessages.map(({ role, content, experimental_attachments, data, annotations, toolInvocations, parts }) => ({
            role,
            content,
            ...(experimental_attachments !== undefined && { experimental_attachments }),
            ...(data !== undefined && { data }),
            ...(annotations !== undefined && { annotations }),
            ...(toolInvocations !== undefined && { toolInvocations }),
            ...(parts !== undefined && { parts }),
          }));
      const existingData = this.streamData;
      await ui.callChatApi({
        api: this.api,
        body: {
          id: this.chatId,
          messages: constructedMessagesPayload,
          data: chatRequest.data,
          ...this.extraMetadata.body,
          ...chatRequest.body,
        },
        streamProtocol: this.streamProtocol,
        credentials: this.extraMetadata.credentials,
        headers: { ...this.extraMetadata.headers, ...chatRequest.headers },
        abortController: () => null,
        restoreMessagesOnFailure: () => {
          if (!this.keepLastMessageOnError) this.messages = previousMessages;
        },
        onResponse: undefined,
        onUpdate: ({ message, data, replaceLastMessage }) => {
          this.status = 'streaming';
          this.messages = [...(replaceLastMessage ? chatMessages.slice(0, chatMessages.length - 1) : chatMessages), message];
          if (data?.length) this.streamData = [...(existingData ?? []), ...data];
        },
        onToolCall: this.onToolCall,
        onFinish: undefined,
        generateId: this.generateId,
        fetch: this.fetch,
        lastMessage: chatMessages[chatMessages.length - 1],
        requestType,
      });
      this.status = 'ready';
    } catch (err) {
      this.error = err;
      this.status = 'error';
    }
    const messages = this.messages;
    if (
      ui.shouldResubmitMessages({
        originalMaxToolInvocationStep: maxStep,
        originalMessageCount: messageCount,
        maxSteps: this.maxSteps,
        messages,
      })
    ) {
      await this.triggerRequest({ messages });
    }
  }

  async append(message, { data, headers, body, experimental_attachments = message.experimental_attachments } = {}) {
    const attachmentsForRequest = await this.ui.prepareAttachmentsForRequest(experimental_attachments);
    const messages = this.messages.concat({
      ...message,
      id: message.id ?? this.generateId(),
      createdAt: message.createdAt ?? new Date(),
      experimental_attachments: attachmentsForRequest.length > 0 ? attachmentsForRequest : undefined,
      parts: this.ui.getMessageParts(message),
    });
    return this.triggerRequest({ messages, headers, body, data });
  }

  async reload({ data, headers, body } = {}) {
    const messages = this.messages;
    if (messages.length === 0) return null;
    const lastMessage = messages[messages.length - 1];
    return this.triggerRequest({
      messages: lastMessage.role === 'assistant' ? messages.slice(0, -1) : messages,
      headers,
      body,
      data,
    });
  }

  // handleSubmit(event, options) with `input` as the text field's value
  async handleSubmit(input, options = {}) {
    const attachmentsForRequest = await this.ui.prepareAttachmentsForRequest(options.experimental_attachments);
    const messages = this.messages.concat({
      id: this.generateId(),
      createdAt: new Date(),
      role: 'user',
      content: input,
      experimental_attachments: attachmentsForRequest.length > 0 ? attachmentsForRequest : undefined,
      parts: [{ type: 'text', text: input }],
    });
    return this.triggerRequest({ messages, headers: options.headers, body: options.body, data: options.data });
  }

  async addToolResult({ toolCallId, result }) {
    const currentMessages = this.messages;
    this.ui.updateToolCallResult({ messages: currentMessages, toolCallId, toolResult: result });
    this.messages = [...currentMessages.slice(0, currentMessages.length - 1), { ...currentMessages[currentMessages.length - 1] }];
    if (this.status === 'submitted' || this.status === 'streaming') return;
    const lastMessage = currentMessages[currentMessages.length - 1];
    if (this.ui.isAssistantMessageWithCompletedToolCalls(lastMessage)) {
      await this.triggerRequest({ messages: currentMessages });
    }
  }

  async experimental_resume() {
    await this.triggerRequest({ messages: this.messages }, 'resume');
  }
}

function dataStream(parts) {
  return parts.map(([code, value]) => `${code}:${JSON.stringify(value)}\n`).join('');
}

const USAGE = { promptTokens: 8, completionTokens: 10 };

const D = {
  text: ({ messageId, text = 'Hi there!' }) =>
    dataStream([
      ['f', { messageId }],
      ['0', text],
      ['e', { finishReason: 'stop', usage: USAGE, isContinued: false }],
      ['d', { finishReason: 'stop', usage: USAGE }],
    ]),
  clientToolCall: ({ messageId, toolCallId, toolName, args }) =>
    dataStream([
      ['f', { messageId }],
      ['9', { toolCallId, toolName, args }],
      ['e', { finishReason: 'tool-calls', usage: USAGE, isContinued: false }],
      ['d', { finishReason: 'tool-calls', usage: USAGE }],
    ]),
  weather: ({ messageId }) =>
    dataStream([
      ['f', { messageId }],
      ['g', 'The user wants the weather.'],
      ['0', 'Let me check.'],
      ['9', { toolCallId: 'call-1', toolName: 'getWeather', args: { city: 'Paris' } }],
      ['a', { toolCallId: 'call-1', result: { city: 'Paris', tempC: 21 } }],
      ['e', { finishReason: 'tool-calls', usage: USAGE, isContinued: false }],
      ['f', { messageId: `${messageId}-step2` }],
      ['0', 'It is 21°C in Paris.'],
      ['e', { finishReason: 'stop', usage: USAGE, isContinued: false }],
      ['d', { finishReason: 'stop', usage: USAGE }],
    ]),
};

const ATTACHMENTS_V4 = [
  { name: 'dot.png', contentType: 'image/png', url: PNG_DATA_URL },
  { name: 'hello.txt', contentType: 'text/plain', url: TEXT_DATA_URL },
];

const FLOWS_V4 = [
  {
    name: 'submit',
    description: 'append({role: "user", content}) with the default useChat options (messages are sent without id/createdAt)',
    responses: [D.text({ messageId: 'msg-a1' })],
    run: async (chat) => chat.append({ role: 'user', content: 'Hello' }),
  },
  {
    name: 'submit-extra-fields',
    description: 'as submit, with sendExtraMessageFields: true (messages keep id and createdAt)',
    options: { sendExtraMessageFields: true },
    responses: [D.text({ messageId: 'msg-a1' }), D.text({ messageId: 'msg-a2' })],
    run: async (chat) => {
      await chat.append({ role: 'user', content: 'Hello' });
      await chat.append({ role: 'user', content: 'And again' });
    },
  },
  {
    name: 'submit-data-body',
    description: 'append(message, {data, body, headers}): per-request data and body fields',
    responses: [D.text({ messageId: 'msg-a1' })],
    run: async (chat) =>
      chat.append({ role: 'user', content: 'Hello' }, { data: { source: 'button' }, body: { temperature: 0.2 }, headers: { 'x-request-id': 'req-1' } }),
  },
  {
    name: 'attachments',
    description: 'handleSubmit with experimental_attachments given as an array of {name, contentType, url}',
    responses: [D.text({ messageId: 'msg-a1' })],
    run: async (chat) => chat.handleSubmit('Describe these files', { experimental_attachments: ATTACHMENTS_V4 }),
  },
  {
    name: 'attachments-filelist',
    description: 'handleSubmit with experimental_attachments given as a FileList (converted by prepareAttachmentsForRequest; FileList/FileReader stand-ins)',
    responses: [D.text({ messageId: 'msg-a1' })],
    run: async (chat) =>
      withFileListPolyfill(async (makeFileList) =>
        chat.handleSubmit('Describe these files', {
          experimental_attachments: makeFileList([
            new File([Buffer.from(PNG_BASE64, 'base64')], 'dot.png', { type: 'image/png' }),
            new File(['hello file'], 'hello.txt', { type: 'text/plain' }),
          ]),
        }),
      ),
  },
  {
    name: 'history',
    description:
      'turn 1: handleSubmit with attachments; reply has reasoning, text, a server tool call with result, two steps; turn 2: append → messages with content, parts, toolInvocations (results), experimental_attachments',
    responses: [D.weather({ messageId: 'msg-a1' }), D.text({ messageId: 'msg-a2', text: 'You are welcome.' })],
    run: async (chat) => {
      await chat.handleSubmit('What is the weather in Paris? See the attached files.', { experimental_attachments: ATTACHMENTS_V4 });
      await chat.append({ role: 'user', content: 'Thanks!' });
    },
  },
  {
    name: 'client-tool-result',
    description: 'reply is a client tool call (9: without a:); the app calls addToolResult({toolCallId, result}) → useChat sends the follow-up',
    responses: [
      D.clientToolCall({ messageId: 'msg-a1', toolCallId: 'call-1', toolName: 'getLocation', args: { precise: true } }),
      D.text({ messageId: 'msg-a2', text: 'You are in Berlin.' }),
    ],
    run: async (chat) => {
      await chat.append({ role: 'user', content: 'where am I' });
      await chat.addToolResult({ toolCallId: 'call-1', result: { city: 'Berlin' } });
    },
  },
  {
    name: 'client-tool-ontoolcall',
    description: 'maxSteps: 3 and onToolCall returns the result → automatic resubmission (shouldResubmitMessages)',
    options: { maxSteps: 3, onToolCall: async () => ({ city: 'Berlin' }) },
    responses: [
      D.clientToolCall({ messageId: 'msg-a1', toolCallId: 'call-1', toolName: 'getLocation', args: { precise: true } }),
      D.text({ messageId: 'msg-a2', text: 'You are in Berlin.' }),
    ],
    run: async (chat) => chat.append({ role: 'user', content: 'where am I' }),
  },
  {
    name: 'reload',
    description: 'append, then reload() (the last assistant message is dropped from the request)',
    responses: [D.text({ messageId: 'msg-a1', text: 'First try' }), D.text({ messageId: 'msg-a2', text: 'Second try' })],
    run: async (chat) => {
      await chat.append({ role: 'user', content: 'Tell me a joke' });
      await chat.reload();
    },
  },
  {
    name: 'resume',
    description: 'experimental_resume(): GET {api}?chatId={id}; recorded in index.json only',
    noBodyFile: true,
    responses: [D.text({ messageId: 'msg-a1' })],
    run: async (chat) => chat.experimental_resume(),
  },
];

async function runFlowV4(ui, flow) {
  const rec = { requests: [], responses: [...flow.responses], errors: [] };
  let counter = 0;
  const fakeFetch = scriptedFetch(rec, { 'content-type': 'text/plain; charset=utf-8', 'x-vercel-ai-data-stream': 'v1' });
  let chat;
  await withFixedClock(async () => {
    chat = new UseChatV4(ui, {
      api: API,
      id: CHAT_ID,
      body: TRANSPORT_BODY,
      generateId: () => `id-${++counter}`,
      fetch: fakeFetch,
      ...(flow.options ?? {}),
    });
    await runFlowWork(rec, () => flow.run(chat));
  });
  return flowResult(rec, chat);
}

// ---------------------------------------------------------------------------
// output

function summariseRequest(r) {
  const body = r.body && typeof r.body === 'object' ? r.body : null;
  const out = {
    url: r.url,
    method: r.method,
    contentType: r.headers['content-type'] ?? null,
    headers: r.headers,
  };
  if (r.credentials != null) out.credentials = r.credentials;
  if (body) {
    out.bodyKeys = Object.keys(body);
    if ('trigger' in body) out.trigger = body.trigger;
    out.messageId = body.messageId ?? null;
    if (Array.isArray(body.messages)) out.messageCount = body.messages.length;
  }
  return out;
}

function json(value) {
  return JSON.stringify(value, null, 2) + '\n';
}

async function recordRelease(version) {
  const files = {};
  const index = { release: version, api: API, chatId: CHAT_ID, transportBody: TRANSPORT_BODY, flows: {} };
  const problems = [];
  let flows;
  let run;
  if (major(version) === 4) {
    const ui = await loadUiUtilsV4();
    const uiPkg = JSON.parse(readFileSync(join(HERE, 'node_modules', '@ai-sdk', 'ui-utils', 'package.json'), 'utf8'));
    index.client = `@ai-sdk/ui-utils ${uiPkg.version} callChatApi, driven by a port of @ai-sdk/react 1.2.12 useChat (see record_requests.mjs)`;
    index.protocol = 'data stream (v4)';
    flows = FLOWS_V4;
    run = (flow) => runFlowV4(ui, flow);
  } else {
    const rel = await loadRelease(version);
    index.client = `ai ${version} AbstractChat + DefaultChatTransport({api, fetch, body: ${JSON.stringify(TRANSPORT_BODY)}})`;
    index.protocol = 'UI message stream';
    flows = FLOWS;
    run = (flow) => runFlowV5(rel, flow);
  }
  for (const flow of flows) {
    const result = await run(flow);
    if (result.unsupported) {
      index.flows[flow.name] = { description: flow.description ?? null, unsupported: result.unsupported };
      continue;
    }
    if (result.errors.length > 0) {
      problems.push(`${version} ${flow.name}: ${result.errors.join('; ')}`);
    }
    const keyIndex = flow.keyRequest ?? result.requests.length - 1;
    const entry = {
      description: flow.description ?? null,
      file: null,
      keyRequest: keyIndex,
      requests: result.requests.map(summariseRequest),
    };
    if (!flow.noBodyFile && result.requests[keyIndex] != null) {
      entry.file = `${flow.name}.json`;
      files[entry.file] = json(result.requests[keyIndex].body);
    }
    if (result.errors.length > 0) entry.errors = result.errors;
    index.flows[flow.name] = entry;
  }
  files['index.json'] = json(index);
  return { files, index, problems };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const available = new Set([...INSTALLED, '4.3.19']);
  const summary = { generatedBy: 'tests/conformance/node/record_requests.mjs', api: API, releases: {} };
  const problems = [];
  const outputs = {};
  for (const version of args.versions) {
    if (!available.has(version)) throw new Error(`release ${version} is not installed`);
    const r = await recordRelease(version);
    outputs[version] = r.files;
    problems.push(...r.problems);
    summary.releases[version] = {
      recorded: Object.entries(r.index.flows).filter(([, f]) => !f.unsupported).map(([name]) => name),
      unsupported: Object.fromEntries(Object.entries(r.index.flows).filter(([, f]) => f.unsupported).map(([name, f]) => [name, f.unsupported])),
    };
  }
  const allFiles = {};
  for (const [version, files] of Object.entries(outputs)) {
    for (const [name, text] of Object.entries(files)) allFiles[join(version, name)] = text;
  }
  // The summary only covers a full run; a partial run (--versions) leaves it alone.
  const fullRun = DEFAULT_VERSIONS.every((v) => args.versions.includes(v));
  if (fullRun) allFiles['index.json'] = json(summary);

  if (args.check) {
    const stale = [];
    for (const [rel, text] of Object.entries(allFiles)) {
      const p = join(args.out, rel);
      if (!existsSync(p) || readFileSync(p, 'utf8') !== text) stale.push(rel);
    }
    for (const version of Object.keys(outputs)) {
      const dir = join(args.out, version);
      if (!existsSync(dir)) continue;
      for (const name of readdirSync(dir)) {
        if (!(join(version, name) in allFiles)) stale.push(`${join(version, name)} (not produced any more)`);
      }
    }
    if (problems.length) console.error(problems.join('\n'));
    if (stale.length) {
      console.error(`stale fixtures:\n  ${stale.join('\n  ')}`);
      process.exit(1);
    }
    console.error(`fixtures up to date (${Object.keys(allFiles).length} files)`);
    process.exit(problems.length ? 1 : 0);
  }

  for (const version of Object.keys(outputs)) {
    const dir = join(args.out, version);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
  for (const [rel, text] of Object.entries(allFiles)) {
    writeFileSync(join(args.out, rel), text);
  }
  for (const [version, s] of Object.entries(summary.releases)) {
    const unsupported = Object.keys(s.unsupported);
    console.error(`${version}: ${s.recorded.length} flows${unsupported.length ? `; unsupported: ${unsupported.join(', ')}` : ''}`);
  }
  if (problems.length) {
    console.error(`problems:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.error(`wrote ${Object.keys(allFiles).length} files under ${args.out}`);
  process.exit(0);
}

main().catch((err) => {
  console.error('[record_requests] fatal:', err);
  process.exit(2);
});
