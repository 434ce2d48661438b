#!/usr/bin/env node
// Runs the REAL `parsePartialJson` of several `ai` releases (installed side by side as npm
// aliases "ai-<version>") on a batch of texts. Nothing here re-implements it: fixJson,
// safeParseJSON and secureJsonParse all run inside the installed release (and the
// @ai-sdk/provider-utils it resolves).
//
// stdin : {"releases": ["5.0.0", ...], "texts": [string | null, ...]}   (null: undefined input)
// stdout: {"results": {"<release>": [RESULT, ...]}}   (one RESULT per text, in order)
//
// RESULT: {"state": "<the state>", "value": VALUE}, where VALUE encodes the JavaScript value
// without loss (JSON.stringify alone loses undefined, -0, Infinity and key order):
//   ["u"]                      undefined
//   null, true, false, "..."   themselves
//   ["n", "<String(x)>"]       a number ("-0" for negative zero, "Infinity", "1e+21", ...)
//   ["a", [VALUE, ...]]        an array
//   ["o", [["key", VALUE], ...]]  an object, own keys in JavaScript's order
// Used by tests/protocol/test_partial_json.py.

import { emitJson, logUnhandled, readStdin, routeConsoleToStderr } from './harness_common.mjs';

routeConsoleToStderr();

function encode(value) {
  if (value === undefined) return ['u'];
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return ['n', Object.is(value, -0) ? '-0' : String(value)];
  if (Array.isArray(value)) return ['a', value.map(encode)];
  if (typeof value === 'object') return ['o', Object.keys(value).map((key) => [key, encode(value[key])])];
  throw new Error(`unexpected ${typeof value} in a parsed value`);
}

async function main() {
  logUnhandled('partial_json', { exceptions: true });
  const input = JSON.parse(await readStdin());
  const texts = input.texts.map((text) => (text === null ? undefined : text));
  const results = {};
  for (const release of input.releases) {
    const { parsePartialJson } = await import(`ai-${release}`);
    if (typeof parsePartialJson !== 'function') throw new Error(`ai-${release}: no parsePartialJson export`);
    const out = [];
    for (const text of texts) {
      const { value, state } = await parsePartialJson(text);
      out.push({ state, value: encode(value) });
    }
    results[release] = out;
  }
  await emitJson({ results }, 0);
}

main().catch((err) => {
  console.error('[partial_json] fatal:', err);
  process.exit(2);
});
