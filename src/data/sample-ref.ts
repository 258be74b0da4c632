/** Rebuilding a sample's loader from its SampleRef, in whichever thread needs it. Node only. */
import { readEventFile } from "../events/read-file.js";
import type { EventStream } from "../events/stream.js";
import { loadGesture, RecordingLru } from "./datasets/dvs-gesture.js";
import type { SampleRef } from "./sample.js";

// One per thread: the gestures of one recording handed to the same worker decode it once.
const recordings = new Map<string, RecordingLru>();

export async function loadRef(ref: SampleRef): Promise<EventStream> {
  switch (ref.kind) {
    case "file":
      return (await readEventFile(ref.path, { format: ref.format, sensor: ref.sensor })).stream;
    case "gesture": {
      const key = JSON.stringify(ref.sensor);
      let lru = recordings.get(key);
      if (lru === undefined) {
        lru = new RecordingLru(
          2,
          async (p) => (await readEventFile(p, { format: "aedat3", sensor: ref.sensor })).stream,
        );
        recordings.set(key, lru);
      }
      return loadGesture(lru, ref.recording, ref.csv, ref.row);
    }
    case "shd":
      throw new Error(`SHD samples cannot be loaded in a worker yet (${ref.path} #${ref.index})`);
  }
}
