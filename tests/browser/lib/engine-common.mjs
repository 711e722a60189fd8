// What every engine driver shares: polling a condition in the page, with
// the player's statistics and the last console lines in the error when it
// is not reached.

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
