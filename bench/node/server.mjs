// The TypeScript reference server of `make bench` (bench/trickle.py): what a Node backend built
// with the AI SDK does. `POST /trickle` answers with a UI message stream made by the real `ai`
// package: `createUIMessageStream` whose execute writes one `text-delta` every
// BENCH_TRICKLE_INTERVAL seconds (a `setTimeout` promise), piped to the response by
// `pipeUIMessageStreamToResponse` (JSON -> SSE -> bytes, `data: [DONE]` at the end).
// `GET /health` is the readiness probe.
//
//   node bench/node/server.mjs --port 8123
//
// Environment: BENCH_TRICKLE_TOKENS (path of a JSON list of text deltas; default 100 "tok"),
// BENCH_TRICKLE_INTERVAL (seconds between tokens; default 0.02).
import { readFileSync } from "node:fs";
import http from "node:http";
import { parseArgs } from "node:util";

import { createUIMessageStream, generateId, pipeUIMessageStreamToResponse } from "ai";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8123" },
    host: { type: "string", default: "127.0.0.1" },
    backlog: { type: "string", default: "2048" },
  },
});

const tokens = process.env.BENCH_TRICKLE_TOKENS
  ? JSON.parse(readFileSync(process.env.BENCH_TRICKLE_TOKENS, "utf8"))
  : Array.from({ length: 100 }, () => " tok");
const intervalMs = Number(process.env.BENCH_TRICKLE_INTERVAL ?? "0.02") * 1000;
const TEXT_ID = "text-1";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function trickle(response) {
  const stream = createUIMessageStream({
    async execute({ writer }) {
      writer.write({ type: "start", messageId: generateId() });
      writer.write({ type: "start-step" });
      writer.write({ type: "text-start", id: TEXT_ID });
      for (const token of tokens) {
        await sleep(intervalMs);
        writer.write({ type: "text-delta", id: TEXT_ID, delta: token });
      }
      writer.write({ type: "text-end", id: TEXT_ID });
      writer.write({ type: "finish-step" });
      writer.write({ type: "finish", finishReason: "stop" });
    },
  });
  pipeUIMessageStreamToResponse({ response, stream });
}

const server = http.createServer((request, response) => {
  if (request.method === "GET" && request.url === "/health") {
    response.writeHead(200, { "content-type": "text/plain" });
    response.end("ok");
    return;
  }
  if (request.method !== "POST" || request.url !== "/trickle") {
    response.writeHead(404);
    response.end();
    return;
  }
  // Read the request body first, as a chat endpoint does.
  request.on("data", () => {});
  request.on("end", () => trickle(response));
});

server.listen({ port: Number(values.port), host: values.host, backlog: Number(values.backlog) });
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
