// Noise-schedule pieces shared by every scheduler class. diffusers builds the
// schedule in torch float32 (betas, alphas_cumprod, sigmas) and the timestep
// grids in numpy float64; each helper here says which, so the values round the
// same way (Math.fround after every float32 operation).

import type { BetaSchedule, CommonOptions, TimestepSpacing } from './config.ts';

const f = Math.fround;

/** `numpy.round`: halves go to the even neighbour (1000 - 62.5 * 3 = 812.5 -> 812). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** `numpy.linspace` in float64, step for step (function_base.py), including num = 1 -> [start]. */
export function linspace(start: number, stop: number, num: number, endpoint = true): number[] {
  const div = endpoint ? num - 1 : num;
  const delta = stop - start;
  const out = new Array<number>(num);
  const step = delta / div;
  for (let i = 0; i < num; i++) {
    if (div <= 0) out[i] = i * delta + start;
    else out[i] = step === 0 ? (i / div) * delta + start : i * step + start;
  }
  if (endpoint && num > 1) out[num - 1] = stop;
  return out;
}

/** `numpy.arange(start, stop, step)` for floats: ceil((stop - start) / step) values of start + i * delta. */
export function arange(start: number, stop: number, step: number): number[] {
  const length = Math.max(0, Math.ceil((stop - start) / step));
  const delta = start + step - start;
  const out = new Array<number>(length);
  for (let i = 0; i < length; i++) out[i] = i === 1 ? start + step : start + i * delta;
  return out;
}

/** `torch.linspace(..., dtype=torch.float32)` on CPU: the scalar path of RangeFactoriesKernel.cpp's linspace_kernel. */
export function linspaceF32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  const s = f(start);
  const e = f(end);
  if (steps === 1) {
    out[0] = s;
    return out;
  }
  const step = f(f(e - s) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) out[i] = i < halfway ? f(s + f(step * i)) : f(e - f(step * (steps - i - 1)));
  return out;
}

/** `numpy.interp(x, arange(len(fp)), fp)` (compiled_base.c arr_interp) for one x. */
export function interpIndex(x: number, fp: ArrayLike<number>): number {
  const last = fp.length - 1;
  if (Number.isNaN(x)) return x;
  if (x <= 0) return fp[0];
  if (x >= last) return fp[last];
  const j = Math.floor(x);
  if (j === x) return fp[j];
  const slope = fp[j + 1] - fp[j];
  return slope * (x - j) + fp[j];
}

// betas_for_alpha_bar (scheduling_ddpm.py), "cosine" transform, max_beta 0.999, in float64.
function cosineBetas(n: number): Float32Array {
  const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * Math.PI / 2) ** 2;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.min(1 - alphaBar((i + 1) / n) / alphaBar(i / n), 0.999);
  return out;
}

function scheduleBetas(schedule: BetaSchedule, start: number, end: number, n: number): Float32Array {
  if (schedule === 'linear') return linspaceF32(start, end, n);
  if (schedule === 'squaredcos_cap_v2') return cosineBetas(n);
  // scaled_linear: linspace(beta_start**0.5, beta_end**0.5) ** 2, "very specific to the latent diffusion model".
  const roots = linspaceF32(Math.sqrt(start), Math.sqrt(end), n);
  return roots.map((r) => f(r * r));
}

/** torch.cumprod on CPU accumulates float32 in double (at::acc_type) and rounds each output. */
export function cumprodF32(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  let acc = 1;
  for (let i = 0; i < values.length; i++) {
    acc *= values[i];
    out[i] = acc;
  }
  return out;
}

const oneMinus = (values: Float32Array) => values.map((v) => f(1 - v));

// rescale_zero_terminal_snr (scheduling_ddim.py, arXiv 2305.08891 Algorithm 1), in float32.
function rescaleZeroTerminalSnr(betas: Float32Array): Float32Array {
  const root = cumprodF32(oneMinus(betas)).map((a) => f(Math.sqrt(a)));
  const first = root[0];
  const last = root[root.length - 1];
  const scale = f(first / f(first - last));
  const bar = root.map((r) => {
    const shifted = f(f(r - last) * scale);
    return f(shifted * shifted);
  });
  const alphas = bar.map((b, i) => (i === 0 ? b : f(b / bar[i - 1])));
  return oneMinus(alphas);
}

