import { checkHost, type HostTensor } from './types.ts';

export function mapRef(op: string, x: HostTensor, f: (v: number) => number): HostTensor {
  checkHost(op, 'x', x);
  const data = new Float32Array(x.data.length);
  for (let i = 0; i < data.length; i++) data[i] = f(x.data[i]!);
  return { data, shape: [...x.shape] };
}
