/**
 * Attack scenarios for the simulator. Each reports the attacker's profit or loss in MESH; money
 * flows go through the same reducer (`applyEventInPlace`) as the contracts, probabilities are
 * explicit closed forms over the reference economy taken from the main run.
 *
 * @example
 * const ref = referenceEconomy(result.rows, 1); // year-1 averages
 * const report = runAttacks(ref);               // AttackReport[]
 */
import { DEFAULT_PARAMS, HARD_BOUNDS, ParamId, WAD, setParam, type Params } from './params.ts';
import { PUBLIC_PROFILE } from './profiles.ts';
import { applyEventInPlace, balanceOf, genesisState, type EconomyState } from './state.ts';
import { InsufficientEscrowError } from './errors.ts';
import { toMesh, toWei, type EpochRow } from './simulation.ts';

/** The economy an attack is played against (averages of one simulated year). */
export interface ReferenceEconomy {
  year: number;
  priceMesh: number;
  emissionPerWorkMesh: number;
  meshUsd: number;
  workerCostMesh: number;
  replicaWorkPerDay: number;
  workers: number;
  staked: number;
  float: number;
  totalSupply: number;
  feesPerDay: number;
  params: Params;
}

export interface SweepPoint {
  value: number;
  profitMesh: number;
}

export interface AttackReport {
  name: string;
  summary: string;
  /** The attacker's profit (+) or loss (−) in MESH under the default parameters, for `horizon`. */
  profitMesh: number;
  horizon: string;
  profitable: boolean;
  sweep?: { parameter: string; points: SweepPoint[] };
  /** Where the attack stops paying, when a sweep finds it. */
  threshold?: { parameter: string; value: number; note: string };
  details: Record<string, number | string>;
}

/** Averages of the simulated year `year` (1-based: year 1 = epochs 0..364). */
export function referenceEconomy(rows: EpochRow[], year: number, params: Params = DEFAULT_PARAMS): ReferenceEconomy {
  const ys = rows.filter((r) => r.epoch >= (year - 1) * 365 && r.epoch < year * 365 && r.replicaWork > 0);
  const avg = (f: (r: EpochRow) => number) => ys.reduce((a, r) => a + f(r), 0) / Math.max(1, ys.length);
  return {
    year,
    priceMesh: avg((r) => r.priceMesh),
    emissionPerWorkMesh: avg((r) => r.emissionPerWorkMesh),
    meshUsd: avg((r) => r.meshUsd),
    workerCostMesh: avg((r) => r.workerCostUsd / r.meshUsd),
    replicaWorkPerDay: avg((r) => r.replicaWork),
    workers: avg((r) => r.workers),
    staked: avg((r) => r.staked),
    float: avg((r) => r.float),
    totalSupply: avg((r) => r.totalSupply),
    feesPerDay: avg((r) => r.fees),
    params,
  };
}

const DAY = PUBLIC_PROFILE.epochSeconds;

function fresh(params: Params): EconomyState {
  return genesisState(PUBLIC_PROFILE, { params });
}

function fund(s: EconomyState, to: string, wei: bigint): void {
  applyEventInPlace(s, { type: 'transfer', from: s.addresses.faucet, to, amount: wei });
}

/** Worker income per replica work (fee share + emission), MESH. */
function incomePerWork(ref: ReferenceEconomy, p: Params = ref.params): number {
  return ref.priceMesh * (1 - Number(p.burnBps + p.treasuryBps) / 10_000) + ref.emissionPerWorkMesh;
}

/**
 * One epoch through the reducer: `honest` workers do `honestWork` each; the attacker does
 * `attackerWork` split over `identities` (each bonded minStake), at the same price; returns the
 * attacker's MESH received (fees + emission) and the honest total.
 */
