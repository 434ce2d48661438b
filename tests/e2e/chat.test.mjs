// Browser end-to-end tests of the example chat app (example/backend + example/frontend):
// real servers, real headless chromium, the offline demo model. `make test-e2e`.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ARTIFACTS, startApp } from "./harness.mjs";

let app;

before(async () => {
  app = await startApp();
});

after(async () => {
  await app?.close();
});

/** A fresh browser context on `/` (the app opens a new chat: `/?chat=<id>`). */
async function openNewChat(contextOptions = {}) {
  const context = await app.browser.newContext({ viewport: { width: 1100, height: 900 }, ...contextOptions });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const chatRequests = [];
  page.on("request", (r) => {
    if (new URL(r.url()).pathname.startsWith("/api/chat/") || new URL(r.url()).pathname === "/api/chat")
      chatRequests.push(`${r.method()} ${new URL(r.url()).pathname}`);
  });
  await page.goto(`${app.baseUrl}/`);
  await page.waitForURL(/\?chat=/);
  await page.locator(".composer textarea").waitFor();
  const chatId = new URL(page.url()).searchParams.get("chat");
  return { context, page, chatId, chatRequests };
}

async function send(page, text) {
  await page.locator(".composer textarea").fill(text);
  await page.locator(".composer textarea").press("Enter");
}

async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Records every distinct text of the last assistant message (polled every 10 ms). */
async function recordAssistant(page) {
  await page.evaluate(() => {
    window.__snaps = [];
    setInterval(() => {
      const all = document.querySelectorAll(".message.assistant");
      const el = all[all.length - 1];
      const text = el ? el.innerText : "";
      if (window.__snaps[window.__snaps.length - 1] !== text) window.__snaps.push(text);
    }, 10);
  });
}

/** The stored chat, straight from the backend (what a reload shows). */
async function storedChat(chatId) {
  const r = await fetch(`${app.backendUrl}/api/chats/${chatId}`, { headers: { "x-user-id": "demo-user" } });
  return r.status === 404 ? null : r.json();
}

function textOf(message) {
  return message.parts
    .filter((p) => p.type === "text")
    .map((p) => p.text)
    .join("");
}

const idle = (page) => page.locator(".status", { hasText: "· ready" }).waitFor();

test("startup: backend health through the Next.js proxy, empty chat page", async () => {
  const r = await fetch(`${app.baseUrl}/api/health`);
  assert.deepEqual(await r.json(), { ok: true });
  const { page, context } = await openNewChat();
  await page.getByText("Ask something").waitFor();
  await page.getByText("No saved chats yet").waitFor();
  await shot(page, "00-empty-chat");
  await context.close();
});

test("weather in Paris: streams reasoning, the tool card and the answer incrementally", async () => {
  const { page, context, chatId } = await openNewChat();
  await recordAssistant(page);
  await send(page, "weather in Paris");

  // While streaming: live reasoning ("Reasoning…", open) and the Stop button.
  await page.locator(".reasoning summary", { hasText: "Reasoning…" }).waitFor();
  await page.locator("button.stop").waitFor();
  await shot(page, "01-weather-streaming");

  const assistant = page.locator(".message.assistant");
  await assistant.getByText("humidity").waitFor();
  await idle(page);
  await shot(page, "01-weather-done");

  const final = await assistant.innerText();
  assert.match(final, /It is [-\d.]+ °C and .+ in Paris \(humidity \d+ %\)\./);
  // Reasoning: closed once done, with its text.
  await page.locator(".reasoning summary", { hasText: /^Reasoning$/ }).waitFor();
  assert.match(await page.locator(".reasoning-text").textContent(), /weather in Paris/);
  // The tool card: name, state "done", input and output.
  const card = page.locator(".tool", { hasText: "getWeather" });
  assert.equal(await card.locator(".badge").innerText(), "done");
  assert.match(await card.innerText(), /"city": "Paris"/);
  assert.match(await card.innerText(), /"temperatureC"/);

  // Incremental: the answer was seen part-way (text begun, not finished), and a
  // tool card was seen before the final text.
  const snaps = await page.evaluate(() => window.__snaps);
  const partial = snaps.filter((s) => s.includes("It is") && !s.includes("%)."));
  assert.ok(partial.length >= 2, `expected partial answer states, saw ${JSON.stringify(snaps.slice(-8))}`);
  assert.ok(snaps.some((s) => s.includes("getWeather") && !s.includes("It is")));
  assert.ok(snaps.some((s) => s.includes("Reasoning…")));

  // Sidebar lists the chat; the backend stored one assistant message.
  await page.locator(".chat-list li.active").waitFor();
  const stored = await storedChat(chatId);
  assert.deepEqual(stored.messages.map((m) => m.role), ["user", "assistant"]);
  await context.close();
});

