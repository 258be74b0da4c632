/**
 * Batch norm at evaluation is a per-channel affine map y = x·scale + shift. Both engines compute it this way
 * (scale and shift in f64, rounded to f32 once, then one f32 multiply and one f32 add per value), so pruned
 * inference can apply the same map inside its LIF step and still match the model bit for bit.
 */
export interface ChannelAffine {
  scale: Float32Array;
  shift: Float32Array;
}

export function batchNormEvalAffine(
  gamma: Float32Array,
  beta: Float32Array,
  runningMean: Float32Array,
  runningVar: Float32Array,
  eps: number,
): ChannelAffine {
  const c = gamma.length;
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let ch = 0; ch < c; ch++) {
    const s = gamma[ch]! / Math.sqrt(runningVar[ch]! + eps);
    scale[ch] = s;
    shift[ch] = beta[ch]! - runningMean[ch]! * s;
  }
  return { scale, shift };
}
