/** Parsing of numeric command-line options: each names the option and what it expected. */
export function intOpt(name: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} ${s}: expected a whole number`);
  return n;
}

export function numOpt(name: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n)) throw new Error(`--${name} ${s}: expected a number`);
  return n;
}