function epochPayout(params: Params, priceWei: bigint, honest: number, honestWork: bigint, attackerWork: bigint, identities: number, washFeeWei = 0n, washWork = 0n) {
  const s = fresh(params);
  fund(s, 'req', 10_000_000n * WAD);
  applyEventInPlace(s, { type: 'deposit', requester: 'req', amount: 10_000_000n * WAD });
  const ids = Array.from({ length: identities }, (_, i) => `att${i}`);
  for (const id of ids) {
    fund(s, id, params.minStake);
    applyEventInPlace(s, { type: 'bond', staker: id, operator: id, amount: params.minStake });
  }
  for (let h = 0; h < honest; h++) applyEventInPlace(s, { type: 'settle', requester: 'req', worker: `h${h}`, amountDelta: honestWork * priceWei, workDelta: honestWork });
  let left = attackerWork;
  ids.forEach((id, i) => {
    const w = i === ids.length - 1 ? left : attackerWork / BigInt(ids.length);
    left -= w;
    if (w > 0n) applyEventInPlace(s, { type: 'settle', requester: 'req', worker: id, amountDelta: w * priceWei, workDelta: w });
  });
  if (washFeeWei > 0n) {
    fund(s, 'wash', washFeeWei);
    applyEventInPlace(s, { type: 'deposit', requester: 'wash', amount: washFeeWei });
    applyEventInPlace(s, { type: 'settle', requester: 'wash', worker: 'wash', amountDelta: washFeeWei, workDelta: washWork });
  }
  applyEventInPlace(s, { type: 'advanceTime', seconds: DAY });
  for (const id of [...ids, 'wash']) {
    try {
      applyEventInPlace(s, { type: 'claimEmission', worker: id, epoch: 0 });
    } catch {
      /* no work */
    }
  }
  let honestPaid = 0n;
  for (let h = 0; h < honest; h++) {
    applyEventInPlace(s, { type: 'claimEmission', worker: `h${h}`, epoch: 0 });
    honestPaid += balanceOf(s, `h${h}`);
  }
  const attacker = ids.reduce((a, id) => a + balanceOf(s, id), 0n);
  return { attacker, honestPaid, wash: balanceOf(s, 'wash'), state: s };
}

/** Sybil: one operator's work split over k minimal-stake identities. */
export function sybilAttack(ref: ReferenceEconomy): AttackReport {
  const p = ref.params;
  const priceWei = toWei(ref.priceMesh);
  const honest = 20;
  const perWorker = BigInt(Math.round(ref.replicaWorkPerDay / Math.max(1, ref.workers)));
  const attackerWork = perWorker * 5n;
  const base = epochPayout(p, priceWei, honest, perWorker, attackerWork, 1).attacker;
  // capital: k × minStake locked ≥ unbondingDelay (14 d) at 10%/yr opportunity cost
  const carry = (k: number) => k * toMesh(p.minStake) * 0.1 * (14 / 365);
  const points: SweepPoint[] = [1, 2, 5, 10, 50, 200].map((k) => {
    const got = epochPayout(p, priceWei, honest, perWorker, attackerWork, k).attacker;
    return { value: k, profitMesh: toMesh(got - base) - carry(k) + carry(1) };
  });
  const worst = Math.max(...points.filter((x) => x.value > 1).map((x) => x.profitMesh));
  return {
    name: 'sybil',
    summary: 'Splitting the same work over k identities with minimal stake: emission and fees follow work, not identities, so splitting earns nothing (rounding down per identity only loses wei) and costs k × minStake of locked capital. The real Sybil risk is capturing all r replicas of units: see "collusion".',
    profitMesh: worst,
    horizon: 'per day, best k > 1 vs one identity',
    profitable: worst > 0,
    sweep: { parameter: 'identities k', points },
    details: { attackerWorkPerDay: Number(attackerWork), minStakeMesh: toMesh(p.minStake), costOfIdentitiesPerDay10: carry(10) },
  };
}

/**
 * Lazy worker: returns cheap wrong answers. Paid only when every other replica of the unit is a
 * colluder giving the same wrong answer (probability s^(r−1)) and the unit escapes the requester's
 * spot check (rate q); a caught unit makes the requester withhold the job's pending receipt
 * (J units since the last one). Outvoted units pay nothing (no slash: not provable on-chain).
 */
