/**
 * The built-in model's preview decoder: TAESD's interface, with its convs at
 * the latent's size only, each fitted by least squares to the tiny VAE decoder
 * on random latents, so that a preview of the final latents looks like the
 * final image at the latent's resolution (docs/previews.md, "The tiny preview
 * decoder").
 */
import { VAE_SCALING_FACTOR } from './configs.ts';
import { evaluate, type Tensor } from './graph-eval.ts';
import { leastSquares } from './least-squares.ts';
import { DType, GraphBuilder } from './onnx-graph.ts';
import type { Rng } from './random.ts';
import { LATENT_CHANNELS } from './unet.ts';
import { vaeDecoderGraph } from './vae-decoder.ts';

/** Channels of the hidden conv; the last conv gives RGB, both at the latent's size. */
const HIDDEN = 16;
/** Image pixels per latent pixel along each side. */
const SCALE = 8;
/** Random latents (8x8, so 64x64 images) the convs are fitted on, each at its own scale. */
const FIT = { latents: 4, size: 8, ridge: 1e-3 };

/** TAESD's input: latents as the scheduler left them, soft-clamped to ±3 as TAESD's `Clamp` does. */
function clamp(g: GraphBuilder, latents: string): string {
  const three = g.initializer('clamp.three', [], [3]);
  return g.node('Mul', [g.node('Tanh', [g.node('Div', [latents, three])]), three]);
}

/**
 * Unlike TAESD, the input is normalised per channel: the tiny VAE normalises
 * after its first conv, so its picture does not depend on the latents' scale,
 * which differs from job to job (std 0.4-1.6 after the last step).
 */
function normalise(g: GraphBuilder, x: string): string {
  const ones = g.initializer('norm.scale', [LATENT_CHANNELS], new Array<number>(LATENT_CHANNELS).fill(1));
  const zeros = g.initializer('norm.bias', [LATENT_CHANNELS], new Array<number>(LATENT_CHANNELS).fill(0));
  return g.node('InstanceNormalization', [x, ones, zeros]);
}

/** Each pixel's 3x3 neighbourhood of every channel (zero outside), plus a 1 for the bias: one row per pixel. */
function convRows(x: Tensor): Float64Array {
  const [n, c, h, w] = x.dims;
  const width = c * 9 + 1;
  const rows = new Float64Array(n * h * w * width);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        const row = ((b * h + y) * w + xx) * width;
        for (let ch = 0; ch < c; ch++) {
          for (let ky = 0; ky < 3; ky++) {
            const iy = y + ky - 1;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < 3; kx++) {
              const ix = xx + kx - 1;
              if (ix >= 0 && ix < w) rows[row + ch * 9 + ky * 3 + kx] = x.data[((b * c + ch) * h + iy) * w + ix];
            }
          }
        }
        rows[row + width - 1] = 1;
      }
    }
  }
  return rows;
}

/** Pixel-major targets from an NCHW tensor, projected onto `basis` (targets × channels) when given. */
function targetRows(t: Tensor, basis?: number[][]): { rows: Float64Array; count: number } {
  const [n, c, h, w] = t.dims;
  const count = basis ? basis.length : c;
  const rows = new Float64Array(n * h * w * count);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < h * w; i++) {
      for (let k = 0; k < count; k++) {
        let v = 0;
        if (basis) for (let ch = 0; ch < c; ch++) v += basis[k][ch] * t.data[(b * c + ch) * h * w + i];
        else v = t.data[(b * c + k) * h * w + i];
        rows[(b * h * w + i) * count + k] = v;
      }
    }
  }
  return { rows, count };
}

