import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyEvent, applyEventInPlace, applyEvents, balanceOf, currentEpoch, checkInvariants, cloneState, genesisState, proposalStatusOf, type EconomyEvent, type EconomyState } from './state.ts';
import { EconomyError, EpochError, InsufficientEscrowError, ParamOutOfBoundsError, PriceOutOfBoundsError } from './errors.ts';
import { CAP, DEFAULT_PARAMS, E0, GENESIS_FAUCET, GENESIS_SUPPLY, GENESIS_TREASURY, PARAM_NAMES, ParamId, WAD, paramsWithinBounds } from './params.ts';
import { LOCAL_PROFILE, PUBLIC_PROFILE } from './profiles.ts';
import { verifyEquivocation } from './slashing.ts';
import { equivocation, keyOf } from './testkit.ts';

const P = LOCAL_PROFILE; // epoch 30 s, withdrawal 60 s, unbonding 120 s, voting 0 + 60 s, timelock 30 s
const workers = [0, 1, 2, 3].map(keyOf);
const W = workers.map((k) => k.address);
const R = ['req0', 'req1', 'req2'];
const price = WAD / 100n; // 0.01 MESH per work

function funded(): EconomyState {
  let s = genesisState(P);
  const f = s.addresses.faucet;
  s = applyEvents(s, [...R.map((r) => ({ type: 'transfer', from: f, to: r, amount: 100_000n * WAD }) as const), ...W.map((w) => ({ type: 'transfer', from: f, to: w, amount: 5_000n * WAD }) as const)]);
  return s;
}

describe('genesis', () => {
  it('mints treasury 100M and faucet 50M, nothing else', () => {
    for (const prof of [LOCAL_PROFILE, PUBLIC_PROFILE]) {
      const s = genesisState(prof);
      expect(s.totalSupply).toBe(GENESIS_SUPPLY);
      expect(balanceOf(s, s.addresses.treasury)).toBe(GENESIS_TREASURY);
      expect(balanceOf(s, s.addresses.faucet)).toBe(GENESIS_FAUCET);
      expect(s.params).toEqual(DEFAULT_PARAMS);
      expect(checkInvariants(s)).toEqual([]);
    }
  });
});

