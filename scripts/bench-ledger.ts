/**
 * `npm run bench:ledger`: work units accounted per second through the ledger, with every
 * receipt's signature checked (ecrecover over its EIP-712 digest) and the receipt stored
 * (IndexedDB schema via idb on fake-indexeddb in Node: the same code as in a tab, without a
 * browser's disk), plus the raw noble secp256k1 verification rate.
 *
 * Stream: R requesters × W workers pairs; every receipt is a pair's next cumulative receipt
 * covering UNITS_PER_RECEIPT units (one job's units for that worker), arriving in shuffled order
 * within each round, up to WINDOW receipts in flight (as gossip and sync deliver them). Receipts
 * are signed beforehand (requester-side cost, not part of the ledger's).
 *
 * Last line: {"units_per_s":…, "sig_verify_per_s":…, "gas_per_unit":…} where gas_per_unit is read
 * from `scripts/gas-report.ts` (its last JSON line) when it runs, else null.
 */
import 'fake-indexeddb/auto';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { Ledger } from '../src/ledger/ledger.ts';
import { receiptDigestBytes } from '../src/ledger/receipt-digest.ts';
import { IdbReceiptStore } from '../src/ledger/store-idb.ts';
import { MemoryReceiptStore } from '../src/ledger/store-memory.ts';
import type { ReceiptStore } from '../src/ledger/store.ts';
import type { SignedReceipt } from '../src/ledger/receipt.ts';
import { MESH, PRICE, TEST_DOMAIN, signedReceipt, testKey } from '../src/ledger/testing.ts';

const REQUESTERS = 20;
const WORKERS = 50;
const ROUNDS = 3;
const UNITS_PER_RECEIPT = 50n;
const WINDOW = 256;

const requesters = Array.from({ length: REQUESTERS }, (_, i) => testKey(`bench-req-${i}`));
const workers = Array.from({ length: WORKERS }, (_, i) => testKey(`bench-wrk-${i}`).address);

// Deterministic shuffle (xorshift).
let seed = 0x2545f491;
const rnd = () => ((seed ^= seed << 13), (seed ^= seed >>> 17), (seed ^= seed << 5), (seed >>> 0) / 2 ** 32);
const shuffle = <T>(a: T[]) => {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
};

process.stdout.write(`signing ${REQUESTERS * WORKERS * ROUNDS} receipts (setup, not timed)… `);
const stream: SignedReceipt[] = [];
for (let k = 1n; k <= BigInt(ROUNDS); k++) {
  const round: SignedReceipt[] = [];
  for (const q of requesters) for (const w of workers) round.push(signedReceipt(q, w, k * UNITS_PER_RECEIPT * PRICE, k * UNITS_PER_RECEIPT));
  stream.push(...shuffle(round));
}
console.log('done');

async function run(label: string, store: ReceiptStore, window: number): Promise<{ label: string; receipts: number; seconds: number; receiptsPerS: number; unitsPerS: number }> {
  const ledger = new Ledger({ store, domain: TEST_DOMAIN });
  await ledger.start();
  await ledger.applyChainState({ blockNumber: 1n, escrows: requesters.map((q) => ({ requester: q.address, amount: 1_000_000n * MESH })) });
  const t0 = performance.now();
  let stored = 0;
  for (let i = 0; i < stream.length; i += window) {
    const res = await Promise.all(stream.slice(i, i + window).map((r) => ledger.accept(r)));
    stored += res.filter((r) => r.status === 'stored').length;
  }
  const seconds = (performance.now() - t0) / 1000;
  if (stored !== stream.length) throw new Error(`${label}: stored ${stored} of ${stream.length}`);
  const b = await ledger.balances();
  const expected = BigInt(REQUESTERS * WORKERS) * BigInt(ROUNDS) * UNITS_PER_RECEIPT * PRICE;
  if (b.totals.pending !== expected) throw new Error(`${label}: pending ${b.totals.pending} != ${expected}`);
  await ledger.stop();
  const n = stream.length;
  return { label, receipts: n, seconds, receiptsPerS: n / seconds, unitsPerS: (n * Number(UNITS_PER_RECEIPT)) / seconds };
}

