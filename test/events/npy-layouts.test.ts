import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeEvents } from "../../src/events/decode.js";
import { useEventsWasm } from "../../src/events/decoders/events-wasm.js";
import { EventFormatError } from "../../src/events/errors.js";

type Ty = "i1" | "u1" | "i2" | "u2" | "i4" | "u4" | "i8" | "u8" | "f4" | "f8";
const SIZE: Record<Ty, number> = { i1: 1, u1: 1, i2: 2, u2: 2, i4: 4, u4: 4, i8: 8, u8: 8, f4: 4, f8: 8 };

/** A .npy with the given fields (name, type, byte order) at explicit offsets, itemsize and records [t, x, y, p]. */
function npy(fields: [string, Ty, "<" | ">", number][], itemsize: number, rows: number[][], pad = 64): Uint8Array {
  const descr = `{'names': [${fields.map((f) => `'${f[0]}'`).join(", ")}], 'formats': [${fields
    .map((f) => `'${f[1].length === 2 && SIZE[f[1]] === 1 ? "|" : f[2]}${f[1]}'`)
    .join(", ")}], 'offsets': [${fields.map((f) => f[3]).join(", ")}], 'itemsize': ${itemsize}}`;
  const dict = `{'descr': ${descr}, 'fortran_order': False, 'shape': (${rows.length},), }`;
  const total = Math.ceil((10 + dict.length + 1) / pad) * pad;
  const header = dict + " ".repeat(total - 10 - dict.length - 1) + "\n";
  const out = new Uint8Array(total + rows.length * itemsize);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const dv = new DataView(out.buffer);
  const key = ["t", "x", "y", "p"];
  rows.forEach((row, r) => {
    for (const [name, ty, order, off] of fields) {
      const v = row[key.indexOf(name)]!;
      const o = total + r * itemsize + off;
      const le = order === "<";
      if (ty === "i1") dv.setInt8(o, v);
      else if (ty === "u1") dv.setUint8(o, v);
      else if (ty === "i2") dv.setInt16(o, v, le);
      else if (ty === "u2") dv.setUint16(o, v, le);
      else if (ty === "i4") dv.setInt32(o, v, le);
      else if (ty === "u4") dv.setUint32(o, v, le);
      else if (ty === "i8") dv.setBigInt64(o, BigInt(v), le);
      else if (ty === "u8") dv.setBigUint64(o, BigInt(v), le);
      else if (ty === "f4") dv.setFloat32(o, v, le);
      else dv.setFloat64(o, v, le);
    }
  });
  return out;
}

