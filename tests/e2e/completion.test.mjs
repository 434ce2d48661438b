// Browser end-to-end tests of the completion page (/completion: useCompletion against
// POST /api/completion, both stream protocols) on the offline demo model. `make test-e2e`.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ARTIFACTS, recordText, startApp, waitForLog } from "./harness.mjs";

let app;

before(async () => {
  app = await startApp();
});

after(async () => {
  await app?.close();
});

const OUTPUT = ".completion-output .completion-text";
const END = "Set OPENAI_API_KEY to get the same page from a real model.";

async function openCompletion() {
  const context = await app.browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${app.baseUrl}/completion`);
  await page.locator(".prompt-form textarea").waitFor();
  return { context, page };
}

/** Types the prompt and clicks Generate; resolves to the /api/completion response. */
async function generate(page, prompt) {
  await page.locator(".prompt-form textarea").fill(prompt);
  const response = page.waitForResponse((r) => new URL(r.url()).pathname === "/api/completion");
  await page.getByRole("button", { name: "Generate" }).click();
  return response;
}

const state = (page, value) => page.locator(".status .state", { hasText: new RegExp(`^${value}$`) }).waitFor();
const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

for (const protocol of ["data", "text"]) {
  test(`completion (${protocol} protocol): the text streams in word by word and ends complete`, async () => {
    const { page, context } = await openCompletion();
    if (protocol === "text") await page.getByLabel("text", { exact: true }).check();
    await recordText(page, OUTPUT);
    const response = await generate(page, "Write a haiku about streaming");
    assert.equal(response.status(), 200);
    assert.deepEqual(JSON.parse(response.request().postData()), { prompt: "Write a haiku about streaming", protocol });
    assert.match(response.headers()["content-type"], protocol === "text" ? /^text\/plain/ : /^text\/event-stream/);
    await page.locator("button.stop").waitFor(); // while streaming
    await shot(page, `10-completion-${protocol}-streaming`);
    await state(page, "done");
    await shot(page, `10-completion-${protocol}-done`);

    const final = await page.locator(OUTPUT).innerText();
    assert.ok(final.startsWith("Here is a completion for “Write a haiku about streaming”"), final);
    assert.ok(final.endsWith(END), final);
    // Progressive: several partial texts, each a prefix of the next and of the final text.
    const snaps = (await page.evaluate(() => window.__snaps)).filter((s) => s && s !== final);
    assert.ok(snaps.length >= 2, `expected partial states, saw ${JSON.stringify(snaps)}`);
    for (let i = 0; i < snaps.length; i++) {
      assert.ok(final.startsWith(snaps[i]), `not a prefix of the final text: ${JSON.stringify(snaps[i])}`);
      if (i > 0) assert.ok(snaps[i].length > snaps[i - 1].length);
    }
    assert.equal(await page.locator(".banner.error").count(), 0);
    const id = response.headers()["x-request-id"];
    await waitForLog(app, new RegExp(`completion ${id}: finished, ${final.length} characters`));
    await context.close();
  });
}

test("completion: Stop stops the text growing and cancels the work on the server", async () => {
  const { page, context } = await openCompletion();
  const response = await generate(page, "Explain backpressure in one paragraph");
  const id = response.headers()["x-request-id"];
  await page.waitForFunction((sel) => (document.querySelector(sel)?.textContent ?? "").length > 60, OUTPUT);
  await page.locator("button.stop").click();
  await state(page, "stopped");
  const atStop = await page.locator(OUTPUT).innerText();
  // The server's work ended as stopped by the client (the log line is written once the work
  // was cancelled), with no more than what the page got.
  const [, size] = await waitForLog(app, new RegExp(`completion ${id}: stopped \\(client-disconnected\\) after (\\d+) characters`));
  await page.waitForTimeout(1000); // ~15 more tokens' time
  await shot(page, "11-completion-stopped");
  assert.equal(await page.locator(OUTPUT).innerText(), atStop);
  // (the server may have written a token or two that were still on their way)
  assert.ok(atStop.length <= Number(size) && Number(size) < atStop.length + 40, `${size} vs ${atStop.length}`);
  assert.ok(atStop.length > 60 && !atStop.includes(END), atStop);
  await page.getByText("Stopped: the rest was not generated.").waitFor();
  assert.equal(await page.locator(".banner.error").count(), 0);
  assert.doesNotMatch(app.logs(), new RegExp(`completion ${id}: finished`));
  // The page is ready for the next prompt.
  await page.getByRole("button", { name: "Generate" }).waitFor();
  await context.close();
});

test("completion: a failure mid-stream shows the error and keeps the partial text", async () => {
  const { page, context } = await openCompletion();
  const response = await generate(page, "Trigger an error");
  const id = response.headers()["x-request-id"];
  const banner = page.locator(".banner.error[role=alert]");
  await banner.getByText("An error occurred.").waitFor(); // masked: the exception stays on the server
  await state(page, "error");
  await shot(page, "12-completion-error");
  const text = await page.locator(OUTPUT).innerText();
  assert.ok(text.startsWith("Here is a completion for “Trigger an error”") && !text.includes(END), text);
  assert.doesNotMatch(await page.content(), /upstream service is down/);
  await waitForLog(app, new RegExp(`completion ${id}: failed after \\d+ characters`));
  await context.close();
});

test("completion: a prompt the backend refuses (422) shows its message", async () => {
  const { page, context } = await openCompletion();
  const response = await generate(page, "x".repeat(2001));
  assert.equal(response.status(), 422);
  await page
    .locator(".banner.error[role=alert]")
    .getByText("The prompt is too long (2001 characters, at most 2000).")
    .waitFor();
  await state(page, "error");
  await shot(page, "13-completion-422");
  await context.close();
});

test("navigation: the sidebar links chat, completion and trip planner", async () => {
  const { page, context } = await openCompletion();
  await page.locator(".nav a.active", { hasText: "Completion" }).waitFor();
  await page.locator(".nav a", { hasText: "Trip planner" }).click();
  await page.waitForURL(/\/trip$/);
  await page.getByRole("heading", { name: "Trip planner" }).waitFor();
  await page.locator(".nav a", { hasText: "Chat" }).click();
  await page.waitForURL(/\/\?chat=/);
  await page.locator(".composer textarea").waitFor();
  await page.locator(".nav a", { hasText: "Completion" }).click();
  await page.waitForURL(/\/completion$/);
  await page.getByRole("heading", { name: "Completion" }).waitFor();
  await context.close();
});
