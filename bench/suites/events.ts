/**
 * Event decoding and frame integration throughput (events/s) on the sample files in ../shared/data.
 * Baseline, measured in the same run: a straightforward DataView decoder of the 40-bit format (what one writes
 * first); every row also reports its ratio to it. Targets: >= 150 M events/s for every decoder (issue 16, AEDAT 4
 * counted on decompressed events), >= 100 M events/s for frame integration (issue 3).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeEvents } from "../../src/events/decode.js";
import { useEventsWasm } from "../../src/events/decoders/events-wasm.js";
import type { EventFormat } from "../../src/events/decoders/types.js";
import { concatEventStreams, type EventStream } from "../../src/events/stream.js";
import { type FrameSpec, toFrames } from "../../src/events/transforms/frames.js";
import { writeAedat31 } from "../../src/events/writers/aedat3.js";
import { writeAtis40 } from "../../src/events/writers/atis40.js";
import { writeDat } from "../../src/events/writers/dat.js";
import { writeNpyEvents } from "../../src/events/writers/npy.js";
import { sharedDataDir } from "../../src/util/paths.js";
import type { BenchRow, Suite } from "../run.js";
import { median, minimum, timeInterleaved } from "../timing.js";

function file(rel: string): Uint8Array {
  return new Uint8Array(readFileSync(join(sharedDataDir(), rel)));
}

interface Timing {
  /** wall-clock seconds per call (median of rounds) */
  wall: number;
  /** CPU seconds per call in the fastest round (best of N: the least disturbed by other load) */
  cpuBest: number;
  /** CPU seconds of this process per call (all its threads: the measure of speed on an idle core when the
   * machine is shared, since time spent waiting for a core does not count) */
  cpu: number;
}

/** Runs fn repeatedly: warm-up, then timed rounds (medians per call). */
function time(fn: () => unknown, quick: boolean): Timing {
  const t = timeInterleaved([fn], {
    warmupMs: quick ? 100 : 400,
    rounds: 5,
    durationMs: quick ? 300 : 1200,
    sliceMs: 20,
  });
  return { wall: median(t.wall[0]!) / 1000, cpu: median(t.cpu[0]!) / 1000, cpuBest: minimum(t.cpu[0]!) / 1000 };
}

/** Decoder target (issue 16): M events per second, in every format. */
const DECODER_TARGET = 150;

/** The obvious decoder one writes first (DataView, push to arrays): the baseline. */
function naiveAtis40(bytes: Uint8Array): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const t: number[] = [];
  const x: number[] = [];
  const y: number[] = [];
  const p: number[] = [];
  for (let i = 0; i + 5 <= bytes.length; i += 5) {
    x.push(dv.getUint8(i));
    y.push(dv.getUint8(i + 1));
    const b2 = dv.getUint8(i + 2);
    p.push(b2 >> 7);
    t.push(((b2 & 0x7f) << 16) | dv.getUint16(i + 3));
  }
  return Float64Array.from(t).length + x.length + y.length + p.length;
}

/** The fastest loop JS can do for this format (no checks, preallocated output): an upper bound. */
function minimalAtis40(b: Uint8Array, T: Float64Array, X: Uint16Array, Y: Uint16Array, P: Uint8Array): number {
  const m = (b.length / 5) | 0;
  let k = 0;
  for (let j = 0; j < m * 5; j += 5) {
    const b2 = b[j + 2]!;
    T[k] = ((b2 & 0x7f) << 16) | (b[j + 3]! << 8) | b[j + 4]!;
    X[k] = b[j]!;
    Y[k] = b[j + 1]!;
    P[k] = b2 >> 7;
    k++;
  }
  return k;
}

