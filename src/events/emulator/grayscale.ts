/** Colour to grayscale for emulator input (browser-safe). */

/**
 * Luma (ITU-R BT.601 weights) of an interleaved 8-bit image with 1–4 channels (gray, gray+alpha, RGB, RGBA),
 * as intensities in [0, 1]. Alpha is ignored.
 */
export function toGrayscale(data: ArrayLike<number>, width: number, height: number, channels: number): Float32Array {
  const n = width * height;
  if (data.length < n * channels) {
    throw new RangeError(
      `grayscale: ${data.length} bytes for ${width}x${height}x${channels}, expected ${n * channels}`,
    );
  }
  const out = new Float32Array(n);
  if (channels === 1 || channels === 2) {
    for (let i = 0; i < n; i++) out[i] = data[i * channels]! / 255;
  } else if (channels === 3 || channels === 4) {
    for (let i = 0; i < n; i++) {
      const o = i * channels;
      out[i] = (0.299 * data[o]! + 0.587 * data[o + 1]! + 0.114 * data[o + 2]!) / 255;
    }
  } else {
    throw new RangeError(`grayscale: ${channels} channels, expected 1 to 4`);
  }
  return out;
}
