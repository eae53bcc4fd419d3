/**
 * Every message codec, property style with seeded random inputs: valid messages round-trip
 * within their size limit; random bytes, truncations, extensions and byte flips either fail with
 * a named error or decode to a message that re-encodes to the very same bytes (one encoding per
 * value); invalid values are refused before they are sent, naming the field.
 */
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, SCHEMAS, TAGS, decodeMessage, encodeMessage, type MessageType, TOPICS, PROTOCOLS } from '../../../src/mesh/messages.ts';
import { decode, encode, schema, t } from '../../../src/mesh/codec.ts';
import { MessageDecodeError, MessageEncodeError, UnexpectedMessageError } from '../../../src/mesh/errors.ts';
import { prng, randomBytes, randomMessage } from './random.ts';

const TYPES = Object.keys(SCHEMAS) as MessageType[];
const ALL = TYPES;
const KNOWN_ERRORS = new Set(['MessageDecodeError', 'UnexpectedMessageError']);

/** Byte equality without vitest's element-by-element diffing (slow on 100 KB arrays). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Decodes `bytes`; if it decodes, it must re-encode to identical bytes. Returns the outcome. */
function decodeOrNamedError(bytes: Uint8Array, allowed: readonly MessageType[] = ALL): 'ok' | 'error' {
  let m;
  try {
    m = decodeMessage(bytes, allowed);
  } catch (e) {
    if (!KNOWN_ERRORS.has((e as Error).name)) throw new Error(`unexpected error class ${(e as Error).name}: ${(e as Error).message}`);
    return 'error';
  }
  if (!sameBytes(encodeMessage(m.type, m.msg as never), bytes)) throw new Error(`a decoded ${m.type} re-encodes differently: two encodings of one value`);
  return 'ok';
}

