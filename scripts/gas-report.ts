/**
 * `npm run bench:gas`: gas of Settlement.settleBatch on the embedded EVM for batches of 1, 10
 * and 100 receipts, first with distinct workers never paid before (every pair, worker balance and
 * per-epoch slot is fresh: the worst case), then the same pairs again in a later batch (slots
 * exist: the steady state of a network). A cumulative receipt covers every unit since the pair's
 * last one, so gas per unit = gas per receipt / units per receipt; reported at 20 and 100.
 * Last line: JSON with gas_per_receipt_{1,10,100} (fresh), units_per_receipt and gas_per_unit.
 */
import { bytesToHex, custom, hexToBytes, keccak256, maxUint256, parseEther, toHex, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { createChainClients, localChain, networkContracts } from '../src/chain/clients.ts';
import { devAccount } from '../src/chain/dev-accounts.ts';
import { startLocalChain } from '../src/chain/local.ts';
import { signReceipt } from '../src/ledger/sign-receipt.ts';

const SIZES = [1, 10, 100] as const;
const UNITS = [20, 100] as const;
const PRICE = parseEther('0.01');

const local = await startLocalChain({ dataDir: null, demoAccounts: 2 });
const chain = localChain(local.provider.chainId);
const requester = devAccount(1);
const { publicClient, walletClient: wallet } = createChainClients({ transport: custom(local.provider), chain, account: requester.account });
const c = networkContracts(local.addresses, { public: publicClient, wallet });
await publicClient.waitForTransactionReceipt({ hash: await c.token.write.approve([local.addresses.settlement, maxUint256]) });
await publicClient.waitForTransactionReceipt({ hash: await c.settlement.write.deposit([parseEther('50000')]) });
const domain = { name: 'tabmesh', version: '1', chainId: BigInt(chain.id), verifyingContract: local.addresses.settlement } as const;

let nextWorker = 0;
async function batchGas(workers: Hex[], round: number): Promise<bigint> {
  const units = BigInt(UNITS[UNITS.length - 1]!);
  const rs = workers.map((worker) => ({ requester: requester.address, worker, cumulativeWork: units * BigInt(round), cumulativeAmount: units * BigInt(round) * PRICE }));
  const sigs = rs.map((r) => bytesToHex(signReceipt(r, domain, hexToBytes(requester.privateKey))));
  const hash = await c.settlement.write.settleBatch([rs, sigs]);
  const r = await publicClient.waitForTransactionReceipt({ hash });
  if (r.status !== 'success') throw new Error(`settleBatch of ${rs.length} reverted`);
  return r.gasUsed;
}

const rows: { n: number; fresh: bigint; repeat: bigint }[] = [];
for (const n of SIZES) {
  const workers = Array.from({ length: n }, () => privateKeyToAccount(keccak256(toHex(`gas-worker-${nextWorker++}`))).address);
  const fresh = await batchGas(workers, 1);
  const repeat = await batchGas(workers, 2);
  rows.push({ n, fresh, repeat });
}

const per = (g: bigint, n: number) => Number(g) / n;
console.log('settleBatch gas (tx gas incl. 21,000 base and calldata; Cancun; local profile)');
console.log(['receipts', 'fresh tx', 'fresh/receipt', 'repeat tx', 'repeat/receipt', ...UNITS.flatMap((u) => [`fresh/unit@${u}`, `repeat/unit@${u}`])].map((s) => s.padStart(15)).join(''));
for (const r of rows) {
  const cells = [r.n, r.fresh, per(r.fresh, r.n).toFixed(0), r.repeat, per(r.repeat, r.n).toFixed(0), ...UNITS.flatMap((u) => [(per(r.fresh, r.n) / u).toFixed(0), (per(r.repeat, r.n) / u).toFixed(0)])];
  console.log(cells.map((s) => String(s).padStart(15)).join(''));
}
const g = (n: number) => Math.round(per(rows.find((r) => r.n === n)!.fresh, n));
const gr = (n: number) => Math.round(per(rows.find((r) => r.n === n)!.repeat, n));
const unitsPerReceipt = 100;
console.log(
  JSON.stringify({
    gas_per_receipt_1: g(1),
    gas_per_receipt_10: g(10),
    gas_per_receipt_100: g(100),
    gas_per_receipt_100_repeat: gr(100),
    units_per_receipt: unitsPerReceipt,
    gas_per_unit: Math.round(g(100) / unitsPerReceipt),
    gas_per_unit_at_20: Math.round(g(100) / 20),
    gas_per_unit_repeat_at_20: Math.round(gr(100) / 20),
  }),
);
