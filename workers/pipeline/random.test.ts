import { describe, expect, it } from 'vitest';
import type { GeneratorState } from '../../src/shared/checkpoint.ts';
import { TorchGenerator } from './random.ts';

/** A generator that goes on from `state`, as a resumed job's does. */
function restore(state: GeneratorState): TorchGenerator {
  const generator = new TorchGenerator(0);
  generator.setState(state);
  return generator;
}

// Reference values come from torch 2.13.0+cpu on x86 (AVX2 normal kernel).
function expectClose(actual: Float32Array, expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((value, i) => expect(actual[i]).toBeCloseTo(value, 4));
}

const SEED0_16 = [
  -1.1258, -1.1524, -0.2506, -0.4339, 0.8487, 0.692, -0.316, -2.1152, 0.3223, -1.2633, 0.35, 0.3081,
  0.1198, 1.2377, 1.1168, -0.2473,
];

describe('TorchGenerator.randn', () => {
  it('matches torch.manual_seed(0); torch.randn(16) (vectorised path)', () => {
    expectClose(new TorchGenerator(0).randn(16), SEED0_16);
  });

  it('matches torch for n < 16 (scalar double path)', () => {
    expectClose(new TorchGenerator(0).randn(4), [1.541, -0.2934, -2.1788, 0.5684]);
    expectClose(new TorchGenerator(42).randn(4), [0.3367, 0.1288, 0.2345, 0.2303]);
  });

  it('redraws the last 16 values when n is not a multiple of 16', () => {
    const n18 = new TorchGenerator(0).randn(18);
    expect(Array.from(n18.subarray(0, 2))).toEqual(Array.from(new TorchGenerator(0).randn(16).subarray(0, 2)));
    expectClose(n18, [
      -1.1258, -1.1524, 0.5667, 0.7935, 0.5988, -1.5551, -0.3414, 1.853, 0.4681, -0.1577, -0.1734, 0.1835,
      1.3894, 1.5863, 0.9463, -0.8437, 0.9318, 1.259,
    ]);
  });

  it('continues the stream on a second call', () => {
    const gen = new TorchGenerator(0);
    expectClose(gen.randn(20), [
      -1.1258, -1.1524, -0.2506, -0.4339, 0.5988, -1.5551, -0.3414, 1.853, 0.4681, -0.1577, 1.4437, 0.266,
      1.3894, 1.5863, 0.9463, -0.8437, 0.9318, 1.259, 2.005, 0.0537,
    ]);
    expectClose(gen.randn(16), [
      0.4397, 0.1124, 0.6408, 0.4412, -0.2159, -0.7425, 0.5627, 0.2596, 0.5229, 2.3022, -1.4689, -1.5867,
      1.2032, 0.0845, -1.2001, -0.0048,
    ]);
  });

  it('keeps the cached Box-Muller sample across calls, including vectorised ones', () => {
    const gen = new TorchGenerator(0);
    const first = [...gen.randn(3), ...gen.randn(1)];
    expect(first).toEqual(Array.from(new TorchGenerator(0).randn(4)));
    expectClose(gen.randn(16), [
      -0.3561, 0.4372, 0.4913, -0.2041, -0.0885, 0.5239, -0.6659, 0.8504, -1.0438, -1.3453, 0.7854, 0.9928,
      -0.1932, -0.309, 0.5026, -0.8594,
    ]);
    expectClose(gen.randn(1), [-0.8567]);
    expectClose(gen.randn(1), [1.1006]);
  });

  it('is bit-identical to torch on a 4x64x64 latent', () => {
    const latent = new TorchGenerator(1234).randn(4 * 64 * 64);
    const expected: [number, number][] = [
      [0, -0.1117185652256012],
      [1, -0.49659010767936707],
      [8, -0.21525293588638306],
      [15, -1.021857500076294],
      [4095, -0.2753525972366333],
      [8192, 1.1948692798614502],
      [16383, 1.5798630714416504],
    ];
    for (const [i, value] of expected) expect(latent[i]).toBe(value);
  });

  it('reads the seed as torch does: negative seeds wrap, only the low 32 bits count', () => {
    expectClose(new TorchGenerator(-1).randn(4), [1.2198, -0.393, 1.0231, -0.3734]);
    expect(new TorchGenerator(-1).randn(32)).toEqual(new TorchGenerator(0xffffffff).randn(32));
    expectClose(new TorchGenerator(2n ** 40n + 7n).randn(4), [-0.1468, 0.7861, 0.9468, -1.1143]);
  });
});

describe('TorchGenerator state', () => {
  it('restores mid-stream, cached sample included, after a structured clone', () => {
    const gen = new TorchGenerator(0);
    gen.randn(3);
    const state = structuredClone(gen.getState());
    expect(state.nextNormal).not.toBeNull();
    const expected = [gen.randn(1), gen.randn(1000), gen.randn(5)];
    const restored = restore(state);
    expect([restored.randn(1), restored.randn(1000), restored.randn(5)]).toEqual(expected);
  });

  it('continues across the mt19937 regeneration boundary', () => {
    const gen = new TorchGenerator(0);
    gen.randn(700);
    const other = new TorchGenerator(99);
    other.setState(gen.getState());
    const tail = other.randn(5);
    expectClose(tail, [0.4943, 1.5146, 0.0351, 0.9427, -0.3698]);
    expect(tail).toEqual(gen.randn(5));
  });

  it('is a snapshot, not a view', () => {
    const gen = new TorchGenerator(7);
    const state = gen.getState();
    const expected = gen.randn(64);
    gen.randn(64);
    expect(restore(state).randn(64)).toEqual(expected);
  });

  it('rejects a malformed state', () => {
    const state = new TorchGenerator(0).getState();
    expect(() => restore({ ...state, mt: new Uint32Array(10) })).toThrow(RangeError);
    expect(() => restore({ ...state, index: 625 })).toThrow(RangeError);
  });
});
