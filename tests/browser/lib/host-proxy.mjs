// A forward HTTP proxy on loopback that resolves a few host names to
// 127.0.0.1 and nothing else: how a test points an engine that has no host
// resolver rules of its own (WebKitGTK, through the WebDriver `proxy`
// capability) at a non-loopback origin such as http://camera.test:PORT/
// while every connection still goes to 127.0.0.1. Requests for any other
// host get 502 (no other address is ever used); CONNECT (HTTPS) is refused.
// Responses are piped as they come, so event streams pass unbuffered.
import http from 'node:http';

/**
 * @param {string[]} hosts names to serve (mapped to 127.0.0.1, same port)
 * @returns {Promise<{port:number, requests:string[], close():Promise<void>}>}
 *   `requests`: "METHOD URL" of each request, forwarded or refused
 */
export async function startHostProxy(hosts) {
  const names = new Set(hosts.map((h) => h.toLowerCase()));
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    let target;
    try {
      target = new URL(req.url); // a proxy gets the absolute URL
    } catch {
      res.writeHead(400).end('absolute URL expected\n');
      return;
    }
    if (target.protocol !== 'http:' || !names.has(target.hostname.toLowerCase())) {
      res.writeHead(502).end(`this test proxy only serves ${[...names].join(', ')}\n`);
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    const upstream = http.request({
      host: '127.0.0.1',
      port: target.port || 80,
      method: req.method,
      path: `${target.pathname}${target.search}`,
      headers, // Host stays the name the page asked for
    }, (up) => {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502).end(`${e.message}\n`);
      else res.destroy();
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req, socket) => {
    requests.push(`CONNECT ${req.url}`);
    socket.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}
