// A bare SSE reader for tests that look at the wire without the player.
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
    const decoder = new TextDecoder();
    let buffer = '';
    let current = { event: 'message', id: null, data: [] };
    for await (const bytes of res.body) {
      buffer += decoder.decode(bytes, { stream: true });
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        if (line === '') {
          if (current.data.length > 0) {
            events.push({ event: current.event, id: current.id, data: current.data.join('\n'), at: performance.now() });
            if (stop(events)) return events;
          }
          current = { event: 'message', id: null, data: [] };
        } else if (!line.startsWith(':')) {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'data') current.data.push(value);
          else if (field === 'event') current.event = value;
          else if (field === 'id') current.id = value;
        }
      }
    }
    return events;
  } catch (e) {
    if (e.name === 'AbortError') return events;
    throw e;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}