export const suite: Suite = async ({ quick }) => {
  const clips: EventStream[] = [];
  for (let i = 1; i <= 10; i++)
    clips.push(decodeEvents(file(`dvs_gesture/slayerPytorch_binarySpikeTestFiles/${i}.bs2`)).stream);
  // one long stream: the ten clips one after another (t shifted), 1.2 M events
  let shift = 0;
  const shifted = clips.map((c) => {
    const t = c.t.map((v) => v + shift);
    shift += 1_450_000;
    return { ...c, t };
  });
  const gesture = concatEventStreams(shifted);
  const atis = writeAtis40(gesture);
  const aedat3 = writeAedat31(gesture, { eventsPerPacket: 4096 });
  const npy = writeNpyEvents(gesture);
  const inputs: [string, EventFormat, Uint8Array, string][] = [
    ["40-bit ATIS", "atis40", atis, "10 DVS128 Gesture clips (real events), 1.2 M events"],
    ["AEDAT 3.1", "aedat3", aedat3, "same events written as AEDAT 3.1 (4096-event packets)"],
    ["AEDAT 4 (LZ4)", "aedat4", file("aedat4/tonic/sample.aedat4"), "aedat4/tonic/sample.aedat4"],
    ["EVT 3.0", "evt3", file("prophesee/expelliarmus/evt3_sample.raw"), "prophesee evt3_sample.raw"],
    ["DAT", "dat", writeDat(gesture), "same events written as DAT (8-byte records)"],
    [
      "DAT (small real file)",
      "dat",
      file("prophesee/tonic/sample_ncars.dat"),
      "prophesee sample_ncars.dat, 2 009 events",
    ],
    [".npy", "npy", npy, "same events as .npy (t<i8, x<i2, y<i2, p u1; 16-byte records)"],
  ];
  const rows: BenchRow[] = [];
  const N = gesture.t.length;
  let baseRate = 0;
  let baseCpuBest = 0;
  const row = (name: string, input: string, events: number, tm: Timing, target: number | null = null) => {
    const rate = events / tm.wall;
    const best = events / tm.cpuBest / 1e6;
    if (baseRate === 0) {
      baseRate = rate;
      baseCpuBest = best;
    }
    rows.push({
      case: name,
      input,
      events,
      "Mev/s": +(rate / 1e6).toFixed(1),
      "Mev/CPU-s": +(events / tm.cpu / 1e6).toFixed(1),
      "best Mev/CPU-s": +best.toFixed(1),
      "× baseline": +(rate / baseRate).toFixed(2),
      "× baseline (best CPU)": +(best / baseCpuBest).toFixed(2),
      "target Mev/s": target,
      "meets target": target === null ? null : best >= target,
    });
  };
  row(
    "baseline: naive DataView 40-bit",
    inputs[0]![3],
    N,
    time(() => naiveAtis40(atis), quick),
  );
  const pre = [new Float64Array(N), new Uint16Array(N), new Uint16Array(N), new Uint8Array(N)] as const;
  row(
    "bound: minimal 40-bit loop, no checks, preallocated",
    inputs[0]![3],
    N,
    time(() => minimalAtis40(atis, ...pre), quick),
  );
  for (const [name, format, bytes, what] of inputs) {
    const n = decodeEvents(bytes, { format }).stream.t.length;
    row(
      `decode ${name}`,
      what,
      n,
      time(() => decodeEvents(bytes, { format }), quick),
      DECODER_TARGET,
    );
  }
  // the same decoders with their wasm loops off: the JS twins (what runs where WebAssembly SIMD is unavailable)
  for (const [name, format, bytes, what] of inputs) {
    const n = decodeEvents(bytes, { format }).stream.t.length;
    useEventsWasm(false);
    try {
      row(
        `decode ${name}, JS twin (wasm off)`,
        what,
        n,
        time(() => decodeEvents(bytes, { format }), quick),
      );
    } finally {
      useEventsWasm(true);
    }
  }
  // frame integration per clip, as training does it (output allocation included)
  const frameCases: [string, FrameSpec][] = [
    ["frames timeWindow grid, dt 90 ms × 16", { mode: "timeWindow", dt: 90000, frames: 16, tStart: 0 }],
    ["frames timeBins 16 (spikingjelly)", { mode: "timeBins", bins: 16 }],
    ["frames eventCount 5000 (tonic)", { mode: "eventCount", count: 5000 }],
  ];
  for (const [name, spec] of frameCases) {
    const tm = time(() => {
      for (const c of clips) toFrames(c, spec);
    }, quick);
    row(name, "each of the 10 gesture clips, 128×128×2", N, tm);
  }
  const reuse = new Float32Array(16 * 2 * 128 * 128);
  const grid: FrameSpec = { mode: "timeWindow", dt: 90000, frames: 16, tStart: 0 };
  const tm = time(() => {
    for (const c of clips) toFrames(c, grid, c.sensor, reuse);
  }, quick);
  row("frames timeWindow grid, dt 90 ms × 16, reused buffer", "each of the 10 gesture clips, 128×128×2", N, tm);
  return {
    rows,
    notes: [
      "single thread; Mev/s = million events per wall-clock second; Mev/CPU-s = per second of this process's CPU time",
      "(all threads, GC included), which stays meaningful when the machine is shared; wall-clock numbers are noisy then",
      "best Mev/CPU-s = events / CPU time of the fastest 20 ms slice (best of N): the figure least disturbed by load",
      `decoder target (issue 16): >= ${DECODER_TARGET} Mev/s in every format, judged on best Mev/CPU-s ("meets target");`,
      "AEDAT 4 counts decompressed events; frame integration target (issue 3): >= 100 Mev/s",
    ],
  };
};
