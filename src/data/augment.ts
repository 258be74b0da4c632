/**
 * Frame-level augmentations for BatchLoader's `augment` hook. They act on cached frames, so the expensive
 * integration is done once while each epoch still sees a fresh random choice. Browser-safe.
 */
import type { Frames } from "../events/transforms/frames.js";
import type { Rng } from "../util/rng.js";

/**
 * `steps` consecutive frames at a random start (uniform over every start that fits): the training window of
 * T·dt at a random offset, taken on the dt grid of the cached frames. A recording shorter than `steps` frames is
 * returned whole (the loader's `steps` option then pads it).
 */
export function randomFrameSlice(steps: number): (f: Frames, rng: Rng) => Frames {
  if (!(Number.isInteger(steps) && steps >= 1)) throw new RangeError(`steps must be a positive integer, got ${steps}`);
  return (f, rng) => {
    const [T, C, H, W] = f.shape;
    if (T <= steps) return f;
    const start = rng.int(T - steps + 1);
    const chw = C * H * W;
    return { data: f.data.subarray(start * chw, (start + steps) * chw), shape: [steps, C, H, W] };
  };
}
