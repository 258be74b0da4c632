/** A tiny parser for the Python literals in a .npy header (dicts, lists, tuples, strings, numbers, booleans). */
export type PyValue = string | number | boolean | null | PyValue[] | { [k: string]: PyValue };

export function parsePyLiteral(src: string): PyValue {
  let i = 0;
  const ws = () => {
    while (i < src.length && /\s/.test(src[i]!)) i++;
  };
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at character ${i} of the header`);
  };
  const value = (): PyValue => {
    ws();
    const c = src[i];
    if (c === "{") {
      i++;
      const obj: { [k: string]: PyValue } = {};
      for (;;) {
        ws();
        if (src[i] === "}") {
          i++;
          return obj;
        }
        const k = value();
        if (typeof k !== "string") fail("expected a string key");
        ws();
        if (src[i] !== ":") fail("expected ':'");
        i++;
        obj[k as string] = value();
        ws();
        if (src[i] === ",") i++;
        else if (src[i] !== "}") fail("expected ',' or '}'");
      }
    }
    if (c === "[" || c === "(") {
      const close = c === "[" ? "]" : ")";
      i++;
      const arr: PyValue[] = [];
      for (;;) {
        ws();
        if (src[i] === close) {
          i++;
          return arr;
        }
        arr.push(value());
        ws();
        if (src[i] === ",") i++;
        else if (src[i] !== close) fail(`expected ',' or '${close}'`);
      }
    }
    if (c === "'" || c === '"') {
      const end = src.indexOf(c, i + 1);
      if (end < 0) fail("unterminated string");
      const s = src.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    const m = /^(True|False|None|-?\d+(\.\d*)?([eE][+-]?\d+)?L?)/.exec(src.slice(i, i + 40));
    if (!m) return fail("unexpected input");
    i += m[0].length;
    if (m[0] === "True") return true;
    if (m[0] === "False") return false;
    if (m[0] === "None") return null;
    return Number(m[0].replace(/L$/, ""));
  };
  const v = value();
  ws();
  if (i !== src.length) fail("trailing input");
  return v;
}
