import { EventBuilder } from "../builder.js";
import { EventFormatError } from "../errors.js";
import type { EventStream, SensorSize } from "../stream.js";
import type { EventsWasm } from "./events-wasm.js";
import type { ChunkDecoder, DecoderOptions, EventFormat } from "./types.js";

/**
 * Shared plumbing for chunked decoders: keeps the bytes of an unfinished record or packet between pushes (so a
 * subclass always parses one contiguous buffer), tracks absolute file offsets, the largest coordinates seen and
 * the time-order check.
 */
export abstract class ChunkDecoderBase implements ChunkDecoder {
  abstract readonly format: EventFormat;
  protected readonly file: string;
  protected readonly strictTime: boolean;
  protected readonly out = new EventBuilder();
  /** sensor from the header (null until known) */
  protected headerSensor: SensorSize | null = null;
  protected readonly overrideSensor: SensorSize | null;
  protected maxX = -1;
  protected maxY = -1;
  protected lastT = Number.NEGATIVE_INFINITY;
  protected timeSorted = true;
  protected readonly info: Record<string, unknown> = {};
  private carry = new Uint8Array(0);
  private carryLen = 0;
  /** absolute file offset of the first byte not yet consumed */
  private consumed = 0;
  private ended = false;

  constructor(opts: DecoderOptions = {}) {
    this.file = opts.fileName ?? "<buffer>";
    this.strictTime = (opts.timeOrder ?? "strict") === "strict";
    this.overrideSensor = opts.sensor ?? null;
  }

  /**
   * Parses as much of `buf` as forms whole records; `base` is the file offset of buf[0]. Returns the number of bytes
   * consumed. With `final`, the input ends at buf's end: leftover bytes must raise a truncation error.
   */
  protected abstract parse(buf: Uint8Array, base: number, final: boolean): number;

  /** The default guess when the header gave no size: largest coordinate + 1. */
  protected guessSensor(): SensorSize {
    return { width: this.maxX + 1, height: this.maxY + 1, polarities: 2 };
  }

  sensorInfo(): { sensor: SensorSize; guessed: boolean } {
    if (this.overrideSensor) return { sensor: this.overrideSensor, guessed: false };
    if (this.headerSensor) return { sensor: this.headerSensor, guessed: false };
    return { sensor: this.guessSensor(), guessed: true };
  }

  meta(): Record<string, unknown> {
    return { ...this.info, timeSorted: this.timeSorted };
  }

  /** The sensor to check coordinates against (null: unknown, nothing to check). */
  protected checkSensor(): SensorSize | null {
    return this.overrideSensor ?? this.headerSensor;
  }

  /** [width, height] that coordinates must stay below (65536 each when no sensor size is known). */
  protected sensorLimits(): [number, number] {
    const s = this.checkSensor();
    return s ? [s.width, s.height] : [65536, 65536];
  }

  protected fail(offset: number, detail: string): never {
    throw new EventFormatError(this.file, offset, detail);
  }

  protected truncated(offset: number, what: string): never {
    throw new EventFormatError(this.file, offset, `file ends inside ${what}`);
  }

  protected timeWentBack(offset: number, t: number): void {
    if (this.strictTime) {
      this.fail(
        offset,
        `timestamp ${t} µs is before the previous one (${this.lastT} µs); expected non-decreasing time (decode with timeOrder "keep" or "sort" to accept)`,
      );
    }
    this.timeSorted = false;
  }

  protected outOfSensor(offset: number, x: number, y: number): never {
    const s = this.checkSensor()!;
    this.fail(offset, `event at (x ${x}, y ${y}) lies outside the ${s.width}×${s.height} sensor`);
  }

  /**
   * An event a decoder's wasm loop stopped at (file offset `at`): the JS loop's errors (time going back under
   * "strict", off the sensor), or, when only its time went back and that is allowed, the event written at index k
   * of the wasm columns T, X, Y, P, with the running state (wasm.f64 slots: last time, largest x, largest y)
   * updated.
   */
  protected keepOddWasmEvent(
    wasm: EventsWasm,
    cols: { T: number; X: number; Y: number; P: number },
    k: number,
    at: number,
    event: [t: number, x: number, y: number, p: number],
  ): void {
    const [t, x, y, p] = event;
    const f = wasm.f64;
    const si = wasm.stateIndex;
    if (t < f[si]!) {
      this.lastT = f[si]!;
      this.timeWentBack(at, t);
    }
    const [W, H] = this.sensorLimits();
    if (x >= W || y >= H) this.outOfSensor(at, x, y);
    f[(cols.T >> 3) + k] = t;
    wasm.u16[(cols.X >> 1) + k] = x;
    wasm.u16[(cols.Y >> 1) + k] = y;
    wasm.u8[cols.P + k] = p;
    f[si] = t;
    f[si + 1] = Math.max(f[si + 1]!, x);
    f[si + 2] = Math.max(f[si + 2]!, y);
  }

  push(chunk: Uint8Array): EventStream {
    if (this.ended) throw new Error("push() after end()");
    // a plain Uint8Array view (not a Buffer or other subclass) keeps the hot loops monomorphic
    const plain =
      chunk.constructor === Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    return this.run(plain, false);
  }

  end(): EventStream {
    if (this.ended) throw new Error("end() called twice");
    this.ended = true;
    return this.run(new Uint8Array(0), true);
  }

  private run(chunk: Uint8Array, final: boolean): EventStream {
    let buf: Uint8Array;
    if (this.carryLen === 0) {
      buf = chunk;
    } else {
      const need = this.carryLen + chunk.length;
      if (need > this.carry.length) {
        const grown = new Uint8Array(Math.max(need, this.carry.length * 2));
        grown.set(this.carry.subarray(0, this.carryLen));
        this.carry = grown;
      }
      this.carry.set(chunk, this.carryLen);
      this.carryLen = need;
      buf = this.carry.subarray(0, need);
    }
    const used = this.parse(buf, this.consumed, final);
    this.consumed += used;
    const rest = buf.length - used;
    if (final && rest > 0) this.truncated(this.consumed, "a record");
    if (buf === chunk) {
      if (rest > 0) {
        if (this.carry.length < rest) this.carry = new Uint8Array(Math.max(rest, 4096));
        this.carry.set(chunk.subarray(used));
      }
    } else if (used > 0) {
      this.carry.copyWithin(0, used, this.carryLen);
    }
    this.carryLen = rest;
    return this.out.take(this.sensorInfo().sensor);
  }
}
