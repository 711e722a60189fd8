// Bare SSE reading for tests that look at the wire without the player: the
// one text/event-stream parser of the JavaScript tests (webcodecs.test.mjs
// reads events with it, lib/sse-proxy.mjs parses and re-writes them). The
// player itself has none: web/src/sse-source.js leaves parsing to the
// browser's EventSource, which Node 20 lacks and which hides `retry` and the
// raw fields the proxy forwards; so no `eventsource` package either. The C++
// tests and bench share tests/common/sse-parse.h (which also dispatches a
// block without data, e.g. `retry:` alone; this one, as EventSource, does not).

/**
 * Parses a text/event-stream body, calling `onEvent({event, id, data, retry, at})`
 * for each event (`at` is performance.now() when it was complete). Stops when
 * `onEvent` returns true or the body ends.
 */
export async function parseEventStream(body, onEvent) {
  const decoder = new TextDecoder();
  let buffer = '';
  let current = { event: 'message', id: null, data: [], retry: null };
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      if (line === '') {
        if (current.data.length > 0) {
          const event = { ...current, data: current.data.join('\n'), at: performance.now() };
          if (onEvent(event)) return;
        }
        current = { event: 'message', id: null, data: [], retry: null };
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') current.data.push(value);
        else if (field === 'event') current.event = value;
        else if (field === 'id') current.id = value;
        else if (field === 'retry') current.retry = Number(value);
      }
    }
  }
}

/** Writes an event back in text/event-stream form. */
export function formatEvent({ event = 'message', id = null, data }) {
  const lines = [];
  if (event !== 'message') lines.push(`event: ${event}`);
  if (id !== null) lines.push(`id: ${id}`);
  for (const line of String(data).split('\n')) lines.push(`data: ${line}`);
  return `${lines.join('\n')}\n\n`;
}

/**
 * Reads events from `url` until `stop(events)` returns true or `timeout` ms pass.
 * @returns {Promise<Array<{event:string, id:string|null, data:string, at:number}>>}
 */
export async function readEvents(url, stop, timeout = 10000) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  const events = [];
  try {
    const res = await fetch(url, { signal: controller.signal });
    await parseEventStream(res.body, (event) => {
      events.push(event);
      return stop(events);
    });
  } catch (e) {
    if (e.name !== 'AbortError') throw e;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}
