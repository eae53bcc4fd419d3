/**
 * `npm start`: serves tabmesh locally and prints the page's URL.
 *
 * Components, each with start()/stop(), started in this order and stopped in reverse on Ctrl-C:
 * 1. the libp2p relay (scripts/relay.ts): WebSockets on 127.0.0.1, circuit-relay-v2 for WebRTC
 *    signalling, gossipsub on the app's topics. Its multiaddr reaches the page as
 *    `import.meta.env.VITE_TABMESH_RELAY` (set before Vite starts; a page URL's `?relay=`
 *    overrides it; a production build sets VITE_TABMESH_RELAY to a public relay instead).
 * 2. the local chain (src/chain/local.ts): a JSON-RPC endpoint on 127.0.0.1 backed by a real EVM
 *    (@ethereumjs/vm), the contracts deployed on first start, state kept across restarts in
 *    `--chain-dir` (default ~/.tabmesh/chain), demo accounts funded, and the dev faucet
 *    (`tabmesh_faucet`) that gives a tab's fresh key gas and MESH. The page gets
 *    `VITE_TABMESH_CHAIN` (RPC URL + addresses, src/chain/config.ts); a production build sets that
 *    variable to a real chain instead.
 * 3. the Vite server for the app.
 *
 * Flags: --port N (default 5173), --host H (default 127.0.0.1), --relay-port N (default 0: any
 * free port; the page learns it from the environment), --chain-port N (default 8545; 0 = any),
 * --chain-dir D, --chain-memory (no persistence).
 */
import './node-polyfills.ts';
import { createServer, type ViteDevServer } from 'vite';
import { Relay } from './relay.ts';
import { startLocalChain } from '../src/chain/local.ts';
import { ChainServer } from '../src/chain/server.ts';
import { withDevFaucet } from '../src/chain/faucet.ts';
import { devAccount } from '../src/chain/dev-accounts.ts';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '5173' },
    host: { type: 'string', default: '127.0.0.1' },
    'relay-port': { type: 'string', default: process.env.RELAY_PORT ?? '0' },
    'chain-port': { type: 'string', default: process.env.CHAIN_PORT ?? '8545' },
    'chain-dir': { type: 'string' },
    'chain-memory': { type: 'boolean', default: false },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be an integer from 0 to 65535, got ${values.port}`);
  process.exit(2);
}

const relayPort = Number(values['relay-port']);
if (!Number.isInteger(relayPort) || relayPort < 0 || relayPort > 65535) {
  console.error(`--relay-port must be an integer from 0 to 65535, got ${values['relay-port']}`);
  process.exit(2);
}
const chainPort = Number(values['chain-port']);
if (!Number.isInteger(chainPort) || chainPort < 0 || chainPort > 65535) {
  console.error(`--chain-port must be an integer from 0 to 65535, got ${values['chain-port']}`);
  process.exit(2);
}
const relay = new Relay({ port: relayPort, host: '127.0.0.1' });
await relay.start();
// Vite exposes VITE_* variables of its process environment to the page as import.meta.env.*.
process.env.VITE_TABMESH_RELAY = relay.multiaddr;

const chain = await startLocalChain({ dataDir: values['chain-memory'] ? null : values['chain-dir'], log: (l) => console.log(`chain: ${l}`) });
const provider = withDevFaucet(chain.provider, { token: chain.addresses.token, faucet: devAccount(0) });
const chainServer = new ChainServer({ provider, port: chainPort });
try {
  await chainServer.start();
} catch (e) {
  console.error(`chain: cannot listen on 127.0.0.1:${chainPort} (${(e as Error).message}); pass --chain-port 0 for any free port`);
  await relay.stop();
  process.exit(1);
}
process.env.VITE_TABMESH_CHAIN = JSON.stringify({ rpcUrl: chainServer.url, addresses: chain.addresses, faucet: true });

const root = fileURLToPath(new URL('..', import.meta.url));
const vite: ViteDevServer = await createServer({
  root,
  configFile: fileURLToPath(new URL('../vite.config.ts', import.meta.url)),
  server: { host: values.host, port, strictPort: false },
  clearScreen: false,
});
await vite.listen();
const url = vite.resolvedUrls?.local[0] ?? `http://${values.host}:${port}/`;
console.log(`tabmesh is running: open ${url}`);
console.log(`relay: ${relay.multiaddr}`);
console.log(`chain: ${chainServer.url} (chain id ${chain.addresses.chainId}, settlement ${chain.addresses.settlement}${chain.deployed ? ', deployed now' : ', restored'}${chain.dataDir ? `, data in ${chain.dataDir}` : ''})`);
console.log('Press Ctrl-C to stop.');

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping`);
  await vite.close();
  await chainServer.stop();
  await relay.stop();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
