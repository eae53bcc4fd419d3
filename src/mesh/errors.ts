/**
 * Errors of the mesh layer. One class per failure, each with a stable `name` that callers switch
 * on (an error from a remote handler crosses the wire as its `name`, where `instanceof` is gone).
 */

/** A message from the network failed validation. `field` names the offending value, e.g. `unit-assign.input`. */
export class MessageDecodeError extends Error {
  override readonly name = 'MessageDecodeError';
  readonly field: string;
  constructor(field: string, why: string) {
    super(`${field} ${why}`);
    this.field = field;
  }
}

/** A message we were about to send does not fit its schema (a bug in the caller, caught before it leaves). */
export class MessageEncodeError extends Error {
  override readonly name = 'MessageEncodeError';
  readonly field: string;
  constructor(field: string, why: string) {
    super(`${field} ${why}`);
    this.field = field;
  }
}

/** A frame's declared length exceeds what its protocol allows; the stream is reset before the body is read. */
export class FrameTooLargeError extends Error {
  override readonly name = 'FrameTooLargeError';
  readonly declared: number;
  readonly allowed: number;
  constructor(declared: number, allowed: number, what: string) {
    super(`${what}: frame of ${declared} bytes exceeds the limit of ${allowed}`);
    this.declared = declared;
    this.allowed = allowed;
  }
}

/** The sender closed its end (FIN) before a whole frame arrived: it said it was done mid-frame, an offence. */
export class FrameTruncatedError extends Error {
  override readonly name = 'FrameTruncatedError';
}

/**
 * The stream was reset or aborted, or its transport closed, before a whole frame arrived: the
 * sender gave up (a cancelled request, a tab that left), which is not an offence.
 */
export class FrameResetError extends Error {
  override readonly name = 'FrameResetError';
}

/** Bytes followed the one frame a stream may carry in that direction. */
export class FrameTrailingDataError extends Error {
  override readonly name = 'FrameTrailingDataError';
}

/** A message of a type the protocol or topic does not carry (e.g. a response sent as a request). */
export class UnexpectedMessageError extends Error {
  override readonly name = 'UnexpectedMessageError';
}

/** A request got no answer in time. */
export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';
}

/** The caller aborted the request through its signal. */
export class RequestAbortedError extends Error {
  override readonly name = 'RequestAbortedError';
}

/** There is no direct WebRTC link to that peer (it left, or was never connected). */
export class PeerNotConnectedError extends Error {
  override readonly name = 'PeerNotConnectedError';
  readonly peer: string;
  constructor(peer: string) {
    super(`no direct WebRTC connection to peer ${peer}`);
    this.peer = peer;
  }
}

/** The remote handler failed; `code` is the remote error's `name` (e.g. 'NoCapacityError'). */
export class RemoteError extends Error {
  override readonly name = 'RemoteError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(`remote ${code}: ${message}`);
    this.code = code;
  }
}

/** The remote peer has no handler for the protocol. */
export class ProtocolNotSupportedError extends Error {
  override readonly name = 'ProtocolNotSupportedError';
}

/** The node is not started (or was stopped). */
export class MeshNotStartedError extends Error {
  override readonly name = 'MeshNotStartedError';
  constructor(what = 'mesh') {
    super(`${what} is not started`);
  }
}

/** A blob fetched from a peer did not hash to the content hash asked for. */
export class BlobHashMismatchError extends Error {
  override readonly name = 'BlobHashMismatchError';
}

/** The peer does not hold the blob asked for. */
export class BlobNotFoundError extends Error {
  override readonly name = 'BlobNotFoundError';
}

/** Configuration is invalid (a bad relay multiaddr, a negative limit, ...). */
export class MeshConfigError extends Error {
  override readonly name = 'MeshConfigError';
}