function sigVerifyRate(): { verify: number; recover: number; digest: number } {
  const sk = requesters[0]!.secretKey;
  const pub = secp256k1.getPublicKey(sk, false);
  const msgs = Array.from({ length: 64 }, (_, i) => receiptDigestBytes({ requester: requesters[0]!.address, worker: workers[0]!, cumulativeAmount: BigInt(i + 1), cumulativeWork: 1n }, TEST_DOMAIN));
  const sigs = msgs.map((m) => secp256k1.sign(m, sk, { prehash: false, lowS: true, format: 'recovered' }));
  const time = (n: number, fn: (i: number) => void) => {
    const t = performance.now();
    for (let i = 0; i < n; i++) fn(i);
    return n / ((performance.now() - t) / 1000);
  };
  time(200, (i) => secp256k1.verify(sigs[i % 64]!.subarray(1), msgs[i % 64]!, pub, { prehash: false })); // warm up
  const verify = time(1500, (i) => {
    if (!secp256k1.verify(sigs[i % 64]!.subarray(1), msgs[i % 64]!, pub, { prehash: false, lowS: true })) throw new Error('verify failed');
  });
  const recover = time(1500, (i) => secp256k1.recoverPublicKey(sigs[i % 64]!, msgs[i % 64]!, { prehash: false }));
  const r = { requester: requesters[0]!.address, worker: workers[0]!, cumulativeAmount: 1n, cumulativeWork: 1n };
  const digest = time(20000, (i) => receiptDigestBytes({ ...r, cumulativeAmount: BigInt(i + 1) }, TEST_DOMAIN));
  return { verify, recover, digest };
}

function gasPerUnit(): number | null {
  if (!existsSync('scripts/gas-report.ts') || process.env.BENCH_LEDGER_NO_GAS) return null;
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/gas-report.ts'], { encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'ignore'] });
    const last = out.trim().split('\n').reverse().find((l) => l.trim().startsWith('{'));
    const v = last ? (JSON.parse(last) as { gas_per_unit?: unknown }).gas_per_unit : undefined;
    return typeof v === 'number' ? v : null;
  } catch {
    return null;
  }
}

const rows = [
  await run(`idb (fake-indexeddb), ${WINDOW} in flight`, new IdbReceiptStore({ dbName: `bench-${Date.now()}-a` }), WINDOW),
  await run('idb (fake-indexeddb), 1 at a time', new IdbReceiptStore({ dbName: `bench-${Date.now()}-b` }), 1),
  await run(`memory store, ${WINDOW} in flight`, new MemoryReceiptStore(), WINDOW),
];
const sig = sigVerifyRate();

console.log(`\nledger throughput: ${REQUESTERS} requesters × ${WORKERS} workers, ${ROUNDS} rounds, ${UNITS_PER_RECEIPT} units per receipt (cumulative per pair), signatures recovered and checked, receipts stored`);
console.log(`Node ${process.version}; IndexedDB = fake-indexeddb (in-memory implementation of the IndexedDB API in Node), not a browser's disk\n`);
const pad = (s: string, n: number) => s.padEnd(n);
console.log(`${pad('store', 40)} ${pad('receipts', 9)} ${pad('seconds', 8)} ${pad('receipts/s', 11)} units/s`);
for (const r of rows) console.log(`${pad(r.label, 40)} ${pad(String(r.receipts), 9)} ${pad(r.seconds.toFixed(2), 8)} ${pad(r.receiptsPerS.toFixed(0), 11)} ${r.unitsPerS.toFixed(0)}`);
console.log(`\nraw noble secp256k1: verify ${sig.verify.toFixed(0)}/s, recoverPublicKey ${sig.recover.toFixed(0)}/s; receipt digest ${sig.digest.toFixed(0)}/s`);
const gas = gasPerUnit();
console.log(`gas_per_unit: ${gas === null ? 'not available (scripts/gas-report.ts did not run)' : `${gas} (from scripts/gas-report.ts)`}`);
console.log(JSON.stringify({ units_per_s: Math.round(rows[0]!.unitsPerS), sig_verify_per_s: Math.round(sig.verify), gas_per_unit: gas, units_per_receipt: Number(UNITS_PER_RECEIPT), store: 'fake-indexeddb' }));
