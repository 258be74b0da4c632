/**
 * PyTorch's default initialisation, seeded through Rng: Conv2d and Linear weights kaiming_uniform(a = √5), which is
 * U(±1/√fan_in), and biases U(±1/√fan_in).
 */
import type { Rng } from "../util/rng.js";

export function uniformFill(a: Float32Array, bound: number, rng: Rng): void {
  for (let i = 0; i < a.length; i++) a[i] = (rng.uniform() * 2 - 1) * bound;
}

/** kaiming_uniform_(a=√5): gain √(2 / (1 + 5)) = √(1/3), bound = gain · √(3 / fan_in) = 1 / √fan_in. */
export function kaimingUniformDefault(w: Float32Array, fanIn: number, rng: Rng): void {
  uniformFill(w, 1 / Math.sqrt(fanIn), rng);
}

export function biasDefault(b: Float32Array, fanIn: number, rng: Rng): void {
  uniformFill(b, fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0, rng);
}
