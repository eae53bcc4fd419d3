/**
 * Types of the client API. The job types are the jobs layer's own (re-exported, not copied), so a
 * spec that typechecks here is exactly what the node accepts.
 */
import type { ContributeOptions, ContributorInfo, JobHandle, JobProgress, JobResult, JobSpec, TabmeshNode, TabmeshNodeInit, UnitState } from '../node/index.ts';
import type { MeshPeer } from '../mesh/index.ts';

export type { ContributeOptions, ContributorInfo, JobHandle, JobProgress, JobResult, JobSpec, MeshPeer, TabmeshNode, TabmeshNodeInit, UnitState };

/**
 * The part of a {@link TabmeshNode} the client drives. A real node satisfies it; unit tests pass a
 * plain object with just these members (event methods are optional: without them the client's
 * `on()` never fires).
 */
export type ClientNode = Pick<TabmeshNode, 'submit' | 'startContributing' | 'stopContributing' | 'contributor' | 'peers' | 'stop'> &
  Partial<Pick<TabmeshNode, 'peerId' | 'relayReachable' | 'addEventListener' | 'removeEventListener'>>;

/** Events a client forwards from its node, with what the callback receives. */
export interface ClientEvents {
  /** A peer linked or left, or a peer's advertised capability changed (e.g. it started contributing). */
  peers: MeshPeer[];
  /** The relay connection opened (true) or closed (false). */
  relay: boolean;
  /** The contributor state changed (started, stopped, a unit finished, ...). */
  contributor: ContributorInfo;
}
