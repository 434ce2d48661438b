// Feed recorded LangGraph stream events through @ai-sdk/langchain's toUIMessageStream and read
// the resulting UI message with a real `ai` release (readUIMessageStream), for the side-by-side
// check of ai_stream.integrations.langchain.stream_graph (tests/integrations/test_langgraph_modes.py).
//
// stdin:  {"release": "7.0.185", "cases": [{"name": "...", "events": [...]}]}
//         Each event is what the Python graph's `astream(..., stream_mode=[...])` yielded, as JSON:
//         `[mode, data]` or, with `subgraphs=True`, `[namespace, mode, data]`. LangChain
//         messages anywhere in it are `{"__lc__": "<class name>", "fields": {...}}` (the
//         Python message's fields, snake_case, as @langchain/core's constructors take them);
//         they are revived here as real @langchain/core instances, because the adapter
//         concatenates AIMessageChunk instances to find a streamed call's complete input.
//         Python LangGraph's `tools` mode payloads are translated to LangGraph JS's shape, which
//         is the one the adapter reads (same events, other names):
//           {event: "tool-started", tool_call_id, tool_name, input}  → {event: "on_tool_start", toolCallId, name, input}
//           {event: "tool-output-delta", tool_call_id, delta}        → {event: "on_tool_event", toolCallId, name, data}
//           {event: "tool-finished", tool_call_id, output}           → {event: "on_tool_end", toolCallId, name, output}
//           {event: "tool-error", tool_call_id, message}             → {event: "on_tool_error", toolCallId, name, error}
// stdout: {"results": {name: {"chunks": [...], "message": UIMessage | null, "error": string | null}}}
//         `chunks` are the adapter's UI message chunks; `message` is the last message
//         readUIMessageStream of `ai-<release>` built from them after they went through the
//         release's own SSE encoder (JsonToSseTransformStream) and chunk parser
//         (parseJsonEventStream with uiMessageChunkSchema), as a server and a browser would.

import { toUIMessageStream } from '@ai-sdk/langchain';
import {
  AIMessage,
  AIMessageChunk,
  HumanMessage,
  SystemMessage,
  ToolMessage,
} from '@langchain/core/messages';

import {
  emitJson,
  errorText,
  loadRelease,
  logUnhandled,
  plain,
  readStdin,
  routeConsoleToStderr,
} from './harness_common.mjs';

routeConsoleToStderr();
logUnhandled('langchain_adapter');

const MESSAGE_CLASSES = { AIMessage, AIMessageChunk, HumanMessage, SystemMessage, ToolMessage };

/** Revive `{"__lc__": class, "fields": {...}}` objects (at any depth) as @langchain/core messages. */
function revive(value) {
  if (Array.isArray(value)) return value.map(revive);
  if (value === null || typeof value !== 'object') return value;
  if (typeof value.__lc__ === 'string') {
    const Message = MESSAGE_CLASSES[value.__lc__];
    if (!Message) throw new Error(`unknown message class ${value.__lc__}`);
    return new Message(revive(value.fields));
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
}

const TOOL_EVENTS = {
  'tool-started': 'on_tool_start',
  'tool-output-delta': 'on_tool_event',
  'tool-finished': 'on_tool_end',
  'tool-error': 'on_tool_error',
};

/** Python LangGraph's `tools` payload → LangGraph JS's (see the header). */
function toolsPayload(payload, names) {
  const { event, tool_call_id: toolCallId } = payload;
  if (event === 'tool-started') names.set(toolCallId, payload.tool_name);
  const out = { event: TOOL_EVENTS[event] ?? event, toolCallId, name: names.get(toolCallId) };
  if (event === 'tool-started') out.input = payload.input;
  if (event === 'tool-output-delta') out.data = payload.delta;
  if (event === 'tool-finished') out.output = payload.output;
  if (event === 'tool-error') out.error = payload.message;
  return out;
}

function jsEvents(events) {
  const names = new Map();
  return events.map((raw) => {
    const event = revive(raw);
    const modeAt = event.length === 3 ? 1 : 0;
    if (event[modeAt] === 'tools' && event[modeAt + 1] && typeof event[modeAt + 1] === 'object') {
      event[modeAt + 1] = toolsPayload(event[modeAt + 1], names);
    }
    return event;
  });
}

async function runCase(ai, { events }) {
  const source = new ReadableStream({
    start(controller) {
      for (const event of jsEvents(events)) controller.enqueue(event);
      controller.close();
    },
  });
  const [forChunks, forClient] = toUIMessageStream(source).tee();
  const chunks = [];
  const collecting = (async () => {
    for await (const chunk of forChunks) chunks.push(plain(chunk));
  })();
  // server → SSE bytes → the client's parser and schema → readUIMessageStream
  const sse = forClient.pipeThrough(new ai.JsonToSseTransformStream()).pipeThrough(new TextEncoderStream());
  const parsed = ai.parseJsonEventStream({ stream: sse, schema: ai.uiMessageChunkSchema });
  const schemaErrors = [];
  const valid = parsed.pipeThrough(
    new TransformStream({
      transform(result, controller) {
        if (result.success) controller.enqueue(result.value);
        else schemaErrors.push(errorText(result.error));
      },
    }),
  );
  let message = null;
  for await (const m of ai.readUIMessageStream({ stream: valid })) message = m;
  await collecting;
  return { chunks, message: plain(message), schemaErrors, error: null };
}

const input = JSON.parse(await readStdin());
const { ai } = await loadRelease(input.release);
const results = {};
for (const testCase of input.cases) {
  try {
    results[testCase.name] = await runCase(ai, testCase);
  } catch (err) {
    results[testCase.name] = { chunks: [], message: null, schemaErrors: [], error: errorText(err) };
  }
}
await emitJson({ results }, 0);
