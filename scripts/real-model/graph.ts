import { endianness } from 'node:os';
import { DType, GraphBuilder } from '../tiny-model/onnx-graph.ts';
import { createRng, seedFor } from '../tiny-model/random.ts';

export type Precision = 'fp32' | 'fp16';

// Weights are written straight from typed arrays, which hold host-order bytes; ONNX wants little-endian.
if (endianness() !== 'LE') throw new Error('the real-shape model generator writes typed arrays as they are, so it needs a little-endian host');

/** IEEE half-precision bits of the float32 with bits `bits`, rounded to nearest even, as numpy's astype(float16) does. */
export function float16Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    // Subnormal: shift the implicit-1 mantissa into place, rounding half to even.
    const full = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    const half = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    return sign | (rest > halfway || (rest === halfway && half & 1) ? half + 1 : half);
  }
  const half = (halfExponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  return sign | (rest > 0x1000 || (rest === 0x1000 && half & 1) ? half + 1 : half);
}

/** `values` as raw bytes of the given float type. */
export function floatBytes(values: Float32Array, dataType: number): Uint8Array {
  if (dataType === DType.float) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const half = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) half[i] = float16Bits(bits[i]);
  return new Uint8Array(half.buffer);
}

const bytesPer = (dataType: number) => (dataType === DType.float16 ? 2 : dataType === DType.int64 ? 8 : 4);

/**
 * A GraphBuilder whose random weights are described first and drawn only when
 * a writer asks for their bytes: each from its own seeded stream, so they come
 * out the same in any order and a 3 GB network is never in memory at once.
 * Weights and float constants take the model's precision; `describe` mode
 * (`seed` undefined) refuses to produce bytes, for counting parameters.
 */
export class RealGraphBuilder extends GraphBuilder {
  readonly floatType: number;

  constructor(
    readonly precision: Precision,
    private readonly seed?: number,
  ) {
    super(createRng(seed ?? 0));
    this.floatType = precision === 'fp16' ? DType.float16 : DType.float;
  }

  override initializer(name: string, dims: number[], data: ArrayLike<number>, dataType = this.floatType): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (data.length !== count) throw new Error(`${name}: ${data.length} values for dims [${dims}]`);
    const values = Float32Array.from(data);
    return this.lazy(name, dims, dataType, () => values);
  }

  override random(name: string, dims: number[], std: number, mean = 0): string {
    const count = dims.reduce((a, b) => a * b, 1);
    return this.lazy(name, dims, this.floatType, (unique) => {
      if (this.seed === undefined) throw new Error(`${unique}: this graph was built to be described, not written`);
      // Uniform with the asked standard deviation: the networks only need the variance, and one draw per
      // value with no logarithm or cosine makes the 5 GB fp32 SD-Turbo several times faster to write.
      const { uniform } = createRng(seedFor(this.seed, unique));
      const [low, span] = [mean - std * Math.sqrt(3), 2 * std * Math.sqrt(3)];
      const values = new Float32Array(count);
      for (let i = 0; i < count; i++) values[i] = low + span * uniform();
      return values;
    });
  }

  /** Casts `x` to the model's float type (a no-op in fp32), as the edges of an fp16 export do. */
  toCompute(x: string): string {
    return this.precision === 'fp16' ? this.node('Cast', [x], { to: DType.float16 }) : x;
  }

  /** Casts `x` from the model's float type back to float32 for a graph output. */
  toFloat32(x: string): string {
    return this.precision === 'fp16' ? this.node('Cast', [x], { to: DType.float }) : x;
  }

  private lazy(name: string, dims: number[], dataType: number, values: (unique: string) => Float32Array): string {
    const unique = this.fresh(name);
    const count = dims.reduce((a, b) => a * b, 1);
    this.initializers.push({ name: unique, dims, dataType, byteLength: count * bytesPer(dataType), bytes: () => floatBytes(values(unique), dataType) });
    return unique;
  }
}

/** Parameters of the graph: elements of its float initializers (weights and the few constants beside them). */
export function parameterCount(g: GraphBuilder): number {
  return g
    .weights()
    .filter((w) => w.dataType === DType.float || w.dataType === DType.float16)
    .reduce((sum, w) => sum + w.dims.reduce((a, b) => a * b, 1), 0);
}
