/**
 * Frames over libp2p's own in-memory stream pair (@libp2p/utils streamPair: the same
 * AbstractMessageStream class every transport's streams extend, without a network).
 */
import '../../../scripts/node-polyfills.ts';
import { describe, expect, it } from 'vitest';
import { streamPair } from '@libp2p/utils';
import { readFrame, writeFrame } from '../../../src/mesh/framing.ts';

describe('framing', () => {
  it('carries frames of 0 bytes to several MiB intact', async () => {
    for (const size of [0, 1, 65_536, 65_537, 3 * 1024 * 1024 + 5]) {
      const [a, b] = await streamPair();
      b.maxReadBufferLength = 16 * 1024 * 1024;
      const payload = Uint8Array.from({ length: size }, (_, i) => (i * 7) & 0xff);
      const got = readFrame(b, { maxBytes: size, what: 'test' });
      await writeFrame(a, payload);
      await a.close();
      expect(Buffer.from(await got).equals(Buffer.from(payload)), `frame of ${size} bytes`).toBe(true);
    }
  });

  it('refuses a declared length over the limit after the 4-byte header', async () => {
    const [a, b] = await streamPair();
    const got = readFrame(b, { maxBytes: 100, what: '/tabmesh/x/1.0.0' });
    a.send(Uint8Array.of(0, 0, 0, 101));
    await expect(got).rejects.toMatchObject({ name: 'FrameTooLargeError', declared: 101, allowed: 100 });
  });

  it('reports a stream that ends mid-frame as truncated', async () => {
    const [a, b] = await streamPair();
    const got = readFrame(b, { maxBytes: 100, what: 'x' });
    a.send(Uint8Array.of(0, 0, 0, 10, 1, 2, 3));
    await a.close();
    await expect(got).rejects.toMatchObject({ name: 'FrameTruncatedError' });
  });

  it('reports a sender that resets the stream mid-frame as a reset, not a truncation', async () => {
    // What a cancelled request does: part of the frame written, then abort() (a RESET to the peer).
    const [a, b] = await streamPair();
    const got = readFrame(b, { maxBytes: 100, what: 'x' });
    a.send(Uint8Array.of(0, 0, 0, 10, 1, 2, 3));
    await new Promise((r) => setTimeout(r, 20));
    a.abort(new Error('request cancelled'));
    await expect(got).rejects.toMatchObject({ name: 'FrameResetError' });
  });

  it('reports a reset before the header completes as a reset too', async () => {
    const [a, b] = await streamPair();
    const got = readFrame(b, { maxBytes: 100, what: 'x' });
    a.send(Uint8Array.of(0, 0));
    await new Promise((r) => setTimeout(r, 20));
    a.abort(new Error('request cancelled'));
    await expect(got).rejects.toMatchObject({ name: 'FrameResetError' });
  });

  it('reports bytes after the frame as trailing data', async () => {
    const [a, b] = await streamPair();
    const got = readFrame(b, { maxBytes: 100, what: 'x' });
    a.send(Uint8Array.of(0, 0, 0, 2, 1, 2, 3));
    await expect(got).rejects.toMatchObject({ name: 'FrameTrailingDataError' });
  });

  it('stops waiting when the signal aborts', async () => {
    const [, b] = await streamPair();
    await expect(readFrame(b, { maxBytes: 100, what: 'x', signal: AbortSignal.timeout(50) })).rejects.toMatchObject({ name: 'RequestAbortedError' });
  });

  it('reads a frame that arrived before the reader attached', async () => {
    const [a, b] = await streamPair();
    await writeFrame(a, Uint8Array.of(9, 8, 7));
    await a.close();
    await new Promise((r) => setTimeout(r, 20));
    expect([...(await readFrame(b, { maxBytes: 3, what: 'x' }))]).toEqual([9, 8, 7]);
  });
});