/** The class's `self.betas`: trained_betas, or beta_schedule over num_train_timesteps, optionally zero-SNR rescaled. */
export function makeBetas(options: CommonOptions): Float32Array {
  const { trained_betas: trained, num_train_timesteps: n } = options;
  const betas = trained ? Float32Array.from(trained) : scheduleBetas(options.beta_schedule, options.beta_start, options.beta_end, n);
  return options.rescale_betas_zero_snr ? rescaleZeroTerminalSnr(betas) : betas;
}

/**
 * `alphas_cumprod = cumprod(1 - betas)`. The sigma-based classes (Euler, Euler a,
 * DPM-Solver) set the last one to 2**-24 under zero-SNR so the first sigma is not inf.
 */
export function makeAlphasCumprod(options: CommonOptions, sigmaBased: boolean): Float32Array {
  const cumprod = cumprodF32(oneMinus(makeBetas(options)));
  if (sigmaBased && options.rescale_betas_zero_snr) cumprod[cumprod.length - 1] = 2 ** -24;
  return cumprod;
}

/** `((1 - alphas_cumprod) / alphas_cumprod) ** 0.5` in float32, ascending with the train timestep. */
export function trainSigmas(alphasCumprod: Float32Array): Float32Array {
  return alphasCumprod.map((a) => f(Math.sqrt(f(f(1 - a) / a))));
}

/** `final_sigmas_type="sigma_min"`: the train sigma at t = 0, in float32. */
export function sigmaAtZero(alphasCumprod: Float32Array): number {
  const a = alphasCumprod[0];
  return f(Math.sqrt(f(f(1 - a) / a)));
}

/**
 * The timestep grid of Table 2 of arXiv 2305.08891, as EulerDiscreteScheduler and
 * DDIMScheduler.set_timesteps build it in float64 (linspace values unrounded).
 */
export function spacedTimesteps(spacing: TimestepSpacing, trainSteps: number, steps: number, offset: number): number[] {
  if (spacing === 'linspace') return linspace(0, trainSteps - 1, steps).reverse();
  if (spacing === 'leading') {
    const ratio = Math.floor(trainSteps / steps);
    return Array.from({ length: steps }, (_, i) => (steps - 1 - i) * ratio + offset);
  }
  return arange(trainSteps, 0, -trainSteps / steps).map((t) => roundHalfEven(t) - 1);
}

/** k-diffusion's get_sigmas_karras (rho = 7), as `_convert_to_karras`, in float64. */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, steps: number): number[] {
  const rho = 7;
  const minInvRho = sigmaMin ** (1 / rho);
  const maxInvRho = sigmaMax ** (1 / rho);
  return linspace(0, 1, steps).map((r) => (maxInvRho + r * (minInvRho - maxInvRho)) ** rho);
}

/** `_convert_to_exponential`: log-uniform sigmas from sigma_max down to sigma_min. */
export function exponentialSigmas(sigmaMin: number, sigmaMax: number, steps: number): number[] {
  return linspace(Math.log(sigmaMax), Math.log(sigmaMin), steps).map(Math.exp);
}

/** `np.log` of the float32 train sigmas, kept in float32 like numpy does. */
export function logSigmasF32(sigmas: Float32Array): Float32Array {
  return sigmas.map((s) => f(Math.log(s)));
}

/** `_sigma_to_t`: the fractional train timestep whose log-sigma matches, by linear interpolation. */
export function sigmaToT(sigma: number, logSigmas: Float32Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  // argmax of cumsum(dists >= 0): the first index where the running count peaks.
  let count = 0;
  let best = 0;
  let lowIdx = 0;
  for (let i = 0; i < logSigmas.length; i++) {
    if (logSigma - logSigmas[i] >= 0) count++;
    if (count > best) {
      best = count;
      lowIdx = i;
    }
  }
  lowIdx = Math.min(lowIdx, logSigmas.length - 2);
  const low = logSigmas[lowIdx];
  const high = logSigmas[lowIdx + 1];
  const w = Math.min(Math.max((low - logSigma) / (low - high), 0), 1);
  return (1 - w) * lowIdx + w * (lowIdx + 1);
}
