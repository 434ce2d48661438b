#!/usr/bin/env node
// scan_client_releases.mjs — find out what each published `ai` client release accepts as a UI message chunk.
//
// WHAT IT DOES
//   For the stable releases (X.Y.Z, no prerelease tag) of the majors 5, 6 and 7 of the npm package `ai`, it
//   installs a release into a scratch dir, loads the package's real runtime zod schema `uiMessageChunkSchema`,
//   walks the union (member `type` literal / the `data-*` custom member, keys of each shape, which keys are
//   optional, `finishReason` enum values, strict/loose/strip object mode, a type signature of every field) and
//   then VERIFIES the walk by running the real validation (zod `safeParse` on the captured schema, and the
//   package's own exported `uiMessageChunkSchema.validate` where it is exported) on generated sample chunks:
//   the minimal chunk of each member, the minimal chunk plus each optional field, plus an unknown key, plus
//   the hand-written samples in HAND_SAMPLES below.
//
//   It does not install every release. It probes the first and last release of each major and every
//   `--step`-th release in between (plus the changelog-picked releases in EXTRA_PROBES), then bisects between two probed neighbours whose full schema signature
//   differs until the change is pinned to two adjacent releases. (Assumption: nothing changes and changes back
//   between two probed releases whose signatures are equal; --step keeps that window small.)
//
//   How the schema is reached: old releases do not export `uiMessageChunkSchema`, newer ones export it wrapped
//   in `lazySchema(() => zodSchema(z.union([...])))`, which hides the zod object in a closure. So a Node module
//   loader hook patches zod's core `$ZodUnion` constructor (in memory, only for the probe process) to record
//   every union created; the probe imports `ai` (and calls the lazy export, if any) and picks the union whose
//   members are the UI message chunks (it has `text-start`, `start-step` and `finish` members).
//
// HOW TO RUN (not run in CI; needs Node >= 20.6 and the npm registry)
//   node scripts/scan_client_releases.mjs                      # scan, write the two outputs below
//   node scripts/scan_client_releases.mjs --step 10 --scratch /tmp/scan --keep
//   options:
//     --scratch DIR   scratch dir outside the repo (default /tmp/scan). Probe results are cached in
//                     DIR/results/<version>.json; delete that folder to re-probe.
//     --step N        probe every N-th stable release before bisecting (default 10)
//     --majors 5,6,7  majors to scan
//     --zod VERSION   zod installed next to `ai` (peer dependency; default 4.6.7)
//     --keep          keep the installed node_modules (default: removed after probing, ~20 MB each)
//     --py FILE       generated data module (default src/ai_stream/protocol/_client_releases.py)
//     --md FILE       human-readable summary (default scripts/CLIENT_RELEASES.md)
//     --extra V,V     also probe these versions
//   The run takes ~10 minutes for ~200 probes (about 2 s of `npm install` each, with a warm npm cache).

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------------------------------------
// Probe-side code (written into each scratch install dir).
// ---------------------------------------------------------------------------------------------------------

const HOOKS_SRC = String.raw`
// module hooks: record every zod v4 union that gets constructed
export async function load(url, context, nextLoad) {
  const r = await nextLoad(url, context);
  if (/\/zod\/(v4\/core|src\/v4\/core)\/schemas\.js$/.test(url) && r.source != null) {
    const src = String(r.source);
    const needle = 'core.$constructor("$ZodUnion", (inst, def) => {';
    if (!src.includes(needle)) throw new Error('scan hook: $ZodUnion constructor not found in ' + url);
    return { ...r, source: src.replace(needle, needle + ' (globalThis.__scanZodUnions ??= []).push(inst);') };
  }
  return r;
}
`;

const REGISTER_SRC = String.raw`
import { register } from 'node:module';
register('./scan-hooks.mjs', import.meta.url);
`;

