/**
 * Protocol fuzzing shared by the mesh and jobs harness pages: a valid request per protocol, ten
 * kinds of malformed frame built from it, and a raw sender that bypasses the node's encoder.
 * Seeded (`prng`), so a failing run replays exactly.
 */
import { encodeMessage, PROTOCOLS, MAX_MESSAGE_BYTES, type MeshNode, type MessageType, type ProtocolName } from '../../../src/mesh/index.ts';
import { isDirectAddr } from '../../../src/mesh/config.ts';
export { prng } from '../../node/mesh/random.ts';

/** A deterministic hex string of `n` digits from `seed` (ids that differ per seed). */
export const hex = (n: number, seed: number): string => Array.from({ length: n }, (_, i) => ((seed * 31 + i * 7) & 0xf).toString(16)).join('');

function validRequest(p: ProtocolName, rnd: () => number): Uint8Array {
  const h = hex(64, Math.floor(rnd() * 1000));
  switch (p) {
    case 'unit-assign':
      return encodeMessage('unit-assign', { jobId: h, modelId: h, unitIndex: 1, batch: 2, input: new Uint8Array(Math.floor(rnd() * 64)) });
    case 'unit-result':
      return encodeMessage('unit-result', { jobId: h, unitIndex: 1, output: new Uint8Array(8), outputHash: h, claim: new Uint8Array(65) });
    case 'job':
      return encodeMessage('job-announce', { jobId: h, modelId: h, task: 'classify', units: 3, pricePerUnit: 5n, replication: 2, deadline: Date.now() + 60_000 });
    case 'cancel':
      return encodeMessage('cancel', { jobId: h, reason: 'fuzz' });
    case 'blob':
      return encodeMessage('blob-request', { hash: h, index: 0 });
    case 'capability':
      return encodeMessage('capability-query', {});
    case 'receipt':
      // Well-formed for the mesh; the bytes inside are the ledger codec's to refuse.
      return encodeMessage('receipt', { data: Uint8Array.from({ length: 198 }, () => Math.floor(rnd() * 256)) });
    case 'ledger-sync':
      return encodeMessage('ledger-sync-request', { data: Uint8Array.of(2) });
  }
}

/**
 * The tabmesh protocols `peer` serves (from identify): a tab without a chain has no receipt or
 * ledger-sync handler, and fuzzing a protocol nobody handles only exercises multistream-select.
 */
export async function servedProtocols(mesh: MeshNode, peer: string): Promise<ProtocolName[]> {
  const conn = mesh.libp2p.getConnections().find((c) => c.remotePeer.toString() === peer);
  const served = conn ? new Set((await mesh.libp2p.peerStore.get(conn.remotePeer)).protocols) : new Set<string>();
  const all = Object.keys(PROTOCOLS) as ProtocolName[];
  const mine = all.filter((p) => served.has(PROTOCOLS[p].id));
  if (mine.length === 0) throw new Error(`${peer} advertises none of the tabmesh protocols (identify not done?)`);
  return mine;
}

function frame(payload: Uint8Array, declared = payload.byteLength): Uint8Array {
  const f = new Uint8Array(4 + payload.byteLength);
  new DataView(f.buffer).setUint32(0, declared >>> 0);
  f.set(payload, 4);
  return f;
}

/**
 * One malformed frame for protocol `p`. Every kind is invalid by construction (except the rare
 * random payload that happens to decode, which the test tolerates and counts).
 */
