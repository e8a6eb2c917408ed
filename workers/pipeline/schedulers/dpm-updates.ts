// The update formulas of DPMSolverMultistepScheduler (dpm_solver_first_order_update,
// multistep_dpm_solver_second_order_update, ..._third_order_update) written as
// float32 coefficients times tensors, summed left to right as torch evaluates them.

import type { DpmOptions } from './config.ts';

const f = Math.fround;

/** One `coefficient * tensor` of an update. */
export type Term = readonly [number, Float32Array];

/** `_sigma_to_alpha_sigma_t`: alpha_t = 1 / sqrt(sigma**2 + 1), sigma_t = sigma * alpha_t (float32). */
export function alphaSigma(sigma: number): { alpha: number; sigma: number } {
  const alpha = f(1 / f(Math.sqrt(f(f(sigma * sigma) + 1))));
  return { alpha, sigma: f(sigma * alpha) };
}

const lambda = (alpha: number, sigma: number) => f(f(Math.log(alpha)) - f(Math.log(sigma)));

/** `lambda_t = log(sqrt(alpha_prod)) - log(sqrt(1 - alpha_prod))` of the train schedule. */
export function lambdaOf(alphaProd: number): number {
  return lambda(f(Math.sqrt(alphaProd)), f(Math.sqrt(f(1 - alphaProd))));
}

/** f32(...f32(f32(c0 * x0) + f32(c1 * x1)) + ...) elementwise. */
export function combine(terms: readonly Term[]): Float32Array<ArrayBuffer> {
  const [[c0, x0], ...rest] = terms;
  const out = x0.map((x) => c0 * x);
  for (const [c, x] of rest) for (let i = 0; i < out.length; i++) out[i] = out[i] + f(c * x[i]);
  return out;
}

const minus = (a: Float32Array, b: Float32Array) => a.map((x, i) => x - b[i]);
const scaled = (c: number, a: Float32Array) => a.map((x) => c * x);

// D0, D1, D2 of the multistep formulas from the newest-first outputs and lambdas [t, s0, s1, s2].
function derivatives(outputs: Float32Array[], lambdas: number[], h: number): Float32Array[] {
  const [m0, m1, m2] = outputs;
  if (outputs.length === 1) return [m0];
  const r0 = f(f(lambdas[1] - lambdas[2]) / h);
  const d10 = scaled(f(1 / r0), minus(m0, m1));
  if (outputs.length === 2) return [m0, d10];
  const r1 = f(f(lambdas[2] - lambdas[3]) / h);
  const d11 = scaled(f(1 / r1), minus(m1, m2));
  const diff = minus(d10, d11);
  const sum = f(r0 + r1);
  const d1 = d10.map((x, i) => x + f(f(r0 / sum) * diff[i]));
  return [m0, d1, scaled(f(1 / sum), diff)];
}

/**
 * The terms of one update of order `outputs.length` (1-3). `sigmas` is
 * [sigma_t, sigma_s0, sigma_s1, ...] and `outputs` [m0, m1, ...], newest first.
 */
export function updateTerms(
  options: DpmOptions,
  sigmas: number[],
  outputs: Float32Array[],
  sample: Float32Array,
  noise: Float32Array | null,
): Term[] {
  const points = sigmas.map(alphaSigma);
  const lambdas = points.map((p) => lambda(p.alpha, p.sigma));
  const [t, s0] = points;
  const h = f(lambdas[0] - lambdas[1]);
  const [d0, d1, d2] = derivatives(outputs, lambdas, h);
  const order = outputs.length;
  const heun = options.solver_type === 'heun';
  const expNeg = f(Math.exp(-h));
  const expPos = f(Math.exp(h));
  const expNeg2 = f(Math.exp(f(-2 * h)));
  const noiseTerm = (coefficient: number): Term => {
    if (!noise) throw new Error(`${options.algorithm_type} needs noise`);
    return [coefficient, noise];
  };
  switch (options.algorithm_type) {
    case 'dpmsolver++': {
      const c = f(t.alpha * f(expNeg - 1));
      const terms: Term[] = [[f(t.sigma / s0.sigma), sample], [-c, d0]];
      const firstOrder = f(t.alpha * f(f(f(expNeg - 1) / h) + 1));
      if (order === 2) terms.push(heun ? [firstOrder, d1] : [-f(0.5 * c), d1]);
      if (order === 3) terms.push([firstOrder, d1], [-f(t.alpha * f(f(f(f(expNeg - 1) + h) / f(h * h)) - 0.5)), d2]);
      return terms;
    }
    case 'dpmsolver': {
      const c = f(t.sigma * f(expPos - 1));
      const terms: Term[] = [[f(t.alpha / s0.alpha), sample], [-c, d0]];
      const firstOrder = f(t.sigma * f(f(f(expPos - 1) / h) - 1));
      if (order === 2) terms.push(heun ? [-firstOrder, d1] : [-f(0.5 * c), d1]);
      if (order === 3) terms.push([-firstOrder, d1], [-f(t.sigma * f(f(f(f(expPos - 1) - h) / f(h * h)) - 0.5)), d2]);
      return terms;
    }
    case 'sde-dpmsolver++': {
      const c = f(t.alpha * f(1 - expNeg2));
      const terms: Term[] = [[f(f(t.sigma / s0.sigma) * expNeg), sample], [c, d0]];
      const firstOrder = f(t.alpha * f(f(f(1 - expNeg2) / f(-2 * h)) + 1));
      if (order === 2) terms.push(heun ? [firstOrder, d1] : [f(0.5 * c), d1]);
      if (order === 3) {
        const twoH = f(2 * h);
        terms.push([firstOrder, d1], [f(t.alpha * f(f(f(f(1 - expNeg2) - twoH) / f(twoH * twoH)) - 0.5)), d2]);
      }
      terms.push(noiseTerm(f(t.sigma * f(Math.sqrt(f(1 - expNeg2))))));
      return terms;
    }
    case 'sde-dpmsolver': {
      const c = f(t.sigma * f(expPos - 1));
      const terms: Term[] = [[f(t.alpha / s0.alpha), sample], [-f(2 * c), d0]];
      if (order === 2) terms.push(heun ? [-f(2 * f(t.sigma * f(f(f(expPos - 1) / h) - 1))), d1] : [-c, d1]);
      terms.push(noiseTerm(f(t.sigma * f(Math.sqrt(f(f(Math.exp(f(2 * h))) - 1))))));
      return terms;
    }
  }
}
