// What every engine driver shares: polling a condition in the page, with
// the player's statistics and the last console lines in the error when it
// is not reached; and the driver for a Playwright or Puppeteer page, whose
// APIs are the same for what the tests use.

/**
 * Completes an engine driver. `impl` has evaluate(fn, arg), goto(url),
 * click(selector), press(key), screenshot(file), logs() and close().
 */
export function engineHooks(engine, impl) {
  const browser = {
    engine,
    ...impl,
    /**
     * Polls the JavaScript expression `source` in the page every 100 ms
     * until it is truthy; resolves to its value.
     */
    async waitFor(source, timeout = 20000) {
      const check = new Function(`return (${source});`);
      const deadline = performance.now() + timeout;
      let lastError = null;
      for (;;) {
        try {
          const value = await impl.evaluate(check);
          if (value) return value;
          lastError = null;
        } catch (e) {
          lastError = e; // e.g. the page is navigating
        }
        if (performance.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const stats = await impl.evaluate(() => window.ssePlayer?.stats ?? null).catch(() => null);
      const logs = (await impl.logs().catch(() => [])).slice(-10);
      throw new Error(`${engine}: ${source} not reached in ${timeout} ms` +
        `${lastError ? ` (last error: ${lastError.message})` : ''}; stats: ${JSON.stringify(stats)}; ` +
        `console: ${JSON.stringify(logs)}`);
    },
  };
  return browser;
}

/**
 * The driver of a Playwright (Chromium) or Puppeteer (Firefox) `page`: the
 * two libraries spell these calls alike. `close` ends the browser;
 * `newPage` opens another tab (hidePage() puts one in front of the page,
 * as a user hides a tab; showPage() closes it and brings the page back).
 */
export function pageDriver(engine, page, close, newPage = null) {
  const logs = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  return engineHooks(engine, {
    evaluate: (fn, arg) => page.evaluate(fn, arg),
    goto: (url) => page.goto(url),
    click: (selector) => page.click(selector),
    press: (key) => page.keyboard.press(key),
    screenshot: (file) => page.screenshot({ path: file }),
    logs: async () => logs.slice(),
    async hidePage() {
      if (!newPage) throw new Error(`${engine}: no second tab to hide the page behind`);
      this.cover = await newPage();
      await this.cover.bringToFront();
    },
    async showPage() {
      await this.cover?.close();
      this.cover = null;
      await page.bringToFront();
    },
    close,
  });
}