/** The `count` directions along which the channels of `t` vary most (principal components, by Jacobi rotations). */
function principalDirections(t: Tensor, count: number): number[][] {
  const [n, c, h, w] = t.dims;
  const plane = h * w;
  const mean = new Array<number>(c).fill(0);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < plane; i++) mean[ch] += t.data[(b * c + ch) * plane + i] / (n * plane);
  const a = Array.from({ length: c }, () => new Array<number>(c).fill(0));
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < plane; i++) {
      for (let p = 0; p < c; p++) {
        const vp = t.data[(b * c + p) * plane + i] - mean[p];
        for (let q = 0; q < c; q++) a[p][q] += vp * (t.data[(b * c + q) * plane + i] - mean[q]);
      }
    }
  }
  const v: number[][] = Array.from({ length: c }, (_, i) => Array.from({ length: c }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 50; sweep++) {
    for (let p = 0; p < c - 1; p++) {
      for (let q = p + 1; q < c; q++) {
        if (Math.abs(a[p][q]) < 1e-12) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const tan = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cos = 1 / Math.sqrt(tan * tan + 1);
        const sin = tan * cos;
        for (let k = 0; k < c; k++) {
          const [akp, akq] = [a[k][p], a[k][q]];
          a[k][p] = cos * akp - sin * akq;
          a[k][q] = sin * akp + cos * akq;
        }
        for (let k = 0; k < c; k++) {
          const [apk, aqk] = [a[p][k], a[q][k]];
          a[p][k] = cos * apk - sin * aqk;
          a[q][k] = sin * apk + cos * aqk;
        }
        for (let k = 0; k < c; k++) {
          const [vkp, vkq] = [v[k][p], v[k][q]];
          v[k][p] = cos * vkp - sin * vkq;
          v[k][q] = sin * vkp + cos * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: c }, (_, i) => i).sort((i, j) => a[j][j] - a[i][i]);
  return order.slice(0, count).map((col) => v.map((row) => row[col]));
}

/** A 3x3 conv from `input` fitted to `target` (pixel-major rows), added to `g`. */
function fittedConv(g: GraphBuilder, name: string, x: string, input: Tensor, target: { rows: Float64Array; count: number }): string {
  const channels = input.dims[1];
  const width = channels * 9 + 1;
  const pixels = input.dims[0] * input.dims[2] * input.dims[3];
  const solved = leastSquares(convRows(input), target.rows, pixels, width, target.count, FIT.ridge);
  const weight = Array.from({ length: target.count * (width - 1) }, (_, k) => solved[(k % (width - 1)) * target.count + Math.floor(k / (width - 1))]);
  const bias = Array.from({ length: target.count }, (_, t) => solved[(width - 1) * target.count + t]);
  const attrs = { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] };
  return g.node('Conv', [x, g.initializer(`${name}.weight`, [target.count, channels, 3, 3], weight), g.initializer(`${name}.bias`, [target.count], bias)], attrs, g.fresh(name));
}

/** `t` averaged over SCALE x SCALE blocks: the image at the latent's size. */
function pooled(t: Tensor): Tensor {
  const [n, c, h, w] = t.dims;
  const [ph, pw] = [h / SCALE, w / SCALE];
  const data = new Float32Array(n * c * ph * pw);
  for (let plane = 0; plane < n * c; plane++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) data[(plane * ph + Math.floor(y / SCALE)) * pw + Math.floor(x / SCALE)] += t.data[(plane * h + y) * w + x] / (SCALE * SCALE);
    }
  }
  return { dims: [n, c, ph, pw], data };
}

/**
 * Builds the preview decoder: clamp, normalise, a 3x3 conv and ReLU fitted to
 * the tiny VAE's (built from `vaeRng`) activations at the latent's size,
 * projected onto their main directions, a 3x3 conv to RGB fitted to the VAE's
 * image averaged to that size, then nearest 8x upsampling. Every conv runs at
 * the latent's size: on SwiftShader a conv's cost grows with its output
 * pixels, whatever its channels (docs/previews.md). Fitted on random latents
 * drawn from `rng`, so the fit asks nothing of the pipeline.
 */
export function buildPreviewDecoder(rng: Rng, vaeRng: Rng): Uint8Array {
  const { latents: count, size } = FIT;
  const plane = LATENT_CHANNELS * size * size;
  const z: Tensor = { dims: [count, LATENT_CHANNELS, size, size], data: new Float32Array(count * plane) };
  for (let b = 0; b < count; b++) {
    const scale = 0.3 + (1.7 * b) / Math.max(1, count - 1);
    for (let i = 0; i < plane; i++) z.data[b * plane + i] = scale * rng.normal();
  }
  const vae = vaeDecoderGraph(vaeRng);
  const [features, image] = evaluate(vae.graph, { latent_sample: { dims: z.dims, data: z.data.map((v) => v / VAE_SCALING_FACTOR) } }, [vae.stages[0], 'sample']);

  const g = new GraphBuilder(rng);
  const latents = g.input('latent_sample', DType.float, ['batch', LATENT_CHANNELS, 'height', 'width']);
  const normalised = normalise(g, clamp(g, latents));
  const [input] = evaluate(g, { latent_sample: z }, [normalised]);
  const hidden = g.node('Relu', [fittedConv(g, 'conv0', normalised, input, targetRows(features, principalDirections(features, HIDDEN)))]);
  const [hiddenValues] = evaluate(g, { latent_sample: z }, [hidden]);
  const rgb = fittedConv(g, 'conv_out', hidden, hiddenValues, targetRows(pooled(image)));
  const scales = g.initializer('upsample.scales', [4], [1, 1, SCALE, SCALE]);
  const upsampled = g.node('Resize', [rgb, '', scales], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
  g.output(upsampled, 'sample', DType.float, ['batch', 3, 'image_height', 'image_width']);
  return g.encode('preview_decoder');
}
