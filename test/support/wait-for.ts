/**
 * Polling for end-to-end tests: waits until `check` returns a truthy value, and on time-out
 * fails with what was awaited, the state at the end and the browser's last console lines.
 */
export type WaitFor = <T>(what: string, ms: number, check: () => Promise<T | false | null | undefined>, state?: () => Promise<unknown>) => Promise<T>;

/**
 * @example
 * const waitFor = makeWaitFor(() => browser.logs);
 * await waitFor('the job to finish', 60_000, () => page.evaluate(() => done), summaries);
 */
export function makeWaitFor(logs: () => readonly string[], opts: { stateChars?: number; logLines?: number } = {}): WaitFor {
  return async (what, ms, check, state) => {
    const t0 = Date.now();
    let last: unknown;
    while (Date.now() - t0 < ms) {
      try {
        const v = await check();
        if (v) return v;
      } catch (e) {
        last = e;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const detail = state ? JSON.stringify(await state().catch((e) => String(e)), null, 1).slice(0, opts.stateChars ?? 6000) : String(last ?? '');
    throw new Error(`timed out after ${ms} ms waiting for ${what}\n${detail}\n${logs().slice(-(opts.logLines ?? 30)).join('\n')}`);
  };
}
