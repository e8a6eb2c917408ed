/**
 * The guidance-scale embedding that LCM-distilled UNets take as `timestep_cond`
 * instead of classifier-free guidance: diffusers'
 * `LatentConsistencyModelPipeline.get_guidance_scale_embedding(w = guidance - 1)`,
 * sin then cos of `1000 w * exp(-i log(10000) / (half - 1))`, in float32.
 */
export function guidanceScaleEmbedding(guidance: number, dim: number, batch = 1): Float32Array<ArrayBuffer> {
  const half = Math.floor(dim / 2);
  const w = Math.fround((guidance - 1) * 1000);
  const step = Math.fround(Math.log(10000) / (half - 1));
  const row = new Float32Array(dim);
  for (let i = 0; i < half; i++) {
    const angle = Math.fround(w * Math.fround(Math.exp(Math.fround(-i * step))));
    row[i] = Math.sin(angle);
    row[half + i] = Math.cos(angle);
  }
  // An odd dim is zero-padded at the end, as diffusers pads.
  const out = new Float32Array(dim * batch);
  for (let b = 0; b < batch; b++) out.set(row, b * dim);
  return out;
}