export function malformed(p: ProtocolName, rnd: () => number): { kind: string; bytes: Uint8Array } {
  const valid = validRequest(p, rnd);
  const reqType = PROTOCOLS[p].request as MessageType;
  const kinds = ['random', 'oversized-header', 'truncated', 'trailing-in-frame', 'wrong-type', 'bad-tag', 'cut-field', 'bad-field', 'empty', 'huge-length-field'];
  const kind = kinds[Math.floor(rnd() * kinds.length)]!;
  const rand = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
  switch (kind) {
    case 'random': {
      // A random payload with a valid header; never the one-byte empty query.
      const b = rand(2 + Math.floor(rnd() * 300));
      return { kind, bytes: frame(b) };
    }
    case 'oversized-header':
      return { kind, bytes: frame(rand(8), MAX_MESSAGE_BYTES[reqType] + 1 + Math.floor(rnd() * 1e6)) };
    case 'truncated':
      return { kind, bytes: frame(valid, valid.byteLength + 1 + Math.floor(rnd() * 100)) };
    case 'trailing-in-frame': {
      const b = new Uint8Array(valid.byteLength + 1 + Math.floor(rnd() * 16));
      b.set(valid);
      return { kind, bytes: frame(b) };
    }
    case 'wrong-type': {
      const other = p === 'cancel' ? encodeMessage('ack', { accepted: true, reason: '' }) : encodeMessage('cancel', { jobId: hex(64, 1), reason: 'x' });
      return { kind, bytes: frame(other) };
    }
    case 'bad-tag': {
      const b = valid.slice();
      b[0] = 200 + Math.floor(rnd() * 50);
      return { kind, bytes: frame(b) };
    }
    case 'cut-field': {
      if (valid.byteLength < 2) return { kind, bytes: frame(rand(3)) };
      return { kind, bytes: frame(valid.subarray(0, 1 + Math.floor(rnd() * (valid.byteLength - 1)))) };
    }
    case 'bad-field': {
      // Field-level lies: batch 0, replication 0, bool 2, invalid UTF-8 in a string.
      const b = valid.slice();
      if (p === 'unit-assign') new DataView(b.buffer).setUint32(1 + 32 + 32 + 4, 0); // batch = 0
      else if (p === 'job') b[1 + 32 + 32 + 4 + 8 + 4 + 8] = 0; // replication = 0 (after task 'classify' = 4+8)
      else if (p === 'cancel') { b[b.length - 1] = 0xff; } // invalid UTF-8 in reason
      else if (p === 'unit-result') new DataView(b.buffer).setUint32(1 + 32 + 4, 0xfffffff0); // output length past limit
      else if (p === 'blob') return { kind, bytes: frame(b.subarray(0, b.length - 1)) };
      else return { kind, bytes: frame(Uint8Array.of(2, 0)) };
      return { kind, bytes: frame(b) };
    }
    case 'empty':
      return { kind, bytes: frame(new Uint8Array(0)) };
    default: {
      // huge-length-field: a bytes/str length field that claims more than remains.
      const b = valid.slice();
      const at = ({ 'unit-assign': 73, 'unit-result': 37, job: 65, cancel: 33 } as Partial<Record<ProtocolName, number>>)[p];
      if (at !== undefined) new DataView(b.buffer).setUint32(at, 0x7fffffff - Math.floor(rnd() * 1000));
      else b[0] = 255;
      return { kind, bytes: frame(b) };
    }
  }
}

/**
 * Sends raw bytes on a fresh stream of protocol `p` over a direct link to `peer`: 'closed',
 * 'reset', 'unsupported' (`peer` answered "na" to `p`: nothing was sent), 'no-stream:<error>'
 * (the stream did not open) or 'no-conn'.
 */
export async function rawSend(mesh: MeshNode, peer: string, p: ProtocolName, bytes: Uint8Array): Promise<string> {
  const conn = mesh.libp2p.getConnections().find((c) => c.remotePeer.toString() === peer && c.status === 'open' && isDirectAddr(c.remoteAddr));
  if (!conn) return 'no-conn';
  let stream;
  try {
    stream = await conn.newStream(PROTOCOLS[p].id, { signal: AbortSignal.timeout(5000) });
  } catch (e) {
    const name = (e as Error)?.name;
    return name === 'UnsupportedProtocolError' ? 'unsupported' : `no-stream:${name}`;
  }
  try {
    // Oversized data goes in pieces as a real sender would; the receiver must stop at the header.
    for (let off = 0; off < bytes.byteLength; off += 65536) if (!stream.send(bytes.subarray(off, off + 65536))) await stream.onDrain({ signal: AbortSignal.timeout(5000) });
    await stream.close({ signal: AbortSignal.timeout(5000) });
    // Drain whatever comes back until the remote ends or resets.
    for await (const _ of stream) void _;
    return 'closed';
  } catch {
    stream.abort(new Error('fuzz'));
    return 'reset';
  }
}
