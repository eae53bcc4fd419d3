/**
 * The economy simulator's model (used by `npm run simulate`): a population of contributors and
 * requesters that join and leave, driving the same reducer (`applyEventInPlace`) and pure
 * functions the contracts mirror, one daily epoch at a time. Behaviour is float arithmetic with a
 * seeded PRNG; every token movement is an EconomyEvent in integer wei.
 *
 * Behavioural model (all assumptions, documented in README.md):
 * - Demand for verified work grows logistically from `demand0` to `demandMax` units/day
 *   (midpoint `demandMidYear`), with price elasticity `elasticity` around `refPriceUsd`.
 *   Requesters (size lognormal) leave at `requesterChurn`/day and are replaced to track demand.
 * - Contributors have a capacity (lognormal, replica work/day) and a USD cost per unit of work
 *   (lognormal). One joins when the going price (fee share + emission, in USD) beats its cost at
 *   the expected utilisation; each leaves at `workerChurn`/day, and at `unprofitableChurn`/day
 *   while its last 30 days lost money. Joining buys `minStake` on the market and bonds it; every
 *   week a contributor bonds `restakeShare` of its earnings and sells the rest; leaving unbonds
 *   everything, withdraws after the unbonding delay and sells.
 * - Each unit runs on `replicationDefault` replicas; workers are paid per replica.
 * - The price per work is set in USD by the requesters and moves towards balance of replica
 *   demand and capacity (at most `priceStep` per day), converted to MESH at the exchange rate and
 *   clamped to the governed price bounds.
 * - Exchange rate (equation of exchange): USD/MESH = (holding demand + annual fee volume /
 *   velocity) / float, float = totalSupply − treasury − stake. The holding demand is
 *   `holdingUsd` + `holdingPerVolume` × annual fee volume.
 * - The faucet's 50M MESH is the initial market float (the public profile has no faucet use);
 *   the treasury only receives (governance cannot spend it, RULES.md).
 */
import { DEFAULT_PARAMS, type Params } from './params.ts';
import { PUBLIC_PROFILE, type TimeProfile } from './profiles.ts';
import { scheduled } from './emission.ts';
import { applyEventInPlace, balanceOf, checkInvariants, genesisState, type EconomyEvent, type EconomyState } from './state.ts';

export interface BehaviourModel {
  demand0: number;
  demandMax: number;
  demandMidYear: number;
  /** Logistic steepness per year. */
  demandSteep: number;
  elasticity: number;
  refPriceUsd: number;
  requesterSizeMean: number;
  requesterChurn: number;
  escrowDays: number;
  workerCapMean: number;
  workerCapSigma: number;
  workerCostUsdMean: number;
  workerCostSigma: number;
  workerChurn: number;
  unprofitableChurn: number;
  /** Candidates per day as a share of the current population (+ 3). */
  entryRate: number;
  restakeShare: number;
  holdingUsd: number;
  holdingPerVolume: number;
  /** Fee volume turnover per year. */
  velocity: number;
  priceStep: number;
}

export const DEFAULT_MODEL: BehaviourModel = Object.freeze({
  demand0: 4e6,
  demandMax: 4e7,
  demandMidYear: 3,
  demandSteep: 1.2,
  elasticity: 0.6,
  refPriceUsd: 5e-4,
  requesterSizeMean: 2e5,
  requesterChurn: 0.01,
  escrowDays: 7,
  workerCapMean: 2e5,
  workerCapSigma: 0.5,
  workerCostUsdMean: 3e-4,
  workerCostSigma: 0.35,
  workerChurn: 0.003,
  unprofitableChurn: 0.05,
  entryRate: 0.03,
  restakeShare: 0.1,
  holdingUsd: 4e6,
  holdingPerVolume: 1,
  velocity: 10,
  priceStep: 0.03,
});

