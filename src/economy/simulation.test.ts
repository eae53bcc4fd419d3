import { describe, expect, it } from 'vitest';
import { simulate } from './simulation.ts';
import { referenceEconomy, runAttacks } from './attacks.ts';
import { lineChart, niceTicks } from './svg.ts';
import { CAP, GENESIS_SUPPLY } from './params.ts';

describe('simulator', () => {
  it('one year through the reducer keeps every invariant and the burn-capped emission', () => {
    const r = simulate({ years: 1, seed: 7 });
    expect(r.violations).toEqual([]);
    expect(r.rows).toHaveLength(365);
    const end = r.state;
    expect(end.totalSupply <= CAP).toBe(true);
    expect(GENESIS_SUPPLY + end.minted - end.burned).toBe(end.totalSupply);
    // emission can never exceed 80% of the fee burn (plus nothing else mints)
    expect(end.minted <= (end.stats.burnedFees * 8_000n) / 10_000n).toBe(true);
    expect(r.rows.at(-1)!.workers).toBeGreaterThan(10);
    expect(simulate({ years: 0.2, seed: 7 }).rows.map((x) => x.totalSupply)).toEqual(r.rows.slice(0, 73).map((x) => x.totalSupply)); // deterministic per seed
  });

  it('attacks report finite figures; only bounded or governance attacks may pay', () => {
    const ref = referenceEconomy(simulate({ years: 1, seed: 3 }).rows, 1);
    const reports = runAttacks(ref);
    for (const a of reports) expect(Number.isFinite(a.profitMesh)).toBe(true);
    const by = Object.fromEntries(reports.map((a) => [a.name, a]));
    expect(by['sybil']!.profitable).toBe(false);
    expect(by['wash-trading']!.profitable).toBe(false);
    expect(by['lazy-worker']!.profitMesh).toBeLessThan(0);
  });

  it('svg charts have axes, ticks and legend', () => {
    expect(niceTicks(0, 97)).toEqual([0, 20, 40, 60, 80, 100]);
    const svg = lineChart({ title: 'T', yLabel: 'MESH', series: [{ name: 'a', points: [[0, 1], [1, 2]] }, { name: 'b', points: [[0, 2], [1, 1]] }] });
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('>a</text>');
    expect(svg).not.toContain('NaN');
  });
});