export function lazyWorker(ref: ReferenceEconomy, q = 0.01, J = 100): AttackReport {
  const r = Number(ref.params.replicationDefault);
  const inc = incomePerWork(ref);
  const c = ref.workerCostMesh;
  const units = ref.replicaWorkPerDay / Math.max(1, ref.workers);
  const perUnit = (s: number) => Math.pow(s, r - 1) * inc * (1 - q * J) - (inc - c); // lazy − honest, per unit
  const points = [0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9].map((s) => ({ value: s, profitMesh: perUnit(s) * units }));
  // with qJ >= 1 never profitable; find the spot-check rate that makes it unprofitable even at s = 0.9
  const qStar = Math.max(0, (1 - (inc - c) / (Math.pow(0.9, r - 1) * inc)) / J);
  return {
    name: 'lazy-worker',
    summary: `A worker answering without computing is outvoted by honest replicas (no pay, no receipt, reputation loss; not slashable). It is paid only when all other replicas collude (share s of identities) and the unit escapes spot checks (q=${q}, receipt every J=${J} units). Profit vs working honestly, per day.`,
    profitMesh: points[0]!.profitMesh,
    horizon: 'per day vs honest work, no colluders (s = 0)',
    profitable: points.some((x) => x.profitMesh > 0),
    sweep: { parameter: 'colluding share s', points },
    threshold: { parameter: 'spot-check rate q', value: qStar, note: `unprofitable for every s ≤ 0.9 once q ≥ ${qStar.toFixed(4)} (J = ${J})` },
    details: { incomePerWorkMesh: inc, costPerWorkMesh: c, unitsPerDay: units, q, J, replication: r },
  };
}

/**
 * Colluding replicas with a share s of the eligible identities: they cheat only on units where
 * all r replicas are theirs (s^r of all units), saving the compute cost c per replica; a spot
 * check (rate q) catches a cheated unit and the requester withholds the job's pending receipts
 * of all r identities (J units each). Consistent lies are not equivocation: no slash. Signing a
 * second (correct) claim to escape would be equivocation: slashBps of the stake.
 */
export function collusion(ref: ReferenceEconomy, q = 0.01, J = 100): AttackReport {
  const r = Number(ref.params.replicationDefault);
  const inc = incomePerWork(ref);
  const c = ref.workerCostMesh;
  const unitsPerDay = ref.replicaWorkPerDay / r;
  const perCheated = r * c - q * J * r * inc; // MESH per cheated unit
  const points = [0.05, 0.1, 0.2, 0.33, 0.5, 0.67, 0.9].map((s) => ({ value: s, profitMesh: Math.pow(s, r) * unitsPerDay * perCheated }));
  const qStar = c / (J * inc);
  const qPoints = [0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05].map((qq) => ({ value: qq, profitMesh: Math.pow(0.5, r) * unitsPerDay * (r * c - qq * J * r * inc) }));
  const stake = toMesh(ref.params.minStake);
  const equivocationCost = (stake * Number(ref.params.slashBps)) / 10_000;
  return {
    name: 'collusion',
    summary: `Colluders holding a share s of identities control all r=${r} replicas of s^r of units and save the compute cost there; spot checks (q=${q}) catch a cheated unit and cost them the job's pending receipts (J=${J} units × r). Profit per day for the group.`,
    profitMesh: points.find((x) => x.value === 0.5)!.profitMesh,
    horizon: 'per day at s = 0.5',
    profitable: points.some((x) => x.profitMesh > 0),
    sweep: { parameter: 'colluding share s', points },
    threshold: { parameter: 'spot-check rate q', value: qStar, note: `profitable below q = ${qStar.toFixed(5)} for every s (sign independent of s); q sweep at s = 0.5: ${qPoints.map((x) => `${x.value}:${x.profitMesh.toFixed(1)}`).join(', ')}` },
    details: { perCheatedUnitMesh: perCheated, equivocationSlashPerIncidentMesh: equivocationCost, unitPayMesh: inc, costPerWorkMesh: c },
  };
}

/**
 * A requester that stops paying: it deposits, receives work with a receipt every J units per
 * worker, then stops signing and requests a withdrawal. Workers stop after J unpaid units (their
 * credit limit) and settle their latest receipts within the withdrawal delay; the requester
 * withdraws the rest. Run through the reducer; also shows a worker who settles too late.
 */