const PROBE_SRC = String.raw`
import * as core from 'zod/v4/core';
import fs from 'node:fs';

const HAND_SAMPLES = __HAND_SAMPLES__;

const out = { version: JSON.parse(fs.readFileSync(new URL('./node_modules/ai/package.json', import.meta.url))).version,
  zod: JSON.parse(fs.readFileSync(new URL('./node_modules/zod/package.json', import.meta.url))).version,
  warnings: [] };
const ai = await import('ai');
let captured = [...(globalThis.__scanZodUnions ?? [])];
out.exported = 'uiMessageChunkSchema' in ai;
let exported = ai.uiMessageChunkSchema;
if (typeof exported === 'function') { // lazySchema / lazyValidator
  const before = (globalThis.__scanZodUnions ?? []).length;
  exported = exported();
  captured = captured.concat((globalThis.__scanZodUnions ?? []).slice(before));
  out.exportKind = 'lazy';
} else if (exported && exported._zod) {
  out.exportKind = 'zod';
} else if (exported) {
  out.exportKind = typeof exported;
}

const D = (s) => s._zod.def;
const typeOfMember = (m) => {
  const t = D(m).shape?.type; if (!t) return null;
  const d = D(t);
  if (d.type === 'literal') return d.values.length === 1 ? String(d.values[0]) : null;
  // the data member: z.string().startsWith('data-') in early v5, z.custom(...) later
  const ok = core.safeParse(t, 'data-x').success && !core.safeParse(t, 'x').success && !core.safeParse(t, 'text-start').success;
  return ok ? 'data-*' : null;
};
const isChunkUnion = (u) => {
  if (D(u).type !== 'union') return false;
  const ts = new Set(D(u).options.filter((o) => D(o).type === 'object').map(typeOfMember));
  return ts.has('text-start') && ts.has('start-step') && ts.has('finish');
};
let cands = captured.filter(isChunkUnion);

// signature of a schema, for diffing between releases
function sig(s, stack = []) {
  if (stack.includes(s)) return '<recursive>';
  const st = [...stack, s];
  const d = D(s);
  const checks = (d.checks ?? []).map((c) => {
    const cd = c._zod.def; return cd.check + (cd.prefix != null ? '(' + JSON.stringify(cd.prefix) + ')' : cd.value != null ? '(' + cd.value + ')' : cd.minimum != null ? '(' + cd.minimum + ')' : '');
  });
  const ck = checks.length ? '[' + checks.join(',') + ']' : '';
  switch (d.type) {
    case 'optional': return sig(d.innerType, st) + '?';
    case 'nullable': return sig(d.innerType, st) + '|null';
    case 'literal': return d.values.map((v) => JSON.stringify(v)).join('|');
    case 'enum': return 'enum(' + Object.values(d.entries).join('|') + ')';
    case 'array': return 'array<' + sig(d.element, st) + '>' + ck;
    case 'record': return 'record<' + sig(d.keyType, st) + ',' + sig(d.valueType, st) + '>';
    case 'union': return 'union(' + d.options.map((o) => sig(o, st)).join(' | ') + ')';
    case 'lazy': return sig(d.getter(), st);
    case 'pipe': return sig(d.in, st) + '>>' + sig(d.out, st);
    case 'object': {
      const shape = d.shape;
      const mode = objMode(s);
      return '{' + Object.keys(shape).map((k) => k + ':' + sig(shape[k], st)).join(',') + '}' + (mode === 'strip' ? '' : '/' + mode);
    }
    default: return d.type + ck;
  }
}
function objMode(s) {
  const c = D(s).catchall;
  if (c == null) return 'strip';
  const t = D(c).type;
  return t === 'never' ? 'strict' : t === 'unknown' || t === 'any' ? 'loose' : 'catchall:' + t;
}
// a value the schema accepts (best effort)
function sample(s, stack = []) {
  if (stack.includes(s)) return null;
  const st = [...stack, s];
  const d = D(s);
  switch (d.type) {
    case 'string': {
      const pre = (d.checks ?? []).map((c) => c._zod.def).find((c) => c.prefix != null);
      return pre ? pre.prefix + 'x' : 'x';
    }
    case 'number': case 'int': return 1;
    case 'boolean': return true;
    case 'unknown': case 'any': case 'null': return null;
    case 'literal': return d.values[0];
    case 'enum': return Object.values(d.entries)[0];
    case 'optional': case 'nullable': case 'default': case 'prefault': return sample(d.innerType, st);
    case 'array': return [sample(d.element, st)];
    case 'record': return {};
    case 'union': return sample(d.options[0], st);
    case 'lazy': return sample(d.getter(), st);
    case 'pipe': return sample(d.in, st);
    case 'custom': return 'data-x';
    case 'object': {
      const o = {};
      for (const [k, v] of Object.entries(d.shape)) if (v._zod.optin !== 'optional') o[k] = sample(v, st);
      return o;
    }
    default: return null;
  }
}

const sigs = [...new Set(cands.map((u) => sig(u)))];
if (sigs.length !== 1) {
  console.log(JSON.stringify({ ...out, error: 'expected exactly one chunk union signature, found ' + sigs.length }));
  process.exit(2);
}
const U = cands[cands.length - 1];
out.unionCandidates = cands.length;

// the package's own exported schema, as a second validation path
let exportedValidate = null;
if (out.exportKind === 'lazy' && exported && typeof exported.validate === 'function') {
  exportedValidate = (value) => exported.validate(value); // provider-utils Schema: { success, value | error }
} else if (out.exportKind === 'zod') {
  out.exportedIsCaptured = cands.includes(exported);
  exportedValidate = (value) => ({ success: core.safeParse(exported, value).success });
}
async function check(value) {
  const z = core.safeParse(U, value).success;
  let a = null;
  if (exportedValidate) {
    const r = await exportedValidate(value);
    a = !!r.success;
    if (a !== z) out.warnings.push('exported validate disagrees with zod safeParse on ' + JSON.stringify(value));
  }
  return z;
}

out.members = [];
for (const m of D(U).options) {
  const d = D(m);
  if (d.type !== 'object') { out.warnings.push('non-object union member: ' + d.type); continue; }
  const type = typeOfMember(m);
  if (type === null) out.warnings.push('member with unrecognised type schema: ' + sig(m));
  const shape = d.shape;
  const fields = {};
  for (const [k, v] of Object.entries(shape)) {
    if (k === 'type') continue;
    fields[k] = { optional: v._zod.optin === 'optional', sig: sig(v) };
  }
  const mem = { type, mode: objMode(m), fields };
  if (shape.finishReason) {
    let f = shape.finishReason; while (D(f).type === 'optional') f = D(f).innerType;
    if (D(f).type === 'enum') mem.finishReason = Object.values(D(f).entries);
  }
  // verification by validation
  const base = sample(m);
  const v = { minimal: await check(base), optional: {}, unknownKey: await check({ ...base, zzUnknownKey: 1 }) };
  for (const [k, f] of Object.entries(fields)) {
    if (f.optional) v.optional[k] = await check({ ...base, [k]: sample(shape[k]) });
    else {
      const copy = { ...base }; delete copy[k];
      v.required = v.required ?? {}; v.required[k] = !(await check(copy)); // true = missing key is rejected
    }
  }
  if (mem.finishReason) {
    v.finishReason = {};
    for (const r of [...mem.finishReason, 'unknown', 'interrupted', 'done']) v.finishReason[r] = await check({ ...base, finishReason: r });
  }
  mem.verified = v;
  if (!v.minimal) out.warnings.push(type + ': minimal sample rejected ' + JSON.stringify(base));
  for (const [k, ok] of Object.entries(v.optional)) if (!ok) out.warnings.push(type + '.' + k + ': sample rejected');
  for (const [k, ok] of Object.entries(v.required ?? {})) if (!ok) out.warnings.push(type + '.' + k + ': required but missing key accepted');
  if (v.unknownKey !== (mem.mode !== 'strict')) out.warnings.push(type + ': unknown-key result ' + v.unknownKey + ' contradicts mode ' + mem.mode);
  out.members.push(mem);
}
out.hand = {};
for (const [name, value] of Object.entries(HAND_SAMPLES)) out.hand[name] = await check(value);
out.signature = sig(U);
console.log(JSON.stringify(out));
`;