export interface SimConfig {
  years: number;
  seed: number;
  profile?: TimeProfile;
  params?: Params;
  model?: Partial<BehaviourModel>;
  /**
   * Adaptive governance (default on): when the price floor (or ceiling) has bound for 30 days, the
   * largest staker proposes halving (doubling) it; every active contributor votes for; the
   * proposal is queued and executed through the timelock (the full Governor path).
   */
  governance?: boolean;
  /** Called once per epoch with its row (progress). */
  onRow?: (row: EpochRow) => void;
}

export interface EpochRow {
  epoch: number;
  year: number;
  totalSupply: number;
  emitted: number;
  burned: number;
  burnedCumulative: number;
  mintedCumulative: number;
  fees: number;
  scheduledBudget: number;
  /** emitted / scheduled budget of the epoch the claims were for. */
  emissionUse: number;
  inflationGross: number;
  inflationNet: number;
  staked: number;
  stakingRatio: number;
  workers: number;
  requesters: number;
  verifiedWork: number;
  replicaWork: number;
  priceMesh: number;
  priceUsd: number;
  meshUsd: number;
  rewardPerWorkMesh: number;
  emissionPerWorkMesh: number;
  requesterCostPerUnitMesh: number;
  requesterCostPerUnitUsd: number;
  treasury: number;
  float: number;
  committed: number;
  minPricePerWork: number;
  /** Mean USD cost per work of the active contributors. */
  workerCostUsd: number;
  /** Share of the eligible capacity used. */
  utilisation: number;
}

/** A proposal the simulated network passed. */
export interface GovernanceAction {
  proposedAt: number;
  executedAt: number;
  description: string;
  forVotes: number;
}

export const ROW_UNITS: Record<keyof EpochRow, string> = {
  epoch: 'epoch (day)',
  year: 'year',
  totalSupply: 'MESH',
  emitted: 'MESH minted this epoch (claims for the previous epoch)',
  burned: 'MESH burned this epoch (fees + slashes)',
  burnedCumulative: 'MESH',
  mintedCumulative: 'MESH',
  fees: 'MESH paid by requesters this epoch',
  scheduledBudget: 'MESH: scheduled(e) × emissionRateBps / 10000',
  emissionUse: 'share of the scheduled budget actually minted',
  inflationGross: 'annualised emitted / supply',
  inflationNet: 'annualised (emitted − burned) / supply',
  staked: 'MESH bonded + unbonding',
  stakingRatio: 'staked / totalSupply',
  workers: 'contributors online',
  requesters: 'requesters',
  verifiedWork: 'units of verified work (work × weight)',
  replicaWork: 'replica work settled (verified × replication)',
  priceMesh: 'MESH per replica work unit',
  priceUsd: 'USD per replica work unit',
  meshUsd: 'USD per MESH',
  rewardPerWorkMesh: 'MESH to workers (fee share + emission) per replica work',
  emissionPerWorkMesh: 'MESH emission per replica work',
  requesterCostPerUnitMesh: 'MESH per verified unit (price × replication)',
  requesterCostPerUnitUsd: 'USD per verified unit',
  treasury: 'MESH',
  float: 'MESH: supply − treasury − stake',
  committed: 'MESH',
  minPricePerWork: 'MESH (governed)',
  workerCostUsd: 'USD per work (mean of active contributors)',
  utilisation: 'replica demand / eligible capacity (≤ 1)',
};

export interface SimResult {
  rows: EpochRow[];
  state: EconomyState;
  model: BehaviourModel;
  violations: string[];
  events: number;
  governance: GovernanceAction[];
}

/** mulberry32: small seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function lognormal(rand: () => number, mean: number, sigma: number): number {
  const u = Math.max(rand(), 1e-12);
  const v = rand();
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return mean * Math.exp(sigma * z - (sigma * sigma) / 2);
}

/** MESH (float) → wei, rounded down to 10^-6 MESH. */
export function toWei(mesh: number): bigint {
  if (!(mesh > 0)) return 0n;
  return BigInt(Math.floor(mesh * 1e6)) * 10n ** 12n;
}

