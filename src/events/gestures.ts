import { EventFormatError } from "./errors.js";
import { type EventStream, sliceByTime } from "./stream.js";

/** One row of a DVS128 Gesture `_labels.csv`: class 1..11, label = class − 1, window [tStart, tEnd) in µs. */
export interface GestureLabel {
  classId: number;
  label: number;
  tStart: number;
  tEnd: number;
}

export interface Gesture extends GestureLabel {
  /** the events with tStart <= t < tEnd (views into the recording) */
  stream: EventStream;
}

/** The names of DVS128 Gesture classes 1..11 (index = label). */
export const GESTURE_CLASS_NAMES = [
  "hand clapping",
  "right hand wave",
  "left hand wave",
  "right arm clockwise",
  "right arm counter-clockwise",
  "left arm clockwise",
  "left arm counter-clockwise",
  "arm roll",
  "air drums",
  "air guitar",
  "other gestures",
] as const;

/** Parses `class,startTime_usec,endTime_usec` rows; errors name the byte offset of the bad row. */
export function parseGestureLabels(csvText: string, fileName = "<labels csv>"): GestureLabel[] {
  const out: GestureLabel[] = [];
  let offset = 0;
  const lines = csvText.split("\n");
  lines.forEach((raw, i) => {
    const at = offset;
    offset += raw.length + 1;
    const line = raw.trim();
    if (line === "") return;
    if (i === 0 && /[a-z]/i.test(line)) {
      if (!/^class\s*,\s*starttime_usec\s*,\s*endtime_usec$/i.test(line)) {
        throw new EventFormatError(
          fileName,
          at,
          `expected the header "class,startTime_usec,endTime_usec", found "${line}"`,
        );
      }
      return;
    }
    const cells = line.split(",").map((c) => c.trim());
    const nums = cells.map((c) => (/^\d+$/.test(c) ? Number(c) : Number.NaN));
    if (cells.length !== 3 || nums.some((v) => Number.isNaN(v))) {
      throw new EventFormatError(fileName, at, `line ${i + 1}: expected three non-negative integers, found "${line}"`);
    }
    const [classId, tStart, tEnd] = nums as [number, number, number];
    if (classId < 1 || classId > 11)
      throw new EventFormatError(fileName, at, `line ${i + 1}: class ${classId} is not in 1..11`);
    if (tEnd <= tStart)
      throw new EventFormatError(fileName, at, `line ${i + 1}: end ${tEnd} is not after start ${tStart}`);
    out.push({ classId, label: classId - 1, tStart, tEnd });
  });
  return out;
}

/**
 * Cuts a recording into its labelled gestures (t_start <= t < t_end, as spikingjelly does). Rows are kept in file
 * order, including repeated classes and slightly overlapping windows; the event timestamps are not shifted.
 */
export function cutGestures(stream: EventStream, csv: string | GestureLabel[], fileName?: string): Gesture[] {
  const labels = typeof csv === "string" ? parseGestureLabels(csv, fileName) : csv;
  return labels.map((l) => ({ ...l, stream: sliceByTime(stream, l.tStart, l.tEnd) }));
}
