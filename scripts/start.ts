/**
 * `npm start`: serves tabmesh locally and prints the page's URL.
 *
 * Components, each with start()/stop(), started in this order and stopped in reverse on Ctrl-C:
 * 1. the libp2p relay (scripts/relay.ts): WebSockets on 127.0.0.1, circuit-relay-v2 for WebRTC
 *    signalling, gossipsub on the app's topics. Its multiaddr reaches the page as
 *    `import.meta.env.VITE_TABMESH_RELAY` (set before Vite starts; a page URL's `?relay=`
 *    overrides it; a production build sets VITE_TABMESH_RELAY to a public relay instead).
 * 2. the Vite server for the app.
 * The local chain joins as it arrives.
 *
 * Flags: --port N (default 5173), --host H (default 127.0.0.1), --relay-port N (default 0: any
 * free port; the page learns it from the environment).
 */
import './node-polyfills.ts';
import { createServer, type ViteDevServer } from 'vite';
import { Relay } from './relay.ts';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '5173' },
    host: { type: 'string', default: '127.0.0.1' },
    'relay-port': { type: 'string', default: process.env.RELAY_PORT ?? '0' },
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
const relay = new Relay({ port: relayPort, host: '127.0.0.1' });
await relay.start();
// Vite exposes VITE_* variables of its process environment to the page as import.meta.env.*.
process.env.VITE_TABMESH_RELAY = relay.multiaddr;

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
console.log('Press Ctrl-C to stop.');

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping`);
  await vite.close();
  await relay.stop();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