/** wei → MESH (float). */
export function toMesh(wei: bigint): number {
  return Number(wei / 10n ** 12n) / 1e6 + Number(wei % 10n ** 12n) / 1e18;
}

interface Worker {
  addr: string;
  cap: number;
  costUsd: number;
  profit30: number[];
  leaving: boolean;
  releaseAt: number;
}

interface Requester {
  addr: string;
  size: number;
  leaving: boolean;
  releaseAt: number;
}

export const MARKET = 'market';

/** Demand for verified work (units/day) at day `d`, before price elasticity. */
export function demandAt(m: BehaviourModel, day: number): number {
  const y = day / 365;
  const s = 1 / (1 + Math.exp(-m.demandSteep * (y - m.demandMidYear)));
  const s0 = 1 / (1 + Math.exp(m.demandSteep * m.demandMidYear));
  return m.demand0 + (m.demandMax - m.demand0) * ((s - s0) / (1 - s0));
}

/** Runs the economy for `years` of epochs. */
export function simulate(cfg: SimConfig): SimResult {
  const profile = cfg.profile ?? PUBLIC_PROFILE;
  const m: BehaviourModel = { ...DEFAULT_MODEL, ...cfg.model };
  const rand = prng(cfg.seed);
  const s = genesisState(profile, { params: cfg.params ?? DEFAULT_PARAMS });
  const day = profile.epochSeconds;
  const epochs = Math.round(cfg.years * 365);
  let events = 0;
  const ev = (e: EconomyEvent): void => {
    applyEventInPlace(s, e);
    events++;
  };
  const tryEv = (e: EconomyEvent): boolean => {
    try {
      ev(e);
      return true;
    } catch {
      return false;
    }
  };
  ev({ type: 'transfer', from: s.addresses.faucet, to: MARKET, amount: balanceOf(s, s.addresses.faucet) });

  const workers: Worker[] = [];
  const requesters: Requester[] = [];
  let nextId = 0;
  let priceUsd = m.refPriceUsd;
  let meshUsd = 0;
  let util = 1;
  let lastEmissionPerWork = 0;
  const feeUsdWindow: number[] = [];
  const rows: EpochRow[] = [];
  let workedLast: string[] = [];
  const violations: string[] = [];
  const governance: GovernanceAction[] = [];
  let floorDays = 0;
  let ceilDays = 0;
  let pending: { id: string; proposedAt: number; description: string } | undefined;

  const buy = (addr: string, wei: bigint): bigint => {
    const have = balanceOf(s, MARKET);
    const amt = wei < have ? wei : have;
    if (amt > 0n) ev({ type: 'transfer', from: MARKET, to: addr, amount: amt });
    return amt;
  };
  const sellAll = (addr: string): void => {
    const b = balanceOf(s, addr);
    if (b > 0n) ev({ type: 'transfer', from: addr, to: MARKET, amount: b });
  };

  for (let e = 0; e < epochs; e++) {
    ev({ type: 'advanceTime', seconds: s.genesisTime + e * day + 1 - s.now });
    const P = s.params;
    const r = Number(P.replicationDefault);
    const burnedBefore = s.burned;
    const mintedBefore = s.minted;
    const feesBefore = s.stats.fees;
    const workBefore = s.stats.work;
    const workerFeesBefore = s.stats.workerFees;

    // 1. claims for the previous epoch, finalize the one before
    if (e >= 1) for (const w of workedLast) tryEv({ type: 'claimEmission', worker: w, epoch: e - 1 });
    if (e >= 2) tryEv({ type: 'finalizeEpoch', epoch: e - 2 });
    const emitted = s.minted - mintedBefore;

    // 2. exchange rate
    const staked = s.totalBonded + s.totalUnbonding;
    const float = toMesh(s.totalSupply - balanceOf(s, s.addresses.treasury) - staked);
    const volUsdYear = (feeUsdWindow.reduce((a, b) => a + b, 0) / Math.max(1, feeUsdWindow.length)) * 365;
    meshUsd = (m.holdingUsd + m.holdingPerVolume * volUsdYear + volUsdYear / m.velocity) / Math.max(float, 1);

    // 3. price in MESH within the bounds
    const minP = toMesh(P.minPricePerWork);
    const maxP = toMesh(P.maxPricePerWork);
    let priceMesh = priceUsd / meshUsd;
    if (priceMesh < minP) priceMesh = minP;
    if (priceMesh > maxP) priceMesh = maxP;
    priceUsd = priceMesh * meshUsd;
    const priceWei = toWei(priceMesh) > P.minPricePerWork ? toWei(priceMesh) : P.minPricePerWork;
    const workerShare = 1 - Number(P.burnBps + P.treasuryBps) / 10_000;
    const revUsd = (priceMesh * workerShare + lastEmissionPerWork) * meshUsd;

    // 4. requesters: track demand, churn, top up escrow
    const demand = demandAt(m, e) * Math.pow(m.refPriceUsd / priceUsd, m.elasticity);
    const active = requesters.filter((q) => !q.leaving);
    for (const q of active) {
      if (rand() < m.requesterChurn) {
        q.leaving = true;
        const esc = s.escrow.get(q.addr) ?? 0n;
        if (esc > 0n) ev({ type: 'requestWithdrawal', requester: q.addr, amount: esc });
        q.releaseAt = s.now + profile.withdrawalDelay;
      }
    }
    let sizeSum = requesters.filter((q) => !q.leaving).reduce((a, q) => a + q.size, 0);
    while (sizeSum < demand) {
      const q: Requester = { addr: `r${nextId++}`, size: lognormal(rand, m.requesterSizeMean, 0.8), leaving: false, releaseAt: 0 };
      requesters.push(q);
      sizeSum += q.size;
    }
    const scale = demand / sizeSum;
    for (let i = requesters.length - 1; i >= 0; i--) {
      const q = requesters[i] as Requester;
      if (q.leaving && s.now >= q.releaseAt) {
        if (s.withdrawals.has(q.addr)) tryEv({ type: 'withdraw', requester: q.addr });
        sellAll(q.addr);
        if ((s.escrow.get(q.addr) ?? 0n) === 0n) requesters.splice(i, 1);
      }
    }
    const live = requesters.filter((q) => !q.leaving);
    for (const q of live) {
      const spend = q.size * scale * r * priceMesh;
      const target = toWei(spend * m.escrowDays * 1.2);
      const esc = s.escrow.get(q.addr) ?? 0n;
      if (esc < toWei(spend * m.escrowDays)) {
        const got = buy(q.addr, target - esc);
        if (got > 0n) ev({ type: 'deposit', requester: q.addr, amount: got });
      }
    }

    // 5. workers: churn, exits, entry
    for (const w of workers) {
      if (w.leaving) continue;
      const lost = w.profit30.length >= 30 && w.profit30.reduce((a, b) => a + b, 0) < 0;
      if (rand() < m.workerChurn + (lost ? m.unprofitableChurn : 0)) {
        w.leaving = true;
        const b = s.stakes.get(w.addr)?.bonded ?? 0n;
        if (b > 0n) ev({ type: 'unbond', staker: w.addr, operator: w.addr, amount: b });
        w.releaseAt = s.now + profile.unbondingDelay;
      }
    }
    for (let i = workers.length - 1; i >= 0; i--) {
      const w = workers[i] as Worker;
      if (w.leaving && s.now >= w.releaseAt) {
        tryEv({ type: 'withdrawUnbonded', operator: w.addr });
        sellAll(w.addr);
        workers.splice(i, 1);
      }
    }
    let capacity = workers.filter((w) => !w.leaving).reduce((a, w) => a + w.cap, 0);
    const candidates = Math.floor(m.entryRate * (workers.length + 3) + rand());
    for (let c = 0; c < candidates; c++) {
      const cap = lognormal(rand, m.workerCapMean, m.workerCapSigma);
      const costUsd = lognormal(rand, m.workerCostUsdMean, m.workerCostSigma);
      const expUtil = Math.min(1, (r * demand) / (capacity + cap));
      if (revUsd * expUtil <= costUsd) continue;
      const w: Worker = { addr: `w${nextId++}`, cap, costUsd, profit30: [], leaving: false, releaseAt: 0 };
      const got = buy(w.addr, P.minStake);
      if (got < P.minStake) break; // market dry
      ev({ type: 'bond', staker: w.addr, operator: w.addr, amount: P.minStake });
      ev({ type: 'delegate', account: w.addr, to: w.addr });
      workers.push(w);
      capacity += cap;
    }

    // 6. allocate replica work, settle receipts (one per worker and requester it served today)
    const eligible = workers.filter((w) => !w.leaving && (s.stakes.get(w.addr)?.bonded ?? 0n) >= P.minStake);
    const capEl = eligible.reduce((a, w) => a + w.cap, 0);
    const replicaDemand = r * demand;
    util = capEl > 0 ? Math.min(1, replicaDemand / capEl) : 0;
    const queue = live.map((q) => ({ q, left: q.size * scale * r }));
    for (let i = queue.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [queue[i], queue[j]] = [queue[j]!, queue[i]!];
    }
    let qi = 0;
    const worked = new Set<string>();
    for (const w of eligible) {
      let todo = w.cap * util;
      let done = 0;
      while (todo >= 1 && qi < queue.length) {
        const slot = queue[qi]!;
        const take = Math.min(todo, slot.left);
        let work = BigInt(Math.floor(take));
        const esc = s.escrow.get(slot.q.addr) ?? 0n;
        if (work * priceWei > esc) work = esc / priceWei;
        if (work > 0n) {
          ev({ type: 'settle', requester: slot.q.addr, worker: w.addr, amountDelta: work * priceWei, workDelta: work });
          worked.add(w.addr);
          done += Number(work);
        }
        todo -= take;
        slot.left -= take;
        if (slot.left < 1 || work === 0n) qi++;
      }
      const incomeUsd = done * (priceMesh * workerShare + lastEmissionPerWork) * meshUsd;
      w.profit30.push(incomeUsd - done * w.costUsd - (w.cap - done) * w.costUsd * 0.1);
      if (w.profit30.length > 30) w.profit30.shift();
    }
    workedLast = [...worked];

    // 7. weekly: restake a share of earnings, sell the rest
    if (e % 7 === 6) {
      for (const w of workers) {
        if (w.leaving) continue;
        const b = balanceOf(s, w.addr);
        const keep = (b * BigInt(Math.round(m.restakeShare * 1000))) / 1000n;
        if (keep > 0n) ev({ type: 'bond', staker: w.addr, operator: w.addr, amount: keep });
        sellAll(w.addr);
      }
    }

    // 8. the epoch's row
    const fees = s.stats.fees - feesBefore;
    const replicaWork = Number(s.stats.work - workBefore);
    const burned = s.burned - burnedBefore;
    const supply = toMesh(s.totalSupply);
    const stakedNow = toMesh(s.totalBonded + s.totalUnbonding);
    const emittedM = toMesh(emitted);
    const prevReplicaWork = rows.length ? (rows[rows.length - 1] as EpochRow).replicaWork : 0;
    lastEmissionPerWork = prevReplicaWork > 0 ? emittedM / prevReplicaWork : 0;
    feeUsdWindow.push(toMesh(fees) * meshUsd);
    if (feeUsdWindow.length > 30) feeUsdWindow.shift();
    const sched = toMesh((scheduled(Math.max(0, e - 1)) * P.emissionRateBps) / 10_000n);
    const workerPaid = toMesh(s.stats.workerFees - workerFeesBefore);
    const row: EpochRow = {
      epoch: e,
      year: e / 365,
      totalSupply: supply,
      emitted: emittedM,
      burned: toMesh(burned),
      burnedCumulative: toMesh(s.burned),
      mintedCumulative: toMesh(s.minted),
      fees: toMesh(fees),
      scheduledBudget: sched,
      emissionUse: e >= 1 && sched > 0 ? emittedM / sched : 0,
      inflationGross: (emittedM * 365) / supply,
      inflationNet: ((emittedM - toMesh(burned)) * 365) / supply,
      staked: stakedNow,
      stakingRatio: stakedNow / supply,
      workers: workers.filter((w) => !w.leaving).length,
      requesters: live.length,
      verifiedWork: replicaWork / r,
      replicaWork,
      priceMesh: toMesh(priceWei),
      priceUsd,
      meshUsd,
      rewardPerWorkMesh: replicaWork > 0 ? (workerPaid + emittedM) / replicaWork : 0,
      emissionPerWorkMesh: lastEmissionPerWork,
      requesterCostPerUnitMesh: toMesh(priceWei) * r,
      requesterCostPerUnitUsd: toMesh(priceWei) * r * meshUsd,
      treasury: toMesh(balanceOf(s, s.addresses.treasury)),
      float,
      committed: toMesh(s.committed),
      minPricePerWork: toMesh(P.minPricePerWork),
      workerCostUsd: eligible.length ? eligible.reduce((a, w) => a + w.costUsd * w.cap, 0) / Math.max(1, capEl) : 0,
      utilisation: util,
    };
    rows.push(row);
    cfg.onRow?.(row);

    // 9. adaptive governance on binding price bounds
    floorDays = priceWei <= P.minPricePerWork && priceUsd / meshUsd <= toMesh(P.minPricePerWork) ? floorDays + 1 : 0;
    ceilDays = priceWei >= P.maxPricePerWork ? ceilDays + 1 : 0;
    if (cfg.governance !== false) {
      if (!pending && (floorDays >= 30 || ceilDays >= 30)) {
        const down = floorDays >= 30;
        const value = down ? (P.minPricePerWork / 2n > 10n ** 9n ? P.minPricePerWork / 2n : 10n ** 9n) : P.maxPricePerWork * 2n;
        const id = down ? 5 : 6;
        let best: Worker | undefined;
        for (const w of workers) if (!w.leaving && (!best || (s.stakes.get(w.addr)?.bonded ?? 0n) > (s.stakes.get(best.addr)?.bonded ?? 0n))) best = w;
        const description = `${down ? 'minPricePerWork' : 'maxPricePerWork'} ${toMesh(down ? P.minPricePerWork : P.maxPricePerWork)} -> ${toMesh(value)} MESH`;
        const pid = `sim-${e}`;
        if (best && tryEv({ type: 'propose', proposer: best.addr, proposalId: pid, actions: [{ id, value }] })) pending = { id: pid, proposedAt: e, description };
      } else if (pending) {
        const p = s.proposals.get(pending.id)!;
        if (s.now > p.snapshot && s.now <= p.deadline && p.voters.size === 0) for (const w of workers) if (!w.leaving) tryEv({ type: 'castVote', voter: w.addr, proposalId: p.id, support: 1 });
        if (s.now > p.deadline && p.eta === undefined && !tryEv({ type: 'queue', proposalId: p.id })) pending = undefined;
        else if (p.eta !== undefined && s.now >= p.eta) {
          if (tryEv({ type: 'execute', proposalId: p.id })) governance.push({ proposedAt: pending.proposedAt, executedAt: e, description: pending.description, forVotes: toMesh(p.forVotes) });
          pending = undefined;
          floorDays = 0;
          ceilDays = 0;
        }
      }
    }

    // 10. price adjustment for tomorrow
    const excess = capEl > 0 ? replicaDemand / capEl : 2;
    const step = Math.max(-m.priceStep, Math.min(m.priceStep, 0.05 * (excess - 1)));
    priceUsd *= 1 + step;

    if (e % 365 === 364 || e === epochs - 1) {
      violations.push(...checkInvariants(s).map((b) => `epoch ${e}: ${b}`));
    }
  }
  return { rows, state: s, model: m, violations, events, governance };
}
