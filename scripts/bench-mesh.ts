/**
 * `npm run bench:mesh`: the mesh's transport half. Two Chromium tabs linked over direct WebRTC
 * (real relay, real Vite, loopback-only network namespace when available); one tab fetches
 * model-sized blobs from the other through `/tabmesh/blob/1.0.0` (256 KiB chunks, sha-256
 * verified) and prints MB/s per size and window. The last line is JSON. Not part of `npm test`.
 *
 * Flags: --sizes 4,16,64 (MiB), --windows 1,4,8, --runs 2.
 */
import './node-polyfills.ts';
import { parseArgs } from 'node:util';
import { Relay } from './relay.ts';
import { launchChromium, serveApp } from '../test/support/chromium.ts';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '4,16,64' }, windows: { type: 'string', default: '1,4,8' }, runs: { type: 'string', default: '2' } } });
const sizes = values.sizes.split(',').map(Number);
const windows = values.windows.split(',').map(Number);
const runs = Number(values.runs);

const app = await serveApp();
const relay = new Relay({ port: 0 });
await relay.start();
const browser = await launchChromium({ webgpu: false, webrtc: true });
const results: { MiB: number; window: number; MBps: number[]; ok: boolean }[] = [];
try {
  const url = `${app.url}test/browser/harness/mesh.html?relay=${encodeURIComponent(relay.multiaddr)}`;
  const [a, b] = [await browser.newPage(), await browser.newPage()];
  await a.goto(url);
  await b.goto(url);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const H = (p: typeof a, fn: string, ...args: unknown[]) => p.evaluate(([f, xs]) => (globalThis as any).meshHarness[f as string](...(xs as unknown[])), [fn, args] as const);
  const idA = await a.evaluate(() => (globalThis as any).meshReady);
  const idB = await b.evaluate(() => (globalThis as any).meshReady);
  const t0 = Date.now();
  while (!((await H(a, 'summary')) as { direct: string[] }).direct.includes(idB)) {
    if (Date.now() - t0 > 30_000) throw new Error('tabs did not link within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`linked over WebRTC in ${Date.now() - t0} ms (${idA.slice(-6)} ← ${idB.slice(-6)})`);
  for (const mib of sizes) {
    const hash = await H(b, 'makeBlob', mib * 1024 * 1024);
    for (const w of windows) {
      const r = { MiB: mib, window: w, MBps: [] as number[], ok: true };
      for (let i = 0; i < runs; i++) {
        const x = (await H(a, 'fetchBlob', idB, hash, w)) as { MBps: number; ok: boolean };
        r.MBps.push(+x.MBps.toFixed(1));
        r.ok &&= x.ok;
      }
      console.log(`${String(mib).padStart(4)} MiB  window ${String(w).padStart(2)}  ${r.MBps.map((v) => v.toFixed(1).padStart(6)).join(' ')} MB/s  ${r.ok ? 'verified' : 'HASH MISMATCH'}`);
      results.push(r);
    }
  }
} finally {
  await browser.close();
  await relay.stop();
  await app.close();
}
console.log(JSON.stringify({ bench: 'mesh-blob-transfer', results }));