test("approval: Approve runs the tool and the same assistant message continues", async () => {
  const { page, context, chatId } = await openNewChat();
  await send(page, "delete the dataset");
  const card = page.locator(".tool", { hasText: "deleteDataset" });
  await card.locator(".badge", { hasText: "needs your approval" }).waitFor();
  await shot(page, "02-approval-requested");
  await card.locator("button.approve").click();
  await page.getByText(/Done: the dataset sales-2024 \(\d+ rows\) is gone\./).waitFor();
  await idle(page);
  await shot(page, "02-approval-approved");
  assert.equal(await card.locator(".badge").innerText(), "done");
  const assistants = page.locator(".message.assistant");
  assert.equal(await assistants.count(), 1);
  const text = await assistants.innerText();
  assert.ok(text.indexOf("cannot be undone") < text.indexOf("Done: the dataset"));
  const stored = await storedChat(chatId);
  assert.deepEqual(stored.messages.map((m) => m.role), ["user", "assistant"]);
  assert.match(textOf(stored.messages[1]), /Done: the dataset/);
  await context.close();
});

test("approval: Deny shows the denied state and a reply", async () => {
  const { page, context } = await openNewChat();
  await send(page, "delete the dataset");
  const card = page.locator(".tool", { hasText: "deleteDataset" });
  await card.locator("button.deny").click();
  await page.getByText("I did not delete the dataset").waitFor();
  await idle(page);
  await shot(page, "03-approval-denied");
  assert.equal(await card.locator(".badge").innerText(), "denied");
  assert.match(await card.innerText(), /Not run: the call was denied/);
  assert.equal(await page.locator(".message.assistant").count(), 1);
  await context.close();
});

test("client-side tool: the answer names the browser's time zone", async () => {
  // Not the machine's zone: the answer must come from the browser (context timezoneId).
  const { page, context } = await openNewChat({ timezoneId: "Asia/Tokyo" });
  assert.equal(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone), "Asia/Tokyo");
  await send(page, "what is my time zone");
  await page.getByText("Your browser says your time zone is Asia/Tokyo.").waitFor();
  await idle(page);
  await shot(page, "04-time-zone");
  const card = page.locator(".tool", { hasText: "getTimeZone" });
  assert.equal(await card.locator(".badge").innerText(), "done");
  assert.match(await card.innerText(), /"timeZone": "Asia\/Tokyo"/);
  assert.equal(await page.locator(".message.assistant").count(), 1);
  await context.close();
});

