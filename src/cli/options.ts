/** Parsing of numeric command-line options: each names the option and what it expected. */
export function intOpt(name: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} ${s}: expected a whole number`);
  return n;
}

/** A count that must be at least 1 (a batch size, a chunk, a number of epochs or samples): 0 would loop forever. */
export function countOpt(name: string, s: string | undefined): number | undefined {
  const n = intOpt(name, s);
  if (n === 0) throw new Error(`--${name} 0: expected at least 1`);
  return n;
}

export function numOpt(name: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n)) throw new Error(`--${name} ${s}: expected a number`);
  return n;
}
