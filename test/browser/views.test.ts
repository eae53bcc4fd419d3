/**
 * The Contribute and Submit views end to end, driven only through the page a person opens
 * (index.html, src/app): a real relay, four real Chromium tabs, real WebRTC, real WebGPU
 * (SwiftShader) compute workers, the shipped digits model and the published held-out digits.
 *
 * Tab 3 opens `#submit` first; tabs 0-2 open `#contribute` and press the toggle. The Submit view
 * must see the three contributors from the network's events alone (it does not poll), then
 * classify digits over them, show every unit verified and the accuracy; a second job is cancelled
 * from its button mid-flight; the contributors keep working for a third job.
 *
 * Run through `npm run test:browser` (inside the loopback-only namespace, scripts/loopback-netns.sh).
 */
import '../../scripts/node-polyfills.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Relay } from '../../scripts/relay.ts';
import { launchChromium, serveApp, type LaunchedBrowser, type ServedApp } from '../support/chromium.ts';
import { makeWaitFor } from '../support/wait-for.ts';

const UNIT_SIZE = 50; // the Submit view's work unit
const CONTRIBUTORS = [0, 1, 2];
const SUBMITTER = 3;

let app: ServedApp;
let relay: Relay;
let browser: LaunchedBrowser;
const pages: Page[] = [];
const figures: Record<string, unknown> = {};

const waitFor = makeWaitFor(() => browser.logs, { stateChars: 3000, logLines: 30 });

/** The attributes and text of every `data-testid` element on tab `i` (what a person sees). */
function view(i: number): Promise<Record<string, { text: string; attrs: Record<string, string> }>> {
  return pages[i]!.evaluate(() => {
    const out: Record<string, { text: string; attrs: Record<string, string> }> = {};
    for (const el of document.querySelectorAll('[data-testid]')) {
      const attrs: Record<string, string> = {};
      for (const a of el.attributes) if (a.name.startsWith('data-') || a.name.startsWith('aria-') || a.name === 'disabled') attrs[a.name] = a.value;
      out[el.getAttribute('data-testid')!] = { text: (el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 200), attrs };
    }
    return out;
  });
}

const views = () => Promise.all(pages.map((_, i) => view(i).catch((e) => String(e))));
const attr = async (i: number, id: string, name: string) => (await view(i))[id]?.attrs[`data-${name}`];
const num = async (i: number, id: string) => Number((await view(i))[id]?.text);
const unitsDone = () => Promise.all(CONTRIBUTORS.map((i) => num(i, 'contribute-units-done')));
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Waits until the Submit view's job leaves `running`/`loading-digits`/`cancelling`; returns the final state. */
async function jobEnd(what: string, ms: number): Promise<{ state: string; error?: string }> {
  return waitFor(
    what,
    ms,
    async () => {
      const v = await view(SUBMITTER);
      const st = v['submit-status']!.attrs['data-state']!;
      return ['done', 'failed', 'cancelled'].includes(st) && { state: st, ...(v['submit-status']!.attrs['data-error'] ? { error: v['submit-status']!.attrs['data-error'] } : {}) };
    },
    views,
  );
}

async function submit(count: number, replication: number): Promise<void> {
  const page = pages[SUBMITTER]!;
  await page.getByTestId('submit-count').fill(String(count));
  await page.getByTestId('submit-replication').fill(String(replication));
  await waitFor('the submit button to be enabled', 10_000, async () => (await view(SUBMITTER))['submit-button']!.attrs.disabled === undefined, () => view(SUBMITTER));
  await page.getByTestId('submit-button').click();
}

beforeAll(async () => {
  app = await serveApp();
  relay = new Relay({ port: 0 });
  await relay.start();
  browser = await launchChromium({ webrtc: true });
  const base = `${app.url}?relay=${encodeURIComponent(relay.multiaddr)}`;
  for (let i = 0; i < 4; i++) pages.push(await browser.newPage());
  // The submitter joins first, so it has to learn from events that the others start contributing.
  await pages[SUBMITTER]!.goto(`${base}#submit`);
  await waitFor('the Submit view to join the network', 30_000, async () => (await attr(SUBMITTER, 'network-status', 'state')) === 'online', views);
  for (const i of CONTRIBUTORS) await pages[i]!.goto(`${base}#contribute`);
});

afterAll(async () => {
  console.log('views figures', JSON.stringify(figures));
  await browser?.close();
  await relay?.stop();
  await app?.close();
});