// Hand-written samples validated against every probed release (true = accepted).
const HAND_SAMPLES = {
  'finish{finishReason:stop}': { type: 'finish', finishReason: 'stop' },
  'finish{finishReason:unknown}': { type: 'finish', finishReason: 'unknown' },
  'finish{finishReason:interrupted}': { type: 'finish', finishReason: 'interrupted' },
  'finish{}': { type: 'finish' },
  'abort{reason:x}': { type: 'abort', reason: 'x' },
  'abort{}': { type: 'abort' },
  'text-start{id,extra:1}': { type: 'text-start', id: 'a', extra: 1 },
  'start{messageId:null}': { type: 'start', messageId: null },
  'tool-input-error{...}': { type: 'tool-input-error', toolCallId: 'c', toolName: 't', input: {}, errorText: 'e' },
  'reasoning{text}': { type: 'reasoning', text: 'r' },
  'reasoning-part-finish{}': { type: 'reasoning-part-finish' },
  'data-x{data:1}': { type: 'data-x', data: 1 },
  'data-x{}': { type: 'data-x' },
  'text{}': { type: 'text' },
};

// Hand-kept notes (surprises found by the scan) copied into CLIENT_RELEASES.md.
const NOTES = `
* **No minor releases besides X.0**: every stable release of the majors 5, 6 and 7 is 5.0.z, 6.0.z or 7.0.z. Some patch
  numbers were never published as stable (e.g. 7.0.80 and 7.0.81), so "adjacent" above means adjacent in the published list.
* **Required fields never changed** between releases of a major (no field went required <-> optional); only optional fields,
  chunk types, the finishReason enum and the object mode changed.
* **Strict -> loose happened once per major, for all members at once**: 5.0.216 -> 5.0.217, 6.0.230 -> 6.0.231,
  7.0.31 -> 7.0.32 (changelog: "Allow UI message chunks to include fields added by newer server versions."). Before that
  every member is \`z.strictObject\` (unknown keys rejected), after it \`z.looseObject\`. No release used strip mode.
* **ai 6.0.40 alone** accepts an optional \`usage\` object on \`finish\` (a strict object of token counts). It was added in
  6.0.40 ("Add usage information to onFinish callback in useChat") and reverted in 6.0.41. Never send it.
* **The data member changed representation at 5.0.52**: 5.0.0-5.0.51 use \`type: z.string().startsWith('data-')\`, 5.0.52+
  use \`z.custom\` with the same check. Both accept exactly the strings starting with \`data-\`. The same release (changelog
  5.0.52: "update uiMessageChunkSchema to satisfy the UIMessageChunk type") removed the \`reasoning\` (\`text\`,
  \`providerMetadata?\`) and \`reasoning-part-finish\` chunk types.
* **5.0.253** changed the JSON-value schema inside \`providerMetadata\`: values of nested objects became optional
  (\`record<string, JSONValue | undefined>\`). No effect on JSON on the wire.
* \`uiMessageChunkSchema\` is exported by \`ai\` only from 5.0.51 on (as a plain zod schema until about 5.0.61, wrapped in
  \`lazySchema(() => zodSchema(...))\` later); for older releases the scanner captures the union through the zod hook.
* ai 5.0.132 pins \`@ai-sdk/gateway@2.0.38\`, which is not on the registry; it was installed with gateway 2.0.37 (the gateway
  takes no part in the chunk schema).
* Against \`shared/reference/protocol.md\` section 2.4: the strict/loose boundaries, "5.0.0-5.0.91 no finishReason",
  "5.0.0-5.0.6 no tool-input-error", "reasoning / reasoning-part-finish in 5.0.0-5.0.51" and the 7.0.0 list all hold, but the
  lists are incomplete: 6.0.0 also lacks \`toolMetadata\` on tool-input-available / tool-input-error / tool-output-available /
  tool-output-error (6.0.176), \`providerMetadata\` on tool-output-available / tool-output-error (6.0.120) and
  tool-approval-request \`signature\` (6.0.202), \`approvalDescriptor\` (6.0.274), \`inputSchemaInput\` (6.0.290); 6.0.0 lacks
  tool-input-start \`providerMetadata\` until 6.0.39, \`toolMetadata\` until 6.0.176, \`inputEncoding\` until 6.0.308, and
  \`abort.reason\` until 6.0.15; 7.0.0 also lacks \`tool-input-start.inputEncoding\` (7.0.142) and \`finishReason: "interrupted"\`
  (7.0.149); 5.0.0-5.0.10 lack \`tool-output-available.preliminary\` (5.0.11).
`;

