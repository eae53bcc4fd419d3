/**
 * The mesh end to end: a real relay process component, real Chromium tabs, real WebRTC.
 *
 * Run through `npm run test:browser`, which puts the run in a network namespace that has only
 * `lo` (scripts/netns.sh) so every ICE candidate and packet is loopback.
 *
 * One Chromium, four tabs, one sequence (each step builds on the mesh the first one formed, which
 * keeps the file well under a minute on two cores):
 * mesh → gossip → every pair's protocols → blobs → redials (init-race patch) → fuzz → ban →
 * relay stops → a tab closes (DTLS-close patch).
 */
import '../../scripts/node-polyfills.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { Relay } from '../../scripts/relay.ts';
import { launchChromium, serveApp, type LaunchedBrowser, type ServedApp } from '../support/chromium.ts';
import { makeWaitFor } from '../support/wait-for.ts';

const N = 4;
const FUZZ_STREAMS = Number(process.env.MESH_FUZZ_STREAMS ?? 2000);
const FUZZ_SEED = Number(process.env.MESH_FUZZ_SEED ?? 20251125);
/** 'served' (the protocols the target serves, from identify) or 'all' (every protocol, served or not). */
const FUZZ_PROTOCOLS = process.env.MESH_FUZZ_PROTOCOLS === 'all' ? 'all' : 'served';

type Summary = {
  peerId: string;
  direct: string[];
  topicPeers: string[];
  relayConnected: boolean;
  conns: { peer: string; addr: string; direct: boolean; status: string }[];
  dial: { attempts: number; ok: number; failed: number; okMs: number[]; errors: string[] };
  rejected: number;
  handlerCalls: number;
  errors: string[];
  events: { type: string; peer: string; wall: number }[];
  peers: { id: string; score: number; offences: number; bannedUntil: number | null; capability: unknown }[];
};

let app: ServedApp;
let relay: Relay;
let browser: LaunchedBrowser;
const pages: Page[] = [];
const ids: string[] = [];
const figures: Record<string, unknown> = {};

const summary = (i: number): Promise<Summary> => pages[i]!.evaluate(() => (globalThis as any).meshHarness.summary());
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const call = <T>(i: number, fn: string, ...args: unknown[]): Promise<T> => pages[i]!.evaluate(([f, a]) => (globalThis as any).meshHarness[f as string](...(a as unknown[])), [fn, args] as const);

const waitFor = makeWaitFor(() => browser.logs, { stateChars: 4000, logLines: 20 });

const allSummaries = () => Promise.all(pages.map((_, i) => summary(i).catch((e) => String(e))));

beforeAll(async () => {
  app = await serveApp();
  relay = new Relay({ port: 0 });
  await relay.start();
  browser = await launchChromium({ webgpu: false, webrtc: true });
  const base = `${app.url}test/browser/harness/mesh.html?relay=${encodeURIComponent(relay.multiaddr)}`;
  for (let i = 0; i < N; i++) {
    const page = await browser.newPage();
    // Tab 0 is the fuzz target: it must not ban its attacker mid-run.
    await page.goto(base + (i === 0 ? '&ban=off' : ''));
    pages.push(page);
  }
  for (let i = 0; i < N; i++) {
    ids.push(await pages[i]!.evaluate(() => (globalThis as any).meshReady));
  }
});

afterAll(async () => {
  console.log('mesh figures', JSON.stringify(figures));
  await browser?.close();
  await relay?.stop();
  await app?.close();
});

