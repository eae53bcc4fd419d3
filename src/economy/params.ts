/**
 * Governed parameters: ids, defaults and the hard bounds written as constants in `Params.sol`
 * (RULES.md, Governance). `checkParam` is `Params.set`'s bound check: no proposal can move a
 * parameter outside these bounds, whatever its vote.
 *
 * @example
 * checkParam(ParamId.burnBps, 6_000n);            // throws ParamOutOfBoundsError (field 'burnBps')
 * const p = setParam(DEFAULT_PARAMS, ParamId.burnBps, 3_000n); // { ...DEFAULT_PARAMS, burnBps: 3000n }
 */
import { ParamOutOfBoundsError } from './errors.ts';

/** 10^18: wei per MESH. */
export const WAD = 10n ** 18n;
/** Basis points denominator. */
export const BPS = 10_000n;
/** Hard supply cap: 1,000,000,000 MESH. */
export const CAP = 1_000_000_000n * WAD;
/** Genesis allocation to the Treasury (owned by the timelock). */
export const GENESIS_TREASURY = 100_000_000n * WAD;
/** Genesis allocation to the faucet. */
export const GENESIS_FAUCET = 50_000_000n * WAD;
/** Total minted at genesis. */
export const GENESIS_SUPPLY = GENESIS_TREASURY + GENESIS_FAUCET;
/** The contributors' emission pool: CAP − genesis, minted only by emission. */
export const EMISSION_POOL = CAP - GENESIS_SUPPLY;
/** Scheduled emission of epoch 0. */
export const E0 = 1_164_383n * WAD;
/** Epochs per halving. */
export const HALVING_EPOCHS = 365;
/** Governor: minimum voting power to propose (1,000 MESH). */
export const PROPOSAL_THRESHOLD = 1_000n * WAD;
/** Governor: quorum numerator over 100 (4% of total votes at the snapshot). */
export const QUORUM_NUMERATOR = 4n;

export const ParamId = {
  emissionRateBps: 0,
  burnBps: 1,
  treasuryBps: 2,
  minStake: 3,
  replicationDefault: 4,
  minPricePerWork: 5,
  maxPricePerWork: 6,
  slashBps: 7,
  reporterBps: 8,
  maxEmissionPerBurnBps: 9,
} as const;
export type ParamName = keyof typeof ParamId;
export type ParamIdValue = (typeof ParamId)[ParamName];

/** Every governed parameter, by name (all bigint; `replicationDefault` is a count). */
export type Params = { readonly [K in ParamName]: bigint };

/** Parameter names in id order: `PARAM_NAMES[id]`. */
export const PARAM_NAMES: readonly ParamName[] = [
  'emissionRateBps',
  'burnBps',
  'treasuryBps',
  'minStake',
  'replicationDefault',
  'minPricePerWork',
  'maxPricePerWork',
  'slashBps',
  'reporterBps',
  'maxEmissionPerBurnBps',
];

export const DEFAULT_PARAMS: Params = Object.freeze({
  emissionRateBps: 10_000n,
  burnBps: 2_000n,
  treasuryBps: 500n,
  minStake: 100n * WAD,
  replicationDefault: 2n,
  minPricePerWork: WAD / 1000n,
  maxPricePerWork: 10n * WAD,
  slashBps: 5_000n,
  reporterBps: 2_000n,
  maxEmissionPerBurnBps: 8_000n,
});

/** burnBps + treasuryBps may never exceed this. */
export const MAX_BURN_PLUS_TREASURY_BPS = 6_000n;

/** Constant hard bounds (the dependent ones — price pair, burn + treasury — are applied on top by `bounds`). */
export const HARD_BOUNDS: { readonly [K in ParamName]: { readonly min: bigint; readonly max: bigint } } = Object.freeze({
  emissionRateBps: { min: 0n, max: 10_000n },
  burnBps: { min: 0n, max: 5_000n },
  treasuryBps: { min: 0n, max: 2_000n },
  minStake: { min: WAD, max: 5_000n * WAD },
  replicationDefault: { min: 1n, max: 5n },
  minPricePerWork: { min: 10n ** 9n, max: 1_000n * WAD },
  maxPricePerWork: { min: 10n ** 9n, max: 1_000n * WAD },
  slashBps: { min: 1_000n, max: 10_000n },
  reporterBps: { min: 0n, max: 5_000n },
  maxEmissionPerBurnBps: { min: 0n, max: 10_000n },
});

/**
 * The bounds a new value of `id` must satisfy given the other current parameters: the constant
 * hard bounds narrowed by `minPricePerWork <= maxPricePerWork` and `burnBps + treasuryBps <= 6000`.
 */
export function bounds(id: number, current: Params = DEFAULT_PARAMS): { min: bigint; max: bigint } {
  const name = paramName(id);
  let { min, max } = HARD_BOUNDS[name];
  if (name === 'minPricePerWork') max = current.maxPricePerWork;
  if (name === 'maxPricePerWork') min = current.minPricePerWork;
  if (name === 'burnBps') max = minBig(max, MAX_BURN_PLUS_TREASURY_BPS - current.treasuryBps);
  if (name === 'treasuryBps') max = minBig(max, MAX_BURN_PLUS_TREASURY_BPS - current.burnBps);
  return { min, max };
}

/** The name of parameter `id`; throws ParamOutOfBoundsError (field `id`) for an unknown id. */
export function paramName(id: number): ParamName {
  const name = PARAM_NAMES[id];
  if (name === undefined) throw new ParamOutOfBoundsError(id, 'id', BigInt(Number.isInteger(id) ? id : -1), 0n, BigInt(PARAM_NAMES.length - 1));
  return name;
}

/**
 * `Params.set`'s check: throws ParamOutOfBoundsError (with the parameter's name in `field`) when
 * `value` is outside the bounds of `id` given the `current` parameters.
 *
 * @example
 * checkParam(ParamId.minStake, 0n); // throws: minStake below 1 MESH
 */
export function checkParam(id: number, value: bigint, current: Params = DEFAULT_PARAMS): void {
  const name = paramName(id);
  const { min, max } = bounds(id, current);
  if (typeof value !== 'bigint' || value < min || value > max) throw new ParamOutOfBoundsError(id, name, value, min, max);
}

/** `Params.set`: the parameters after setting `id` to `value`, or ParamOutOfBoundsError. */
export function setParam(current: Params, id: number, value: bigint): Params {
  checkParam(id, value, current);
  return Object.freeze({ ...current, [paramName(id)]: value });
}

/** True when every parameter is within its hard bounds (including the dependent ones). */
export function paramsWithinBounds(p: Params): boolean {
  return PARAM_NAMES.every((name, id) => {
    const { min, max } = bounds(id, p);
    return p[name] >= min && p[name] <= max;
  });
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