describe('Contribute and Submit views over 4 Chromium tabs', () => {
  it('three tabs start contributing from the Contribute view and see each other', async () => {
    for (const i of CONTRIBUTORS) {
      await waitFor(`tab ${i} to join the network`, 30_000, async () => (await attr(i, 'network-status', 'state')) === 'online', views);
      await pages[i]!.getByTestId('contribute-toggle').click();
    }
    for (const i of CONTRIBUTORS) {
      const v = await waitFor(`tab ${i} to be contributing`, 60_000, async () => {
        const v = await view(i);
        return v['contribute-toggle']!.attrs['data-state'] === 'on' && v;
      }, views);
      expect(v['contribute-toggle']!.attrs['aria-pressed'], `tab ${i} toggle pressed`).toBe('true');
      expect(v['contribute-adapter']!.text, `tab ${i} adapter`).not.toBe('—');
      expect(v['contribute-score']!.text, `tab ${i} benchmark`).toMatch(/GFLOP\/s$/);
      expect(v['contribute-error'], `tab ${i} error panel`).toBeUndefined();
    }
    // Every tab links directly to the other three (the submitter included).
    for (const i of CONTRIBUTORS) {
      await waitFor(`tab ${i} to show 3 direct peers`, 40_000, async () => (await attr(i, 'peers-count', 'direct')) === '3', views);
    }
  });

  it('the Submit view learns of the contributors from events, classifies digits over them, every unit verified', async () => {
    // The submitter saw the three tabs link before they contributed; only their capability adverts
    // (peer:capability → 'peers') can tell it they now offer slots.
    const idle = await waitFor('the Submit view to count 3 contributors', 20_000, async () => {
      const t = (await view(SUBMITTER))['submit-status']!.text;
      return /^3 contributors connected\./.test(t) && t;
    }, views);
    expect(idle).not.toMatch(/Each unit needs/);

    const N = 300;
    const R = 2;
    const units = Math.ceil(N / UNIT_SIZE);
    const before = await unitsDone();
    const t0 = Date.now();
    await submit(N, R);
    const end = await jobEnd('the first job to finish', 90_000);
    figures.firstJobMs = Date.now() - t0;
    expect(end, 'first job outcome').toEqual({ state: 'done' });
    const v = await view(SUBMITTER);
    const bar = v['submit-progress']!.attrs;
    expect(bar['data-total'], 'units in the progress bar').toBe(String(units));
    expect(bar['data-done'], 'units verified').toBe(bar['data-total']);
    expect(Number(v['unit-count-done']!.text), 'done count').toBe(units);
    for (const st of ['queued', 'fetching-model', 'running', 'verifying', 'failed']) expect(Number(v[`unit-count-${st}`]!.text), `${st} count`).toBe(0);
    const accuracy = Number(v['submit-accuracy']!.attrs['data-value']);
    expect(accuracy, 'accuracy on the held-out digits').toBeGreaterThanOrEqual(0.9);
    expect(accuracy).toBeLessThanOrEqual(1);
    expect(v['submit-rate']!.text).toMatch(/units\/s$/);
    figures.accuracy = accuracy;
    // Each contributor ran some of it (one slot each, 12 replicas: the first two units already
    // occupy all three), and together at least every replica; the counters catch up as results
    // are acknowledged.
    const done = await waitFor('the contributors to count every replica', 20_000, async () => {
      const d = (await unitsDone()).map((x, k) => x - before[k]!);
      return sum(d) >= units * R && d;
    }, views);
    for (const [k, d] of done.entries()) expect(d, `units done on contributor tab ${k}`).toBeGreaterThan(0);
    figures.unitsDone = done;
  });

  it('cancels a running job from its button; the contributors keep working for the next one', async () => {
    await submit(2000, 2);
    const at = await waitFor('the second job to be running with units verified', 60_000, async () => {
      const v = await view(SUBMITTER);
      const st = v['submit-status']!.attrs['data-state'];
      if (st === 'done' || st === 'failed') return { state: st, done: 0, total: 0 };
      const bar = v['submit-progress']?.attrs;
      return st === 'running' && bar && Number(bar['data-done']) >= 1 && { state: st, done: Number(bar['data-done']), total: Number(bar['data-total']) };
    }, views);
    expect(at.state, 'the second job was still running').toBe('running');
    expect(at.done, 'units verified at the cancel').toBeLessThan(at.total);
    await pages[SUBMITTER]!.getByTestId('submit-cancel').click();
    expect(await jobEnd('the second job to be cancelled', 20_000), 'second job outcome').toEqual({ state: 'cancelled' });
    const v = await view(SUBMITTER);
    expect(Number(v['submit-progress']!.attrs['data-done']), 'units verified after the cancel').toBeLessThan(at.total);
    expect(Number(v['unit-count-done']!.text) + Number(v['unit-count-failed']!.text), 'every unit done or failed').toBe(at.total);
    expect(v['submit-accuracy'], 'no accuracy for a cancelled job').toBeUndefined();
    // The contributors drop the cancelled units and stay on.
    await waitFor('the contributors to drop the cancelled units', 30_000, async () => {
      const vs = await Promise.all(CONTRIBUTORS.map(view));
      return vs.every((x) => x['contribute-units-running']!.text === '0' && x['contribute-toggle']!.attrs['data-state'] === 'on');
    }, views);
    figures.cancelledAt = at;

    const before = await unitsDone();
    const N = 100;
    await submit(N, 2);
    expect(await jobEnd('the third job to finish', 60_000), 'third job outcome').toEqual({ state: 'done' });
    const after = await view(SUBMITTER);
    expect(after['submit-progress']!.attrs['data-done']).toBe(String(N / UNIT_SIZE));
    expect(Number(after['submit-accuracy']!.attrs['data-value'])).toBeGreaterThanOrEqual(0.9);
    await waitFor('the contributors to count the third job', 20_000, async () => sum((await unitsDone()).map((x, k) => x - before[k]!)) >= (N / UNIT_SIZE) * 2, views);
    for (const i of CONTRIBUTORS) expect(Number((await view(i))['contribute-units-failed']!.text), `tab ${i} failed units`).toBe(0);
    expect(browser.logs.filter((l) => l.startsWith('pageerror')), 'page errors').toEqual([]);
  });
});
