/**
 * Time constants per deployment profile (RULES.md, Units and time). They are constructor
 * arguments (immutable) of the contracts, in seconds.
 *
 * @example
 * checkProfile(PUBLIC_PROFILE); // ok: 14 d > 5 d + 2 d and 14 d >= 7 d
 * epochOf(PUBLIC_PROFILE, 0, 86_400 * 3 + 5); // 3
 */
export interface TimeProfile {
  readonly name: 'local' | 'public' | string;
  readonly epochSeconds: number;
  readonly withdrawalDelay: number;
  readonly unbondingDelay: number;
  readonly votingDelay: number;
  readonly votingPeriod: number;
  readonly timelockDelay: number;
}

const DAY = 86_400;

export const LOCAL_PROFILE: TimeProfile = Object.freeze({
  name: 'local',
  epochSeconds: 30,
  withdrawalDelay: 60,
  unbondingDelay: 120,
  votingDelay: 0,
  votingPeriod: 60,
  timelockDelay: 30,
});

export const PUBLIC_PROFILE: TimeProfile = Object.freeze({
  name: 'public',
  epochSeconds: DAY,
  withdrawalDelay: 7 * DAY,
  unbondingDelay: 14 * DAY,
  votingDelay: DAY,
  votingPeriod: 5 * DAY,
  timelockDelay: 2 * DAY,
});

export class InvalidProfileError extends Error {
  override readonly name = 'InvalidProfileError';
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`profile: ${field} ${problem}`);
  }
}

/** The constructor's check: `unbondingDelay > votingPeriod + timelockDelay`, `unbondingDelay >= withdrawalDelay`. */
export function checkProfile(p: TimeProfile): void {
  for (const f of ['epochSeconds', 'withdrawalDelay', 'unbondingDelay', 'votingDelay', 'votingPeriod', 'timelockDelay'] as const) {
    if (!Number.isSafeInteger(p[f]) || p[f] < 0) throw new InvalidProfileError(f, 'must be a non-negative integer');
  }
  if (p.epochSeconds < 1) throw new InvalidProfileError('epochSeconds', 'must be at least 1');
  if (!(p.unbondingDelay > p.votingPeriod + p.timelockDelay)) throw new InvalidProfileError('unbondingDelay', 'must exceed votingPeriod + timelockDelay');
  if (!(p.unbondingDelay >= p.withdrawalDelay)) throw new InvalidProfileError('unbondingDelay', 'must be at least withdrawalDelay');
}

/** `epoch(t) = (t - genesisTime) / epochSeconds`, rounded down. */
export function epochOf(p: TimeProfile, genesisTime: number, t: number): number {
  return Math.floor((t - genesisTime) / p.epochSeconds);
}
