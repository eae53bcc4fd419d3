/**
 * `npm run simulate -- --years 10 --seed 1 --out public/simulation`: runs the MESH economy
 * (public profile, daily epochs) with the same pure functions and reducer the contracts mirror
 * (src/economy), writes `economy.csv` (one row per epoch), SVG plots, and `attacks.json`; prints
 * a yearly table, the attack table, and a final `SIMULATION {json}` line with the key figures.
 * Model and assumptions: src/economy/simulation.ts and src/economy/README.md.
 *
 * Flags: --years 10, --seed 1, --out public/simulation, --no-governance (no adaptive proposals),
 * --attack-year 2 (which simulated year the attacks are played against).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { simulate, toMesh, ROW_UNITS, type EpochRow } from '../src/economy/simulation.ts';
import { lineChart, formatNumber } from '../src/economy/svg.ts';
import { referenceEconomy, runAttacks, type AttackReport } from '../src/economy/attacks.ts';
import { DEFAULT_PARAMS, GENESIS_SUPPLY, PARAM_NAMES } from '../src/economy/params.ts';

const { values } = parseArgs({
  options: {
    years: { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: 'public/simulation' },
    'no-governance': { type: 'boolean', default: false },
    'attack-year': { type: 'string', default: '2' },
  },
});
const years = Number(values.years);
const seed = Number(values.seed);
const out = values.out as string;
if (!(years > 0) || !Number.isInteger(seed)) throw new Error('--years must be > 0 and --seed an integer');
mkdirSync(out, { recursive: true });

const t0 = performance.now();
const res = simulate({ years, seed, governance: !values['no-governance'] });
const ms = performance.now() - t0;
const rows = res.rows;
if (res.violations.length) {
  console.error('INVARIANT VIOLATIONS', res.violations);
  process.exitCode = 1;
}

// CSV
const cols = Object.keys(ROW_UNITS) as (keyof EpochRow)[];
const csv = [cols.join(','), ...rows.map((r) => cols.map((c) => (Number.isInteger(r[c]) ? String(r[c]) : Number(r[c]).toPrecision(8))).join(','))].join('\n') + '\n';
writeFileSync(join(out, 'economy.csv'), csv);
writeFileSync(join(out, 'columns.json'), JSON.stringify(ROW_UNITS, null, 2) + '\n');

// weekly-averaged points for plots
function series(f: (r: EpochRow) => number, window = 7): Array<[number, number]> {
  const pts: Array<[number, number]> = [];
  for (let i = 0; i < rows.length; i += window) {
    const w = rows.slice(i, i + window);
    pts.push([w[0]!.year, w.reduce((a, r) => a + f(r), 0) / w.length]);
  }
  return pts;
}
const sub = `public profile, daily epochs, seed ${seed}, weekly averages`;
const charts: Record<string, string> = {
  'supply.svg': lineChart({ title: 'MESH total supply', subtitle: `${sub}; cap 1B, genesis 150M (treasury 100M + market float 50M)`, yLabel: 'MESH', series: [{ name: 'totalSupply', points: series((r) => r.totalSupply) }, { name: 'float (supply − treasury − stake)', points: series((r) => r.float) }, { name: 'treasury', points: series((r) => r.treasury), dashed: true }], yMin: 0 }),
  'inflation.svg': lineChart({ title: 'Inflation rate (annualised)', subtitle: `${sub}; gross = emission / supply, net = (emission − burn) / supply`, yLabel: 'per year', yFormat: 'percent', series: [{ name: 'gross (emission)', points: series((r) => r.inflationGross) }, { name: 'net (emission − burn)', points: series((r) => r.inflationNet) }] }),
  'burn.svg': lineChart({ title: 'Emission and burn per epoch', subtitle: `${sub}; emission is capped at 80% of each worker's burn, and by the halving schedule`, yLabel: 'MESH per day', series: [{ name: 'burned', points: series((r) => r.burned) }, { name: 'emitted', points: series((r) => r.emitted) }, { name: 'scheduled budget', points: series((r) => r.scheduledBudget), dashed: true }], yMin: 0 }),
  'staking.svg': lineChart({ title: 'Staking ratio', subtitle: `${sub}; bonded + unbonding over total supply`, yLabel: 'staked / supply', yFormat: 'percent', series: [{ name: 'staking ratio', points: series((r) => r.stakingRatio) }], yMin: 0 }),
  'reward-per-work.svg': lineChart({ title: 'Worker reward per unit of verified replica work', subtitle: `${sub}; fee share (75%) + emission`, yLabel: 'MESH per work unit', series: [{ name: 'reward (fees + emission)', points: series((r) => r.rewardPerWorkMesh) }, { name: 'emission part', points: series((r) => r.emissionPerWorkMesh) }], yMin: 0 }),
  'requester-cost.svg': lineChart({ title: 'Requester cost per verified unit (price × replication)', subtitle: `${sub}; USD at the simulated exchange rate`, yLabel: 'MESH per unit  /  USD × 1000 per unit', series: [{ name: 'MESH per unit', points: series((r) => r.requesterCostPerUnitMesh) }, { name: 'USD per unit × 1000', points: series((r) => r.requesterCostPerUnitUsd * 1000) }, { name: 'minPricePerWork × r (governed floor)', points: series((r) => r.minPricePerWork * 2), dashed: true }], yMin: 0 }),
  'participants.svg': lineChart({ title: 'Contributors and requesters', subtitle: sub, yLabel: 'count', series: [{ name: 'contributors', points: series((r) => r.workers) }, { name: 'requesters', points: series((r) => r.requesters) }], yMin: 0 }),
};
for (const [f, svg] of Object.entries(charts)) writeFileSync(join(out, f), svg + '\n');

// yearly table
const at = (y: number) => rows[Math.min(rows.length - 1, Math.round(y * 365) - 1)]!;
const yearly = (y: number) => {
  const ys = rows.slice(Math.max(0, (y - 1) * 365), y * 365);
  const sum = (f: (r: EpochRow) => number) => ys.reduce((a, r) => a + f(r), 0);
  const end = at(y);
  const startSupply = y === 1 ? toMesh(GENESIS_SUPPLY) : at(y - 1).totalSupply;
  return { year: y, supply: end.totalSupply, emitted: sum((r) => r.emitted), burned: sum((r) => r.burned), inflationGross: sum((r) => r.emitted) / startSupply, inflationNet: (end.totalSupply - startSupply) / startSupply, stakingRatio: end.stakingRatio, workers: end.workers, priceMesh: end.priceMesh, meshUsd: end.meshUsd, rewardPerWork: end.rewardPerWorkMesh, costPerUnitUsd: end.requesterCostPerUnitUsd };
};
const table = Array.from({ length: Math.floor(years) }, (_, i) => yearly(i + 1));
const pad = (s: string, n: number) => s.padStart(n);
console.log(`\nMESH economy, ${years} years (${rows.length} epochs, ${res.events} events through the reducer, ${(ms / 1000).toFixed(1)} s)`);
console.log(['year', 'supply', 'emitted', 'burned', 'gross infl', 'net infl', 'staked', 'workers', 'price/work', 'USD/MESH', 'reward/work', 'USD/unit'].map((h, i) => pad(h, i ? 11 : 4)).join(' '));
for (const t of table) console.log([String(t.year), formatNumber(t.supply), formatNumber(t.emitted), formatNumber(t.burned), formatNumber(t.inflationGross, 'percent'), formatNumber(t.inflationNet, 'percent'), formatNumber(t.stakingRatio, 'percent'), String(t.workers), t.priceMesh.toPrecision(3), t.meshUsd.toPrecision(3), t.rewardPerWork.toPrecision(3), t.costPerUnitUsd.toPrecision(3)].map((v, i) => pad(v, i ? 11 : 4)).join(' '));
for (const g of res.governance) console.log(`governance: proposed epoch ${g.proposedAt}, executed epoch ${g.executedAt}: ${g.description} (${formatNumber(g.forVotes)} MESH for)`);

// attacks
const attackYear = Math.min(Number(values['attack-year']), Math.floor(years)) || 1;
const ref = referenceEconomy(rows, attackYear, DEFAULT_PARAMS);
const attacks: AttackReport[] = runAttacks(ref);
writeFileSync(join(out, 'attacks.json'), JSON.stringify({ reference: { ...ref, params: Object.fromEntries(PARAM_NAMES.map((n) => [n, String(DEFAULT_PARAMS[n])])) }, attacks }, null, 2) + '\n');
console.log(`\nAttacks against the year-${attackYear} economy (price ${ref.priceMesh.toPrecision(3)} MESH/work, ${ref.workers.toFixed(0)} contributors, ${formatNumber(ref.staked)} MESH staked)`);
console.log(['attack', 'profit (MESH)', 'horizon', 'profitable', 'threshold'].map((h, i) => (i === 0 ? h.padEnd(24) : i === 2 ? h.padEnd(46) : h.padEnd(14))).join(' '));
for (const a of attacks) console.log([a.name.padEnd(24), a.profitMesh.toFixed(3).padEnd(14), a.horizon.padEnd(46), String(a.profitable).padEnd(14), a.threshold ? `${a.threshold.parameter}: ${a.threshold.note}` : ''].join(' '));

const y = (n: number) => (n <= years ? yearly(n) : undefined);
const summary = {
  years,
  seed,
  epochs: rows.length,
  events: res.events,
  supplyEnd: rows[rows.length - 1]!.totalSupply,
  mintedTotal: rows[rows.length - 1]!.mintedCumulative,
  burnedTotal: rows[rows.length - 1]!.burnedCumulative,
  inflationGross: { y1: y(1)?.inflationGross, y5: y(5)?.inflationGross, y10: y(10)?.inflationGross },
  inflationNet: { y1: y(1)?.inflationNet, y5: y(5)?.inflationNet, y10: y(10)?.inflationNet },
  stakingRatioEnd: rows[rows.length - 1]!.stakingRatio,
  governanceExecuted: res.governance.length,
  invariantViolations: res.violations.length,
  attacks: Object.fromEntries(attacks.map((a) => [a.name, { profitMesh: Number(a.profitMesh.toPrecision(6)), profitable: a.profitable, threshold: a.threshold ? Number(a.threshold.value.toPrecision(6)) : null }])),
  out,
};
console.log('SIMULATION ' + JSON.stringify(summary));