describe('mesh of 4 Chromium tabs', () => {
  it('forms a full mesh of direct WebRTC links, every dial succeeding', async () => {
    const t0 = Date.now();
    await waitFor(
      'every tab to hold a direct WebRTC link to every other tab and see it on the jobs topic',
      40_000,
      async () => {
        const ss = await Promise.all(pages.map((_, i) => summary(i)));
        // ...and know every other tab's capability (gossiped again when a tab links up).
        return ss.every((s, i) => ids.every((id, j) => i === j || (s.direct.includes(id) && s.topicPeers.includes(id) && s.peers.some((p) => p.id === id && p.capability))));
      },
      allSummaries,
    );
    figures.meshMs = Date.now() - t0;
    const ss = await Promise.all(pages.map((_, i) => summary(i)));
    for (const [i, s] of ss.entries()) {
      for (const [j, id] of ids.entries()) {
        if (i === j) continue;
        const direct = s.conns.filter((c) => c.peer === id && c.status === 'open' && c.direct);
        expect(direct.length, `tab ${i} → tab ${j}: open connections with /webrtc in remoteAddr`).toBeGreaterThan(0);
        expect(direct[0]!.addr).toContain('/webrtc');
      }
    }
    const dials = ss.map((s) => s.dial);
    figures.dials = { ok: dials.reduce((a, d) => a + d.ok, 0), failed: dials.reduce((a, d) => a + d.failed, 0), okMs: dials.flatMap((d) => d.okMs) };
    // With the init-race patch every dial succeeds first time; without it most fail after the dial timeout.
    expect(dials.map((d) => d.failed), `failed dials per tab: ${JSON.stringify(dials.map((d) => d.errors))}`).toEqual([0, 0, 0, 0]);
  });

  it('delivers gossip from every tab to every other tab', async () => {
    const latencies: number[] = [];
    for (let i = 0; i < N; i++) {
      const { jobId, wall } = await call<{ jobId: string; wall: number }>(i, 'publishJob', 100 + i);
      for (let j = 0; j < N; j++) {
        if (j === i) continue;
        const seen = await waitFor(`tab ${j} to receive job ${jobId.slice(0, 8)} gossiped by tab ${i}`, 10_000, () => call<{ wall: number; from: string } | null>(j, 'gossipSeen', jobId));
        expect(seen.from, `gossip 'from' at tab ${j}`).toBe(ids[i]);
        latencies.push(seen.wall - wall);
      }
    }
    latencies.sort((a, b) => a - b);
    figures.gossipMs = { median: latencies[latencies.length >> 1], max: latencies[latencies.length - 1] };
  });

  it("emits 'peer:capability' when a peer's advertised capability changes, and not for a repeat", async () => {
    type CapEvent = { peer: string; freeSlots: number; previous: number | null };
    const events = (i: number, from: string) => pages[i]!.evaluate((p) => ((globalThis as any).meshHarness.H.capabilityEvents as CapEvent[]).filter((e) => e.peer === p).map(({ freeSlots, previous }) => ({ freeSlots, previous })), from);
    const others = [0, 2, 3];
    // Every tab heard every other tab's first advert (and its periodic repeats, which are no change).
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) if (i !== j) expect((await events(i, ids[j]!))[0], `tab ${i}: first capability event of tab ${j}`).toEqual({ freeSlots: 2, previous: null });
    const before = await Promise.all(others.map((i) => events(i, ids[1]!)));
    for (const [k, e] of before.entries()) expect(e, `tab ${others[k]}: events of tab 1 so far`).toEqual([{ freeSlots: 2, previous: null }]);
    // Tab 1 stops offering slots, says so again (a repeat), then offers them again.
    await call(1, 'advertiseSlots', 0);
    await call(1, 'advertiseSlots', 0);
    await call(1, 'advertiseSlots', 2);
    for (const i of others) {
      const got = await waitFor(`tab ${i} to hear tab 1 offer its slots again`, 10_000, async () => {
        const e = await events(i, ids[1]!);
        return e.length >= 3 && e;
      });
      expect(got, `tab ${i}: capability events of tab 1`).toEqual([{ freeSlots: 2, previous: null }, { freeSlots: 0, previous: 2 }, { freeSlots: 2, previous: 0 }]);
      const book = (await summary(i)).peers.find((p) => p.id === ids[1]) as { capability: { freeSlots: number } };
      expect(book.capability.freeSlots, `tab ${i}: tab 1's capability in the peer book`).toBe(2);
    }
  });

  it('answers requests and carries one-way messages between every ordered pair', async () => {
    const ms: number[] = [];
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        if (i === j) continue;
        const ack = await call<{ accepted: boolean; reason: string; ms: number }>(i, 'assign', ids[j], i * 10 + j, 1000);
        expect(ack, `unit-assign tab ${i} → tab ${j}`).toMatchObject({ accepted: true, reason: `${ids[i]!.slice(-6)}:${i * 10 + j}:1000` });
        ms.push(ack.ms);
        const cap = await call<{ adapter: string; freeSlots: number; priceFloor: string }>(i, 'queryCapability', ids[j]);
        expect(cap, `capability tab ${i} → tab ${j}`).toMatchObject({ adapter: 'harness', freeSlots: 2, priceFloor: '1' });
        await call(i, 'sendCancel', ids[j], 500 + i * 10 + j);
      }
    }
    for (let j = 0; j < N; j++) {
      await waitFor(`tab ${j} to receive ${N - 1} one-way cancels`, 5000, () => pages[j]!.evaluate(() => (globalThis as any).meshHarness.H.oneWay.filter((x: { protocol: string }) => x.protocol === 'cancel').length === 3));
    }
    ms.sort((a, b) => a - b);
    figures.requestMs = { median: Math.round(ms[ms.length >> 1]!), max: Math.round(ms[ms.length - 1]!) };
  });

  it('does not count a request its sender cancelled mid-frame as an offence', async () => {
    // Cancelling a job aborts its in-flight unit-assign requests: the worker sees the stream reset
    // part-way through the frame. That is an ordinary reset, not a malformed message.
    const [sender, target] = [1, 2];
    const peerOf = (s: Summary) => s.peers.find((p) => p.id === ids[sender])!;
    const before = await summary(target);
    const size = 4 * 1024 * 1024;
    const drops = () => pages[target]!.evaluate(() => ((globalThis as any).meshHarness.H.log as string[]).filter((l) => l.includes('/tabmesh/unit-assign/1.0.0')));
    const drops0 = (await drops()).length;
    for (let i = 0; i < 3; i++) {
      const r = await call<{ error: string | null; sent: number }>(sender, 'abortMidRequest', ids[target], size, 256 * 1024);
      expect(r.error, 'the cancelled request rejects with').toBe('RequestAbortedError');
      expect(r.sent, 'bytes on the wire before the cancel: part of the frame').toBeLessThan(size);
      expect(r.sent).toBeGreaterThanOrEqual(256 * 1024);
    }
    const seen = await waitFor('the target to drop the 3 cut-off unit-assign frames', 10_000, async () => {
      const l = await drops();
      return l.length - drops0 >= 3 && l.slice(drops0);
    }, () => summary(target));
    for (const line of seen) expect(line, 'how the target logged the cut-off frame').toMatch(/^dropped \/tabmesh\/unit-assign\/1\.0\.0: FrameResetError: /);
    const after = await summary(target);
    expect(after.rejected, 'messages the target counted as offences').toBe(before.rejected);
    expect({ score: peerOf(after).score, offences: peerOf(after).offences }, "the sender's score at the target").toEqual({ score: peerOf(before).score, offences: peerOf(before).offences });
    // The link is intact: the next request goes through.
    await expect(call(sender, 'assign', ids[target], 9, 1000)).resolves.toMatchObject({ accepted: true });
  });

  it('a stream for a protocol the peer does not serve fails with ProtocolNotSupportedError / UnsupportedProtocolError and leaves the link up', async () => {
    // A tab without payments serves neither receipt nor ledger-sync: a newer or differently
    // configured tab asking for them must get "na" from multistream-select, not lose the link.
    const [from, to] = [1, 2];
    type R = { errors: Record<string, number>; before: { id: string; status: string }[]; after: { id: string; status: string }[]; directPeer: boolean };
    const target0 = await summary(to);
    const t0 = Date.now();
    for (const [name, parallel] of [['receipt', 1], ['ledger-sync', 1], ['receipt', 8], ['ledger-sync', 8]] as const) {
      const r = await call<R>(from, 'unservedStreams', ids[to], name, 50, parallel);
      const what = `${name}, ${parallel} at a time`;
      expect(r.errors, `${what}: how the 50 streams failed`).toEqual({ ProtocolNotSupportedError: 25, UnsupportedProtocolError: 25 });
      expect(r.before.filter((c) => c.status === 'open').length, `${what}: open direct links before`).toBeGreaterThan(0);
      expect(r.after, `${what}: the direct links after (same connection, still open)`).toEqual(r.before);
      expect(r.directPeer, `${what}: still a direct peer`).toBe(true);
      await expect(call(from, 'assign', ids[to], 60, 100), `${what}: a normal request afterwards`).resolves.toMatchObject({ accepted: true });
    }
    const target1 = await summary(to);
    expect(target1.conns.filter((c) => c.peer === ids[from] && c.direct), 'the target side of the link').toEqual(target0.conns.filter((c) => c.peer === ids[from] && c.direct));
    expect(target1.rejected, 'asking for an unserved protocol is no offence').toBe(target0.rejected);
    expect(target1.events.filter((e) => e.wall >= t0), 'connect/disconnect/ban events at the target').toEqual([]);
    expect((await summary(from)).events.filter((e) => e.wall >= t0), 'connect/disconnect/ban events at the sender').toEqual([]);
  });

  it('fetches content-addressed blobs tab to tab, chunked and verified', async () => {
    const size = 2.5 * 256 * 1024 + 7; // three chunks, the last one partial
    const hash = await call<string>(1, 'makeBlob', size);
    const r = await call<{ bytes: number; ok: boolean; MBps: number }>(0, 'fetchBlob', ids[1], hash);
    expect(r).toMatchObject({ bytes: size, ok: true });
    const missing = await pages[0]!.evaluate(async ([peer]) => {
      try {
        await (globalThis as any).meshHarness.mesh.fetchBlob(peer, 'ab'.repeat(32));
        return 'no error';
      } catch (e) {
        return (e as Error).name;
      }
    }, [ids[1]] as const);
    expect(missing).toBe('BlobNotFoundError');
  });

  it('re-dials a peer 10 times, every dial succeeding (init-race patch)', async () => {
    const r = await call<{ ok: boolean; ms: number; err?: string }[]>(0, 'redial', ids[1], 10);
    figures.redialMs = r.map((x) => Math.round(x.ms));
    expect(r.filter((x) => !x.ok), 'failed re-dials').toEqual([]);
    await waitFor('tab 0 and tab 1 to be linked again', 10_000, async () => (await summary(0)).direct.includes(ids[1]!));
  });

  it(`survives ${FUZZ_STREAMS} malformed messages over every protocol with its state unchanged`, async () => {
    const stable = () => pages[0]!.evaluate((except) => (globalThis as any).meshHarness.stableState(except), ids[3]);
    const before = await stable();
    const s0 = await summary(0);
    type Fuzz = { sent: number; noConn: number; kinds: Record<string, number>; outcomes: Record<string, number>; protocols: string[]; unsupported: string[]; ms: number };
    const r = await call<Fuzz>(3, 'fuzzStreams', ids[0], FUZZ_STREAMS, FUZZ_SEED, 8, FUZZ_PROTOCOLS);
    expect(r.noConn, `fuzz frames that found no connection (the target dropped the link); outcomes ${JSON.stringify(r.outcomes)}`).toBe(0);
    // Tab 0 has no payments: it serves neither receipt nor ledger-sync. Frames for those end at
    // multistream-select's "na" ('unsupported') and must leave the link up (checked above).
    expect(r.unsupported, 'fuzzed protocols the target answered "na" to').toEqual(FUZZ_PROTOCOLS === 'all' ? ['ledger-sync', 'receipt'] : []);
    const expected = FUZZ_STREAMS - (r.outcomes.unsupported ?? 0);
    const s1 = await waitFor(
      `tab 0 to reject (nearly) all ${expected} malformed frames for the protocols it serves`,
      20_000,
      async () => {
        const s = await summary(0);
        return s.rejected - s0.rejected + (s.handlerCalls - s0.handlerCalls) >= expected && s;
      },
      () => summary(0),
    );
    const rejected = s1.rejected - s0.rejected;
    figures.fuzz = { ...r, rejected, acceptedByChance: s1.handlerCalls - s0.handlerCalls, ms: Math.round(r.ms) };
    expect(rejected, `frames rejected by the target (outcomes ${JSON.stringify(r.outcomes)})`).toBeGreaterThanOrEqual(Math.floor(expected * 0.99));
    expect(s1.errors, 'page errors on the target').toEqual([]);
    // Still working: valid requests from the attacker and from a bystander are answered.
    await expect(call(3, 'assign', ids[0], 7, 10)).resolves.toMatchObject({ accepted: true });
    await expect(call(1, 'assign', ids[0], 8, 10)).resolves.toMatchObject({ accepted: true });
    // State unchanged, except the offender's score.
    expect(await stable()).toEqual(before);
    const offender = s1.peers.find((p) => p.id === ids[3])!;
    expect(offender.score, "offender's score").toBeLessThanOrEqual(-10 * rejected);
    expect(offender.bannedUntil, 'tab 0 runs with banning off').toBeNull();
  });

  it('disconnects and refuses a repeat offender', async () => {
    const before = (await summary(3)).dial;
    await call(3, 'fuzzStreams', ids[1], 12, 7, 1);
    await waitFor('tab 1 to ban tab 3 and drop its direct link', 5000, async () => {
      const s = await summary(1);
      return s.events.some((e) => e.type === 'banned' && e.peer === ids[3]) && !s.direct.includes(ids[3]!);
    }, () => summary(1));
    // Tab 3's dial loop tries to link again; tab 1 refuses it.
    await waitFor('tab 3 to try re-dialling tab 1 and fail', 20_000, async () => (await summary(3)).dial.failed > before.failed, () => summary(3));
    expect((await summary(1)).direct).not.toContain(ids[3]);
    expect((await summary(0)).direct, 'tab 0 keeps its link to tab 3').toContain(ids[3]);
  });

  it('drops malformed gossip without forwarding it or changing state', async () => {
    const stable = () => pages[0]!.evaluate((except) => (globalThis as any).meshHarness.stableState(except), ids[3]);
    const before = await stable();
    const s0 = await summary(0);
    const gossipBefore = await pages[0]!.evaluate(() => (globalThis as any).meshHarness.H.gossip.filter((g: { topic: string }) => g.topic === 'jobs').length);
    const { sent } = await call<{ sent: number }>(3, 'fuzzGossip', 200, 99);
    expect(sent).toBeGreaterThan(0);
    await waitFor('tab 0 to reject the malformed gossip', 10_000, async () => (await summary(0)).rejected - s0.rejected >= sent, () => summary(0));
    expect(await pages[0]!.evaluate(() => (globalThis as any).meshHarness.H.gossip.filter((g: { topic: string }) => g.topic === 'jobs').length), 'job gossip delivered to subscribers').toBe(gossipBefore);
    expect(await stable()).toEqual(before);
    // Valid gossip still flows.
    const { jobId } = await call<{ jobId: string }>(1, 'publishJob', 900);
    await waitFor('tab 0 to receive valid gossip after the fuzz', 10_000, () => call(0, 'gossipSeen', jobId));
  });

  it('keeps exchanging over direct links after the relay stops', async () => {
    await relay.stop();
    await waitFor('tabs 0-2 to notice the relay is gone', 15_000, async () => (await Promise.all([0, 1, 2].map(summary))).every((s) => !s.relayConnected), allSummaries);
    for (const [i, j] of [[0, 1], [1, 2], [2, 0], [1, 0]] as const) {
      await expect(call(i, 'assign', ids[j], 40 + j, 100_000), `request tab ${i} → tab ${j} without relay`).resolves.toMatchObject({ accepted: true });
    }
    const { jobId } = await call<{ jobId: string }>(2, 'publishJob', 901);
    for (const j of [0, 1]) await waitFor(`tab ${j} to receive gossip without the relay`, 10_000, () => call(j, 'gossipSeen', jobId));
  });

  it('notices a closed tab within 2 s', async () => {
    const t0 = Date.now();
    await pages[2]!.close();
    const seen = await Promise.all(
      [0, 1].map((i) =>
        waitFor(`tab ${i} to see tab 2 disconnect`, 10_000, async () => (await summary(i)).events.find((e) => e.type === 'disconnect' && e.peer === ids[2] && e.wall >= t0), () => summary(i)),
      ),
    );
    figures.leaveMs = seen.map((e) => e.wall - t0);
    for (const ms of figures.leaveMs as number[]) expect(ms, 'ms from tab close to peer:disconnect').toBeLessThan(2000);
  });
});
