/**
 * `npm run chain`: the local chain on its own. Prints one JSON line with the RPC URL, chain id
 * and contract addresses, then serves until Ctrl-C.
 * Flags: --port N (default 8545), --data-dir D (default ~/.tabmesh/chain), --memory (no data dir).
 */
import { parseArgs } from 'node:util';
import { startLocalChain } from '../src/chain/local.ts';
import { ChainServer } from '../src/chain/server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.CHAIN_PORT ?? '8545' },
    'data-dir': { type: 'string' },
    memory: { type: 'boolean', default: false },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be an integer from 0 to 65535, got ${values.port}`);
  process.exit(2);
}
const chain = await startLocalChain({ dataDir: values.memory ? null : values['data-dir'], log: (l) => console.error(l) });
const server = new ChainServer({ provider: chain.provider, port });
await server.start();
console.log(JSON.stringify({ rpcUrl: server.url, deployed: chain.deployed, dataDir: chain.dataDir, ...chain.addresses }));

const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