describe('settlement, emission, claim, finalize', () => {
  it('settles with the fee split, mints capped emission once, finalizes the rest out of committed', () => {
    let s = funded();
    s = applyEvent(s, { type: 'deposit', requester: R[0]!, amount: 1_000n * WAD });
    // worker 0: 100 work for 1 MESH; worker 1: 300 work for 3 MESH (same price)
    s = applyEvent(s, { type: 'settle', requester: R[0]!, worker: W[0]!, amountDelta: 100n * price, workDelta: 100n });
    s = applyEvent(s, { type: 'settle', requester: R[0]!, worker: W[1]!, amountDelta: 300n * price, workDelta: 300n });
    expect(s.escrow.get(R[0]!)).toBe(996n * WAD);
    expect(balanceOf(s, W[0]!)).toBe(5_000n * WAD + (75n * WAD) / 100n);
    expect(s.burned).toBe((8n * WAD) / 10n);
    expect(balanceOf(s, s.addresses.treasury)).toBe(GENESIS_TREASURY + (2n * WAD) / 10n);
    expect(() => applyEvent(s, { type: 'claimEmission', worker: W[0]!, epoch: 0 })).toThrow(EpochError);
    s = applyEvent(s, { type: 'claimEmission', worker: W[0]!, epoch: 0, at: 30 });
    // pro rata E0/4 is far above the cap 0.2 MESH burn × 80% = 0.16 MESH
    expect(s.minted).toBe((16n * WAD) / 100n);
    expect(s.committed).toBe(E0 - s.minted);
    expect(() => applyEvent(s, { type: 'claimEmission', worker: W[0]!, epoch: 0 })).toThrow(/already-claimed/);
    expect(() => applyEvent(s, { type: 'closeEpoch', epoch: 0 })).toThrow(/already-closed/);
    // no work in epoch 0: the claim mints 0 and uses the worker's one claim (RULES.md; Settlement used to revert NoWorkInEpoch)
    const idle = applyEvent(s, { type: 'claimEmission', worker: R[1]!, epoch: 0 });
    expect(idle.minted).toBe(s.minted);
    expect(() => applyEvent(idle, { type: 'claimEmission', worker: R[1]!, epoch: 0 })).toThrow(/already-claimed/);
    expect(() => applyEvent(s, { type: 'finalizeEpoch', epoch: 0 })).toThrow(/too-early/);
    s = applyEvent(s, { type: 'finalizeEpoch', epoch: 0, at: 60 });
    expect(s.committed).toBe(0n);
    expect(() => applyEvent(s, { type: 'claimEmission', worker: W[1]!, epoch: 0 })).toThrow(/finalized/);
    expect(checkInvariants(s)).toEqual([]);
  });

  it('refuses a receipt out of the price bounds or over the escrow', () => {
    let s = funded();
    s = applyEvent(s, { type: 'deposit', requester: R[0]!, amount: WAD });
    expect(() => applyEvent(s, { type: 'settle', requester: R[0]!, worker: W[0]!, amountDelta: 1n, workDelta: 10n, index: 4 })).toThrow(PriceOutOfBoundsError);
    expect(() => applyEvent(s, { type: 'settle', requester: R[0]!, worker: W[0]!, amountDelta: 2n * WAD, workDelta: 10n })).toThrow(InsufficientEscrowError);
  });

  it('escrow stays payable during the withdrawal delay; withdraw pays what is left of the request', () => {
    let s = funded();
    s = applyEvents(s, [
      { type: 'deposit', requester: R[0]!, amount: 10n * WAD },
      { type: 'requestWithdrawal', requester: R[0]!, amount: 10n * WAD },
      { type: 'settle', requester: R[0]!, worker: W[0]!, amountDelta: 4n * WAD, workDelta: 400n, at: 59 },
    ]);
    expect(() => applyEvent(s, { type: 'withdraw', requester: R[0]! })).toThrow(/not-released/);
    s = applyEvent(s, { type: 'withdraw', requester: R[0]!, at: 60 });
    expect(s.escrow.get(R[0]!)).toBe(0n);
    expect(balanceOf(s, R[0]!)).toBe(100_000n * WAD - 4n * WAD);
    expect(checkInvariants(s)).toEqual([]);
  });

  it('a reverted event leaves the state untouched (applyEventInPlace too)', () => {
    const s = funded();
    const before = cloneState(s);
    expect(() => applyEventInPlace(s, { type: 'deposit', requester: 'nobody', amount: WAD, at: 500 })).toThrow(EconomyError);
    expect(s).toEqual(before);
  });
});

