import { describe, expect, it } from 'vitest';
import {
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  float32ToBFloat16Bits,
  float32ToFloat16Bits,
  parseSafetensors,
  tensorToFloat32,
  writeSafetensors,
  type ParseSafetensorsOptions,
} from './safetensors.ts';

/** A file from a raw header string and data bytes, with an explicit (possibly lying) header length. */
function rawFile(header: string, data: Uint8Array = new Uint8Array(0), declaredLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function headerFile(header: unknown, dataBytes: number): Uint8Array {
  return rawFile(JSON.stringify(header), new Uint8Array(dataBytes));
}

/** Runs parse, expects InvalidSafetensorsError, returns the error for message checks. */
function parseError(bytes: Uint8Array, opts?: ParseSafetensorsOptions): Error & { field?: string } {
  try {
    parseSafetensors(bytes, opts);
  } catch (err) {
    expect((err as Error).name).toBe('InvalidSafetensorsError');
    return err as Error;
  }
  throw new Error('parseSafetensors accepted a malformed file');
}

const f32 = (...v: number[]) => new Float32Array(v);

describe('writeSafetensors -> parseSafetensors round trip', () => {
  it('keeps F32, I32, U8 values, shapes and metadata exactly', () => {
    const bytes = writeSafetensors(
      {
        'a.weight': { dtype: 'F32', shape: [2, 3], data: f32(1, -2, 3.5, 1e-30, -0, 65504) },
        ids: { dtype: 'I32', shape: [3], data: new Int32Array([-1, 0, 2147483647]) },
        mask: { dtype: 'U8', shape: [2, 2], data: new Uint8Array([0, 255, 7, 1]) },
        scalar: { dtype: 'F32', shape: [], data: f32(42) },
        empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
      },
      { source: 'test', note: 'ünïcode' },
    );
    const file = parseSafetensors(bytes);
    expect(file.metadata).toEqual({ source: 'test', note: 'ünïcode' });
    expect(file.tensors.get('a.weight')?.shape).toEqual([2, 3]);
    expect([...(file.tensors.get('a.weight')?.data ?? [])]).toEqual([1, -2, 3.5, Math.fround(1e-30), -0, 65504]);
    expect(Object.is(file.tensors.get('a.weight')?.data[4], -0)).toBe(true);
    expect([...(file.tensors.get('ids')?.data ?? [])]).toEqual([-1, 0, 2147483647]);
    expect(file.tensors.get('mask')?.dtype).toBe('U8');
    expect([...(file.tensors.get('mask')?.data ?? [])]).toEqual([0, 255, 7, 1]);
    expect(file.tensors.get('scalar')).toMatchObject({ shape: [], dtype: 'F32' });
    expect(file.tensors.get('empty')?.shape).toEqual([0, 4]);
  });

  it('lays tensors out aligned so aligned input is viewed without copying', () => {
    const bytes = writeSafetensors({
      h: { dtype: 'F16', shape: [3], data: new Uint16Array([1, 2, 3]) },
      w: { dtype: 'F32', shape: [3], data: f32(1, 2, 3) },
      b: { dtype: 'U8', shape: [1], data: new Uint8Array([9]) },
    });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const w = parseSafetensors(bytes).tensors.get('w');
    expect(w?.data.buffer).toBe(bytes.buffer);
    expect(parseSafetensors(bytes, { copy: true }).tensors.get('w')?.data.buffer).not.toBe(bytes.buffer);
  });

  it('copies unaligned tensors and still reads the right values', () => {
    const bytes = writeSafetensors({ w: { dtype: 'F32', shape: [2], data: f32(1.25, -7) } });
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const w = parseSafetensors(shifted.subarray(1)).tensors.get('w');
    expect((w?.data.byteOffset ?? 1) % 4).toBe(0);
    expect([...(w?.data ?? [])]).toEqual([1.25, -7]);
  });

  it('round-trips F16 and BF16 weights, widened to f32 for compute', () => {
    const values = f32(0, 1, -2, 0.5, 1 / 3, 1000, -65504, 6.1035156e-5);
    const bytes = writeSafetensors({
      half: { dtype: 'F16', shape: [2, 4], data: float32ToFloat16Bits(values) },
      brain: { dtype: 'BF16', shape: [8], data: float32ToBFloat16Bits(values) },
    });
    const file = parseSafetensors(bytes);
    const half = file.tensors.get('half');
    const brain = file.tensors.get('brain');
    expect(half?.dtype).toBe('F16');
    expect(brain?.dtype).toBe('BF16');
    const h = tensorToFloat32(half!);
    const b = tensorToFloat32(brain!);
    expect(h).toBeInstanceOf(Float32Array);
    expect([...h]).toEqual([0, 1, -2, 0.5, 0.333251953125, 1000, -65504, 6.103515625e-5]);
    expect([...b]).toEqual([0, 1, -2, 0.5, 0.333984375, 1000, -65536, 6.103515625e-5]);
  });

  it('writer refuses data whose typed array does not match the dtype or shape', () => {
    expect(() => writeSafetensors({ w: { dtype: 'F16', shape: [2], data: f32(1, 2) } })).toThrow(/F16 data must be a Uint16Array/);
    expect(() => writeSafetensors({ w: { dtype: 'F32', shape: [3], data: f32(1, 2) } })).toThrow(/has 3 elements but data has 2/);
    expect(() => writeSafetensors({ __metadata__: { dtype: 'F32', shape: [1], data: f32(1) } })).toThrow(/invalid tensor name/);
  });
});

describe('half-precision conversions', () => {
  it('encodes binary16 with round-to-nearest-even, subnormals, overflow and NaN', () => {
    const bits = (v: number) => float32ToFloat16Bits(f32(v))[0];
    expect(bits(1)).toBe(0x3c00);
    expect(bits(-0)).toBe(0x8000);
    expect(bits(65504)).toBe(0x7bff);
    expect(bits(65519)).toBe(0x7bff); // below the halfway point to 65536
    expect(bits(65520)).toBe(0x7c00); // halfway rounds to even: Inf
    expect(bits(-Infinity)).toBe(0xfc00);
    expect(bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(bits(2 ** -25)).toBe(0x0000); // halfway to 0 and 2^-24: even is 0
    expect(bits(3 * 2 ** -26)).toBe(0x0001); // above halfway
    expect(bits(1 + 2 ** -11)).toBe(0x3c00); // halfway between 1 and next: even (1)
    expect(bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway, rounds up to even
    expect(bits(2 ** -14 - 2 ** -25)).toBe(0x0400); // rounds up from the largest subnormal into the smallest normal
    expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(f32(NaN)))[0])).toBe(true);
  });

  it('decodes every binary16 pattern and re-encodes it to the same bits', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const decoded = float16BitsToFloat32(all);
    const again = float32ToFloat16Bits(decoded);
    for (let i = 0; i < 65536; i++) {
      const isNaN = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
      if (isNaN) expect(Number.isNaN(decoded[i])).toBe(true);
      else if (again[i] !== i) throw new Error(`f16 0x${i.toString(16)} -> ${decoded[i]} -> 0x${again[i]?.toString(16)}`);
    }
  });

  it('bfloat16 rounds to nearest even and round-trips every non-NaN pattern', () => {
    const bits = (v: number) => float32ToBFloat16Bits(f32(v))[0];
    expect(bits(1)).toBe(0x3f80);
    expect(bits(1 + 2 ** -8)).toBe(0x3f80); // halfway: even
    expect(bits(1 + 3 * 2 ** -8)).toBe(0x3f82); // halfway: even, upwards
    expect(bits(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81); // just above halfway
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const decoded = bfloat16BitsToFloat32(all);
    const again = float32ToBFloat16Bits(decoded);
    for (let i = 0; i < 65536; i++) {
      const isNaN = (i & 0x7f80) === 0x7f80 && (i & 0x7f) !== 0;
      if (isNaN) expect(Number.isNaN(decoded[i])).toBe(true);
      else if (again[i] !== i) throw new Error(`bf16 0x${i.toString(16)} did not round-trip`);
    }
  });
});