/** Deterministic pseudo-random integers. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

for (const wasm of [true, false]) {
  test(`.npy: every integer layout (field order, sizes, signedness, byte order, padding) reads the values written${wasm ? "" : " (JS twin, wasm off)"}`, () => {
    const was = useEventsWasm(wasm);
    try {
      layoutsReadBack();
    } finally {
      useEventsWasm(was);
    }
  });
}

function layoutsReadBack(): void {
  const rand = rng(7);
  const tTypes: Ty[] = ["i8", "u8", "i4", "u4", "f8", "f4", "u2"];
  const cTypes: Ty[] = ["u1", "i2", "u2", "i4", "u4", "i8"];
  for (let trial = 0; trial < 60; trial++) {
    const tTy = tTypes[trial % tTypes.length]!;
    const xTy = cTypes[rand(cTypes.length)]!;
    const yTy = cTypes[rand(cTypes.length)]!;
    const pTy = (["u1", "i1", "i2", "u4"] as Ty[])[rand(4)]!;
    const order = rand(4) === 0 ? ">" : "<";
    // fields in a shuffled order, each at the next offset (sometimes with a gap)
    const names = ["t", "x", "y", "p"].sort(() => rand(3) - 1);
    const tys: Record<string, Ty> = { t: tTy, x: xTy, y: yTy, p: pTy };
    let off = 0;
    const fields: [string, Ty, "<" | ">", number][] = [];
    for (const nm of names) {
      off += rand(3) === 0 ? rand(3) : 0;
      fields.push([nm, tys[nm]!, order, off]);
      off += SIZE[tys[nm]!];
    }
    const itemsize = off + rand(5);
    // values up to each type's limit, so a wrong sign or width shows
    const lim: Partial<Record<Ty, number>> = { u1: 256, i2: 32768, u2: 65536 };
    const mx = lim[xTy] ?? 65536;
    const my = lim[yTy] ?? 65536;
    const t0: Partial<Record<Ty, number>> = { u4: 4_000_000_000, i4: 2_000_000_000, i8: 5e12, u8: 5e12, f8: 5e12 };
    const n = 1 + rand(300);
    const rows: number[][] = [];
    let t = t0[tTy] ?? 0;
    for (let i = 0; i < n; i++) {
      t += rand(50);
      rows.push([t, rand(mx), rand(my), pTy === "u1" || pTy === "u4" ? rand(2) : rand(3) - 1]);
    }
    const d = decodeEvents(npy(fields, itemsize, rows, rand(2) ? 64 : 16 + rand(40)), { format: "npy" });
    const label = `${JSON.stringify(fields)} itemsize ${itemsize}`;
    assert.equal(d.stream.t.length, n, label);
    for (let i = 0; i < n; i++) {
      const [tt, x, y, p] = rows[i]!;
      assert.deepEqual(
        [d.stream.t[i], d.stream.x[i], d.stream.y[i], d.stream.p[i]],
        [tt, x, y, p! > 0 ? 1 : 0],
        `${label} record ${i}`,
      );
    }
  }
}

test(".npy: a bad record is reported at its own byte offset, whichever path reads it", () => {
  for (const [fields, itemsize] of [
    [
      [
        ["t", "i8", "<", 0],
        ["x", "i2", "<", 8],
        ["y", "i2", "<", 10],
        ["p", "u1", "<", 12],
      ],
      16,
    ],
    [
      [
        ["t", "f8", "<", 0],
        ["x", "i2", "<", 8],
        ["y", "i2", "<", 10],
        ["p", "u1", "<", 12],
      ],
      13,
    ],
  ] as [[string, Ty, "<" | ">", number][], number][]) {
    const rows = [
      [1, 2, 3, 1],
      [2, -4, 3, 0],
    ];
    const bytes = npy(fields, itemsize, rows);
    const dataStart = bytes.length - 2 * itemsize;
    assert.throws(
      () => decodeEvents(bytes, { format: "npy", fileName: "f.npy" }),
      (e: unknown) =>
        e instanceof EventFormatError &&
        e.message.includes(`byte ${dataStart + itemsize}`) &&
        e.message.includes("x -4"),
    );
    const back = npy(fields, itemsize, [
      [5, 1, 1, 1],
      [4, 1, 1, 1],
    ]);
    assert.throws(() => decodeEvents(back, { format: "npy" }), /before the previous one/);
    const kept = decodeEvents(back, { format: "npy", timeOrder: "keep" });
    assert.deepEqual([...kept.stream.t], [5, 4]);
    assert.equal(kept.meta.timeSorted, false);
    const outside = decodeEvents(npy(fields, itemsize, [[1, 9, 1, 1]]), { format: "npy" });
    assert.equal(outside.stream.x[0], 9);
    assert.throws(
      () =>
        decodeEvents(npy(fields, itemsize, [[1, 9, 1, 1]]), {
          format: "npy",
          sensor: { width: 8, height: 8, polarities: 2 },
        }),
      /outside the 8×8 sensor/,
    );
  }
});

/** Events and meta of a decode with the wasm loops on or off, or its error message. */
function decodedWith(bytes: Uint8Array, wasm: boolean, opts: Parameters<typeof decodeEvents>[1]): unknown {
  const was = useEventsWasm(wasm);
  try {
    const d = decodeEvents(bytes, opts);
    return { t: [...d.stream.t], x: [...d.stream.x], y: [...d.stream.y], p: [...d.stream.p], sensor: d.stream.sensor };
  } catch (e) {
    return (e as Error).message;
  } finally {
    useEventsWasm(was);
  }
}

test(".npy: the specialised wasm loop (int64 t, 16-bit x and y, one-byte p) agrees with the JS twin, bad records included", () => {
  const rand = rng(11);
  let errors = 0;
  for (let trial = 0; trial < 48; trial++) {
    const xy: Ty = trial % 2 ? "i2" : "u2";
    const pTy: Ty = trial % 4 < 2 ? "u1" : "i1";
    const names = ["t", "x", "y", "p"].sort(() => rand(3) - 1);
    const tys: Record<string, Ty> = { t: "i8", x: xy, y: xy, p: pTy };
    let off = 0;
    const fields: [string, Ty, "<" | ">", number][] = [];
    for (const nm of names) {
      off += rand(3) === 0 ? rand(3) : 0;
      fields.push([nm, tys[nm]!, "<", off]);
      off += SIZE[tys[nm]!];
    }
    // long enough for several wasm slices; some records off a 300×200 sensor, negative, or earlier in time
    const n = 1 + rand(40000);
    const rows: number[][] = [];
    let t = rand(2) ? 5e12 : 0;
    const bad = trial % 3 === 0 ? 0 : 1 + rand(3);
    for (let i = 0; i < n; i++) {
      t += rand(50);
      rows.push([t, rand(300), rand(200), rand(3) - 1]);
    }
    for (let b = 0; b < bad; b++) {
      const row = rows[rand(n)]!;
      const kind = rand(3);
      if (kind === 0) row[0] = row[0]! - 1000;
      else if (kind === 1) row[1] = xy === "i2" ? -1 - rand(5) : 300 + rand(30000);
      else row[2] = 200 + rand(100);
    }
    const bytes = npy(fields, off + rand(5), rows);
    for (const opts of [
      { format: "npy" as const },
      { format: "npy" as const, timeOrder: "keep" as const },
      { format: "npy" as const, sensor: { width: 300, height: 200, polarities: 2 } },
    ]) {
      const out = decodedWith(bytes, true, opts);
      if (typeof out === "string") errors++;
      assert.deepEqual(
        out,
        decodedWith(bytes, false, opts),
        `trial ${trial} ${JSON.stringify(fields)} ${JSON.stringify(opts)}`,
      );
    }
  }
  assert.ok(errors > 10, `${errors} decodes rejected`);
});