// Releases probed in addition to the --step grid: those whose CHANGELOG entry mentions chunks, UI message streams,
// tool approval/metadata, finish reasons or a revert (from the CHANGELOG.md of 5.0.277, 6.0.326 and 7.0.173).
const EXTRA_PROBES = [
  '5.0.13', '5.0.56', '5.0.105', '5.0.198', '5.0.200', '5.0.234', '5.0.241', '5.0.249', '5.0.270',
  '6.0.3', '6.0.13', '6.0.24', '6.0.33', '6.0.35', '6.0.43', '6.0.173', '6.0.189', '6.0.199', '6.0.203', '6.0.208',
  '6.0.221', '6.0.253', '6.0.270', '6.0.296', '6.0.297', '6.0.313',
  '7.0.5', '7.0.16', '7.0.19', '7.0.36', '7.0.93', '7.0.120', '7.0.123', '7.0.126', '7.0.128', '7.0.132', '7.0.135',
  '7.0.154', '7.0.160', '7.0.168', '7.0.171',
];

// ---------------------------------------------------------------------------------------------------------
// Driver
// ---------------------------------------------------------------------------------------------------------

function parseArgs(argv) {
  const a = { scratch: '/tmp/scan', step: 10, majors: [5, 6, 7], zod: '4.6.7', keep: false,
    py: path.join(REPO, 'src/ai_stream/protocol/_client_releases.py'), md: path.join(REPO, 'scripts/CLIENT_RELEASES.md'), extra: [] };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--keep') a.keep = true;
    else if (k === '--scratch') a.scratch = argv[++i];
    else if (k === '--step') a.step = Number(argv[++i]);
    else if (k === '--majors') a.majors = argv[++i].split(',').map(Number);
    else if (k === '--zod') a.zod = argv[++i];
    else if (k === '--py') a.py = argv[++i];
    else if (k === '--md') a.md = argv[++i];
    else if (k === '--extra') a.extra = argv[++i].split(',');
    else throw new Error('unknown argument ' + k);
  }
  return a;
}
const args = parseArgs(process.argv);
const RESULTS = path.join(args.scratch, 'results');
fs.mkdirSync(RESULTS, { recursive: true });

