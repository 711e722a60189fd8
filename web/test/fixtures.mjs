// Test fixtures: the MPEG-TS files of tests/fixtures/pipelines.txt, which the
// build makes once (tests/fixtures/meson.build, into build/tests/fixtures)
// and the C++ unit tests read too; nothing binary is committed. Read from
// SSE_FIXTURES_DIR when set, else from the repository's build/. A fixture not
// built there (no build yet, or tests disabled) is made here with the same
// pipeline into a temp dir, once per process (needs gst-launch-1.0 with
// x264enc, x265enc, voaacenc, mpegtsmux).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const builtDir = process.env.SSE_FIXTURES_DIR || path.join(root, 'build', 'tests', 'fixtures');

/** name -> gst-launch-1.0 description, as tests/fixtures/meson.build reads the list. */
function readPipelines() {
  const pipelines = {};
  let name = null;
  for (const line of fs.readFileSync(path.join(root, 'tests', 'fixtures', 'pipelines.txt'), 'utf8').split('\n')) {
    if (name && /^[ \t]/.test(line)) {
      pipelines[name] += ` ${line.trim()}`;
    } else if (line.trim() === '' || line.startsWith('#')) {
      name = null;
    } else {
      const m = /^(\S+):\s+(.*)$/.exec(line.trim());
      if (!m) throw new Error(`tests/fixtures/pipelines.txt: not "NAME: ...": ${line}`);
      [, name] = m;
      pipelines[name] = m[2];
    }
  }
  return pipelines;
}

let tmp = null;
function makeFixture(name) {
  const pipeline = readPipelines()[name];
  if (!pipeline) throw new Error(`no fixture ${name} in tests/fixtures/pipelines.txt`);
  if (!tmp) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gst-sse-web-fixtures-'));
    process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
  }
  const out = path.join(tmp, `${name}.ts`);
  const args = pipeline.replace('location=OUT', `location=${out}`).split(/\s+/);
  execFileSync('gst-launch-1.0', ['-q', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  return out;
}

const cache = new Map();

/** Returns the bytes of a named fixture: the built file, or one made now. */
export function fixture(name) {
  if (!cache.has(name)) {
    const built = path.join(builtDir, `${name}.ts`);
    const file = fs.existsSync(built) ? built : makeFixture(name);
    cache.set(name, new Uint8Array(fs.readFileSync(file)));
  }
  return cache.get(name);
}

/** Splits bytes into pieces of pseudo-random sizes (deterministic). */
export function* randomPieces(bytes, seed = 1, max = 3000) {
  let state = seed;
  let pos = 0;
  while (pos < bytes.length) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    const size = 1 + (state % max);
    yield bytes.subarray(pos, pos + size);
    pos += size;
  }
}
