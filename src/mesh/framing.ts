/**
 * Length-prefixed frames on a libp2p stream: `[length: u32 BE][payload]`, one frame per direction.
 *
 * Why not a varint and `it-length-prefixed`: a fixed 4-byte header lets the reader refuse an
 * oversized frame after four bytes, before buffering any body, and the limit is the caller's
 * (per message type), not the library's.
 *
 * Why bounded writes: WebRTC streams have no receive-side flow control (@libp2p/webrtc 6), so a
 * frame is written in {@link WRITE_CHUNK_BYTES} pieces, each waiting for `drain` when the send
 * buffer is full. That bounds what sits in our buffers; the receiver copies each chunk into the
 * preallocated frame as it arrives, so its read buffer stays small too.
 */
import type { Stream, StreamMessageEvent } from '@libp2p/interface';
import { FrameResetError, FrameTooLargeError, FrameTrailingDataError, FrameTruncatedError, RequestAbortedError } from './errors.ts';

/** Piece size for writes (one SCTP message per piece is below Chromium's 256 KiB limit). */
export const WRITE_CHUNK_BYTES = 64 * 1024;
const HEADER = 4;

/** Writes one frame, waiting for `drain` whenever the stream's send buffer is full. */
export async function writeFrame(stream: Stream, payload: Uint8Array, signal?: AbortSignal): Promise<void> {
  const header = new Uint8Array(HEADER);
  new DataView(header.buffer).setUint32(0, payload.byteLength);
  // Small frames go out as one message: fewer SCTP messages, and one `send` is atomic.
  if (payload.byteLength <= WRITE_CHUNK_BYTES) {
    const one = new Uint8Array(HEADER + payload.byteLength);
    one.set(header);
    one.set(payload, HEADER);
    if (!stream.send(one)) await stream.onDrain(signal ? { signal } : {});
    return;
  }
  if (!stream.send(header)) await stream.onDrain(signal ? { signal } : {});
  for (let off = 0; off < payload.byteLength; off += WRITE_CHUNK_BYTES) {
    signal?.throwIfAborted();
    if (!stream.send(payload.subarray(off, off + WRITE_CHUNK_BYTES))) await stream.onDrain(signal ? { signal } : {});
  }
}

export interface ReadFrameOptions {
  /** Largest payload accepted; a larger declared length rejects at once with FrameTooLargeError. */
  maxBytes: number;
  signal?: AbortSignal;
  /** Label for error messages, e.g. the protocol id. */
  what: string;
}

/**
 * Whether a stream that just ended was cut off rather than closed by its sender: reset by the
 * remote (`status` 'reset'), aborted here (a connection that closed aborts its streams), or, on
 * WebRTC, its data channel closed under it without a FIN (the remote tab went away).
 *
 * Must be asked when 'end' fires: libp2p dispatches 'end' before the 'close' event that carries
 * the reset, and a remote FIN on a stream whose write side we closed also moves `status` to
 * 'closed' (and closes the channel) right after 'end', in the same task.
 */
function cutOff(stream: Stream): boolean {
  if (stream.status === 'reset' || stream.status === 'aborted') return true;
  const channel = (stream as Stream & { channel?: { readyState?: string } }).channel;
  return channel?.readyState !== undefined && channel.readyState !== 'open';
}

/**
 * Reads exactly one frame. Rejects with FrameTooLargeError (declared length over the limit),
 * FrameTruncatedError (the sender closed its end mid-frame), FrameResetError (the stream was reset
 * or its transport closed mid-frame: not the sender's offence), FrameTrailingDataError (bytes
 * after the frame in the same delivery), or the stream's own error. Never buffers more than
 * `maxBytes + 4`.
 */
export function readFrame(stream: Stream, opts: ReadFrameOptions): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => {
    const header = new Uint8Array(HEADER);
    let headerLen = 0;
    let body: Uint8Array | null = null;
    let bodyLen = 0;
    let settled = false;

    const finish = (err: Error | null, value?: Uint8Array) => {
      if (settled) return;
      settled = true;
      stream.removeEventListener('message', onMessage);
      stream.removeEventListener('close', onClose);
      stream.removeEventListener('end', onEnd);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(value!);
    };

    const consume = (chunk: Uint8Array): void => {
      let off = 0;
      if (headerLen < HEADER) {
        const n = Math.min(HEADER - headerLen, chunk.byteLength);
        header.set(chunk.subarray(0, n), headerLen);
        headerLen += n;
        off = n;
        if (headerLen < HEADER) return;
        const declared = new DataView(header.buffer).getUint32(0);
        if (declared > opts.maxBytes) throw new FrameTooLargeError(declared, opts.maxBytes, opts.what);
        body = new Uint8Array(declared);
      }
      const rest = chunk.byteLength - off;
      const need = body!.byteLength - bodyLen;
      if (rest > need) throw new FrameTrailingDataError(`${opts.what}: ${rest - need} bytes after the frame`);
      body!.set(chunk.subarray(off), bodyLen);
      bodyLen += rest;
    };

    const onMessage = (evt: StreamMessageEvent): void => {
      if (settled) return;
      try {
        const d = evt.data;
        if (d instanceof Uint8Array) consume(d);
        else for (const part of d) consume(part);
        if (body && bodyLen === body.byteLength) finish(null, body);
      } catch (e) {
        finish(e as Error);
      }
    };
    const onEnd = (): void => {
      if (body && bodyLen === body.byteLength) return finish(null, body);
      const got = headerLen < HEADER ? headerLen : HEADER + bodyLen;
      if (cutOff(stream)) finish(new FrameResetError(`${opts.what}: stream ${stream.status === 'open' ? 'transport closed' : stream.status} after ${got} bytes, before a whole frame`));
      else finish(new FrameTruncatedError(`${opts.what}: stream ended after ${got} bytes, before a whole frame`));
    };
    const onClose = (evt: Event): void => {
      const err = (evt as Event & { error?: Error }).error;
      if (err) finish(err);
      else onEnd();
    };
    const onAbort = (): void => finish(new RequestAbortedError(`${opts.what}: aborted while reading`));

    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    stream.addEventListener('message', onMessage);
    stream.addEventListener('close', onClose);
    stream.addEventListener('end', onEnd);
    // The remote may have finished writing before we started listening. Buffered data is delivered
    // to our listener on the next microtask and 'end' follows it; if it all happened already, the
    // stream reports readableEnded and no event will come.
    if (stream.readableEnded) queueMicrotask(onEnd);
  });
}