const cmp = (a, b) => { const x = a.split('.').map(Number), y = b.split('.').map(Number); return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; };
const allVersions = JSON.parse(execFileSync('npm', ['view', 'ai', 'versions', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
const stable = allVersions.filter((v) => /^\d+\.\d+\.\d+$/.test(v)).sort(cmp);

const installedThisRun = [];
function probe(version) {
  const cache = path.join(RESULTS, version + '.json');
  if (fs.existsSync(cache)) return JSON.parse(fs.readFileSync(cache, 'utf8'));
  const dir = path.join(args.scratch, 'ai-' + version);
  fs.mkdirSync(dir, { recursive: true });
  // Some releases pin a dependency version that was never published or was unpublished (e.g. ai@5.0.132 pins
  // @ai-sdk/gateway@2.0.38). Such a pin is replaced, through npm `overrides`, by the nearest published version of the
  // same major (the gateway/provider packages do not take part in the chunk schema); the substitution is recorded.
  const overrides = {};
  for (let attempt = 0; !fs.existsSync(path.join(dir, 'node_modules/ai/package.json')); attempt++) {
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'scan-' + version, version: '1.0.0', private: true, overrides }));
    const r = spawnSync('npm', ['install', '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund',
      'ai@' + version, 'zod@' + args.zod], { cwd: dir, encoding: 'utf8' });
    if (r.status === 0) break;
    const miss = /No matching version found for (@?[^@\s]+)@(\d+)\.(\d+)\.(\d+)\./.exec(r.stderr);
    if (!miss || attempt >= 5 || miss[1] === 'ai') throw new Error('npm install ai@' + version + ' failed:\n' + r.stderr);
    const [, pkg, M, mi, pa] = miss;
    const avail = JSON.parse(execFileSync('npm', ['view', pkg, 'versions', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))
      .filter((v) => /^\d+\.\d+\.\d+$/.test(v) && v.split('.')[0] === M);
    const want = `${M}.${mi}.${pa}`;
    const below = avail.filter((v) => cmp(v, want) < 0).sort(cmp).at(-1);
    const above = avail.filter((v) => cmp(v, want) > 0).sort(cmp)[0];
    const pick = below ?? above;
    if (!pick) throw new Error('no substitute for ' + pkg + '@' + want);
    overrides[pkg] = pick;
    process.stderr.write(`ai@${version}: ${pkg}@${want} is not published; overriding with ${pick}\n`);
  }
  installedThisRun.push(version);
  fs.writeFileSync(path.join(dir, 'scan-hooks.mjs'), HOOKS_SRC);
  fs.writeFileSync(path.join(dir, 'scan-register.mjs'), REGISTER_SRC);
  fs.writeFileSync(path.join(dir, 'scan-probe.mjs'), PROBE_SRC.replace('__HAND_SAMPLES__', JSON.stringify(HAND_SAMPLES)));
  const r = spawnSync(process.execPath, ['--import', './scan-register.mjs', 'scan-probe.mjs'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error('probe of ai@' + version + ' failed:\n' + r.stdout + r.stderr);
  const res = JSON.parse(r.stdout);
  if (Object.keys(overrides).length) res.overrides = overrides;
  fs.writeFileSync(cache, JSON.stringify(res, null, 1));
  if (!args.keep) fs.rmSync(dir, { recursive: true, force: true });
  process.stderr.write(`probed ai@${version}: ${res.members.length} members, ${res.warnings.length} warnings\n`);
  return res;
}

// Features of one probed release.
function features(res) {
  const f = new Set();
  const modes = new Set(res.members.map((m) => m.mode));
  if (modes.size === 1 && modes.has('loose')) f.add('loose');
  for (const m of res.members) {
    f.add('chunk:' + m.type);
    for (const [k, fd] of Object.entries(m.fields)) if (fd.optional) f.add('field:' + m.type + '.' + k);
    for (const r of m.finishReason ?? []) f.add('finishReason:' + r);
  }
  return f;
}
const requiredOf = (res) => Object.fromEntries(res.members.map((m) => [m.type, Object.keys(m.fields).filter((k) => !m.fields[k].optional)]));

const report = { majors: {}, minors: {} };
for (const major of args.majors) {
  const vs = stable.filter((v) => Number(v.split('.')[0]) === major);
  report.minors[major] = [...new Set(vs.map((v) => v.split('.').slice(0, 2).join('.')))];
  const probed = new Map();
  const get = (i) => { if (!probed.has(i)) probed.set(i, probe(vs[i])); return probed.get(i); };
  const idx = new Set([0, vs.length - 1]);
  for (let i = 0; i < vs.length; i += args.step) idx.add(i);
  for (const e of [...EXTRA_PROBES, ...args.extra]) { const i = vs.indexOf(e); if (i >= 0) idx.add(i); }
  const sorted = [...idx].sort((a, b) => a - b);
  for (const i of sorted) get(i);
  const refine = (i, j) => {
    if (j - i <= 1 || get(i).signature === get(j).signature) return;
    const m = (i + j) >> 1; get(m); refine(i, m); refine(m, j);
  };
  for (let k = 0; k + 1 < sorted.length; k++) refine(sorted[k], sorted[k + 1]);
  const order = [...probed.keys()].sort((a, b) => a - b);
  const rows = order.map((i) => ({ version: vs[i], res: probed.get(i), feats: features(probed.get(i)) }));
  // feature runs
  const allFeats = [...new Set(rows.flatMap((r) => [...r.feats]))];
  const runs = [];
  for (const feat of allFeats) {
    let start = null;
    rows.forEach((r, k) => {
      const has = r.feats.has(feat);
      if (has && start === null) start = r.version;
      if (!has && start !== null) { runs.push([feat, start, rows[k - 1].version]); start = null; }
    });
    if (start !== null) runs.push([feat, start, null]);
  }
  // changes at each boundary (adjacent probed releases with different signatures)
  const changes = [];
  for (let k = 1; k < rows.length; k++) {
    const a = rows[k - 1], b = rows[k];
    if (a.res.signature === b.res.signature) continue;
    const ch = { from: a.version, to: b.version, adjacent: order[k] - order[k - 1] === 1, added: [], removed: [], required: [], retyped: [], modes: [] };
    for (const x of b.feats) if (!a.feats.has(x)) ch.added.push(x);
    for (const x of a.feats) if (!b.feats.has(x)) ch.removed.push(x);
    const ra = requiredOf(a.res), rb = requiredOf(b.res);
    for (const t of Object.keys(rb)) if (ra[t]) {
      for (const k2 of rb[t]) if (!ra[t].includes(k2)) ch.required.push(`${t}.${k2} became required`);
      for (const k2 of ra[t]) if (!rb[t].includes(k2)) ch.required.push(`${t}.${k2} no longer required`);
    }
    const ma = Object.fromEntries(a.res.members.map((m) => [m.type, m])), mb = Object.fromEntries(b.res.members.map((m) => [m.type, m]));
    for (const t of Object.keys(mb)) if (ma[t]) {
      if (ma[t].mode !== mb[t].mode) ch.modes.push(`${t}: ${ma[t].mode} -> ${mb[t].mode}`);
      for (const k2 of Object.keys(mb[t].fields)) if (ma[t].fields[k2] && ma[t].fields[k2].sig !== mb[t].fields[k2].sig)
        ch.retyped.push(`${t}.${k2}: ${ma[t].fields[k2].sig}  ->  ${mb[t].fields[k2].sig}`);
    }
    changes.push(ch);
  }
  report.majors[major] = { versions: vs, rows, runs, changes };
}

// ---------------------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------------------

const featOrder = (f) => (f === 'loose' ? '3' : f.startsWith('chunk:') ? '0' : f.startsWith('field:') ? '1' : '2') + f;
const py = [];
py.push('"""What each published `ai` client release accepts (generated by scripts/scan_client_releases.mjs; do not edit)."""');
py.push('');
py.push('from __future__ import annotations');
py.push('');
py.push('from typing import Final');
py.push('');
py.push('# Source: the runtime zod `uiMessageChunkSchema` of the real npm releases, walked and checked with safeParse.');
py.push('# Stable releases (X.Y.Z) per major; minors seen: ' + args.majors.map((m) => m + ': ' + report.minors[m].join(', ')).join('; ') + '.');
py.push('# Probed releases per major: ' + args.majors.map((m) => m + ': ' + report.majors[m].rows.length + ' of ' + report.majors[m].versions.length).join(', ') + '.');
py.push('');
py.push('LATEST: Final[dict[int, str]] = {' + args.majors.map((m) => `${m}: "${report.majors[m].versions.at(-1)}"`).join(', ') + '}');
py.push('FIRST: Final[dict[int, str]] = {' + args.majors.map((m) => `${m}: "${report.majors[m].versions[0]}"`).join(', ') + '}');
py.push('');
const reqNotes = [];
for (const m of args.majors) for (const c of report.majors[m].changes) for (const r of c.required) reqNotes.push(`${m}: ${c.from} -> ${c.to}: ${r}`);
py.push('# Required fields that changed between releases (required <-> optional, or added/removed as required):');
if (reqNotes.length === 0) py.push('#   none');
for (const n of reqNotes) py.push('#   ' + n);
py.push('#');
py.push('# Each entry: (feature, first release that has it, last release that has it or None if still present), per major.');
py.push('# A feature can have several entries if it disappeared and came back.');
py.push('#   "chunk:<type>"          a chunk type; the data member is "chunk:data-*"');
py.push('#   "field:<type>.<field>"  an optional field of that chunk');
py.push('#   "finishReason:<value>"  a value of the finishReason enum');
py.push('#   "loose"                 the chunk objects accept unknown keys (otherwise they are strict)');
py.push('FEATURES: Final[dict[int, tuple[tuple[str, str, str | None], ...]]] = {');
for (const m of args.majors) {
  py.push(`    ${m}: (`);
  const runs = [...report.majors[m].runs].sort((a, b) => featOrder(a[0]).localeCompare(featOrder(b[0])) || cmp(a[1], b[1]));
  for (const [f, s, u] of runs) py.push(`        ("${f}", "${s}", ${u === null ? 'None' : '"' + u + '"'}),`);
  py.push('    ),');
}
py.push('}');
fs.mkdirSync(path.dirname(args.py), { recursive: true });
fs.writeFileSync(args.py, py.join('\n') + '\n');

const md = [];
md.push('# `ai` client releases: what `uiMessageChunkSchema` accepts');
md.push('');
md.push('Generated by `node scripts/scan_client_releases.mjs` (do not edit by hand; re-run the scanner). The data module is');
md.push('`src/ai_stream/protocol/_client_releases.py`.');
md.push('');
md.push('Method: each probed release was installed from npm into a scratch dir (`npm install --ignore-scripts ai@X.Y.Z zod@' + args.zod + '`),');
md.push('its runtime zod schema was captured (module hook on zod\'s `$ZodUnion` constructor) and walked, and every member was checked');
md.push('with real validation (zod `safeParse`, and the package\'s own exported `uiMessageChunkSchema().validate` where exported):');
md.push('the minimal chunk, the minimal chunk plus each optional field, minus each required field, and plus an unknown key.');
md.push('Probed: first, last and every ' + args.step + 'th stable release of each major, then bisection between probed neighbours with');
md.push('different schema signatures until each change sits between two adjacent releases.');
md.push('');
md.push('## Releases');
md.push('');
md.push('| major | stable releases | first | latest | minors | probed |');
md.push('|---|---|---|---|---|---|');
for (const m of args.majors) {
  const r = report.majors[m];
  md.push(`| ${m} | ${r.versions.length} | ${r.versions[0]} | ${r.versions.at(-1)} | ${report.minors[m].join(', ')} | ${r.rows.length} |`);
}
md.push('');
md.push('## Boundaries');
md.push('');
md.push('Features present in every release of a major are listed with since = first release and until = — (still present).');
md.push('');
for (const m of args.majors) {
  md.push(`### ai ${m}`);
  md.push('');
  md.push('| feature | since | until |');
  md.push('|---|---|---|');
  const runs = [...report.majors[m].runs].sort((a, b) => featOrder(a[0]).localeCompare(featOrder(b[0])) || cmp(a[1], b[1]));
  const first = report.majors[m].versions[0];
  for (const [f, s, u] of runs) {
    const notable = s !== first || u !== null;
    md.push(`| ${notable ? '**' + f + '**' : f} | ${s} | ${u ?? '—'} |`);
  }
  md.push('');
  md.push(`Schema changes between probed neighbours (ai ${m}):`);
  md.push('');
  for (const c of report.majors[m].changes) {
    md.push(`* ${c.from} → ${c.to}${c.adjacent ? '' : ' (NOT adjacent)'}:`);
    for (const x of c.added) md.push(`  * added \`${x}\``);
    for (const x of c.removed) md.push(`  * removed \`${x}\``);
    for (const x of c.required) md.push(`  * required: ${x}`);
    const modeSet = new Set(c.modes.map((x) => x.replace(/^[^:]*: /, '')));
    if (c.modes.length > 1 && modeSet.size === 1) md.push(`  * object mode of all ${c.modes.length} members: ${[...modeSet][0]}`);
    else for (const x of c.modes) md.push(`  * object mode: ${x}`);
    for (const x of c.retyped) md.push(`  * type: \`${x}\``);
  }
  md.push('');
  // hand-written sample results across the probed releases, run-length encoded
  md.push(`Hand-written samples validated against the probed releases (ai ${m}; ✓ accepted, ✗ rejected):`);
  md.push('');
  md.push('| sample | results |');
  md.push('|---|---|');
  for (const name of Object.keys(HAND_SAMPLES)) {
    const rows = report.majors[m].rows;
    const segs = []; let cur = null;
    for (const r of rows) {
      const v = r.res.hand[name];
      if (!cur || cur.v !== v) { cur = { v, from: r.version, to: r.version }; segs.push(cur); } else cur.to = r.version;
    }
    md.push(`| \`${JSON.stringify(HAND_SAMPLES[name])}\` | ${segs.map((s) => `${s.from}–${s.to} ${s.v ? '✓' : '✗'}`).join('; ')} |`);
  }
  md.push('');
}
md.push('## Probed (installed) releases');
md.push('');
for (const m of args.majors) md.push(`* ai ${m} (${report.majors[m].rows.length}): ${report.majors[m].rows.map((r) => r.version).join(', ')}`);
md.push('');
const warn = [];
for (const m of args.majors) for (const r of report.majors[m].rows) for (const w of r.res.warnings) warn.push(`${r.version}: ${w}`);
const subs = [];
for (const m of args.majors) for (const r of report.majors[m].rows) if (r.res.overrides) subs.push(`${r.version}: ${Object.entries(r.res.overrides).map(([k, v]) => k + ' → ' + v).join(', ')}`);
md.push('Unpublished pinned dependencies replaced with the nearest published version (npm `overrides`):');
md.push('');
md.push(subs.length ? subs.map((w) => '* ' + w).join('\n') : 'none');
md.push('');
md.push('## Probe warnings');
md.push('');
md.push(warn.length ? warn.map((w) => '* ' + w).join('\n') : 'None: every walked field was confirmed by validation.');
md.push('');
md.push('## Notes');
md.push('');
md.push('__NOTES__');
md.push('');
fs.writeFileSync(args.md, md.join('\n').replace('__NOTES__', NOTES.trim()) + '\n');
fs.writeFileSync(path.join(args.scratch, 'report.json'), JSON.stringify(report, (k, v) => (v instanceof Set ? [...v] : v), 1));
process.stderr.write(`done: ${installedThisRun.length} releases installed this run; wrote ${args.py} and ${args.md}\n`);
