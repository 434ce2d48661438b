#!/usr/bin/env node
// object_streams.mjs — replay object stream bodies through experimental_useObject's own path.
//
// stdin:  {"cases": [{"name", "chunksBase64": [...], "schema": <JSON schema>, "versions"?: [...]}]}
// stdout: {"results": {<case>: {<version>: {objects, final: {success, value | error}}}}}
//
// For each release: the body, in the given chunks, goes through a TextDecoderStream; after each
// piece the text so far is given to the release's own parsePartialJson, and a value that is not
// isDeepEqualData to the last one is recorded (what useObject shows: @ai-sdk/react's
// useObject does exactly this, with these functions of `ai`). When the body ends, the last
// value is validated as the hook does — safeValidateTypes of the @ai-sdk/provider-utils the
// release depends on — against the JSON schema of the pydantic model (zod's fromJSONSchema).

import { createRequire } from 'node:module';
import { z } from 'zod';
import {
  INSTALLED,
  emitJson,
  errorText,
  logUnhandled,
  major,
  plain,
  readStdin,
  routeConsoleToStderr,
} from './harness_common.mjs';

routeConsoleToStderr();
logUnhandled('object_streams');

const releases = new Map();

async function load(version) {
  if (!releases.has(version)) {
    const ai = await import(`ai-${version}`);
    // the provider-utils this release resolves (its own nested copy, or the hoisted one)
    const require = createRequire(import.meta.resolve(`ai-${version}`));
    const utils = await import(require.resolve('@ai-sdk/provider-utils'));
    releases.set(version, { ai, utils });
  }
  return releases.get(version);
}

async function replay(version, chunks, schema) {
  const { ai, utils } = await load(version);
  const out = { objects: [], final: null };
  let accumulatedText = '';
  let latestObject = undefined;
  const body = new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  await body.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({
      async write(chunk) {
        accumulatedText += chunk;
        const { value } = await ai.parsePartialJson(accumulatedText);
        if (!ai.isDeepEqualData(latestObject, value)) {
          latestObject = value;
          out.objects.push(plain(value === undefined ? null : value));
        }
      },
      async close() {
        const result = await utils.safeValidateTypes({
          value: latestObject,
          schema: utils.asSchema(ai.zodSchema(z.fromJSONSchema(schema))),
        });
        out.final = result.success
          ? { success: true, value: plain(result.value) }
          : { success: false, error: errorText(result.error) };
      },
    }),
  );
  return out;
}

async function main() {
  const { cases } = JSON.parse(await readStdin());
  const modern = INSTALLED.filter((v) => major(v) >= 5);
  const results = {};
  for (const c of cases) {
    const chunks = c.chunksBase64.map((b) => new Uint8Array(Buffer.from(b, 'base64')));
    results[c.name] = {};
    for (const version of c.versions ?? modern) {
      try {
        results[c.name][version] = await replay(version, chunks, c.schema);
      } catch (err) {
        results[c.name][version] = { exception: errorText(err) };
      }
    }
  }
  await emitJson({ results }, 0);
}

await main();
