// Frame integration: events counted into [frames, polarities, H, W] float32 frames, the wasm twin of
// accumulateFrames in src/events/transforms/frames.ts (same counts, same first event off the sensor).

/**
 * For each frame k < nFrames, adds 1 at out[k · frameSize + polarity · onOffset + y · W + x] for the events
 * [start[k], end[k]) of the x/y (uint16) and p (uint8) columns at X, Y, P, whose first event is `first` (the
 * columns hold events first.. onwards). Returns the index of the first event outside W × H (nothing after it in
 * its frame is counted), or -1.
 */
export function framesAccumulate(
  X: usize,
  Y: usize,
  P: usize,
  first: i32,
  start: usize,
  end: usize,
  nFrames: i32,
  out: usize,
  W: i32,
  H: i32,
  onOffset: i32,
  frameSize: i32,
): i32 {
  for (let k = 0; k < nFrames; k++) {
    const base = out + ((<usize>k * <usize>frameSize) << 2);
    const hi = load<i32>(end + (<usize>k << 2)) - first;
    for (let i = load<i32>(start + (<usize>k << 2)) - first; i < hi; i++) {
      const x = <i32>load<u16>(X + (<usize>i << 1));
      const y = <i32>load<u16>(Y + (<usize>i << 1));
      if (<u32>x >= <u32>W || <u32>y >= <u32>H) return i + first;
      const on = <i32>(load<u8>(P + <usize>i) != 0);
      const at = base + (<usize>(on * onOffset + y * W + x) << 2);
      store<f32>(at, load<f32>(at) + 1);
    }
  }
  return -1;
}
