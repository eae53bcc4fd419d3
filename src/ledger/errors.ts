/**
 * Errors of the ledger. One class per failure; each sets a literal `name` (stable under
 * minification and across the wire, where `instanceof` is gone) and most carry `field`, the
 * offending value's path (`receipt.cumulativeAmount`, `signature.s`, `sync.pull.limit`…).
 *
 * | name | when |
 * |---|---|
 * | `InvalidFieldError` | a value has the wrong type, length or format (`field` names it) |
 * | `AmountOutOfRangeError` | an amount or work count is not a uint256 (or u64 where the wire says so) |
 * | `MalformedSignatureError` | a signature is not 65 bytes r‖s‖v with v ∈ {27, 28}, or recovers no key |
 * | `HighSSignatureError` | s is above n/2 (the malleable twin; the contract refuses it) |
 * | `SignerMismatchError` | the signature is valid but recovers another address than `requester` |
 * | `ChainIdMismatchError` | the receipt names another chain than the ledger's domain |
 * | `ContractMismatchError` | the receipt names another settlement contract than the ledger's domain |
 * | `ReplayError` | cumulativeAmount is not above what is stored or settled for the pair |
 * | `WorkBelowSettledError` | cumulativeWork is below the pair's settled work |
 * | `PriceOutOfBoundsError` | amountDelta is outside workDelta × [minPricePerWork, maxPricePerWork] |
 * | `EscrowExceededError` | amountDelta is above the requester's escrow minus its other pending deltas |
 * | `LedgerNotStartedError` | a ledger operation before `start()` or after `stop()` |
 * | `NoIdentityError` | `issue()` on a ledger without a signing identity |
 * | `WrongPasswordError` | a key file does not decrypt with the password given |
 * | `KeyFileError` | a key file is not a tabmesh key file, or its content is inconsistent |
 * | `KeyExistsError` | importing a key over a different stored key without `replace: true` |
 * | `PeerLinkError` | a peer link's signature does not bind its address to its peer id |
 * | `WalletError` | the EIP-1193 wallet refused or answered something unusable |
 * | `ClaimVerificationError` | a worker claim's signature does not recover its worker |
 * | `DecodeError` | bytes from the network do not decode (`field` names where) |
 * | `EncodeError` | a message to send breaks its own limits (a caller bug, caught before sending) |
 * | `SchemaVersionError` | the IndexedDB database is newer than this code |
 * | `ProofError` | an inclusion proof cannot be built from the inputs given |
 */

/** Base class: every ledger error has `field` (possibly empty). */
export abstract class LedgerError extends Error {
  abstract override readonly name: string;
  readonly field: string;
  constructor(field: string, message: string) {
    super(field ? `${field}: ${message}` : message);
    this.field = field;
  }
}

export class InvalidFieldError extends LedgerError {
  override readonly name = 'InvalidFieldError';
}
export class AmountOutOfRangeError extends LedgerError {
  override readonly name = 'AmountOutOfRangeError';
}
export class MalformedSignatureError extends LedgerError {
  override readonly name = 'MalformedSignatureError';
}
export class HighSSignatureError extends LedgerError {
  override readonly name = 'HighSSignatureError';
}
export class SignerMismatchError extends LedgerError {
  override readonly name = 'SignerMismatchError';
  constructor(
    field: string,
    readonly expected: string,
    readonly recovered: string,
  ) {
    super(field, `signature recovers ${recovered}, not ${expected}`);
  }
}
export class ChainIdMismatchError extends LedgerError {
  override readonly name = 'ChainIdMismatchError';
}
export class ContractMismatchError extends LedgerError {
  override readonly name = 'ContractMismatchError';
}
export class ReplayError extends LedgerError {
  override readonly name = 'ReplayError';
}
export class WorkBelowSettledError extends LedgerError {
  override readonly name = 'WorkBelowSettledError';
}
export class PriceOutOfBoundsError extends LedgerError {
  override readonly name = 'PriceOutOfBoundsError';
}
export class EscrowExceededError extends LedgerError {
  override readonly name = 'EscrowExceededError';
}
export class LedgerNotStartedError extends LedgerError {
  override readonly name = 'LedgerNotStartedError';
}
export class NoIdentityError extends LedgerError {
  override readonly name = 'NoIdentityError';
}
export class WrongPasswordError extends LedgerError {
  override readonly name = 'WrongPasswordError';
}
export class KeyFileError extends LedgerError {
  override readonly name = 'KeyFileError';
}
export class KeyExistsError extends LedgerError {
  override readonly name = 'KeyExistsError';
}
export class PeerLinkError extends LedgerError {
  override readonly name = 'PeerLinkError';
}
export class WalletError extends LedgerError {
  override readonly name = 'WalletError';
}
export class ClaimVerificationError extends LedgerError {
  override readonly name = 'ClaimVerificationError';
}
export class DecodeError extends LedgerError {
  override readonly name = 'DecodeError';
}
export class EncodeError extends LedgerError {
  override readonly name = 'EncodeError';
}
export class SchemaVersionError extends LedgerError {
  override readonly name = 'SchemaVersionError';
}
export class ProofError extends LedgerError {
  override readonly name = 'ProofError';
}
