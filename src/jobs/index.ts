/**
 * The jobs layer: work units, scheduling and verification on the requester's side, execution
 * on the worker's side, signed claims, and models by content hash. See CONTRACT.md.
 */
export * from './types.ts';
export * from './errors.ts';
export { JobRun, type JobTransport, type JobRunInit, type ResolvedJobSpec } from './job-run.ts';
export { UnitExecutor, type UnitExecutorInit, type ExecutorCompute } from './unit-executor.ts';
export { ClaimKey, claimDigest, recoverClaimSigner, addressOf, type ClaimBody } from './claim.ts';
export { outputsAgree, decideUnit, softmaxRows, argmaxRows, LOGIT_ABS_TOLERANCE, LOGIT_REL_TOLERANCE, type Replica, type UnitVerdict } from './verification.ts';
export { ModelStore, IdbBlobStore, MemoryBlobStore, type BlobStore, type ModelBundle, type PeerChunkRequest } from './model-store.ts';
export { checkJobSpec, validateJobSpec, JOB_SPEC_LIMITS, type JobDefaults } from './validate-job-spec.ts';
export const DEFAULT_MODEL_URL = '/models/digits-cnn/manifest.json';
