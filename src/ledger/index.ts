/**
 * tabmesh ledger: identity, EIP-712 receipts, Merkle anchoring, stores, the Ledger, and sync.
 * See RECEIPTS.md (format and the "Ledger" section).
 */
export * from './errors.ts';
export { assertAddress, assertBytes, assertHex32, assertUint256, MAX_UINT256 } from './assert.ts';
export * from './receipt.ts';
export { receiptDigest, receiptDigestBytes, domainSeparator } from './receipt-digest.ts';
export { signReceipt, signDigest } from './sign-receipt.ts';
export { recoverReceiptSigner, recoverDigestSigner, parseSignature, publicKeyToAddress } from './recover-receipt-signer.ts';
export { verifyReceipt, parseSignedReceipt, type PriceBounds, type SettledPair, type VerifiedReceipt, type VerifyReceiptOptions } from './verify-receipt.ts';
export { merkleRoot, merkleProof, verifyMerkleProof, anchorProof, hashPair, ZERO_ROOT } from './merkle.ts';
export * from './identity.ts';
export * from './identity-link.ts';
export * from './identity-export.ts';
export type * from './store.ts';
export { MemoryBackend, MemoryReceiptStore } from './store-memory.ts';
export { IdbReceiptStore, LEDGER_MIGRATIONS, type IdbReceiptStoreOptions, type LedgerMigration } from './store-idb.ts';
export { decideAccept, type AcceptResult, type AcceptStatus } from './rules.ts';
export { computeBalances, type Balances, type RequesterBalance, type WorkerBalance } from './balances.ts';
export { Ledger, DEFAULT_PRICE_BOUNDS, type LedgerOptions, type LedgerEvents, type ReceiptSigner, type IssueParameters, type ReceiptInputLike } from './ledger.ts';
export * from './sync-messages.ts';
export { SyncServer, SyncClient, ReceiptGossip, summarize, type SyncReport, type SyncTransport, type SyncClientOptions, type SyncServerOptions } from './sync.ts';
