/** The MESH economy as pure functions (RULES.md): the contracts compute the same numbers. */
export * from './errors.ts';
export * from './params.ts';
export * from './profiles.ts';
export * from './emission.ts';
export * from './fees.ts';
export * from './pricing.ts';
export * from './staking.ts';
export * from './slashing.ts';
export * from './governance.ts';
export * from './state.ts';
