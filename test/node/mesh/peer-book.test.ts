import { describe, expect, it } from 'vitest';
import { PeerBook, type CapabilityChange } from '../../../src/mesh/peer-book.ts';
import type { MessageOf } from '../../../src/mesh/messages.ts';

const cap = (over: Partial<MessageOf<'capability'>> = {}): MessageOf<'capability'> => ({
  adapter: 'swiftshader', gflops: 3.5, freeSlots: 2, priceFloor: 0n, payout: `0x${'ab'.repeat(20)}`, models: ['cd'.repeat(32)], operator: `0x${'ef'.repeat(20)}`, ...over,
});

describe('PeerBook', () => {
  it('tracks direct links and keeps a leaver (and its score) on record', () => {
    let now = 1000;
    const book = new PeerBook({ now: () => now });
    expect(book.upsert('a', { direct: true })).toMatchObject({ id: 'a', direct: true, connected: true, directSince: 1000, score: 0 });
    book.penalize('a', 'bad frame');
    now = 2000;
    expect(book.upsert('a', { direct: false, connected: false })).toMatchObject({ direct: false, connected: false, directSince: null, score: -10, offences: 1, lastOffence: 'bad frame' });
    expect(book.all().map((p) => p.id)).toEqual(['a']);
  });

  it('bans once, when the score falls below the threshold, for banMs', () => {
    let now = 0;
    const book = new PeerBook({ penalty: 10, disconnectBelow: -50, banMs: 5000, now: () => now });
    const results = Array.from({ length: 7 }, () => book.penalize('x', 'r'));
    expect(results.map((r) => r.banned)).toEqual([false, false, false, false, false, true, false]);
    expect(book.isBanned('x')).toBe(true);
    now = 5001;
    expect(book.isBanned('x')).toBe(false);
  });

  it('never bans with disconnectBelow -Infinity', () => {
    const book = new PeerBook({ disconnectBelow: -Infinity });
    for (let i = 0; i < 1000; i++) expect(book.penalize('x', 'r').banned).toBe(false);
    expect(book.get('x')!.score).toBe(-10_000);
  });

  it('returns copies, so callers cannot change the book', () => {
    const book = new PeerBook();
    book.upsert('a', { connected: true });
    book.get('a')!.score = 99;
    book.all()[0]!.score = 99;
    expect(book.get('a')!.score).toBe(0);
  });

  it('tells listeners when a capability is first set and when any field changes, not on a repeat', () => {
    let now = 10;
    const book = new PeerBook({ now: () => now });
    book.upsert('a', { direct: true });
    const seen: CapabilityChange[] = [];
    const off = book.onCapability((c) => seen.push(c));
    expect(book.setCapability('a', cap())).toBe(true);
    now = 20;
    expect(book.setCapability('a', cap()), 'the periodic re-advertisement of the same capability').toBe(false);
    expect(book.get('a')!.capabilityAt, 'a repeat still refreshes capabilityAt').toBe(20);
    const changes: Partial<MessageOf<'capability'>>[] = [
      { freeSlots: 0 }, { freeSlots: 0, gflops: 4 }, { freeSlots: 0, gflops: 4, priceFloor: 1n }, { freeSlots: 0, gflops: 4, priceFloor: 1n, adapter: 'other' },
      { freeSlots: 0, gflops: 4, priceFloor: 1n, adapter: 'other', payout: `0x${'cd'.repeat(20)}` },
      { freeSlots: 0, gflops: 4, priceFloor: 1n, adapter: 'other', payout: `0x${'cd'.repeat(20)}`, models: ['cd'.repeat(32), 'ef'.repeat(32)] },
      { freeSlots: 0, gflops: 4, priceFloor: 1n, adapter: 'other', payout: `0x${'cd'.repeat(20)}`, models: ['ef'.repeat(32), 'cd'.repeat(32)] },
      { freeSlots: 0, gflops: 4, priceFloor: 1n, adapter: 'other', payout: `0x${'cd'.repeat(20)}`, models: ['ef'.repeat(32), 'cd'.repeat(32)], operator: `0x${'12'.repeat(20)}` },
    ];
    for (const c of changes) expect(book.setCapability('a', cap(c)), JSON.stringify(c, (_, v) => (typeof v === 'bigint' ? String(v) : v))).toBe(true);
    expect(seen.length).toBe(1 + changes.length);
    expect(seen[0]!.previous).toBeNull();
    expect(seen[0]!.peer).toMatchObject({ id: 'a', direct: true, capability: cap(), capabilityAt: 10 });
    expect(seen[1]!.previous).toEqual(cap());
    expect(seen[1]!.peer.capability!.freeSlots).toBe(0);
    // A peer first heard of through its advert (no link yet) is reported too.
    book.setCapability('b', cap());
    expect(seen.at(-1)!.peer).toMatchObject({ id: 'b', connected: false, direct: false });
    off();
    book.setCapability('a', cap({ freeSlots: 7 }));
    expect(seen.length, 'no call after the listener was removed').toBe(2 + changes.length);
  });

  it('hands listeners a copy', () => {
    const book = new PeerBook();
    book.onCapability((c) => {
      c.peer.score = 99;
    });
    book.setCapability('a', cap());
    expect(book.get('a')!.score).toBe(0);
  });
});
