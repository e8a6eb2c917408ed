/**
 * Ridge least squares: the W minimising |X W - Y|² + ridge |W|², by the
 * normal equations and a Cholesky factorisation. X is rows × features and Y
 * rows × targets, row-major; W comes back features × targets.
 */
export function leastSquares(x: Float64Array, y: Float64Array, rows: number, features: number, targets: number, ridge = 1e-6): Float64Array {
  const gram = new Float64Array(features * features);
  const rhs = new Float64Array(features * targets);
  for (let r = 0; r < rows; r++) {
    const xr = x.subarray(r * features, (r + 1) * features);
    for (let i = 0; i < features; i++) {
      const xi = xr[i];
      if (xi === 0) continue;
      for (let j = 0; j <= i; j++) gram[i * features + j] += xi * xr[j];
      for (let t = 0; t < targets; t++) rhs[i * targets + t] += xi * y[r * targets + t];
    }
  }
  // Scaled by the diagonal's mean, so `ridge` means the same whatever the features' scale.
  let trace = 0;
  for (let i = 0; i < features; i++) trace += gram[i * features + i];
  for (let i = 0; i < features; i++) gram[i * features + i] += (ridge * trace) / features;
  const lower = cholesky(gram, features);
  const w = new Float64Array(features * targets);
  for (let t = 0; t < targets; t++) {
    // L z = b, then Lᵀ w = z.
    const z = new Float64Array(features);
    for (let i = 0; i < features; i++) {
      let sum = rhs[i * targets + t];
      for (let k = 0; k < i; k++) sum -= lower[i * features + k] * z[k];
      z[i] = sum / lower[i * features + i];
    }
    for (let i = features - 1; i >= 0; i--) {
      let sum = z[i];
      for (let k = i + 1; k < features; k++) sum -= lower[k * features + i] * w[k * targets + t];
      w[i * targets + t] = sum / lower[i * features + i];
    }
  }
  return w;
}

/** The lower triangle L of a symmetric positive-definite matrix (given by its lower triangle) with L Lᵀ = A. */
function cholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j];
      for (let k = 0; k < j; k++) sum -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (sum <= 0) throw new Error('leastSquares: the features are linearly dependent; raise the ridge');
        l[i * n + i] = Math.sqrt(sum);
      } else l[i * n + j] = sum / l[j * n + j];
    }
  }
  return l;
}
