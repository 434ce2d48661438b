// Drive resumable chats across two workers with the real AbstractChat + DefaultChatTransport.
//
//   node multiworker.mjs --a URL_A --b URL_B --version 7.0.173 --scenario stop --runs 50 \
//     [--concurrency 10] [--prefix run-] [--wait-ms 300] [--timeout-ms 30000]
//
// Every run is one chat whose answer worker A produces (the POST goes to A):
//   stop     the user presses stop: chat.stop() (the fetch is aborted) and POST B/{id}/stop;
//            then a reload on B (a new Chat, resumeStream(): GET B/{id}/stream)
//   reload   the page reloads: chat.stop() (the fetch is aborted), then within --wait-ms a new
//            Chat on B resumes the answer (resumeStream) and follows it to its end
//   abandon  the page closes: chat.stop(), and nobody comes back
// Prints one JSON document: {version, scenario, runs: [{chatId, ...}]} (times are Date.now()).

import {
  InFlightTracker,
  emitJson,
  errorText,
  loadRelease,
  plain,
  routeConsoleToStderr,
  sleep,
  waitForIdle,
} from './harness_common.mjs';

routeConsoleToStderr();

function parseArgs(argv) {
  const args = { concurrency: 10, prefix: 'run-', waitMs: 300, timeoutMs: 30000, runs: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`missing value for ${key}`);
    const name = key.replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    args[name] = ['runs', 'concurrency', 'waitMs', 'timeoutMs'].includes(name) ? Number(value) : value;
  }
  for (const name of ['a', 'b', 'version', 'scenario']) {
    if (!args[name]) throw new Error(`--${name} is required`);
  }
  if (!['stop', 'reload', 'abandon'].includes(args.scenario)) throw new Error('bad --scenario');
  return args;
}

function assistantText(chat) {
  return chat.messages
    .filter((m) => m.role === 'assistant')
    .flatMap((m) => m.parts)
    .filter((p) => p.type === 'text')
    .map((p) => p.text)
    .join('');
}

function makeChat(rel, id, api, messages, requests) {
  const tracker = new InFlightTracker();
  const fetch = tracker.wrapFetch(async (input, init = {}) => {
    const entry = { url: String(input), method: init.method ?? 'GET', status: null };
    requests.push(entry);
    const response = await globalThis.fetch(input, init);
    entry.status = response.status;
    return response;
  });
  let counter = 0;
  const errors = [];
  const chat = new rel.Chat({
    id,
    messages,
    generateId: () => `${id}-client-${++counter}`,
    transport: new rel.DefaultChatTransport({ api, fetch }),
    onError: (error) => errors.push(errorText(error)),
  });
  return { chat, tracker, errors };
}

async function oneRun(rel, args, index) {
  const id = `${args.prefix}${index}`;
  const deadline = Date.now() + args.timeoutMs;
  const out = { chatId: id, requests: [], notes: [] };
  const first = makeChat(rel, id, args.a, [], out.requests);
  const sending = first.chat.sendMessage({ text: 'count' }).catch((err) => out.notes.push(errorText(err)));
  while (assistantText(first.chat).length < 10 && Date.now() < deadline) await sleep(5);
  out.partialText = assistantText(first.chat);
  out.leftAt = Date.now();
  await first.chat.stop(); // the stop button, or the page going away: the fetch is aborted
  await sending;
  if (args.scenario === 'stop') {
    const response = await globalThis.fetch(`${args.b}/${id}/stop`, { method: 'POST' });
    out.stopStatus = response.status;
    out.stoppedAt = Date.now();
  } else if (args.scenario === 'reload') {
    await sleep(Math.floor(Math.random() * args.waitMs));
  } else {
    return out;
  }
  const user = first.chat.messages.filter((m) => m.role === 'user');
  const second = makeChat(rel, id, args.b, user, out.requests);
  out.resumedAt = Date.now();
  await second.chat.resumeStream();
  out.idle = await waitForIdle(second.chat, second.tracker, { deadline });
  out.status = second.chat.status;
  out.errors = second.errors;
  out.messages = plain(second.chat.messages);
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const rel = await loadRelease(args.version);
  const runs = new Array(args.runs);
  let next = 0;
  async function lane() {
    while (next < args.runs) {
      const index = next++;
      try {
        runs[index] = await oneRun(rel, args, index);
      } catch (err) {
        runs[index] = { chatId: `${args.prefix}${index}`, harnessError: errorText(err) };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(args.concurrency, args.runs) }, lane));
  await emitJson({ version: args.version, scenario: args.scenario, runs }, 0);
}

main().catch(async (err) => {
  console.error(err);
  await emitJson({ harnessError: errorText(err) }, 2);
});
