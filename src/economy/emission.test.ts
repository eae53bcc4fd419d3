import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { epochBudget, scheduleTotal, scheduled, workerReward } from './emission.ts';
import { splitFee } from './fees.ts';
import { checkPrice, priceWithinBounds } from './pricing.ts';
import { PriceOutOfBoundsError } from './errors.ts';
import { CAP, DEFAULT_PARAMS, E0, EMISSION_POOL, GENESIS_SUPPLY, WAD } from './params.ts';

describe('emission schedule', () => {
  it('halves every 365 epochs, exactly in integers, and reaches 0', () => {
    expect(scheduled(0)).toBe(E0);
    expect(scheduled(364)).toBe(E0);
    expect(scheduled(365)).toBe(E0 >> 1n);
    expect(scheduled(365 * 10 + 3)).toBe(E0 >> 10n);
    expect(scheduled(365 * 256)).toBe(0n);
    expect(scheduled(365 * 100)).toBe(0n); // E0 < 2^100
    expect(() => scheduled(-1)).toThrow(RangeError);
  });

  it('the whole schedule sums to at most the emission pool (850M MESH)', () => {
    const total = scheduleTotal();
    expect(total <= EMISSION_POOL).toBe(true);
    expect(total <= 2n * 365n * E0).toBe(true);
    expect(EMISSION_POOL - total < 1_000_000n * WAD).toBe(true); // ≈ 850.0M: within 1M MESH of it
  });

  it('budget = scheduled × rate, clamped to the room under the cap', () => {
    expect(epochBudget({ epoch: 0, emissionRateBps: 10_000n, totalSupply: GENESIS_SUPPLY, committed: 0n })).toBe(E0);
    expect(epochBudget({ epoch: 0, emissionRateBps: 5_000n, totalSupply: GENESIS_SUPPLY, committed: 0n })).toBe(E0 / 2n);
    expect(epochBudget({ epoch: 0, emissionRateBps: 10_000n, totalSupply: CAP - 5n, committed: 2n })).toBe(3n);
    expect(epochBudget({ epoch: 0, emissionRateBps: 10_000n, totalSupply: CAP, committed: 0n })).toBe(0n);
  });

  it('property: budget never lets supply + committed pass the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 365 * 300 }), fc.bigInt({ min: 0n, max: 10_000n }), fc.bigInt({ min: 0n, max: CAP }), fc.bigInt({ min: 0n, max: CAP }), (e, rate, supply, committed) => {
        fc.pre(supply + committed <= CAP);
        const b = epochBudget({ epoch: e, emissionRateBps: rate, totalSupply: supply, committed });
        expect(b >= 0n && supply + committed + b <= CAP).toBe(true);
        expect(b <= scheduled(e)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('worker reward: pro rata, capped by burn paid × maxEmissionPerBurnBps', () => {
    expect(workerReward({ budget: 100n, work: 1n, totalWork: 4n, burnPaid: 1_000n, maxEmissionPerBurnBps: 8_000n })).toEqual({ proRata: 25n, burnCap: 800n, reward: 25n });
    expect(workerReward({ budget: 100n, work: 1n, totalWork: 4n, burnPaid: 10n, maxEmissionPerBurnBps: 8_000n }).reward).toBe(8n);
    expect(workerReward({ budget: 100n, work: 0n, totalWork: 0n, burnPaid: 0n, maxEmissionPerBurnBps: 8_000n }).reward).toBe(0n);
  });

  it('property: rewards of one epoch sum to at most its budget, each at most its burn cap', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: E0 }), fc.array(fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10n ** 24n })), { minLength: 1, maxLength: 20 }), fc.bigInt({ min: 0n, max: 10_000n }), (budget, ws, k) => {
        const totalWork = ws.reduce((a, [w]) => a + w, 0n);
        let sum = 0n;
        for (const [work, burnPaid] of ws) {
          const r = workerReward({ budget, work, totalWork, burnPaid, maxEmissionPerBurnBps: k });
          expect(r.reward <= (burnPaid * k) / 10_000n).toBe(true);
          expect(r.reward <= burnPaid).toBe(true);
          sum += r.reward;
        }
        expect(sum <= budget).toBe(true);
      }),
    );
  });
});

describe('fees and prices', () => {
  it('splitFee: 20% burn, 5% treasury, the rest (with dust) to the worker', () => {
    expect(splitFee(1_000n, DEFAULT_PARAMS)).toEqual({ burn: 200n, treasury: 50n, worker: 750n });
    expect(splitFee(3n, DEFAULT_PARAMS)).toEqual({ burn: 0n, treasury: 0n, worker: 3n });
    expect(() => splitFee(-1n, DEFAULT_PARAMS)).toThrow(RangeError);
  });

  it('property: the split is exact and wash trading always loses (burn cap ≤ 100% of burn)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 27n }), fc.bigInt({ min: 0n, max: 5_000n }), fc.bigInt({ min: 0n, max: 2_000n }), fc.bigInt({ min: 0n, max: 10_000n }), fc.bigInt({ min: 0n, max: 10n ** 30n }), (a, b, t, k, proRata) => {
        fc.pre(b + t <= 6_000n);
        const f = splitFee(a, { burnBps: b, treasuryBps: t });
        expect(f.burn + f.treasury + f.worker).toBe(a);
        expect(f.worker >= 0n).toBe(true);
        // A requester paying itself: gets its worker share back plus at most the capped emission.
        const emission = proRata < (f.burn * k) / 10_000n ? proRata : (f.burn * k) / 10_000n;
        expect(f.worker + emission <= a).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('price bounds: workDelta × min <= amountDelta <= workDelta × max, else PriceOutOfBounds(index)', () => {
    const p = DEFAULT_PARAMS;
    expect(priceWithinBounds({ amountDelta: p.minPricePerWork * 5n, workDelta: 5n }, p)).toBe(true);
    expect(priceWithinBounds({ amountDelta: p.maxPricePerWork * 5n, workDelta: 5n }, p)).toBe(true);
    expect(priceWithinBounds({ amountDelta: p.maxPricePerWork * 5n + 1n, workDelta: 5n }, p)).toBe(false);
    expect(priceWithinBounds({ amountDelta: 1n, workDelta: 0n }, p)).toBe(false);
    try {
      checkPrice({ amountDelta: 1n, workDelta: 2n }, p, 3);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PriceOutOfBoundsError);
      expect((e as PriceOutOfBoundsError).index).toBe(3);
    }
  });
});
