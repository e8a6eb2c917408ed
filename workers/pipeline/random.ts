// Replays PyTorch's CPU generator so a seed gives the same latents here as
// `torch.manual_seed(seed); torch.randn(n)` does for diffusers on x86.

import { MT_WORDS, type GeneratorState } from '../../src/shared/checkpoint.ts';

const N = MT_WORDS;
const M = 397;
const MATRIX_A = 0x9908b0df;
const TWO_PI = 2 * Math.PI;

const f = Math.fround;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

// Constants of avx_mathfun.h, narrowed to float as its _PS256_CONST tables are.
const TWO_PI_F = f(TWO_PI);
const SQRTHF = f(0.707106781186547524);
const LOG_P = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1,
  -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
].map(f);
const LOG_Q1 = f(-2.1219444e-4);
const LOG_Q2 = 0.693359375;
const FOPI = f(1.27323954473516);
const DP1 = -0.78515625;
const DP2 = -2.4187564849853515625e-4;
const DP3 = f(-3.77489497744594108e-8);
const SIN0 = f(-1.9515295891e-4);
const SIN1 = f(8.3321608736e-3);
const SIN2 = f(-1.6666654611e-1);
const COS0 = f(2.443315711809948e-5);
const COS1 = f(-1.388731625493765e-3);
const COS2 = f(4.166664568298827e-2);

/** Anything that can hand a scheduler standard-normal float32 noise. */
export interface NoiseSource {
  randn(n: number): Float32Array;
}

/** PyTorch's CPU generator: mt19937 plus ATen's normal kernel, bit-identical to x86 torch. */
export class TorchGenerator implements NoiseSource {
  private readonly mt = new Uint32Array(N);
  private index = N;
  private nextNormal: number | null = null;

  /** Equivalent of `torch.manual_seed(seed)`. */
  constructor(seed: number | bigint) {
    // manual_seed wraps negative seeds to uint64, and mt19937's init_with_uint32
    // keeps only the low 32 bits (MT19937RNGEngine.h).
    this.mt[0] = Number(BigInt.asUintN(32, BigInt(seed)));
    for (let j = 1; j < N; j++) {
      const prev = this.mt[j - 1];
      this.mt[j] = Math.imul(1812433253, prev ^ (prev >>> 30)) + j;
    }
  }

  /** Copy of the current state. */
  getState(): GeneratorState {
    return { mt: this.mt.slice(), index: this.index, nextNormal: this.nextNormal };
  }

  /** Restore a state taken by getState. */
  setState(state: GeneratorState): void {
    const { mt, index } = state;
    if (mt.length !== N || !Number.isInteger(index) || index < 0 || index > N) {
      throw new RangeError('invalid TorchGenerator state');
    }
    this.mt.set(mt);
    this.index = index;
    this.nextNormal = state.nextNormal;
  }

  /** Equivalent of `torch.randn(n)` (float32) on this generator. */
  randn(n: number): Float32Array {
    const out = new Float32Array(n);
    // normal_kernel (native/cpu/DistributionTemplates.h) only vectorises
    // contiguous float tensors of at least 16 elements.
    if (n < 16) {
      for (let i = 0; i < n; i++) out[i] = this.normalDouble();
      return out;
    }
    // normal_fill: all uniforms first, then Box-Muller per block of 16.
    for (let i = 0; i < n; i++) out[i] = this.uniformFloat();
    for (let i = 0; i + 16 <= n; i += 16) normalFill16(out, i);
    if (n % 16 !== 0) {
      // A ragged tail is not padded: torch redraws 16 uniforms over the last 16
      // slots (overwriting finished normals) and transforms those.
      for (let i = n - 16; i < n; i++) out[i] = this.uniformFloat();
      normalFill16(out, n - 16);
    }
    return out;
  }

