import type { SensorSize } from "./stream.js";

/** Sensor size from a camera/chip name as headers write it (AEDAT AEChip/Source lines, Prophesee plugins). */
export function sensorFromChipName(name: string): SensorSize | null {
  const n = name.toLowerCase();
  if (/dvs128/.test(n)) return { width: 128, height: 128, polarities: 2 };
  if (/davis240/.test(n)) return { width: 240, height: 180, polarities: 2 };
  if (/davis346/.test(n)) return { width: 346, height: 260, polarities: 2 };
  if (/dvxplorer\s*lite|dvxplorer_lite/.test(n)) return { width: 320, height: 240, polarities: 2 };
  if (/dvxplorer/.test(n)) return { width: 640, height: 480, polarities: 2 };
  if (/gen41|gen4\.1|imx636|evk4/.test(n)) return { width: 1280, height: 720, polarities: 2 };
  if (/gen3/.test(n)) return { width: 640, height: 480, polarities: 2 };
  return null;
}
