/**
 * A sample's frames as the batcher keeps them in memory: event counts in the smallest exact form. Dense as bytes
 * (or 16 bits, or float32 when the values are not counts), or, when that is smaller, sparse: each frame's events
 * as a list of positions, ascending, a position listed as often as its count. SHD's frames (700 channels, about
 * 1.5 % active) take 2 KB sparse against 70 KB as bytes, so SSC's 75 000 samples fit in memory; and a batch of
 * sparse samples comes with its events already listed, the list the first layer's event-driven kernel takes.
 */

/** Frames as one array [frames, frameSize]. */
export interface DenseFrames {
  readonly frames: number;
  readonly data: Uint8Array | Uint16Array | Float32Array;
}

/** Frames as event lists: frame f's positions are idx[offsets[f], offsets[f + 1]). */
export interface SparseFrames {
  readonly frames: number;
  readonly offsets: Uint32Array;
  readonly idx: Uint16Array | Uint32Array;
}

export type CompactFrames = DenseFrames | SparseFrames;

export function isSparse(f: CompactFrames): f is SparseFrames {
  return "idx" in f;
}

/** The compact form of frames data [frames, frameSize]: the smallest of the forms above that holds them exactly. */
export function compactFrames(data: Float32Array, frames: number): CompactFrames {
  let max = 0;
  let events = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!(v >= 0 && Math.floor(v) === v)) return { data: data.slice(), frames };
    if (v > max) max = v;
    events += v;
  }
  const frameSize = frames > 0 ? data.length / frames : 0;
  const idxBytes = frameSize <= 65536 ? 2 : 4;
  const denseBytes = data.length * (max <= 255 ? 1 : max <= 65535 ? 2 : 4);
  if (events * idxBytes + 4 * (frames + 1) < denseBytes) return sparseFrames(data, frames, frameSize, events, idxBytes);
  if (max <= 255) return { data: Uint8Array.from(data), frames };
  if (max <= 65535) return { data: Uint16Array.from(data), frames };
  return { data: data.slice(), frames };
}

function sparseFrames(data: Float32Array, frames: number, frameSize: number, events: number, idxBytes: number) {
  const offsets = new Uint32Array(frames + 1);
  const idx = idxBytes === 2 ? new Uint16Array(events) : new Uint32Array(events);
  let k = 0;
  for (let f = 0; f < frames; f++) {
    const base = f * frameSize;
    for (let i = 0; i < frameSize; i++) {
      for (let c = data[base + i]!; c > 0; c--) idx[k++] = i;
    }
    offsets[f + 1] = k;
  }
  return { frames, offsets, idx };
}

/** Writes frame `frame` of f into x[at, at + frameSize) (every value written: x may hold anything). */
export function writeFrame(f: CompactFrames, frame: number, x: Float32Array, at: number, frameSize: number): void {
  if (!isSparse(f)) {
    x.set(f.data.subarray(frame * frameSize, (frame + 1) * frameSize), at);
    return;
  }
  x.fill(0, at, at + frameSize);
  addFrameEvents(f, frame, x, at);
}

/** Adds frame `frame`'s events into x from `at` on: writes the frame into zeros. */
export function addFrameEvents(f: SparseFrames, frame: number, x: Float32Array, at: number): void {
  const { offsets, idx } = f;
  // a position listed c times adds 1 c times: exact integer counts in float32
  for (let k = offsets[frame]!, end = offsets[frame + 1]!; k < end; k++) {
    const p = at + idx[k]!;
    x[p] = x[p]! + 1;
  }
}

/** Events in frame `frame` of sparse frames. */
export function frameEvents(f: SparseFrames, frame: number): number {
  return f.offsets[frame + 1]! - f.offsets[frame]!;
}

/** Appends frame `frame`'s positions to out from index k; returns the index after them. */
export function listFrame(f: SparseFrames, frame: number, out: Int32Array, k: number): number {
  const { offsets, idx } = f;
  for (let j = offsets[frame]!, end = offsets[frame + 1]!; j < end; j++) out[k++] = idx[j]!;
  return k;
}
