/**
 * Emission (RULES.md, Emission): the halving schedule, an epoch's budget under the cap, and a
 * worker's reward, pro rata to verified work and capped by the burn the worker's receipts paid.
 *
 * @example
 * scheduled(0) === E0;                    // 1,164,383 MESH
 * scheduled(365) === E0 >> 1n;            // first halving
 * epochBudget({ epoch: 0, emissionRateBps: 10_000n, totalSupply: GENESIS_SUPPLY, committed: 0n }); // E0
 * workerReward({ budget: 100n, work: 1n, totalWork: 4n, burnPaid: 10n, maxEmissionPerBurnBps: 8_000n }); // 8n (burn cap)
 */
import { BPS, CAP, E0, HALVING_EPOCHS } from './params.ts';

/** `scheduled(e) = E0 >> (e / halvingEpochs)`: 0 once the shift reaches 256 (as in Solidity). */
export function scheduled(epoch: number): bigint {
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`epoch must be a non-negative integer, got ${epoch}`);
  const halvings = Math.floor(epoch / HALVING_EPOCHS);
  return halvings >= 256 ? 0n : E0 >> BigInt(halvings);
}

/** Sum of `scheduled(e)` for every epoch: `halvingEpochs × Σ_k (E0 >> k)` ≤ 2 × 365 × E0 ≤ the emission pool. */
export function scheduleTotal(): bigint {
  let sum = 0n;
  for (let k = 0n; E0 >> k > 0n; k++) sum += (E0 >> k) * BigInt(HALVING_EPOCHS);
  return sum;
}

export interface EpochBudgetInput {
  epoch: number;
  emissionRateBps: bigint;
  /** totalSupply at the moment the epoch is closed. */
  totalSupply: bigint;
  /** budget of closed, not yet finalized epochs that is not yet claimed. */
  committed: bigint;
}

/** `budget(e) = min(scheduled(e) * emissionRateBps / 10000, CAP - totalSupply - committed)`. */
export function epochBudget(i: EpochBudgetInput): bigint {
  const want = (scheduled(i.epoch) * i.emissionRateBps) / BPS;
  const room = CAP - i.totalSupply - i.committed;
  const r = room > 0n ? room : 0n;
  return want < r ? want : r;
}

export interface WorkerRewardInput {
  budget: bigint;
  /** `work[e][w]`. */
  work: bigint;
  /** `totalWork[e]`. */
  totalWork: bigint;
  /** `burnPaid[e][w]`: the burned share of the fees of the worker's receipts settled in epoch e. */
  burnPaid: bigint;
  maxEmissionPerBurnBps: bigint;
}

export interface WorkerReward {
  /** `budget * work / totalWork` (0 when the worker did no work). */
  proRata: bigint;
  /** `burnPaid * maxEmissionPerBurnBps / 10000`. */
  burnCap: bigint;
  /** `min(proRata, burnCap)`: what `claimEmission` mints. */
  reward: bigint;
}

/** A worker's emission for a closed epoch. */
export function workerReward(i: WorkerRewardInput): WorkerReward {
  const proRata = i.work === 0n || i.totalWork === 0n ? 0n : (i.budget * i.work) / i.totalWork;
  const burnCap = (i.burnPaid * i.maxEmissionPerBurnBps) / BPS;
  return { proRata, burnCap, reward: proRata < burnCap ? proRata : burnCap };
}
