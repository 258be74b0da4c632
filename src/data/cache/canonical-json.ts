/**
 * One spelling per value: object keys sorted, typed arrays as plain arrays, undefined members dropped,
 * non-finite numbers spelled out. Two pipelines with equal parameters give the same text, whatever the key order.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalise(value, "$"));
}

function normalise(v: unknown, path: string): unknown {
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : { $number: String(v) };
  if (typeof v === "bigint") return { $bigint: v.toString() };
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, Number);
  if (Array.isArray(v)) return v.map((x, i) => normalise(x ?? null, `${path}[${i}]`));
  if (typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = normalise(x, `${path}.${k}`);
    }
    return out;
  }
  // A function or symbol cannot be part of a cache key: its behaviour is invisible to the hash.
  throw new TypeError(`cache key ${path} is a ${typeof v}; a pipeline key must be plain data`);
}
