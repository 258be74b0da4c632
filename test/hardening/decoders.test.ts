/**
 * Issue #12: damaged headers that decoded to a silently wrong result are refused with the file and offset named.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeEvents } from "../../src/events/decode.js";
import { EventFormatError } from "../../src/events/errors.js";
import { sample } from "../events/helpers.js";

test("AEDAT 4 whose file_data_position points before the first packet is refused (not 0 events)", () => {
  const bytes = Uint8Array.from(sample("aedat4/tonic/sample.aedat4"));
  // the ioheader stores file_data_position (945 243) as a little-endian int64: set it to 0
  const view = new DataView(bytes.buffer);
  let at = -1;
  for (let i = 0; i + 8 <= 8 + 2316; i++) {
    if (view.getUint32(i, true) === 945243 && view.getUint32(i + 4, true) === 0) at = i;
  }
  assert.ok(at > 0, "found the field");
  assert.equal(decodeEvents(bytes, { fileName: "ok.aedat4" }).stream.t.length, 111954);
  view.setUint32(at, 0, true);
  assert.throws(
    () => decodeEvents(bytes, { fileName: "zero.aedat4" }),
    (err: Error) =>
      err instanceof EventFormatError &&
      /zero.aedat4.*file_data_position 0 lies before the first packet/.test(err.message),
  );
});

test("EVT 2.0 / 3.0 / DAT headers with a geometry beyond 16-bit coordinates are refused", () => {
  for (const [name, header] of [
    ["big.raw", "% evt 2.0\n% geometry 99999x99999\n% end\n"],
    ["big3.raw", "% evt 3.0\n% geometry 99999x720\n% end\n"],
    ["big.dat", "% Version 2\n% geometry 1280x99999\n"],
  ] as const) {
    const bytes = new Uint8Array([...new TextEncoder().encode(header), 0, 0, 0, 0]);
    assert.throws(
      () => decodeEvents(bytes, { fileName: name }),
      (err: Error) =>
        err instanceof EventFormatError && /impossible sensor size/.test(err.message) && err.message.includes(name),
      name,
    );
  }
});

test("AEDAT 3.1 with a header over 1 MiB is refused whole and in chunks alike", async () => {
  const { createDecoder } = await import("../../src/events/decoders/registry.js");
  const header = `#!AER-DAT3.1\r\n#${"x".repeat((1 << 20) + 100)}\r\n#!END-HEADER\r\n`;
  const bytes = new TextEncoder().encode(header);
  assert.throws(
    () => decodeEvents(bytes, { fileName: "big.aedat" }),
    /big.aedat.*no #!END-HEADER line within the first 1 MiB/,
  );
  const dec = createDecoder("aedat3", { fileName: "big.aedat" });
  assert.throws(() => {
    for (let i = 0; i < bytes.length; i += 4096) dec.push(bytes.subarray(i, i + 4096));
    dec.end();
  }, /no #!END-HEADER line within the first 1 MiB/);
});

test("the SHD probe reads every row under its time limit, so later trusted reads cannot meet an unread row", async () => {
  const { probeShd } = await import("../../src/events/shd-node.js");
  const { samplePath } = await import("../events/helpers.js");
  const { openShd } = await import("../../src/events/shd-node.js");
  const path = samplePath("shd/SYNTHETIC_layout_fixture/synthetic_shd_layout_f16.h5");
  const f = await openShd(path, { trusted: true });
  assert.ok(f.length > 2, "the fixture has rows between the first and the last");
  assert.equal(await probeShd(path), f.length);
  f.close();
});
