/**
 * The decoders' wasm module (assembly/events/, built into events-wasm-bytes.ts): hot loops that JS runs at a third
 * to a half of the speed (LZ4 blocks, AEDAT 4 event structs, EVT 3.0 words, AEDAT 3.1, 40-bit, DAT and .npy
 * records). Decoders run before any engine exists, in Node
 * and browsers, and synchronously, so the small module is instantiated synchronously from bytes embedded in the
 * bundle. Where WebAssembly (with SIMD) is unavailable, `eventsWasm()` is null and the decoders use their JS twins.
 */
import type { EventBuilder } from "../builder.js";
import { EVENTS_WASM_BASE64 } from "./events-wasm-bytes.js";

interface EventsWasmExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  lz4Block(s: number, sEnd: number, d: number, dEnd: number, windowStart: number): number;
  lz4Pair(
    sA: number,
    sEndA: number,
    dA: number,
    dEndA: number,
    wA: number,
    sB: number,
    sEndB: number,
    dB: number,
    dEndB: number,
    wB: number,
    res: number,
  ): void;
  aedat4Events(
    src: number,
    i: number,
    n: number,
    t: number,
    x: number,
    y: number,
    p: number,
    w: number,
    h: number,
    st: number,
  ): number;
  aedat3Polarity(
    src: number,
    i: number,
    n: number,
    tHigh: number,
    t: number,
    x: number,
    y: number,
    p: number,
    w: number,
    h: number,
    st: number,
  ): number;
  framesAccumulate(
    x: number,
    y: number,
    p: number,
    first: number,
    start: number,
    end: number,
    nFrames: number,
    out: number,
    w: number,
    h: number,
    onOffset: number,
    frameSize: number,
  ): number;
  atis40Records(
    src: number,
    i: number,
    n: number,
    t: number,
    x: number,
    y: number,
    p: number,
    w: number,
    h: number,
    st: number,
  ): number;
  npyRecords(src: number, i: number, n: number, size: number, ...layoutOutputsAndState: number[]): number;
  datRecords(src: number, i: number, n: number, ...outputsLimitsAndState: number[]): number;
  npyRecords16(src: number, i: number, n: number, size: number, ...layoutOutputsAndState: number[]): number;
  evt3CountEvents(w: number, n: number): number;
  evt3Fast(
    w: number,
    n: number,
    st: number,
    t: number,
    x: number,
    y: number,
    p: number,
    width: number,
    height: number,
  ): number;
  evt3CountTypes(w: number, n: number, st: number): void;
  evt3Words(
    w: number,
    i: number,
    n: number,
    st: number,
    t: number,
    x: number,
    y: number,
    p: number,
    cap: number,
    width: number,
    height: number,
    strict: number,
  ): number;
}

/** Bytes the wasm loops may read past an input's end or write past an output's end (wide copies). */
export const WASM_SLACK = 32;
/** float64 slots of decoder state at the start of the heap (EVT 3.0 uses 20). */
const STATE_SLOTS = 32;
/** The slot where lz4Pair leaves its two int32 results: the last, apart from every decoder's running state. */
export const LZ4_PAIR_SLOT = STATE_SLOTS - 1;

/** Rounds up to a multiple of 16. */
export function align16(n: number): number {
  return (n + 15) & ~15;
}

/**
 * The instantiated module and views of its memory. Decoders lay out their buffers from `heap` upwards per call
 * (nothing is kept in wasm memory between calls except the state slots, which each call sets first).
 */
export class EventsWasm {
  readonly fn: EventsWasmExports;
  /** first free byte above the state slots */
  readonly heap: number;
  /** byte address of the state slots (float64) */
  readonly state: number;
  private buf: ArrayBuffer;
  u8: Uint8Array;
  u16: Uint16Array;
  i32: Int32Array;
  f32: Float32Array;
  f64: Float64Array;

  constructor(module: WebAssembly.Module) {
    this.fn = new WebAssembly.Instance(module, {}).exports as unknown as EventsWasmExports;
    this.state = align16(this.fn.heapBase());
    this.heap = this.state + STATE_SLOTS * 8;
    this.buf = this.fn.memory.buffer;
    this.u8 = new Uint8Array(this.buf);
    this.u16 = new Uint16Array(this.buf);
    this.i32 = new Int32Array(this.buf);
    this.f32 = new Float32Array(this.buf);
    this.f64 = new Float64Array(this.buf);
  }

  /** Makes bytes [0, end) of memory usable (growing it) and refreshes the views; throws past 4 GiB. */
  ensure(end: number): void {
    const have = this.fn.memory.buffer.byteLength;
    if (end > have) this.fn.memory.grow(Math.ceil((end - have) / 65536));
    if (this.fn.memory.buffer !== this.buf) {
      this.buf = this.fn.memory.buffer;
      this.u8 = new Uint8Array(this.buf);
      this.u16 = new Uint16Array(this.buf);
      this.i32 = new Int32Array(this.buf);
      this.f32 = new Float32Array(this.buf);
      this.f64 = new Float64Array(this.buf);
    }
  }

  /**
   * Lays out t (float64), x, y (uint16) and p (uint8) columns for `cap` events from byte `at` on, 16-aligned,
   * and makes memory usable up to `end` (past the columns and WASM_SLACK).
   */
  columns(at: number, cap: number): { T: number; X: number; Y: number; P: number; end: number } {
    const T = align16(at);
    const X = align16(T + 8 * cap);
    const Y = align16(X + 2 * cap);
    const P = align16(Y + 2 * cap);
    const end = align16(P + cap + WASM_SLACK);
    this.ensure(end);
    return { T, X, Y, P, end };
  }

  /** Appends n events from the t/x/y/p columns at byte addresses T, X, Y, P of wasm memory to `out`. */
  copyOut(out: EventBuilder, T: number, X: number, Y: number, P: number, n: number): void {
    out.reserve(n);
    const k = out.length;
    out.t.set(new Float64Array(this.buf, T, n), k);
    out.x.set(new Uint16Array(this.buf, X, n), k);
    out.y.set(new Uint16Array(this.buf, Y, n), k);
    out.p.set(this.u8.subarray(P, P + n), k);
    out.length = k + n;
  }

  /** The state slots as a Float64Array index (slot i is f64[stateIndex + i]). */
  get stateIndex(): number {
    return this.state >> 3;
  }
}

let instance: EventsWasm | null | undefined;
let enabled = true;

function base64Bytes(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The decoders' wasm module, or null where it cannot run (then the decoders use their JS loops). */
export function eventsWasm(): EventsWasm | null {
  if (!enabled) return null;
  if (instance === undefined) {
    try {
      instance = new EventsWasm(new WebAssembly.Module(base64Bytes(EVENTS_WASM_BASE64)));
    } catch {
      instance = null; // no WebAssembly, no SIMD, or a page that forbids compiling it
    }
  }
  return instance;
}

/**
 * Turns the decoders' wasm loops on or off (default on) and returns the previous setting; off, every decoder runs
 * its JS twin. For tests and benchmarks that compare the two.
 */
export function useEventsWasm(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}
