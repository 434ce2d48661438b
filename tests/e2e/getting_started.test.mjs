// The getting-started pages, built as a reader would: the FastAPI backend
// (docs/getting-started/app/backend) and the Vite + React app (docs/getting-started/app/vite),
// copied into a fresh directory and installed with `npm ci`, once with the newest ai 6 pair
// (the page's package.json) and once with the newest ai 7 pair; and the Next.js app
// (docs/getting-started/app/next, with the same App.tsx), built and started. Chromium drives each:
// text, a server tool, an approval, a browser tool, stop, and a reload that shows the saved chat.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ARTIFACTS, ROOT, freePort, launchBrowser, start, stop, waitFor } from "./harness.mjs";

const APP = join(ROOT, "docs/getting-started/app");
const VARIANTS = {
  "Vite, ai 6": { kind: "vite", packageDir: join(APP, "vite") }, // the page's package.json + lock
  "Vite, ai 7": { kind: "vite", packageDir: join(ROOT, "tests/e2e/getting-started-ai7") },
  "Next.js, ai 6": { kind: "next", packageDir: join(APP, "next") },
};
const FILES = {
  vite: ["index.html", "tsconfig.json", "vite.config.ts", "src"],
  next: ["next.config.ts", "next-env.d.ts", "tsconfig.json", "app"],
};

for (const [variant, { kind, packageDir }] of Object.entries(VARIANTS)) {
  describe(`getting started (FastAPI + ${variant})`, { timeout: 400_000 }, () => {
    let dir, backend, vite, browser, baseUrl;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "ai-stream-getting-started-"));
      for (const name of FILES[kind]) cpSync(join(APP, kind, name), join(dir, name), { recursive: true });
      if (kind === "next") cpSync(join(APP, "vite/src/App.tsx"), join(dir, "app/App.tsx"));
      for (const name of ["package.json", "package-lock.json"]) cpSync(join(packageDir, name), join(dir, name));
      const install = spawnSync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], {
        cwd: dir,
        stdio: "inherit",
      });
      assert.equal(install.status, 0, "npm ci failed");
      const typecheck = spawnSync(join(dir, "node_modules/.bin/tsc"), ["--noEmit"], { cwd: dir, stdio: "inherit" });
      assert.equal(typecheck.status, 0, "the page's TypeScript does not typecheck");

      const [backendPort, vitePort] = [await freePort(), await freePort()];
      const env = { ...process.env };
      for (const key of Object.keys(env)) if (key.startsWith("OPENAI_")) delete env[key];
      backend = start(
        join(ROOT, ".venv/bin/uvicorn"),
        ["main:app", "--app-dir", join(APP, "backend"), "--host", "127.0.0.1", "--port", String(backendPort)],
        { cwd: ROOT, env },
        "backend",
      );
      const frontendEnv = { ...env, BACKEND_URL: `http://127.0.0.1:${backendPort}`, NEXT_TELEMETRY_DISABLED: "1" };
      if (kind === "next") {
        const build = spawnSync(join(dir, "node_modules/.bin/next"), ["build"], { cwd: dir, env: frontendEnv, stdio: "inherit" });
        assert.equal(build.status, 0, "next build failed");
      }
      const [command, args] =
        kind === "vite"
          ? ["vite", ["--port", String(vitePort), "--strictPort", "--host", "127.0.0.1"]]
          : ["next", ["start", "-p", String(vitePort), "-H", "127.0.0.1"]];
      vite = start(join(dir, "node_modules/.bin", command), args, { cwd: dir, env: frontendEnv }, kind);
      baseUrl = `http://127.0.0.1:${vitePort}`;
      await waitFor(`http://127.0.0.1:${backendPort}/api/chats/probe`, "backend", backend);
      await waitFor(`${baseUrl}/api/chats/probe`, `${kind} (proxy to the backend)`, vite);
      browser = await launchBrowser();
    });

    after(async () => {
      await browser?.close().catch(() => {});
      await Promise.all([stop(backend), stop(vite)]);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test("text, tools, approval, browser tool, stop and reload", async () => {
      const page = await (await browser.newContext()).newPage();
      page.setDefaultTimeout(20_000);
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${baseUrl}/`);
      await page.waitForURL(/\?chat=/);
      const assistant = page.locator(".message.assistant");
      const send = async (text) => {
        await page.locator("form input").fill(text);
        await page.locator("form input").press("Enter");
      };
      const idle = () => page.locator("form button", { hasText: "Send" }).waitFor();

      await send("hello");
      await assistant.nth(0).getByText("You said: hello.").waitFor();
      await idle();

      await send("weather in Paris");
      await assistant.nth(1).getByText('getWeather: {"city": "Paris"', { exact: false }).waitFor();
      await idle();

      await send("delete my notes");
      await assistant.nth(2).getByRole("button", { name: "Approve" }).click();
      await assistant.nth(2).getByText("deleteFile: {", { exact: false }).waitFor();
      await idle();

      await send("what time is it?");
      await assistant.nth(3).getByText("getLocalTime: {", { exact: false }).waitFor();
      await idle();

      await send("tell a story");
      await assistant.nth(4).getByText("You said: tell a story.", { exact: false }).first().waitFor();
      await page.locator("form button", { hasText: "Stop" }).click();
      await idle();
      const stopped = await assistant.nth(4).innerText();
      await page.waitForTimeout(500); // nothing more arrives after the stop
      assert.equal(await assistant.nth(4).innerText(), stopped);

      const shown = await page.locator(".message").allInnerTexts();
      await page.screenshot({ path: join(ARTIFACTS, `getting-started-${variant.replace(/[^a-z0-9]+/gi, "-")}.png`) });
      await page.reload();
      await page.locator(".message").nth(shown.length - 1).waitFor();
      await page.waitForTimeout(300); // (the saved partial answer is there before the reload's fetch)
      // The stopped answer is saved as the server had written it when the browser hung up: what
      // was shown, and at most the few words that were on their way.
      const reloaded = await page.locator(".message").allInnerTexts();
      assert.deepEqual(reloaded.slice(0, -1), shown.slice(0, -1));
      assert.ok(reloaded.at(-1).startsWith(shown.at(-1)), `${reloaded.at(-1)} / ${shown.at(-1)}`);
      assert.ok(reloaded.at(-1).length - shown.at(-1).length < 60, "more than a few words were saved");
      assert.deepEqual(errors, []);
    });
  });
}
