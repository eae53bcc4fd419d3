/** One browser node: import TabmeshNode from here. */
export { TabmeshNode } from './tabmesh-node.ts';
export type { TabmeshNodeInit, ContributeOptions, RelayEventDetail } from './tabmesh-node.ts';
export type { ContributorInfo, ExecutedUnit, JobHandle, JobProgress, JobResult, JobSpec, UnitState, WorkerTally } from '../jobs/types.ts';
export { Payments, EscrowUnavailableError, StakeUnavailableError, type PaymentsInit, type PaymentsSummary, type SettleReport, type ChainAccess } from './payments.ts';
