import { describe, expect, it } from 'vitest';
import { PeerBook } from '../../../src/mesh/peer-book.ts';

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
});
