/** Rebuilding a sample's loader from its SampleRef, in whichever thread needs it. Node only. */
import { readEventFile } from "../events/read-file.js";
import type { ShdFile } from "../events/shd.js";
import { openShd } from "../events/shd-node.js";
import type { EventStream } from "../events/stream.js";
import { loadGesture, RecordingLru } from "./datasets/dvs-gesture.js";
import { loadRecording } from "./recording-sample.js";
import type { SampleRef } from "./sample.js";

const shdFiles = new Map<string, Promise<ShdFile>>();

// One per thread: the gestures of one recording handed to the same worker decode it once.
const recordings = new Map<string, RecordingLru>();

export async function loadRef(ref: SampleRef): Promise<EventStream> {
  switch (ref.kind) {
    case "file":
      return loadRecording(ref.path, ref);
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
    case "shd": {
      let file = shdFiles.get(ref.path);
      if (file === undefined) {
        // the opening thread already probed this file; here it is opened directly
        file = openShd(ref.path, { trusted: true });
        shdFiles.set(ref.path, file);
      }
      return (await file).sample(ref.index);
    }
  }
}
