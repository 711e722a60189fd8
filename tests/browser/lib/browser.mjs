// One way for the tests to drive a browser, whichever engine it is:
//   const browser = await launch();          // engine from SSE_BROWSER
//   await browser.goto(url);
//   await browser.evaluate((arg) => ..., arg); // runs in the page
//   await browser.waitFor('window.ssePlayer?.stats.state === "playing"');
//   await browser.click('[data-action=pause]'); await browser.press('s');
//   await browser.screenshot(file); await browser.logs(); await browser.close();
// Pages that need a script before the player's own get it from the test
// server (lib/static-server.mjs `withInitScript`), which works the same in
// every engine. Drivers: engine-chromium.mjs (playwright-core, DevTools),
// engine-firefox.mjs (puppeteer-core, WebDriver BiDi), engine-webkit.mjs
// (WebKitWebDriver, WebDriver classic, under Xvfb).

export const ENGINES = ['chromium', 'firefox', 'webkit'];

/** The engine under test: SSE_BROWSER=chromium|firefox|webkit (default chromium). */
export const ENGINE = process.env.SSE_BROWSER || 'chromium';
if (!ENGINES.includes(ENGINE)) throw new Error(`SSE_BROWSER=${ENGINE}: expected one of ${ENGINES.join(', ')}`);

/**
 * Starts the engine with a fresh profile. `ignoreHTTPSErrors` accepts the
 * self-signed certificates tests make. `hosts`: names the engine resolves
 * to 127.0.0.1 (and no other address), for pages on a non-loopback origin:
 * Chromium's --host-resolver-rules, Firefox's network.dns.localDomains,
 * WebKitGTK through a loopback proxy (lib/host-proxy.mjs).
 */
export async function launch({ engine = ENGINE, ignoreHTTPSErrors = false, hosts = [] } = {}) {
  const options = { ignoreHTTPSErrors, hosts };
  if (engine === 'firefox') return (await import('./engine-firefox.mjs')).launchFirefox(options);
  if (engine === 'webkit') return (await import('./engine-webkit.mjs')).launchWebKit(options);
  return (await import('./engine-chromium.mjs')).launchChromium(options);
}
