import { TabmeshClient } from './client.ts';
import { ConnectError } from './errors.ts';
import type { ClientNode, TabmeshNodeInit } from './types.ts';

export interface ConnectOptions extends TabmeshNodeInit {
  /**
   * How long `connect()` waits for the node to start, ms. Default 30 000. (The node starts once
   * libp2p is up and a first relay dial was tried; an unreachable relay is retried in the
   * background, so a slow start means something is stuck.)
   */
  timeoutMs?: number;
  /** Test hook: builds the node instead of `new TabmeshNode(init)`. */
  createNode?: (init: TabmeshNodeInit) => ClientNode & { start(): Promise<void> };
}

/**
 * Starts a {@link TabmeshNode} in this page and returns a {@link TabmeshClient} over it. The
 * relay comes from `opts.relay`, else the page's `?relay=` parameter, else `VITE_TABMESH_RELAY`.
 * Rejects with `ConnectError` (the node's error as `cause`: `MeshConfigError` when no relay is
 * configured or its address is malformed) and leaves nothing running.
 *
 * @example
 * import { connect } from './src/client/index.ts';
 * const client = await connect({ relay: '/ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooW...' });
 * console.log('joined as', client.peerId);
 */
export async function connect(opts: ConnectOptions = {}): Promise<TabmeshClient> {
  const { timeoutMs = 30_000, createNode, ...init } = opts;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new RangeError(`timeoutMs must be a number > 0, got ${timeoutMs}`);
  let node: ClientNode & { start(): Promise<void> };
  try {
    if (createNode) node = createNode(init);
    else {
      // Loaded on demand: importing the client (e.g. for validateJobSpec) does not pull in libp2p.
      const { TabmeshNode } = await import('../node/index.ts');
      node = new TabmeshNode(init);
    }
  } catch (e) {
    throw new ConnectError(`tabmesh: could not create the node: ${(e as Error).message}`, { cause: e });
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      node.start(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the node did not start within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (e) {
    await node.stop().catch(() => undefined);
    throw new ConnectError(`tabmesh: cannot reach the network: ${(e as Error).message}`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
  return new TabmeshClient(node, { ownsNode: true });
}