test("stop mid-stream keeps the partial answer; a reload brings it back from the DB", async () => {
  const { page, context, chatId } = await openNewChat();
  await send(page, "run a long task");
  await page.locator(".progress").waitFor();
  await page.waitForFunction(() => {
    const label = document.querySelector(".progress-label span:last-child");
    return label && parseInt(label.textContent, 10) >= 10;
  });
  const stopRequest = page.waitForResponse((r) => r.url().endsWith(`/api/chat/${chatId}/stop`));
  await page.locator("button.stop").click();
  const clickedAt = Date.now();
  assert.equal((await stopRequest).status(), 204); // the stop route: it does not wait for the grace
  await page.locator(".composer button[type=submit]").waitFor();
  await shot(page, "05-stopped");
  const percentAtStop = parseInt(await page.locator(".progress-label span:last-child").innerText(), 10);
  assert.ok(percentAtStop < 100);
  assert.match(await page.locator(".message.assistant").innerText(), /Starting the long task\./);

  // The stop route stopped the answer at once (well before the 3 s grace period of a closed
  // tab) and the server saved the partial answer.
  let stored;
  for (let i = 0; i < 100; i++) {
    stored = await storedChat(chatId);
    if (stored?.messages.length === 2) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(Date.now() - clickedAt < 2500, `saved ${Date.now() - clickedAt} ms after the click`);
  assert.deepEqual(stored.messages.map((m) => m.role), ["user", "assistant"]);
  assert.match(textOf(stored.messages[1]), /Starting the long task\./);
  assert.doesNotMatch(textOf(stored.messages[1]), /complete/);

  await page.reload();
  const assistant = page.locator(".message.assistant");
  await assistant.getByText("Starting the long task.").waitFor();
  await page.locator(".progress").waitFor();
  await idle(page);
  await shot(page, "05-stopped-reloaded");
  assert.equal(await assistant.count(), 1);
  assert.doesNotMatch(await assistant.innerText(), /complete/);
  assert.match(await page.locator(".message.user").innerText(), /run a long task/);
  await page.locator(".chat-list li.active").waitFor();
  await context.close();
});

test("reload during a stream resumes it: the final message is complete and single", async () => {
  const { page, context, chatId, chatRequests } = await openNewChat();
  await send(page, "run a long task");
  await page.locator(".progress").waitFor();
  await page.waitForFunction(() => {
    const label = document.querySelector(".progress-label span:last-child");
    return label && parseInt(label.textContent, 10) >= 10;
  });
  await shot(page, "06-before-reload");
  await page.reload();
  await page.locator(".progress").waitFor();
  await shot(page, "06-resumed-streaming");
  const assistant = page.locator(".message.assistant");
  await assistant.getByText("42 reports generated").waitFor();
  await idle(page);
  await shot(page, "06-resumed-done");
  assert.ok(chatRequests.includes(`GET /api/chat/${chatId}/stream`), chatRequests.join(", "));
  assert.equal(await assistant.count(), 1);
  const text = await assistant.innerText();
  assert.equal(text.split("Starting the long task.").length, 2, text);
  assert.equal(text.split("42 reports generated").length, 2, text);
  assert.equal(await page.locator(".progress").count(), 1);
  assert.equal(await page.locator(".progress-label span:last-child").innerText(), "100%");
  // Saved once, complete.
  let stored;
  for (let i = 0; i < 50; i++) {
    stored = await storedChat(chatId);
    if (stored?.messages.length === 2) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(stored.messages.map((m) => m.role), ["user", "assistant"]);
  assert.match(textOf(stored.messages[1]), /42 reports generated/);
  await context.close();
});

test("error: the banner shows the masked error and Retry sends a new request", async () => {
  const { page, context, chatRequests } = await openNewChat();
  await send(page, "trigger an error");
  const banner = page.locator(".banner.error[role=alert]");
  await banner.getByText("An error occurred.").waitFor();
  await shot(page, "07-error");
  const before = chatRequests.filter((r) => r === "POST /api/chat").length;
  assert.equal(before, 1);
  await banner.getByRole("button", { name: "Retry" }).click();
  // The retry reaches the server (and the demo model errors again).
  for (let i = 0; i < 100 && chatRequests.filter((r) => r === "POST /api/chat").length === before; i++)
    await new Promise((r) => setTimeout(r, 50));
  assert.equal(chatRequests.filter((r) => r === "POST /api/chat").length, before + 1);
  await banner.getByText("An error occurred.").waitFor();
  await shot(page, "07-error-retried");
  assert.equal(await page.locator(".message.user").count(), 1);
  await context.close();
});
