// A client for ssesink-compression built on the `eventsource` npm package
// (web/package.json's devDependencies; it reads the stream with Node's
// fetch, which sends Accept-Encoding: gzip and decodes the body).
// Usage: node sse-eventsource.mjs URL OUT. Writes one line per event to OUT,
// `type<TAB>lastEventId<TAB>data` (ssesink's data has no tabs nor newlines), until `event: eos`, then exits 0; exits 1 when
// the stream fails before it.
import { createRequire } from 'node:module';
import { appendFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const webRequire = createRequire(new URL('../../../web/package.json', import.meta.url));
const { EventSource } = await import(pathToFileURL(webRequire.resolve('eventsource')).href);

const [url, out] = process.argv.slice(2);
writeFileSync(out, '');
const es = new EventSource(url);
const record = (e) => appendFileSync(out, `${e.type}\t${e.lastEventId}\t${e.data}\n`);
es.onmessage = record;
for (const type of ['stream', 'gap', 'reset']) es.addEventListener(type, record);
es.addEventListener('eos', (e) => {
  record(e);
  es.close();
  process.exit(0);
});
es.onerror = (e) => {
  console.error(`sse-eventsource: ${e.message ?? 'error'} (code ${e.code ?? '?'})`);
  es.close();
  process.exit(1);
};
