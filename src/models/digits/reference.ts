/**
 * The digits CNN on the CPU, composed from the kernel references (f64 accumulation). It is the
 * yardstick for the WGSL graph: the same weights and inputs must give the same argmax and
 * logits within the documented tolerance. It shares no code with the trainer's forward pass, so
 * a mistake in one is not silently repeated in the other.
 */
import { conv2dRef, matmulRef, maxPool2dRef, softmaxRef, argmaxRef, type HostTensor } from '../../gpu/reference/index.ts';
import type { LoadedModel } from '../load.ts';
import { digitsGeometry, type DigitsTensorName } from './graph.ts';

export interface DigitsReferenceResult {
  logits: Float32Array;
  probs: Float32Array;
  argmax: Uint32Array;
  classes: number;
}

/**
 * @param input f32 [batch, C, H, W] as the manifest's input (pixel/255)
 * @example
 * const { argmax } = digitsReference(model, pixels, 1);
 */
export function digitsReference(model: LoadedModel, input: Float32Array, batch: number): DigitsReferenceResult {
  const g = digitsGeometry(model.tensors, model.manifest.input.shape);
  const w = (name: DigitsTensorName): HostTensor => {
    const t = model.tensors.get(name)!;
    return { data: t.data, shape: t.shape };
  };
  const x: HostTensor = { data: input, shape: [batch, g.inChannels, g.height, g.width] };
  const a1 = conv2dRef(x, w('conv1.weight'), { bias: w('conv1.bias'), padding: g.conv1.padding, activation: 'relu' });
  const p1 = maxPool2dRef(a1, { kernel: 2, stride: 2 });
  const a2 = conv2dRef(p1, w('conv2.weight'), { bias: w('conv2.bias'), padding: g.conv2.padding, activation: 'relu' });
  const p2 = maxPool2dRef(a2, { kernel: 2, stride: 2 });
  const flat: HostTensor = { data: p2.data, shape: [batch, g.flat] };
  const h = matmulRef(flat, w('fc1.weight'), { bias: w('fc1.bias'), activation: 'relu' });
  const logits = matmulRef(h, w('fc2.weight'), { bias: w('fc2.bias') });
  return {
    logits: logits.data,
    probs: softmaxRef(logits).data,
    argmax: argmaxRef(logits).data,
    classes: g.classes,
  };
}