export function requesterStopsPaying(ref: ReferenceEconomy, J = 1_000, workers = 10): AttackReport {
  const p = ref.params;
  const priceWei = toWei(ref.priceMesh);
  const run = (j: number) => {
    const s = fresh(p);
    fund(s, 'req', 1_000_000n * WAD);
    applyEventInPlace(s, { type: 'deposit', requester: 'req', amount: 1_000_000n * WAD });
    const receipts = 5;
    if (j > 0) for (let w = 0; w < workers; w++) for (let k = 0; k < receipts; k++) applyEventInPlace(s, { type: 'settle', requester: 'req', worker: `w${w}`, amountDelta: BigInt(j) * priceWei, workDelta: BigInt(j) });
    // workers do j more units each, receipt never comes; requester asks for its escrow back
    applyEventInPlace(s, { type: 'requestWithdrawal', requester: 'req', amount: s.escrow.get('req')! });
    applyEventInPlace(s, { type: 'withdraw', requester: 'req', at: s.now + PUBLIC_PROFILE.withdrawalDelay });
    let late = false;
    try {
      applyEventInPlace(s, { type: 'settle', requester: 'req', worker: 'w0', amountDelta: priceWei, workDelta: 1n });
    } catch (e) {
      late = e instanceof InsufficientEscrowError;
    }
    const unpaidWork = j * workers;
    return { unpaidMesh: unpaidWork * ref.priceMesh, late };
  };
  const points = [0, 10, 100, 1_000, 10_000].map((j) => ({ value: j, profitMesh: run(j).unpaidMesh }));
  const main = run(J);
  return {
    name: 'requester-stops-paying',
    summary: `Workers lose at most the work since their last receipt (credit limit J=${J} units each, ${workers} workers): the escrow stays payable for the ${PUBLIC_PROFILE.withdrawalDelay / 86_400}-day withdrawal delay, so every signed receipt is settled in time. A receipt settled after the withdrawal fails (InsufficientEscrow: ${main.late}) — the ledger must settle pending receipts when it sees a withdrawal request.`,
    profitMesh: main.unpaidMesh,
    horizon: 'once per requester identity',
    profitable: main.unpaidMesh > 0,
    sweep: { parameter: 'credit limit J (units per receipt)', points },
    threshold: { parameter: 'credit limit J', value: 0, note: 'bounded, not made unprofitable by any governed parameter: the gain is J × workers × price per identity; only J → 0 (a receipt per unit) or a requester bond (not in RULES) removes it' },
    details: { priceMesh: ref.priceMesh, workers, J },
  };
}

/** Wash trading: a requester pays itself at the minimum price to farm emission; sweep the burn cap. */
export function washTrading(ref: ReferenceEconomy, feeMesh = 10_000): AttackReport {
  const priceWei = toWei(ref.priceMesh);
  const honest = 20;
  const perWorker = BigInt(Math.round(ref.replicaWorkPerDay / Math.max(1, ref.workers)));
  const play = (params: Params) => {
    const fee = toWei(feeMesh);
    const work = fee / params.minPricePerWork; // the most work per fee the bounds allow
    const r = epochPayout(params, priceWei, honest, perWorker, 0n, 0, fee, work);
    return toMesh(r.wash) - feeMesh;
  };
  const points = [0, 2_500, 5_000, 8_000, 10_000].map((k) => ({ value: k, profitMesh: play(setParam(ref.params, ParamId.maxEmissionPerBurnBps, BigInt(k))) }));
  // worst case inside the hard bounds for the attacker: burn 50%, treasury 0, cap 100%
  let worst = setParam(ref.params, ParamId.treasuryBps, 0n);
  worst = setParam(worst, ParamId.burnBps, 5_000n);
  worst = setParam(worst, ParamId.maxEmissionPerBurnBps, 10_000n);
  const worstProfit = play(worst);
  const def = play(ref.params);
  return {
    name: 'wash-trading',
    summary: `A requester paying itself ${feeMesh} MESH at the minimum price (most work per fee) gets back the worker share plus emission ≤ burn × maxEmissionPerBurnBps: it loses treasury + (1 − cap) × burn. Worst case inside the hard bounds (burn 50%, treasury 0, cap 100%): ${worstProfit.toFixed(4)} MESH.`,
    profitMesh: def,
    horizon: `per ${feeMesh} MESH of self-paid fees`,
    profitable: def > 0 || worstProfit > 0,
    sweep: { parameter: 'maxEmissionPerBurnBps', points },
    threshold: { parameter: 'maxEmissionPerBurnBps', value: 10_000, note: 'never profitable within the hard bound (≤ 10000): break-even at exactly 10000 with treasuryBps = 0' },
    details: { worstCaseInsideBoundsMesh: worstProfit },
  };
}

