/**
 * Pure-TS twins of what pruned inference adds to the engine: the LIF step over kept frames only (lifGapSteps) and
 * lists sized exactly (spikeList, valueList). The test oracle of the wasm versions (wasm-lists.ts).
 */
import type { Engine, Kernels, SpikeList } from "./api.js";

/** The kernels of this file that are Kernels members (the list makers are Engine members). */
export type ListKernelName = "lifGapSteps" | "eventIndices";

const f32 = Math.fround;

function need(ok: boolean, kernel: string, what: string): void {
  if (!ok) throw new RangeError(`${kernel}: ${what}`);
}

/** Checks a lifGapSteps call (shared with the wasm wrapper); returns the number of kept rows. */
export function checkLifGapSteps(...[cur, u, sample, gap, spikes, p]: Parameters<Kernels["lifGapSteps"]>): number {
  const k = "lifGapSteps";
  const rows = sample.length;
  need(Number.isInteger(p.n) && p.n >= 0, k, `n must be an integer >= 0, got ${p.n}`);
  need(p.reset === "soft" || p.reset === "hard", k, `unknown reset '${p.reset}'`);
  need(gap.length === rows, k, `gap has ${gap.length} entries, expected one per row (${rows})`);
  need(cur.length >= rows * p.n, k, `cur has ${cur.length} elements, expected rows·n = ${rows * p.n}`);
  need(spikes.length >= rows * p.n, k, `spikes has ${spikes.length} elements, expected rows·n = ${rows * p.n}`);
  need((p.scale === null) === (p.shift === null), k, "scale and shift come together");
  if (p.scale !== null) need(p.scale.length >= p.n && p.shift!.length >= p.n, k, `scale and shift need n = ${p.n}`);
  if (p.rowWeights !== null) need(p.rowWeights.length >= rows, k, `rowWeights needs one weight per row (${rows})`);
  const samples = p.n === 0 ? 0 : Math.floor(u.length / p.n);
  for (let r = 0; r < rows; r++) {
    need(sample[r]! >= 0 && sample[r]! < samples, k, `sample[${r}] = ${sample[r]} outside the ${samples} samples of u`);
    need(gap[r]! >= -1, k, `gap[${r}] = ${gap[r]} (expected >= -1)`);
  }
  return rows;
}

export const refLifGapSteps: Kernels["lifGapSteps"] = (cur, u, sample, gap, spikes, p) => {
  const rows = checkLifGapSteps(cur, u, sample, gap, spikes, p);
  const { n, scale, shift, rowWeights } = p;
  const alpha = f32(p.alpha);
  const vth = f32(p.vth);
  const resetValue = p.reset === "hard" ? 0 : f32(alpha * vth);
  for (let k = 0; k < rows; k++) {
    const base = sample[k]! * n;
    const g = gap[k]!;
    for (let i = 0; i < n; i++) {
      let h = 0;
      if (g >= 0) {
        const prev = u[base + i]!;
        h = prev >= vth ? resetValue : f32(alpha * prev);
        for (let s = 0; s < g && h !== 0; s++) h = f32(alpha * h);
      }
      let c = cur[k * n + i]!;
      if (scale !== null) c = f32(f32(c * scale[i]!) + shift![i]!);
      if (rowWeights !== null) c = f32(c * rowWeights[k]!);
      const uu = f32(h + c);
      u[base + i] = uu;
      spikes[k * n + i] = uu >= vth ? 1 : 0;
    }
  }
};

/** Checks an eventIndices call (shared with the wasm wrapper). */
export function checkEventIndices(x: Float32Array, list: SpikeList, maxEvents: number): void {
  const k = "eventIndices";
  checkListSource(k, x, list.rows, list.rowLen);
  need(Number.isInteger(maxEvents) && maxEvents >= 0, k, `maxEvents must be an integer >= 0, got ${maxEvents}`);
  need(list.idx.length >= maxEvents, k, `list.idx has ${list.idx.length} entries, less than maxEvents ${maxEvents}`);
  need(list.offsets.length >= list.rows + 1, k, `list.offsets has ${list.offsets.length} entries, expected rows + 1`);
}

/** The twin of the wasm eventIndices. */
export function eventIndices(x: Float32Array, list: SpikeList, maxEvents: number): boolean {
  checkEventIndices(x, list, maxEvents);
  const { rows, rowLen, idx, offsets } = list;
  let k = 0;
  offsets[0] = 0;
  for (let r = 0; r < rows; r++) {
    for (let i = r * rowLen; i < (r + 1) * rowLen; i++) {
      const v = x[i]!;
      if (v === 0) continue;
      if (!(v > 0 && Number.isInteger(v)) || k + v > maxEvents) return false;
      for (let c = 0; c < v; c++) idx[k++] = i - r * rowLen;
    }
    offsets[r + 1] = k;
  }
  return true;
}

/** Checks the size arguments of spikeList / valueList. */
export function checkListSource(kernel: string, source: { length: number }, rows: number, rowLen: number): void {
  need(Number.isInteger(rows) && rows >= 0, kernel, `rows must be an integer >= 0, got ${rows}`);
  need(Number.isInteger(rowLen) && rowLen > 0, kernel, `rowLen must be an integer > 0, got ${rowLen}`);
  need(source.length >= rows * rowLen, kernel, `the input has ${source.length} entries, expected rows·rowLen`);
}

/** The list makers of an engine, over its allocator: the twins of the wasm versions. */
export function referenceListMakers(
  alloc: Pick<Engine, "allocI32" | "allocF32">,
): Pick<Engine, "spikeList" | "valueList"> {
  function nonZeroList(
    kernel: string,
    x: Uint8Array | Float32Array,
    rows: number,
    rowLen: number,
    withValues: boolean,
  ) {
    checkListSource(kernel, x, rows, rowLen);
    const offsets = new Int32Array(rows + 1);
    for (let r = 0; r < rows; r++) {
      let c = 0;
      for (let i = r * rowLen; i < (r + 1) * rowLen; i++) if (x[i] !== 0) c++;
      offsets[r + 1] = offsets[r]! + c;
    }
    const total = offsets[rows]!;
    const idx = alloc.allocI32(Math.max(1, total));
    const values = withValues ? alloc.allocF32(Math.max(1, total)) : undefined;
    let k = 0;
    for (let i = 0; i < rows * rowLen; i++) {
      if (x[i] === 0) continue;
      if (values) values[k] = x[i]!;
      idx[k++] = i % rowLen;
    }
    const list: SpikeList = { rows, rowLen, idx, offsets };
    if (values) list.values = values;
    return list;
  }
  return {
    spikeList: (spikes, rows, rowLen) => nonZeroList("spikeList", spikes, rows, rowLen, false),
    valueList: (x, rows, rowLen) => nonZeroList("valueList", x, rows, rowLen, true),
  };
}
