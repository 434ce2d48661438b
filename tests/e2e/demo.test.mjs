// `make demo` from this checkout: it installs, builds, starts backend and frontend, prints the URL
// once both answer (the first chat sent then succeeds); then it stops cleanly on SIGINT (Ctrl-C).
// Ports are free ones, passed as make variables.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

test("make demo starts the backend and the frontend, and Ctrl-C stops both", { timeout: 240_000 }, async () => {
  const [backend, frontend] = [await freePort(), await freePort()];
  const env = { ...process.env, DATABASE_URL: "sqlite+aiosqlite:///:memory:" };
  for (const key of Object.keys(env)) if (key.startsWith("OPENAI_") || key === "REDIS_URL") delete env[key];
  const make = spawn("make", ["demo", `BACKEND_PORT=${backend}`, `FRONTEND_PORT=${frontend}`], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  make.stdout.on("data", (d) => (output += d));
  make.stderr.on("data", (d) => (output += d));
  const exited = new Promise((resolve) => make.once("exit", (code, signal) => resolve({ code, signal })));
  try {
    // The URL is printed once both servers answer: a chat sent right then succeeds.
    const deadline = Date.now() + 200_000;
    while (!output.includes(`Open http://localhost:${frontend}`) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.match(output, new RegExp(`Open http://localhost:${frontend}`));
    const chat = await fetch(`http://127.0.0.1:${frontend}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        id: "demo-first-chat",
        trigger: "submit-message",
        messages: [{ id: "u1", role: "user", parts: [{ type: "text", text: "hello" }] }],
      }),
    });
    assert.equal(chat.status, 200);
    const body = await chat.text();
    assert.match(body, /"type":"finish"/);
    assert.doesNotMatch(body, /"type":"error"/);
    const page = await fetch(`http://127.0.0.1:${frontend}/`);
    assert.match(await page.text(), /<html/i);
    const health = await fetch(`http://127.0.0.1:${backend}/api/health`);
    assert.deepEqual(await health.json(), { ok: true });
  } finally {
    process.kill(-make.pid, "SIGINT"); // Ctrl-C
    const killer = setTimeout(() => process.kill(-make.pid, "SIGKILL"), 20_000);
    await exited;
    clearTimeout(killer);
  }
  for (const port of [backend, frontend]) {
    await assert.rejects(fetch(`http://127.0.0.1:${port}/`), "the demo's servers stopped");
  }
});