describe('message codecs', () => {
  it('gives every message type a distinct tag', () => {
    expect(new Set(Object.values(TAGS)).size).toBe(TYPES.length);
    expect(Object.keys(TAGS).sort()).toEqual([...TYPES].sort());
  });

  it('keeps protocols and topics on known message types, with gossip small', () => {
    for (const p of Object.values(PROTOCOLS)) {
      expect(TYPES).toContain(p.request);
      if (p.response) expect(TYPES).toContain(p.response);
      expect(p.id).toMatch(/^\/tabmesh\/[a-z-]+\/1\.0\.0$/);
    }
    for (const tp of Object.values(TOPICS)) for (const ty of tp.types) expect(MAX_MESSAGE_BYTES[ty]).toBeLessThan(64 * 1024);
    expect(MAX_MESSAGE_BYTES['blob-chunk']).toBeLessThan(256 * 1024 + 256);
    expect(MAX_MESSAGE_BYTES['unit-assign']).toBeLessThan(8 * 1024 * 1024 + 256);
  });

  for (const type of TYPES) {
    it(`${type}: 200 random valid messages round-trip within the limit`, () => {
      const rnd = prng(1000 + TAGS[type]);
      for (let i = 0; i < 200; i++) {
        const msg = randomMessage(type, rnd);
        const bytes = encodeMessage(type, msg);
        expect(bytes.byteLength, `${type} size`).toBeLessThanOrEqual(MAX_MESSAGE_BYTES[type]);
        expect(bytes[0]).toBe(TAGS[type]);
        const back = decodeMessage(bytes, [type]);
        expect(back.type).toBe(type);
        // Compare by re-encoding (fast on big byte fields), and structurally for small messages.
        expect(sameBytes(encodeMessage(type, back.msg as never), bytes), `${type} re-encodes identically`).toBe(true);
        if (bytes.byteLength < 4096) expect(back.msg).toEqual(msg);
      }
    });

    it(`${type}: every truncation fails, every extension fails, byte flips stay canonical`, () => {
      const rnd = prng(2000 + TAGS[type]);
      for (let i = 0; i < 20; i++) {
        const bytes = encodeMessage(type, randomMessage(type, rnd));
        const cuts = bytes.byteLength > 400 ? Array.from({ length: 200 }, () => Math.floor(rnd() * bytes.byteLength)) : Array.from({ length: bytes.byteLength }, (_, k) => k);
        for (const cut of cuts) {
          expect(() => decodeMessage(bytes.subarray(0, cut), [type]), `${type} cut at ${cut}/${bytes.byteLength}`).toThrow(MessageDecodeError);
        }
        const longer = new Uint8Array(bytes.byteLength + 1 + Math.floor(rnd() * 8));
        longer.set(bytes);
        expect(() => decodeMessage(longer, [type]), `${type} with trailing bytes`).toThrow(MessageDecodeError);
        for (let f = 0; f < 50; f++) {
          const flipped = bytes.slice();
          const at = Math.floor(rnd() * flipped.byteLength);
          flipped[at] = flipped[at]! ^ (1 + Math.floor(rnd() * 255));
          decodeOrNamedError(flipped);
        }
      }
    });
  }

  it('random byte strings never crash the decoder: named error or canonical message', () => {
    const rnd = prng(42);
    let ok = 0;
    for (let i = 0; i < 5000; i++) {
      const bytes = randomBytes(rnd, Math.floor(rnd() * 400));
      // bias the tag towards known types so the body decoders get exercised
      if (bytes.byteLength > 0 && rnd() < 0.8) bytes[0] = 1 + Math.floor(rnd() * TYPES.length);
      if (decodeOrNamedError(bytes) === 'ok') ok++;
    }
    expect(ok, 'random buffers that happened to be valid (capability-query is one byte)').toBeLessThan(250);
  });

  it('refuses a known type where it is not expected', () => {
    const ack = encodeMessage('ack', { accepted: true, reason: '' });
    expect(() => decodeMessage(ack, ['unit-assign'])).toThrow(UnexpectedMessageError);
    expect(() => decodeMessage(new Uint8Array(0), ALL)).toThrow(/message is empty/);
    expect(() => decodeMessage(Uint8Array.of(250), ALL)).toThrow(/message.tag is 250/);
  });

  it('names the field when a length field lies', () => {
    const bytes = encodeMessage('unit-assign', { jobId: 'a'.repeat(64), modelId: 'b'.repeat(64), unitIndex: 0, batch: 1, input: new Uint8Array(10) });
    const forged = bytes.slice();
    new DataView(forged.buffer).setUint32(1 + 32 + 32 + 4 + 4, 9 * 1024 * 1024);
    expect(() => decodeMessage(forged, ['unit-assign'])).toThrow(/unit-assign.input declares 9437184 bytes, more than 8388608/);
    new DataView(forged.buffer).setUint32(1 + 32 + 32 + 4 + 4, 11);
    expect(() => decodeMessage(forged, ['unit-assign'])).toThrow(/unit-assign.input needs 11 bytes but only 10 remain/);
  });

  it('rejects non-canonical and out-of-range field values on receipt', () => {
    const ack = encodeMessage('ack', { accepted: true, reason: 'ok' });
    const two = ack.slice();
    two[1] = 2;
    expect(() => decodeMessage(two, ['ack'])).toThrow(/ack.accepted is byte 2/);
    const bad = encodeMessage('cancel', { jobId: 'c'.repeat(64), reason: 'ab' });
    bad[bad.length - 1] = 0xff;
    expect(() => decodeMessage(bad, ['cancel'])).toThrow(/cancel.reason is not valid UTF-8/);
    const job = encodeMessage('job-announce', { jobId: 'd'.repeat(64), modelId: 'e'.repeat(64), task: '', units: 1, pricePerUnit: 1n, replication: 1, deadline: 0 });
    const zeroUnits = job.slice();
    new DataView(zeroUnits.buffer).setUint32(1 + 32 + 32 + 4, 0);
    expect(() => decodeMessage(zeroUnits, ['job-announce'])).toThrow(/job-announce.units is 0, outside \[1, 1000000\]/);
    const hugeDeadline = job.slice();
    new DataView(hugeDeadline.buffer).setBigUint64(hugeDeadline.byteLength - 8, 2n ** 60n);
    expect(() => decodeMessage(hugeDeadline, ['job-announce'])).toThrow(/job-announce.deadline is .* beyond 2\^53-1/);
    const cap = encodeMessage('capability', { adapter: '', gflops: 1, freeSlots: 0, priceFloor: 0n, payout: '0x' + '0'.repeat(40), models: [], operator: '0x' + '0'.repeat(40) });
    new DataView(cap.buffer).setFloat64(1 + 4, Number.NaN);
    expect(() => decodeMessage(cap, ['capability'])).toThrow(/capability.gflops is NaN/);
  });

  it('refuses invalid values before sending, naming the field', () => {
    const base = { jobId: 'a'.repeat(64), modelId: 'b'.repeat(64), unitIndex: 0, batch: 1, input: new Uint8Array(1) };
    expect(() => encodeMessage('unit-assign', { ...base, batch: 0 })).toThrow(/unit-assign.batch must be an integer in \[1, 65536\]/);
    expect(() => encodeMessage('unit-assign', { ...base, jobId: 'XYZ' })).toThrow(/unit-assign.jobId must be a 64-character lowercase hex/);
    expect(() => encodeMessage('unit-assign', { ...base, input: new Uint8Array(8 * 1024 * 1024 + 1) })).toThrow(/unit-assign.input is 8388609 bytes, more than 8388608/);
    expect(() => encodeMessage('unit-assign', { ...base, extra: 1 } as never)).toThrow(/unit-assign.extra is not a field/);
    const { input: _, ...missing } = base;
    expect(() => encodeMessage('unit-assign', missing as never)).toThrow(MessageEncodeError);
    expect(() => encodeMessage('job-announce', { jobId: 'a'.repeat(64), modelId: 'b'.repeat(64), task: 'x', units: 1, pricePerUnit: -1n, replication: 1, deadline: 0 })).toThrow(/pricePerUnit must be a bigint/);
    expect(() => encodeMessage('error', { code: 'has space', message: '' })).toThrow(/error.code must match/);
  });

  it('supports custom schemas (the codec is generic)', () => {
    const Ping = schema({ seq: t.u32(), note: t.str(8), ids: t.list(t.hash(), 2) });
    const bytes = encode(Ping, { seq: 7, note: 'hé', ids: ['f'.repeat(64)] }, 'ping');
    expect(decode(Ping, bytes, 'ping')).toEqual({ seq: 7, note: 'hé', ids: ['f'.repeat(64)] });
    expect(() => encode(Ping, { seq: 7, note: 'x'.repeat(9), ids: [] }, 'ping')).toThrow(/ping.note is 9 bytes of UTF-8, more than 8/);
    expect(() => encode(Ping, { seq: 7, note: '', ids: ['f'.repeat(64), 'f'.repeat(64), 'f'.repeat(64)] }, 'ping')).toThrow(/ping.ids has 3 items, more than 2/);
  });
});
