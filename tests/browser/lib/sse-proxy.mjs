// An HTTP proxy between the player and the real element that can drop,
// add or cut events: how the tests produce the `gap` and `reset` events and
// the lost connections that the element does not make on demand.
import http from 'node:http';
import { parseEventStream, formatEvent } from './sse-client.mjs';

/**
 * @param {string|((req:http.IncomingMessage)=>string)} upstream the element's
 *   stream URL, or what gives it for a request (e.g. its path and query
 *   on the element: the multiplexed endpoint's `?paths=`)
 * @param {(event:object, connection:{index:number, media:number, state:object}) =>
 *          (object[] | 'cut')} edit  for each upstream event: the events to
 *   send instead (`[event]` passes it on, `[]` drops it), or 'cut' to end the
 *   connection. `media` counts media events of this connection so far,
 *   `index` counts connections, `state` is kept per connection.
 * @param {{retryMs?:number, forwardLastEventId?:boolean}} options retry sent to
 *   the player; forwardLastEventId: the request's Last-Event-ID header goes
 *   upstream (a resume), else each connection joins afresh
 */
export async function startSseProxy(upstream, edit, { retryMs = 200, forwardLastEventId = false } = {}) {
  let connections = 0;
  const server = http.createServer(async (req, res) => {
    // Only event streams (EventSource asks for text/event-stream); anything
    // else, such as the player's poster (<stream>/snapshot.jpg), is not
    // here and is not a connection.
    if (!/text\/event-stream/.test(req.headers.accept ?? '')) {
      res.writeHead(404).end();
      return;
    }
    const controller = new AbortController();
    req.on('close', () => controller.abort());
    const connection = { index: connections++, media: 0, state: {} };
    try {
      const lastId = forwardLastEventId ? req.headers['last-event-id'] : undefined;
      const url = typeof upstream === 'function' ? upstream(req) : upstream;
      const up = await fetch(url, { signal: controller.signal, headers: lastId ? { 'Last-Event-ID': lastId } : {} });
      res.writeHead(up.status, {
        'Content-Type': up.headers.get('content-type') ?? 'text/event-stream',
        'Cache-Control': 'no-cache',
        'Access-Control-Allow-Origin': '*',
      });
      res.write(`retry: ${retryMs}\n\n`);
      await parseEventStream(up.body, (event) => {
        if (event.event === 'message') connection.media++;
        const out = edit(event, connection);
        if (out === 'cut') {
          res.destroy();
          return true;
        }
        for (const e of out) res.write(formatEvent(e));
        return false;
      });
    } catch {
      // upstream or downstream went away
    } finally {
      controller.abort();
      res.end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    port,
    url: `http://127.0.0.1:${port}/stream`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(resolve);
    }),
  };
}
