// Browser end-to-end tests of the trip page (/trip: experimental_useObject with a zod schema
// against POST /api/trip, a typed itinerary streamed as JSON text) on the offline demo model.
// `make test-e2e`.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ARTIFACTS, startApp, waitForLog } from "./harness.mjs";

let app;

before(async () => {
  app = await startApp();
});

after(async () => {
  await app?.close();
});

async function openTrip() {
  const context = await app.browser.newContext({ viewport: { width: 1100, height: 1100 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${app.baseUrl}/trip`);
  await page.locator(".prompt-form textarea").waitFor();
  return { context, page };
}

/** Types the prompt and clicks "Plan the trip"; resolves to the /api/trip response. */
async function plan(page, prompt) {
  await page.locator(".prompt-form textarea").fill(prompt);
  const response = page.waitForResponse((r) => new URL(r.url()).pathname === "/api/trip");
  await page.getByRole("button", { name: "Plan the trip" }).click();
  return response;
}

/** What the page shows of the itinerary, read from the DOM. */
function shown(page) {
  return page.evaluate(() => {
    const el = document.querySelector(".trip");
    if (!el) return null;
    return {
      destination: el.querySelector(".trip-destination")?.textContent ?? "",
      summary: el.querySelector(".trip-summary")?.textContent ?? null,
      days: [...el.querySelectorAll(".trip-day")].map((d) => ({
        label: d.querySelector(".badge")?.textContent ?? "",
        title: d.querySelector("strong")?.textContent ?? "",
        activities: [...d.querySelectorAll(".trip-activities li")].map((li) => li.textContent),
      })),
      tips: [...el.querySelectorAll(".trip-tips li")].map((li) => li.textContent),
    };
  });
}

/** Records every distinct view of the itinerary (polled every 10 ms) in window.__views. */
async function recordViews(page) {
  await page.evaluate(() => {
    window.__views = [];
    setInterval(() => {
      const el = document.querySelector(".trip");
      const view = el ? JSON.stringify([el.querySelectorAll(".trip-day").length, el.innerText]) : "";
      if (window.__views[window.__views.length - 1] !== view) window.__views.push(view);
    }, 10);
  });
}

const state = (page, value) => page.locator(".status .state", { hasText: new RegExp(`^${value}$`) }).waitFor();
const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
const dayCount = (page) => page.locator(".trip-day").count();

test("trip: the itinerary grows as it streams and ends as the full typed value", async () => {
  const { page, context } = await openTrip();
  await recordViews(page);
  const response = await plan(page, "A 3-day trip to Porto");
  assert.equal(response.status(), 200);
  assert.deepEqual(JSON.parse(response.request().postData()), { prompt: "A 3-day trip to Porto" });
  assert.match(response.headers()["content-type"], /^text\/plain/);
  await page.locator("button.stop").waitFor(); // while streaming
  await page.locator(".trip-day").nth(1).waitFor();
  await shot(page, "20-trip-streaming");
  await state(page, "done");
  await shot(page, "20-trip-done");

  // The page shows exactly the itinerary the backend streamed (the JSON text the hook read).
  const itinerary = JSON.parse(await response.text());
  assert.equal(itinerary.destination, "Porto");
  assert.equal(itinerary.days.length, 3);
  const view = await shown(page);
  assert.deepEqual(view, {
    destination: itinerary.destination,
    summary: itinerary.summary,
    days: itinerary.days.map((d) => ({ label: `Day ${d.day}`, title: d.title, activities: d.activities })),
    tips: itinerary.tips,
  });
  assert.equal(view.tips.length, 3);
  assert.ok(view.days.every((d) => d.activities.length === 3));
  assert.equal(await page.locator(".banner.error").count(), 0);

  // Progressive: the itinerary was seen with no day yet, then 1 and 2 days, before the end;
  // and several states of the second day as it grew.
  const views = (await page.evaluate(() => window.__views)).filter(Boolean).map((v) => JSON.parse(v));
  const counts = new Set(views.map(([days]) => days));
  for (const n of [0, 1, 2, 3]) assert.ok(counts.has(n), `never saw ${n} days: ${[...counts]}`);
  const partial = views.filter(([days, text]) => days === 2 && !text.includes("Tips"));
  assert.ok(partial.length >= 2, `expected several partial states with 2 days, saw ${partial.length}`);
  const id = response.headers()["x-request-id"];
  await waitForLog(app, new RegExp(`trip ${id}: finished, 3 days to Porto`));
  await context.close();
});

test("trip: Stop keeps the partial itinerary and cancels the work on the server", async () => {
  const { page, context } = await openTrip();
  const response = await plan(page, "5 days in Kyoto");
  const id = response.headers()["x-request-id"];
  await page.locator(".trip-day").nth(1).waitFor();
  await page.locator("button.stop").click();
  await state(page, "stopped");
  const atStop = await shown(page);
  await waitForLog(app, new RegExp(`trip ${id}: stopped \\(client-disconnected\\) after \\d+ characters`));
  await page.waitForTimeout(1000); // ~15 more tokens' time
  await shot(page, "21-trip-stopped");
  assert.deepEqual(await shown(page), atStop);
  assert.equal(atStop.destination, "Kyoto");
  assert.ok(atStop.days.length >= 2 && atStop.days.length < 5, JSON.stringify(atStop));
  assert.deepEqual(atStop.tips, []);
  await page.getByText("Stopped: the rest of the itinerary was not generated.").waitFor();
  assert.equal(await page.locator(".banner.error").count(), 0); // a stop is not an error
  assert.doesNotMatch(app.logs(), new RegExp(`trip ${id}: (finished|failed)`));
  await page.getByRole("button", { name: "Plan the trip" }).waitFor();
  await context.close();
});

test("trip: a failure mid-stream ends the text; the schema refuses it and the page says so", async () => {
  const { page, context } = await openTrip();
  const response = await plan(page, "A weekend trip to Rome with an error");
  const id = response.headers()["x-request-id"];
  const banner = page.locator(".banner.error[role=alert]");
  await banner.getByText("The itinerary is incomplete").waitFor();
  await state(page, "error");
  await shot(page, "22-trip-error");
  // What had arrived stays: the destination and the first day, no tips.
  const view = await shown(page);
  assert.equal(view.destination, "Rome");
  assert.equal(view.days.length, 1);
  assert.equal(view.days[0].activities.length, 3);
  assert.deepEqual(view.tips, []);
  await waitForLog(app, new RegExp(`trip ${id}: failed after \\d+ characters \\(DemoModelError\\)`));
  // Retry sends the request again (and the demo model fails again).
  const again = page.waitForResponse((r) => new URL(r.url()).pathname === "/api/trip");
  await banner.getByRole("button", { name: "Retry" }).click();
  assert.equal((await again).status(), 200);
  await banner.getByText("The itinerary is incomplete").waitFor();
  await context.close();
});

test("trip: a prompt the backend refuses (422) shows its message before anything streams", async () => {
  const { page, context } = await openTrip();
  const response = await plan(page, "y".repeat(2500));
  assert.equal(response.status(), 422);
  await page
    .locator(".banner.error[role=alert]")
    .getByText("The prompt is too long (2500 characters, at most 2000).")
    .waitFor();
  await state(page, "error");
  assert.equal(await page.locator(".trip").count(), 0);
  await shot(page, "23-trip-422");
  await context.close();
});
