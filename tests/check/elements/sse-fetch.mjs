// A Node client for ssesink-compression: fetch() (undici) sends
// Accept-Encoding: gzip, deflate and decodes the body as a browser does.
// Usage: node sse-fetch.mjs URL OUT [Last-Event-ID]. Writes the decoded body
// to OUT and the response's status and Content-Encoding to OUT.h; exits at
// the end of the body (event: eos closes it), 1 on an error.
import { writeFileSync, appendFileSync } from 'node:fs';

const [url, out, lastId] = process.argv.slice(2);
const headers = lastId ? { 'Last-Event-ID': lastId } : {};
try {
  const res = await fetch(url, { headers });
  writeFileSync(out + '.h', `status: ${res.status}\ncontent-encoding: ${res.headers.get('content-encoding') ?? ''}\n`);
  writeFileSync(out, '');
  const decoder = new TextDecoder();
  for await (const chunk of res.body) appendFileSync(out, decoder.decode(chunk, { stream: true }));
} catch (e) {
  console.error(`sse-fetch: ${e.message}${e.cause ? ': ' + e.cause.message : ''}`);
  process.exit(1);
}