  private nextU32(): number {
    if (this.index >= N) this.regenerate();
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  // mt19937_engine::next_state in MT19937RNGEngine.h.
  private regenerate(): void {
    const mt = this.mt;
    let i = 0;
    for (; i < N - M; i++) mt[i] = mt[i + M] ^ twist(mt[i], mt[i + 1]);
    for (; i < N - 1; i++) mt[i] = mt[i + M - N] ^ twist(mt[i], mt[i + 1]);
    mt[N - 1] = mt[M - 1] ^ twist(mt[N - 1], mt[0]);
    this.index = 0;
  }

  // uniform_real_distribution<float>: low 24 bits of one word (TransformationHelper.h).
  private uniformFloat(): number {
    return (this.nextU32() & 0xffffff) * 2 ** -24;
  }

  // uniform_real_distribution<double>: low 53 bits of random64(), whose first
  // word is the high half (CPUGeneratorImpl.cpp).
  private uniformDouble(): number {
    const hi = this.nextU32() & 0x1fffff;
    const lo = this.nextU32();
    return (hi * 0x100000000 + lo) * 2 ** -53;
  }

  // normal_distribution<double> (core/DistributionsHelper.h): the sine half is
  // cached on the generator and survives across randn calls, even large ones.
  // Doubles narrowed to float hide libm differences between V8 and glibc.
  private normalDouble(): number {
    if (this.nextNormal !== null) {
      const z = this.nextNormal;
      this.nextNormal = null;
      return z;
    }
    const u1 = this.uniformDouble();
    const u2 = this.uniformDouble();
    const r = Math.sqrt(-2 * Math.log1p(-u2));
    const theta = TWO_PI * u1;
    this.nextNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}

function twist(u: number, v: number): number {
  return (((u & 0x80000000) | (v & 0x7fffffff)) >>> 1) ^ (v & 1 ? MATRIX_A : 0);
}

// normal_fill_16 pairs slot j with j + 8. On x86 torch runs its AVX2 kernel
// (DistributionKernels.cpp keeps normal_stub off AVX512), which is all float:
// theta = (float)(2pi) * u2, and log/sincos are the Cephes polynomials of
// avx_mathfun.h rather than libm. Scalar-path builds (ARM) differ in the last ulps.
function normalFill16(data: Float32Array, offset: number): void {
  for (let j = offset; j < offset + 8; j++) {
    const radius = f(Math.sqrt(-2 * log256(1 - data[j])));
    const theta = f(TWO_PI_F * data[j + 8]);
    // sincos256_ps; theta >= 0, so the input sign handling drops out.
    const k = (Math.trunc(f(theta * FOPI)) + 1) & ~1;
    let x = fmaf(k, DP1, theta);
    x = fmaf(k, DP2, x);
    x = fmaf(k, DP3, x);
    const z = f(x * x);
    const cosPoly = f(fmaf(f(fmaf(fmaf(COS0, z, COS1), z, COS2) * z), z, -0.5 * z) + 1);
    const sinPoly = fmaf(f(fmaf(fmaf(SIN0, z, SIN1), z, SIN2) * z), x, x);
    const cos = k & 2 ? sinPoly : cosPoly;
    const sin = k & 2 ? cosPoly : sinPoly;
    // The closing fmadd(n, std = 1, mean = 0) also turns -0 into +0.
    data[j] = radius * ((k - 2) & 4 ? cos : -cos) + 0;
    data[j + 8] = radius * (k & 4 ? -sin : sin) + 0;
  }
}

// log256_ps from avx_mathfun.h for x in (0, 1]. Steps left unrounded are
// exact in float: m - 1 and 2m - 1 for m in [0.5, 1), and e * LOG_Q2 (a 9-bit
// constant times a small integer), which makes its fused add round once.
function log256(x: number): number {
  f32[0] = x;
  let e = (u32[0] >>> 23) - 0x7e;
  u32[0] = (u32[0] & 0x807fffff) | 0x3f000000;
  let m = f32[0] - 1;
  if (f32[0] < SQRTHF) {
    e -= 1;
    m += f32[0];
  }
  const z = f(m * m);
  let y = LOG_P[0];
  for (let i = 1; i < LOG_P.length; i++) y = fmaf(y, m, LOG_P[i]);
  y = fmaf(f(y * m), z, f(e * LOG_Q1));
  y = f(y - 0.5 * z);
  return f(f(m + y) + e * LOG_Q2);
}

// The AVX2 kernels are built with FMA and GCC contracts mul+add pairs, so the
// polynomials round once per step (which pairs fuse was pinned against torch
// 2.13's output). a*b is exact in a double; only a sum that
// lands exactly between two floats can round twice, so settle ties by the
// exact remainder (TwoSum).
function fmaf(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = f(s);
  if (r === s) return r;
  const other = s + (s - r);
  if (f(other) !== other) return r;
  const t = s - p;
  const err = p - (s - t) + (c - t);
  if (err === 0) return r;
  return err > 0 === other > r ? other : r;
}
