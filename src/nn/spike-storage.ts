/**
 * How a conv or linear synapse keeps its input for the dense weight gradient. Input that is LIF spikes arrives with
 * their bytes (Seq.bytes, exactly 0/1, held by the previous layer's LIF for its own backward anyway): the synapse
 * keeps a reference to those bytes and the kernels read them as floats, so the f32 copy of the spikes can be freed
 * right after the forward. Any other input (the network's input frames, dropout output, the smooth twin's values)
 * is kept as floats. Settable, so tests can compare against the float storage.
 */
import type { SpikeBytes } from "../engine/api.js";
import type { Seq } from "./module.js";

let compact = true;

/** Whether synapses keep binary input as bytes (default) or as their f32 copy. */
export function compactSpikeStorage(): boolean {
  return compact;
}

export function setCompactSpikeStorage(on: boolean): void {
  compact = on;
}

/** What a synapse keeps of its input x for the dense weight gradient: x's spike bytes when it has them, else x.data. */
export function storedInput(x: Seq, name: string): Float32Array | SpikeBytes {
  const bytes = x.bytes;
  if (!compact || bytes === undefined) return x.data;
  if (bytes.length !== x.data.length) {
    throw new Error(`${name}: input spike bytes hold ${bytes.length} values, the input ${x.data.length}`);
  }
  return bytes;
}

/** True when the input's f32 values can be restored from its bytes (so the f32 copy need not be kept). */
export function restorable(x: Seq): boolean {
  return compact && x.bytes !== undefined;
}

/** x with its f32 values written again from its bytes into `data` (recomputation replays from a freed copy). */
export function densify(x: Seq, data: Float32Array): Seq {
  const bytes = x.bytes;
  if (bytes === undefined || bytes.length !== data.length) throw new Error("densify: input has no matching bytes");
  for (let i = 0; i < bytes.length; i++) data[i] = bytes[i]!;
  return { ...x, data };
}
