import { describe, expect, it } from 'vitest';
import { DType } from '../tiny-model/onnx-graph.ts';
import { floatBytes, RealGraphBuilder } from './graph.ts';

const half = (value: number) => new Uint16Array(floatBytes(Float32Array.of(value), DType.float16).slice().buffer)[0];

describe('floatBytes to float16', () => {
  it('rounds as numpy astype(float16) does', () => {
    expect([1, -2, 0.1, 65504, 0.5 + 2 ** -12, 0.5 + 3 * 2 ** -12].map(half)).toEqual([0x3c00, 0xc000, 0x2e66, 0x7bff, 0x3800, 0x3802]);
  });

  it('overflows to infinity, keeps subnormals and NaN, flushes what is below the smallest subnormal', () => {
    expect([65520, -1e6, Infinity, 2 ** -24, 2 ** -20, 2 ** -26, NaN].map(half)).toEqual([0x7c00, 0xfc00, 0x7c00, 0x0001, 0x0010, 0x0000, 0x7e00]);
  });
});

describe('RealGraphBuilder', () => {
  it('draws the same weight bytes whatever order they are asked in, and other bytes for another seed', () => {
    const build = (seed: number) => {
      const g = new RealGraphBuilder('fp32', seed);
      g.random('a', [3, 4], 1);
      g.random('b', [5], 1);
      return g.weights();
    };
    const [a, b] = build(1);
    const bFirst = [...b.bytes()];
    expect([...a.bytes()]).toEqual([...build(1)[0].bytes()]);
    expect(bFirst).toEqual([...build(1)[1].bytes()]);
    expect([...a.bytes()]).not.toEqual([...build(2)[0].bytes()]);
  });

  it('announces each weight size before drawing it, and refuses to draw without a seed', () => {
    const g = new RealGraphBuilder('fp16');
    g.random('w', [8, 16], 1);
    expect(g.weights()[0]).toMatchObject({ dims: [8, 16], dataType: DType.float16, byteLength: 256 });
    expect(() => g.weights()[0].bytes()).toThrow(/described, not written/);
  });
});
