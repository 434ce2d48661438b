// Starts the example app the way `make demo` does (FastAPI backend + built Next.js
// frontend), on free ports with a throw-away SQLite database, and a headless system
// chromium driven by playwright-core. Used by chat.test.mjs, completion.test.mjs and objects.test.mjs.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, "../..");
export const FRONTEND = join(ROOT, "example/frontend");
export const ARTIFACTS = join(HERE, "artifacts");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
// Token pacing of the demo model: slow enough that a stop / reload lands mid-answer,
// and that "run a long task" (~6 s) outlives a stopped stream's grace period (3 s).
export const DEMO_DELAY = process.env.E2E_DEMO_DELAY || "0.06";

export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

export async function waitFor(url, what, proc, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode}:\n${proc.log.join("")}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
      last = `HTTP ${r.status}`;
    } catch (err) {
      last = err.message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} not ready at ${url} (${last}):\n${proc.log.join("")}`);
}

export function start(cmd, args, opts, name) {
  // detached: its own process group, so stop() ends uvicorn / next and their children.
  const proc = spawn(cmd, args, { ...opts, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  proc.log = [];
  const keep = (d) => {
    proc.log.push(d.toString());
    if (proc.log.length > 400) proc.log.shift();
    if (process.env.E2E_VERBOSE) process.stderr.write(`[${name}] ${d}`);
  };
  proc.stdout.on("data", keep);
  proc.stderr.on("data", keep);
  return proc;
}

export async function stop(proc) {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once("exit", r));
  try {
    process.kill(-proc.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-proc.pid, "SIGKILL");
    } catch {}
  }, 5000);
  await exited;
  clearTimeout(timer);
}

export function ensureFrontendBuilt() {
  if (existsSync(join(FRONTEND, ".next/BUILD_ID"))) return;
  const r = spawnSync(join(FRONTEND, "node_modules/.bin/next"), ["build"], {
    cwd: FRONTEND,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    stdio: "inherit",
  });
  if (r.status !== 0) throw new Error("next build failed");
}

/** A headless system chromium; launch() gives every run a fresh temporary profile. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Start backend, frontend and browser; returns {baseUrl, backendUrl, browser, close()}. */
export async function startApp() {
  ensureFrontendBuilt();
  mkdirSync(ARTIFACTS, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), "ai-stream-e2e-"));
  const [backendPort, frontendPort] = [await freePort(), await freePort()];
  const backendUrl = `http://127.0.0.1:${backendPort}`;
  const baseUrl = `http://127.0.0.1:${frontendPort}`;
  const env = { ...process.env };
  for (const k of ["OPENAI_API_KEY", "OPENAI_BASE_URL", "REDIS_URL", "STOP_GRACE"]) delete env[k];

  const procs = [];
  let browser;
  const close = async () => {
    if (browser) await browser.close().catch(() => {});
    await Promise.all(procs.map(stop));
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    const backend = start(
      join(ROOT, ".venv/bin/uvicorn"),
      ["main:app", "--app-dir", "example/backend", "--host", "127.0.0.1", "--port", String(backendPort)],
      {
        cwd: ROOT,
        env: { ...env, DATABASE_URL: `sqlite+aiosqlite:///${join(tmp, "chat.db")}`, DEMO_DELAY },
      },
      "backend",
    );
    procs.push(backend);
    const frontend = start(
      join(FRONTEND, "node_modules/.bin/next"),
      ["start", "-p", String(frontendPort), "-H", "127.0.0.1"],
      { cwd: FRONTEND, env: { ...env, BACKEND_URL: backendUrl, NEXT_TELEMETRY_DISABLED: "1" } },
      "frontend",
    );
    procs.push(frontend);
    await waitFor(`${backendUrl}/api/health`, "backend", backend);
    await waitFor(`${baseUrl}/api/health`, "frontend (proxy to backend)", frontend);

    browser = await launchBrowser();
  } catch (err) {
    await close();
    throw err;
  }
  return { baseUrl, backendUrl, browser, close, logs: () => procs.map((p) => p.log.join("")).join("\n") };
}

/** Waits until the servers' output (backend and frontend logs) matches `pattern`; the match. */
export async function waitForLog(app, pattern, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = app.logs().match(pattern);
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`no log line matches ${pattern}:\n${app.logs().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Records every distinct innerText of the element `selector` (polled every 10 ms) in window.__snaps. */
export async function recordText(page, selector) {
  await page.evaluate((sel) => {
    window.__snaps = [];
    clearInterval(window.__snapTimer);
    window.__snapTimer = setInterval(() => {
      const el = document.querySelector(sel);
      const text = el ? el.innerText : "";
      if (window.__snaps[window.__snaps.length - 1] !== text) window.__snaps.push(text);
    }, 10);
  }, selector);
}