describe('staking, slashing, governance through the reducer', () => {
  it('slash takes 50% of bonded + unbonding, 20% of it to the reporter, burns the rest, once per unit', () => {
    let s = funded();
    s = applyEvents(s, [
      { type: 'bond', staker: W[0]!, operator: W[0]!, amount: 1_000n * WAD },
      { type: 'unbond', staker: W[0]!, operator: W[0]!, amount: 400n * WAD },
    ]);
    const ev = equivocation(workers[0]!, 1, 3);
    s = applyEvent(s, { type: 'slash', reporter: 'rep', evidence: ev });
    expect(s.stakes.get(W[0]!)!.bonded).toBe(100n * WAD);
    expect(s.stakes.get(W[0]!)!.unbonding[0]!.amount).toBe(400n * WAD);
    expect(balanceOf(s, 'rep')).toBe(100n * WAD);
    expect(s.burned).toBe(400n * WAD);
    expect(() => applyEvent(s, { type: 'slash', reporter: 'rep', evidence: ev })).toThrow(/already-slashed/);
    expect(() => applyEvent(s, { type: 'slash', reporter: 'rep', evidence: { ...ev, sigB: ev.sigA } })).toThrow(/sigB/);
    expect(checkInvariants(s)).toEqual([]);
  });

  it('a proposal passes with quorum, waits out the timelock, and cannot push a param out of bounds', () => {
    let s = funded();
    s = applyEvents(s, [
      { type: 'bond', staker: W[0]!, operator: W[0]!, amount: 2_000n * WAD },
      { type: 'bond', staker: W[1]!, operator: W[1]!, amount: 3_000n * WAD },
      { type: 'delegate', account: W[0]!, to: W[0]! },
      { type: 'delegate', account: W[1]!, to: W[1]! },
      { type: 'advanceTime', seconds: 1 },
      { type: 'propose', proposer: W[0]!, proposalId: 'p1', actions: [{ id: ParamId.burnBps, value: 3_000n }] },
      { type: 'propose', proposer: W[0]!, proposalId: 'bad', actions: [{ id: ParamId.burnBps, value: 3_000n }, { id: ParamId.treasuryBps, value: 3_500n }] },
      { type: 'advanceTime', seconds: 1 },
      { type: 'castVote', voter: W[0]!, proposalId: 'p1', support: 1 },
      { type: 'castVote', voter: W[0]!, proposalId: 'bad', support: 1 },
    ]);
    expect(() => applyEvent(s, { type: 'propose', proposer: W[2]!, proposalId: 'p2', actions: [{ id: 1, value: 1n }] })).toThrow(/threshold/);
    expect(proposalStatusOf(s, 'p1')).toBe('Active');
    expect(() => applyEvent(s, { type: 'queue', proposalId: 'p1' })).toThrow(/not succeeded/);
    s = applyEvent(s, { type: 'advanceTime', seconds: 60 });
    expect(proposalStatusOf(s, 'p1')).toBe('Succeeded'); // 2000 for, quorum 4% of 5000
    s = applyEvents(s, [{ type: 'queue', proposalId: 'p1' }, { type: 'queue', proposalId: 'bad' }]);
    expect(() => applyEvent(s, { type: 'execute', proposalId: 'p1' })).toThrow(/timelock/);
    s = applyEvent(s, { type: 'execute', proposalId: 'p1', at: s.now + 30 });
    expect(s.params.burnBps).toBe(3_000n);
    expect(() => applyEvent(s, { type: 'execute', proposalId: 'bad' })).toThrow(ParamOutOfBoundsError);
    expect(s.params.treasuryBps).toBe(DEFAULT_PARAMS.treasuryBps);
  });

  it('an unknown parameter id is accepted at propose (the Governor checks only Params.set) and reverts at execution (UnknownParam)', () => {
    let s = funded();
    s = applyEvents(s, [
      { type: 'bond', staker: W[0]!, operator: W[0]!, amount: 2_000n * WAD },
      { type: 'delegate', account: W[0]!, to: W[0]! },
      { type: 'advanceTime', seconds: 1 },
      { type: 'propose', proposer: W[0]!, proposalId: 'unknown', actions: [{ id: 10, value: 1n }] },
      { type: 'castVote', voter: W[0]!, proposalId: 'unknown', support: 1, at: s.now + 2 },
    ]);
    s = applyEvent(s, { type: 'queue', proposalId: 'unknown', at: s.now + 60 });
    expect(() => applyEvent(s, { type: 'execute', proposalId: 'unknown', at: s.now + 30 })).toThrow(ParamOutOfBoundsError);
  });
});

// ---------------------------------------------------------------- random event sequences
const evidencePool = workers.flatMap((k, i) => [equivocation(k, i, 1), equivocation(k, i, 2)]);
const badEvidence = [
  { ...evidencePool[0]!, sigB: evidencePool[2]!.sigB }, // signature by another worker
  { ...evidencePool[0]!, hashB: evidencePool[0]!.hashA }, // same hash
  { ...evidencePool[1]!, unitIndex: 9 }, // signatures for another unit
];

