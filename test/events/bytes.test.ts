import assert from "node:assert/strict";
import { test } from "node:test";
import { latin1 } from "../../src/events/decoders/bytes.js";

test("latin1 maps every byte to the code point of its value, short and long (past one 8192-byte slice)", () => {
  const bytes = new Uint8Array(20000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + (i >> 8)) & 0xff;
  for (const [start, end] of [
    [0, 0],
    [5, 9],
    [3, 19],
    [100, 117],
    [0, 8192],
    [7, 8200],
    [0, 20000],
  ] as const) {
    const s = latin1(bytes, start, end);
    assert.equal(s.length, end - start);
    for (let i = 0; i < s.length; i++) assert.equal(s.charCodeAt(i), bytes[start + i], `[${start}, ${end}) at ${i}`);
  }
  assert.equal(latin1(new Uint8Array([0x23, 0x21, 0xe9, 0xff])), "#!\u00e9\u00ff");
});
