/**
 * Tiny dataset folders in each benchmark's own layout, written by the tests (never copied from ../shared/data):
 * DVS128 Gesture (AEDAT 3.1 + label CSVs + trial lists), SHD (links to the shared synthetic-layout HDF5 fixtures),
 * CIFAR10-DVS (class folders of DVS128 recordings) and N-Caltech101 (Caltech101/<class>/image_NNNN.bin, ATIS).
 */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CIFAR10_CLASSES } from "../../src/data/registry.js";
import { makeEventStream } from "../../src/events/stream.js";
import { writeAedat31 } from "../../src/events/writers/aedat3.js";
import { writeAtis40 } from "../../src/events/writers/atis40.js";
import { sharedDataDir } from "../../src/util/paths.js";
import { Rng } from "../../src/util/rng.js";

/** A DVS128 Gesture recording with one event every 1 ms from 0 to 99 ms; x encodes the ms so cuts can be checked. */
export function gestureRecording(): Uint8Array {
  const n = 100;
  return writeAedat31(
    makeEventStream(
      Float64Array.from({ length: n }, (_, i) => i * 1000),
      Uint16Array.from({ length: n }, (_, i) => i),
      Uint16Array.from({ length: n }, () => 5),
      Uint8Array.from({ length: n }, (_, i) => i & 1),
      { width: 128, height: 128, polarities: 2 },
    ),
    { eventsPerPacket: 16 },
  );
}

/** root/DvsGesture: users 1 and 2 train (4 samples, class 8 twice with overlapping windows), user 24 tests. */
export function buildGestureDataset(root: string): void {
  const dir = join(root, "DvsGesture");
  mkdirSync(dir, { recursive: true });
  for (const user of ["user01_natural", "user02_led", "user24_fluorescent"]) {
    writeFileSync(join(dir, `${user}.aedat`), gestureRecording());
  }
  // class 8 twice and overlapping windows, as in the real CSVs
  writeFileSync(
    join(dir, "user01_natural_labels.csv"),
    "class,startTime_usec,endTime_usec\r\n1,10000,20000\r\n8,20000,35000\r\n8,30000,40000\r\n",
  );
  writeFileSync(join(dir, "user02_led_labels.csv"), "class,startTime_usec,endTime_usec\n11,0,50000\n");
  writeFileSync(join(dir, "user24_fluorescent_labels.csv"), "class,startTime_usec,endTime_usec\n3,50000,60000\n");
  writeFileSync(join(dir, "trials_to_train.txt"), "user01_natural.aedat\r\nuser02_led.aedat\r\n\r\n");
  writeFileSync(join(dir, "trials_to_test.txt"), "user24_fluorescent.aedat\n");
}

/** root with shd_train.h5 / shd_test.h5 linked to the shared synthetic-layout fixtures (read in place). */
export function buildShdDataset(root: string): void {
  const fixtures = join(sharedDataDir(), "shd", "SYNTHETIC_layout_fixture");
  mkdirSync(root, { recursive: true });
  symlinkSync(join(fixtures, "synthetic_shd_layout_f16.h5"), join(root, "shd_train.h5"));
  symlinkSync(join(fixtures, "synthetic_shd_layout_f16_gzip.h5"), join(root, "shd_test.h5"));
}

/** `n` random events over `spanUs` on a `width`×`height` sensor (seeded). */
function randomEvents(n: number, spanUs: number, width: number, height: number, seed: number) {
  const rng = new Rng(seed);
  const t = Float64Array.from({ length: n }, () => rng.int(spanUs)).sort();
  return makeEventStream(
    t,
    Uint16Array.from({ length: n }, () => rng.int(width)),
    Uint16Array.from({ length: n }, () => rng.int(height)),
    Uint8Array.from({ length: n }, () => rng.int(2)),
    { width, height, polarities: 2 },
  );
}

/** root/<class>/cifar10_<class>_<i>.aedat for the ten classes, `perClass` DVS128 recordings each (AEDAT 3.1). */
export function buildCifar10DvsDataset(root: string, perClass: number): void {
  CIFAR10_CLASSES.forEach((cls, c) => {
    mkdirSync(join(root, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const events = randomEvents(300, 200_000, 128, 128, 100 * c + i);
      writeFileSync(join(root, cls, `cifar10_${cls}_${i}.aedat`), writeAedat31(events, { eventsPerPacket: 64 }));
    }
  });
}

/** root/Caltech101/<class>/image_NNNN.bin (ATIS, 240×180) for `classes`, `perClass` recordings each. */
export function buildNcaltech101Dataset(root: string, classes: string[], perClass: number): void {
  classes.forEach((cls, c) => {
    const dir = join(root, "Caltech101", cls);
    mkdirSync(dir, { recursive: true });
    for (let i = 1; i <= perClass; i++) {
      const events = randomEvents(300, 300_000, 240, 180, 1000 * c + i);
      writeFileSync(join(dir, `image_${String(i).padStart(4, "0")}.bin`), writeAtis40(events));
    }
  });
}