/**
 * Governance takeover: the attacker buys enough stake to outvote every honest (self-delegated)
 * bonded stake and passes the worst parameter sets the hard bounds allow. Effects are evaluated
 * on the reference economy. The dangerous one is exclusion: minStake at its hard maximum. When
 * that maximum is above what an honest contributor can afford to bond (≈ 30 days of its income),
 * the attacker, bonded above it, is the only eligible worker and prices as a monopoly; when it is
 * not (RULES.md: 5,000 MESH), honest workers top up their bond and the attacker gains nothing
 * for its locked capital. `minStakeMaxSweep` in the details gives the profit per hard maximum.
 */
export function governanceTakeover(ref: ReferenceEconomy, outsideOptionMultiple = 3, horizonDays = 365): AttackReport {
  const votesNeeded = ref.staked + 1; // all honest stake self-delegates and votes against
  const lockDays = (PUBLIC_PROFILE.votingDelay + PUBLIC_PROFILE.votingPeriod + PUBLIC_PROFILE.timelockDelay + PUBLIC_PROFILE.unbondingDelay) / 86_400;
  const cost = (votes: number, days: number) => votes * (0.1 * (days / 365)) + (votes * votes) / Math.max(1, ref.float); // carry + round-trip price impact, MESH
  const sets: Array<{ name: string; actions: Array<[number, bigint]> }> = [
    { name: 'max burn + treasury (40% to workers)', actions: [[ParamId.treasuryBps, 2_000n], [ParamId.burnBps, 4_000n]] },
    { name: 'no burn, no treasury (emission → 0 by the burn cap)', actions: [[ParamId.burnBps, 0n], [ParamId.treasuryBps, 0n]] },
    { name: 'emission max (rate 100%, cap 100%, burn 50%)', actions: [[ParamId.treasuryBps, 0n], [ParamId.burnBps, 5_000n], [ParamId.maxEmissionPerBurnBps, 10_000n]] },
    { name: 'price floor = ceiling = 1000 MESH (denial of service)', actions: [[ParamId.maxPricePerWork, 1_000n * WAD], [ParamId.minPricePerWork, 1_000n * WAD]] },
    { name: 'slash 100%, reporter 50%', actions: [[ParamId.slashBps, 10_000n], [ParamId.reporterBps, 5_000n]] },
    { name: `exclusion: minStake ${toMesh(HARD_BOUNDS.minStake.max).toLocaleString('en-US')} MESH (hard max)`, actions: [[ParamId.minStake, HARD_BOUNDS.minStake.max]] },
  ];
  const affordableMinStake = 30 * incomePerWork(ref) * (ref.replicaWorkPerDay / Math.max(1, ref.workers));
  const hardMaxMesh = toMesh(HARD_BOUNDS.minStake.max);
  const details: Record<string, number | string> = { honestVotes: ref.staked, votesNeeded, lockDays };
  const r = Number(ref.params.replicationDefault);
  let exclusionProfit = 0;
  let worstParams = '';
  for (const set of sets) {
    let p = ref.params;
    for (const [id, v] of set.actions) p = setParam(p, id, v); // every set is inside the hard bounds (setParam would throw)
    const inc = incomePerWork(ref, p);
    const line = `worker income/work ${inc.toFixed(6)} MESH (default ${incomePerWork(ref).toFixed(6)}), requester cost/unit ${(Math.max(ref.priceMesh, toMesh(p.minPricePerWork)) * r).toFixed(4)} MESH, net supply change/day ${(-(ref.feesPerDay * Number(p.burnBps)) / 10_000 + Math.min(ref.emissionPerWorkMesh * ref.replicaWorkPerDay, (ref.feesPerDay * Number(p.burnBps) * Number(p.maxEmissionPerBurnBps)) / 1e8)).toFixed(0)} MESH`;
    details[set.name] = line;
    if (set.name.startsWith('exclusion')) {
      // monopoly: the attacker serves all demand at the requesters' outside option (cloud) price
      const pm = ref.priceMesh * outsideOptionMultiple;
      const demandFactor = Math.pow(outsideOptionMultiple, -0.6);
      const margin = incomePerWork({ ...ref, priceMesh: pm }, p) - ref.workerCostMesh;
      const monopolyPerDay = ref.replicaWorkPerDay * demandFactor * margin;
      // honest contributors who can afford the new minimum re-bond up to it: no exclusion, no monopoly
      const excludes = hardMaxMesh > affordableMinStake;
      const profitPerDay = excludes ? monopolyPerDay : 0;
      const needed = Math.max(votesNeeded, hardMaxMesh);
      exclusionProfit = profitPerDay * horizonDays - cost(needed, horizonDays);
      details.exclusionExcludesHonest = String(excludes);
      details.monopolyProfitPerDay = monopolyPerDay;
      details.exclusionProfitPerDay = profitPerDay;
      details.exclusionStakeMesh = needed;
      details.exclusionCostMesh = cost(needed, horizonDays);
      worstParams = set.name;
    }
  }
  // sweep the honest bonded stake: where does the takeover stop paying?
  const sweepPoints: SweepPoint[] = [];
  let threshold = NaN;
  for (const mult of [1, 3, 10, 30, 100, 300, 1000]) {
    const honest = ref.staked * mult;
    const pr = Number(details.exclusionProfitPerDay) * horizonDays - cost(Math.max(honest + 1, hardMaxMesh), horizonDays);
    sweepPoints.push({ value: honest, profitMesh: pr });
    if (Number.isNaN(threshold) && pr < 0) threshold = honest;
  }
  details.affordableMinStakeMesh = affordableMinStake;
  details.minStakeHardMaxMesh = hardMaxMesh;
  // sweep the hard maximum of minStake (what RULES.md could allow), all else as above
  details.minStakeMaxSweep = [1_000, 2_000, 5_000, 8_000, 10_000, 20_000, 100_000, 1_000_000]
    .map((m) => `${m}:${((m > affordableMinStake ? Number(details.monopolyProfitPerDay) * horizonDays : 0) - cost(Math.max(votesNeeded, m), horizonDays)).toFixed(0)}`)
    .join(', ');
  return {
    name: 'governance-takeover',
    summary: `Outvoting all ${ref.staked.toFixed(0)} MESH of honest bonded stake costs little (staking ratio ${((100 * ref.staked) / ref.totalSupply).toFixed(2)}%). Every parameter set stays inside the hard bounds (Params.set refuses the rest; the treasury is not a proposal target). Worst: "${worstParams}" makes the attacker the only eligible worker.`,
    profitMesh: exclusionProfit,
    horizon: `${horizonDays} days of monopoly (outside option ${outsideOptionMultiple}× today's price)`,
    profitable: exclusionProfit > 0,
    sweep: { parameter: 'honest bonded, self-delegated stake (MESH)', points: sweepPoints },
    threshold: { parameter: 'honest bonded stake', value: threshold, note: Number.isNaN(threshold) ? 'still profitable at 1000× today’s honest stake' : `unprofitable once honest bonded voting stake ≥ ${threshold.toFixed(0)} MESH (${((100 * threshold) / ref.totalSupply).toFixed(2)}% of supply); ${hardMaxMesh > affordableMinStake ? `lowering the hard maximum of minStake (${hardMaxMesh.toFixed(0)} MESH in RULES) to what honest workers can afford (≈ 30 days of a typical contributor's income, ${affordableMinStake.toFixed(0)} MESH) removes the exclusion lever` : `the hard maximum of minStake (${hardMaxMesh.toFixed(0)} MESH) is below what an honest contributor can afford to bond (≈ 30 days of income, ${affordableMinStake.toFixed(0)} MESH), so exclusion fails and the attacker only pays for its stake`}` },
    details,
  };
}

export function runAttacks(ref: ReferenceEconomy): AttackReport[] {
  return [sybilAttack(ref), lazyWorker(ref), collusion(ref), requesterStopsPaying(ref), washTrading(ref), governanceTakeover(ref)];
}