const actor = fc.constantFrom(...W, ...R, 'rep');
const wk = fc.constantFrom(...W);
const rq = fc.constantFrom(...R);
const amount = fc.oneof(fc.bigInt({ min: 0n, max: 3_000n * WAD }), fc.constantFrom(1n, WAD, 100n * WAD, 1_000n * WAD));
const priceArb = fc.oneof(fc.constantFrom(DEFAULT_PARAMS.minPricePerWork, DEFAULT_PARAMS.maxPricePerWork, price, 1n), fc.bigInt({ min: 10n ** 15n, max: 10n ** 17n }), fc.bigInt({ min: 10n ** 15n, max: 10n * WAD }));
const epochArb = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 12 }));
const paramValue = fc.oneof(fc.bigInt({ min: -5n, max: 20_000n }), fc.bigInt({ min: 0n, max: 2_000_000n * WAD }));
const action = fc.record({ id: fc.integer({ min: 0, max: 9 }), value: paramValue });

const eventArb: fc.Arbitrary<EconomyEvent> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ type: fc.constant('transfer' as const), from: actor, to: actor, amount }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('deposit' as const), requester: rq, amount }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('requestWithdrawal' as const), requester: rq, amount }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('withdraw' as const), requester: rq }) },
  {
    weight: 8,
    arbitrary: fc.tuple(rq, fc.constantFrom(...W, R[0]!), fc.bigInt({ min: 1n, max: 2_000n }), priceArb, fc.bigInt({ min: -2n, max: 2n })).map(([requester, worker, workDelta, p, jitter]) => ({ type: 'settle' as const, requester, worker, workDelta, amountDelta: workDelta * p + jitter })),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('closeEpoch' as const), epoch: epochArb }) },
  // negative epoch: relative to the current one (resolved by run()), so claims hit recent epochs with work
  { weight: 6, arbitrary: fc.record({ type: fc.constant('claimEmission' as const), worker: fc.constantFrom(...W, R[0]!), epoch: fc.oneof(fc.constantFrom(-1, -2), epochArb) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('finalizeEpoch' as const), epoch: epochArb }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('bond' as const), staker: actor, operator: wk, amount }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('unbond' as const), staker: actor, operator: wk, amount }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('withdrawUnbonded' as const), operator: wk }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('slash' as const), reporter: actor, evidence: fc.constantFrom(...evidencePool, ...badEvidence) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('delegate' as const), account: actor, to: actor }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('propose' as const), proposer: actor, proposalId: fc.constantFrom('a', 'b', 'c', 'd'), actions: fc.array(action, { minLength: 1, maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('castVote' as const), voter: actor, proposalId: fc.constantFrom('a', 'b', 'c', 'd'), support: fc.constantFrom(0 as const, 1 as const, 2 as const) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('queue' as const), proposalId: fc.constantFrom('a', 'b', 'c', 'd') }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('execute' as const), proposalId: fc.constantFrom('a', 'b', 'c', 'd') }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('paramChange' as const), id: fc.integer({ min: 0, max: 10 }), value: paramValue }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('advanceTime' as const), seconds: fc.integer({ min: 0, max: 45 }) }) },
);

/** Bonds and self-delegates enough for W[0], W[1] to propose, so governance events can succeed. */
function prelude(): EconomyState {
  const s = funded();
  for (const i of [0, 1]) {
    applyEventInPlace(s, { type: 'bond', staker: W[i]!, operator: W[i]!, amount: 1_500n * WAD });
    applyEventInPlace(s, { type: 'delegate', account: W[i]!, to: W[i]! });
  }
  for (const r of R) applyEventInPlace(s, { type: 'deposit', requester: r, amount: 20_000n * WAD });
  applyEventInPlace(s, { type: 'advanceTime', seconds: 1 });
  return s;
}

interface RunLog {
  applied: number;
  claims: number;
  mintingClaims: number;
  slashes: number;
  executed: number;
}