describe('parseSafetensors refuses malformed files', () => {
  const ok = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };

  it('accepts the well-formed baseline used below', () => {
    expect(parseSafetensors(headerFile(ok, 8)).tensors.get('w')?.shape).toEqual([2]);
  });

  it('truncated: shorter than the 8-byte length prefix', () => {
    for (const n of [0, 1, 7]) {
      const err = parseError(new Uint8Array(n));
      expect(err.message).toMatch(/file is \d+ bytes, shorter than the 8-byte header length/);
    }
  });

  it('truncated: data section cut short', () => {
    const full = headerFile(ok, 8);
    expect(parseError(full.subarray(0, full.length - 1)).message).toMatch(/header\["w"\]\.(shape|data_offsets)/);
  });

  it('oversized header length (u64 max, above the limit)', () => {
    expect(parseError(rawFile('{}', undefined, 2n ** 64n - 1n)).message).toMatch(/header length is 18446744073709551615 bytes, above the limit/);
    expect(parseError(headerFile(ok, 8), { maxHeaderBytes: 10 }).message).toMatch(/header length .* above the limit of 10/);
  });

  it('header length pointing past the end of the file', () => {
    expect(parseError(rawFile('{}', undefined, 1000n)).message).toMatch(/header length is 1000 bytes, which points past the end of the file \(10 bytes\)/);
  });

  it('header length too short for an object', () => {
    expect(parseError(rawFile('{', undefined)).message).toMatch(/header length is 1 bytes, too short/);
  });

  it('header that is not JSON, not UTF-8, not an object, or has a leading space', () => {
    expect(parseError(rawFile('{"w": nope}')).message).toMatch(/header is not valid JSON/);
    const bad = rawFile('{"  ":1}');
    bad[10] = 0xff;
    bad[11] = 0xfe;
    expect(parseError(bad).message).toMatch(/header is not valid UTF-8/);
    expect(parseError(rawFile('[1,2]')).message).toMatch(/header must start with "\{"/);
    expect(parseError(rawFile(' {}')).message).toMatch(/header must start with "\{"/);
    expect(parseError(rawFile('{} {}')).message).toMatch(/header is not valid JSON/);
  });

  it('accepts trailing space padding in the header', () => {
    expect(parseSafetensors(rawFile(`${JSON.stringify(ok)}      `, new Uint8Array(8))).tensors.size).toBe(1);
  });

  it('__metadata__ must map strings to strings', () => {
    expect(parseError(headerFile({ __metadata__: { version: 2 }, ...ok }, 8)).message).toMatch(/header\.__metadata__\["version"\] must be a string/);
    expect(parseError(headerFile({ __metadata__: ['x'], ...ok }, 8)).message).toMatch(/header\.__metadata__ must be an object/);
  });

  it('unknown and unsupported dtypes', () => {
    const err = parseError(headerFile({ w: { dtype: 'Q7', shape: [2], data_offsets: [0, 8] } }, 8));
    expect(err.message).toMatch(/header\["w"\]\.dtype "Q7" is not a known dtype/);
    expect(parseError(headerFile({ w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, 8)).message).toMatch(/header\["w"\]\.dtype "I64" is not supported/);
    expect(parseError(headerFile({ w: { dtype: 4, shape: [1], data_offsets: [0, 4] } }, 4)).message).toMatch(/header\["w"\]\.dtype must be a string/);
  });

  it('shapes with negative, fractional, non-number or too many dimensions', () => {
    for (const bad of [-1, 1.5, '2', null, 2 ** 53]) {
      const err = parseError(headerFile({ w: { dtype: 'F32', shape: [2, bad], data_offsets: [0, 8] } }, 8));
      expect(err.message).toMatch(/header\["w"\]\.shape\[1\] must be a non-negative integer/);
    }
    expect(parseError(headerFile({ w: { dtype: 'F32', shape: 2, data_offsets: [0, 8] } }, 8)).message).toMatch(/header\["w"\]\.shape must be an array/);
    const deep = Array.from({ length: 17 }, () => 1);
    expect(parseError(headerFile({ w: { dtype: 'F32', shape: deep, data_offsets: [0, 4] } }, 4)).message).toMatch(/header\["w"\]\.shape has rank 17, above the limit of 16/);
  });

  it('huge shapes whose element count would overflow', () => {
    const huge = [2 ** 31, 2 ** 31, 2 ** 31, 2 ** 31];
    const err = parseError(headerFile({ w: { dtype: 'F32', shape: huge, data_offsets: [0, 8] } }, 8));
    expect(err.message).toMatch(/header\["w"\]\.shape \[2147483648,.*\] needs more bytes than the data section holds \(8\)/);
    // 2^32 * 2^32 overflows uint32 arithmetic to 0: a naive check would accept an empty tensor.
    expect(parseError(headerFile({ w: { dtype: 'U8', shape: [2 ** 32, 2 ** 32], data_offsets: [0, 0] } }, 0)).message).toMatch(/needs more bytes/);
  });

  it('offsets out of range, reversed, fractional or of the wrong size for the shape', () => {
    const file = (offsets: unknown, data = 8) => headerFile({ w: { dtype: 'F32', shape: [2], data_offsets: offsets } }, data);
    expect(parseError(file([0, 16])).message).toMatch(/header\["w"\]\.data_offsets end 16 is past the data section \(8 bytes\)/);
    expect(parseError(file([8, 0])).message).toMatch(/header\["w"\]\.data_offsets begin 8 is after end 0/);
    expect(parseError(file([0, 4])).message).toMatch(/header\["w"\]\.data_offsets span 4 bytes, but shape \[2\] of F32 needs 8/);
    expect(parseError(file([0.5, 8])).message).toMatch(/header\["w"\]\.data_offsets must be two non-negative integers/);
    expect(parseError(file([-8, 0])).message).toMatch(/header\["w"\]\.data_offsets must be two non-negative integers/);
    expect(parseError(file([0])).message).toMatch(/header\["w"\]\.data_offsets must be an array \[begin, end\]/);
    expect(parseError(file(undefined)).message).toMatch(/header\["w"\]\.data_offsets must be an array/);
  });

  it('overlapping tensors, holes, and trailing bytes', () => {
    const overlap = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } };
    expect(parseError(headerFile(overlap, 12)).message).toMatch(/header\["b"\]\.data_offsets \[4, 12\] overlaps another tensor/);
    const same = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
    expect(parseError(headerFile(same, 8)).message).toMatch(/overlaps another tensor/);
    const hole = { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } };
    expect(parseError(headerFile(hole, 12)).message).toMatch(/header\["b"\]\.data_offsets \[8, 12\] leaves a hole: bytes 4\.\.8/);
    expect(parseError(headerFile(ok, 12)).message).toMatch(/data section has 4 trailing bytes/);
  });

  it('a duplicated JSON key (collapsed by JSON.parse) shows up as a hole', () => {
    const header = '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    expect(parseError(rawFile(header, new Uint8Array(8))).message).toMatch(/header\["w"\]\.data_offsets \[4, 8\] leaves a hole/);
  });

  it('unknown tensor fields, non-object entries, too many tensors, bad BOOLs', () => {
    expect(parseError(headerFile({ w: { ...ok.w, extra: 1 } }, 8)).message).toMatch(/header\["w"\]\["extra"\] is not a known tensor field/);
    expect(parseError(headerFile({ w: [1, 2] }, 0)).message).toMatch(/header\["w"\] must be an object/);
    const many = { a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] }, b: { dtype: 'U8', shape: [1], data_offsets: [1, 2] } };
    expect(parseError(headerFile(many, 2), { maxTensors: 1 }).message).toMatch(/header has 2 tensors, above the limit of 1/);
    const bools = rawFile(JSON.stringify({ m: { dtype: 'BOOL', shape: [2], data_offsets: [0, 2] } }), new Uint8Array([1, 2]));
    expect(parseError(bools).message).toMatch(/tensor\["m"\]\[1\] is 2, but BOOL elements must be 0 or 1/);
    expect(parseError(headerFile({ '': ok.w }, 8)).message).toMatch(/header\[""\] name must be 1 to 1024 characters/);
  });

  it('names the file when told which one it is', () => {
    const err = parseError(new Uint8Array(3), { source: 'weights.safetensors' });
    expect(err.message).toBe('safetensors file "weights.safetensors": file is 3 bytes, shorter than the 8-byte header length');
    expect(err.field).toBe('file');
  });

  it('a tensor named __proto__ is an ordinary entry and pollutes nothing', () => {
    const header = '{"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}';
    const file = parseSafetensors(rawFile(header, new Uint8Array([5])));
    expect(file.tensors.get('__proto__')?.data[0]).toBe(5);
    expect(({} as Record<string, unknown>)['dtype']).toBeUndefined();
  });

  it('refuses a non-Uint8Array argument with a TypeError', () => {
    expect(() => parseSafetensors([1, 2, 3] as unknown as Uint8Array)).toThrow(TypeError);
  });
});