/** Applies every event (reverts are skipped, as the chain skips a reverted transaction) and checks every property after each. */
function run(events: EconomyEvent[], log: RunLog): EconomyState {
  const s = prelude();
  const claimed = new Set<string>();
  for (const raw of events) {
    const ev = raw.type === 'claimEmission' && raw.epoch < 0 ? { ...raw, epoch: Math.max(0, currentEpoch(s) + raw.epoch) } : raw;
    const before = cloneState(s);
    try {
      applyEventInPlace(s, ev);
    } catch (e) {
      if (!(e instanceof EconomyError)) throw e;
      expect(s).toEqual(before); // a revert changes nothing
      continue;
    }
    log.applied++;
    if (ev.type === 'claimEmission') {
      const key = `${ev.epoch}|${ev.worker}`;
      expect(claimed.has(key)).toBe(false); // claim-once
      claimed.add(key);
      log.claims++;
      if (s.minted > before.minted) log.mintingClaims++;
      const d = before.epochs.get(ev.epoch);
      const minted = s.minted - before.minted;
      const burnPaid = d?.burnPaid.get(ev.worker) ?? 0n;
      expect(minted <= (burnPaid * before.params.maxEmissionPerBurnBps) / 10_000n).toBe(true); // burn cap
      expect(minted <= burnPaid).toBe(true);
    }
    if (ev.type === 'execute') log.executed++;
    expect(checkInvariants(s)).toEqual([]); // cap, minted+initial-burned, Σ balances, contract balances, bounds
    expect(s.totalSupply <= CAP).toBe(true);
    expect(paramsWithinBounds(s.params)).toBe(true);
    for (const [e, d] of s.epochs) if (d.closed) expect(d.claimed <= d.budget).toBe(true), expect(e <= s.lastClosed).toBe(true);
  }
  for (const sl of s.slashes) {
    // every slash is backed by two valid conflicting signatures of the slashed operator
    expect(sl.evidence.hashA).not.toBe(sl.evidence.hashB);
    expect(verifyEquivocation(sl.evidence)).toBe(sl.operator);
  }
  log.slashes += s.slashes.length;
  return s;
}

describe('properties over random event sequences', () => {
  it('supply ≤ CAP, genesis + minted − burned = supply, Σ balances = supply, claim-once, burn cap, bounds, valid slashes, reverts change nothing', () => {
    const log: RunLog = { applied: 0, claims: 0, mintingClaims: 0, slashes: 0, executed: 0 };
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 20, maxLength: 120 }), (events) => {
        run(events, log);
      }),
      { numRuns: 150 },
    );
    // the generator reaches the interesting paths
    expect(log.claims).toBeGreaterThan(50);
    expect(log.mintingClaims).toBeGreaterThan(20);
    expect(log.slashes).toBeGreaterThan(5);
    expect(log.applied).toBeGreaterThan(2_000);
  });

  it('governance: whatever proposals pass and execute, parameters stay within the hard bounds', () => {
    let executed = 0;
    const vote = (id: string): EconomyEvent[] => [
      { type: 'advanceTime', seconds: 1 },
      { type: 'castVote', voter: W[0]!, proposalId: id, support: 1 },
      { type: 'castVote', voter: W[1]!, proposalId: id, support: 1 },
      { type: 'advanceTime', seconds: 60 },
      { type: 'queue', proposalId: id },
      { type: 'advanceTime', seconds: 30 },
      { type: 'execute', proposalId: id },
    ];
    fc.assert(
      fc.property(fc.array(fc.array(action, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }), (proposals) => {
        const s = prelude();
        proposals.forEach((actions, i) => {
          const id = `p${i}`;
          for (const ev of [{ type: 'propose', proposer: W[0]!, proposalId: id, actions } as EconomyEvent, ...vote(id)]) {
            try {
              applyEventInPlace(s, ev);
              if (ev.type === 'execute') executed++;
            } catch (e) {
              if (!(e instanceof EconomyError)) throw e;
              if (ev.type !== 'execute') throw e; // only execution may revert (ParamOutOfBounds)
              expect(e).toBeInstanceOf(ParamOutOfBoundsError);
            }
            expect(paramsWithinBounds(s.params)).toBe(true);
            for (const n of PARAM_NAMES) expect(typeof s.params[n]).toBe('bigint');
          }
        });
      }),
      { numRuns: 150 },
    );
    expect(executed).toBeGreaterThan(10);
  });

  it('replaying the same events gives the same state (deterministic)', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 60 }), (events) => {
        const log: RunLog = { applied: 0, claims: 0, mintingClaims: 0, slashes: 0, executed: 0 };
        expect(run(events, log)).toEqual(run(events, log));
      }),
      { numRuns: 20 },
    );
  });
});
