import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import "../../engine/index.js";
import { writeBytesAtomic } from "../../checkpoint/checkpoint-file.js";
import { loadAnyCheckpointModel } from "../../checkpoint/load-model.js";
import { GraphModel } from "../../models/graph-model.js";
import { nirCheckpoint } from "../../nir/import-checkpoint.js";
import { readEventFile } from "../../events/node.js";
import { toFrames } from "../../events/transforms/frames.js";
import { labelIndex, parseLabels } from "../../data/labels.js";
import { argmax } from "../../util/argmax.js";
import { exportNir } from "../../nir/export.js";
import { NIR_DEFAULT_DT, NirNetwork, type NirResetMode } from "../../nir/network.js";
import { loadNir, saveNir } from "../../nir/node.js";
import type { Command } from "../command.js";
import { countOpt, intOpt, numOpt } from "../options.js";

const HELP = `usage: razor-snn nir <inspect|eval> GRAPH.nir [options]
       razor-snn nir import GRAPH.nir --out MODEL.safetensors [--dt S] [--window-ms MS] [--frames T]
       razor-snn nir export CHECKPOINT --out MODEL.nir [--dt S]

NIR (Neuromorphic Intermediate Representation) graphs from snnTorch, Norse, Sinabs, Rockpool, Lava, ...
(docs/nir.md: supported nodes, the dt and reset conventions).

  inspect GRAPH.nir          the file's version, each node in run order with its type and output shape
  eval GRAPH.nir --data DIR  accuracy on labelled event recordings: DIR holds <id>.bs2/.bin files and a
                             tab-separated labels file (#sample #class, as N-MNIST's train1K.txt); events are
                             binned into frames of --window-ms (counts per polarity, y, x), the graph runs one
                             step per frame, the class is the output with the most spikes (ties: lowest index)
  import GRAPH.nir           the graph as a razor-snn checkpoint that eval, infer (--stream too) and the viewer
                             run on the engine's kernels in float32: frames of --window-ms (default 1), --frames
                             per recording (default 300), sensor from the Input shape; one-line errors for what
                             razor-snn's kernels cannot compute exactly (docs/nir.md); pruning does not apply
  export CHECKPOINT          a razor-snn checkpoint as a NIR graph: batch norm folded into conv/fc, LIF with
                             tau = dt/(1-alpha), r = 1/(1-alpha), v_reset 0 (hard) or Vth (soft); TA/Razor
                             scorers only as metadata (a NIR consumer runs the backbone unpruned)
options:
  --dt S           forward-Euler step in seconds (default ${NIR_DEFAULT_DT}; snnTorch/SpikingJelly export 1e-4,
                   Norse's import 1e-3); eval defaults to the frame window
  --reset MODE     nir (v <- v_reset after a spike, NIR's definition; default) or subtract (v <- v - v_threshold,
                   as Sinabs and Rockpool simulate)
  --window-ms MS   eval, import: frame length (default 1, as NIR's N-MNIST paper example)
  --frames T       import: frames per recording (default 300)
  --dataset NAME   import: the dataset name stored with the preprocessing (default: none; eval takes --data/--labels)
  --labels FILE    eval: labels file name in DIR (default train1K.txt)
  --limit N        eval: first N recordings only
  --json           machine-readable output`;

export const command: Command = {
  summary: "NIR graphs (snnTorch, Norse, Sinabs, ...): inspect, evaluate on recordings, export a checkpoint",
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        dt: { type: "string" },
        reset: { type: "string" },
        data: { type: "string" },
        labels: { type: "string" },
        "window-ms": { type: "string" },
        limit: { type: "string" },
        json: { type: "boolean" },
        out: { type: "string" },
        frames: { type: "string" },
        dataset: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
    const [sub, file] = positionals;
    if (values.help || sub === undefined) {
      console.log(HELP);
      return values.help ? 0 : 2;
    }
    if (file === undefined) throw new Error(`nir ${sub}: give the NIR file`);
    const reset = (values.reset ?? "nir") as NirResetMode;
    if (reset !== "nir" && reset !== "subtract") throw new Error(`--reset ${values.reset}: expected nir or subtract`);
    if (sub === "export") {
      if (values.out === undefined) throw new Error("nir export: --out MODEL.nir is required");
      const dt = numOpt("dt", values.dt) ?? NIR_DEFAULT_DT;
      const { model } = loadAnyCheckpointModel(file);
      if (model instanceof GraphModel) {
        model.dispose();
        throw new Error(`nir export ${file}: an imported NIR graph already; use the NIR file it came from`);
      }
      try {
        const { file: nirFile, warnings } = exportNir(model, dt);
        for (const w of warnings) console.error(`warning: ${w}`);
        await saveNir(nirFile, values.out);
        console.log(`${values.out}: ${Object.keys(nirFile.graph.nodes).length} NIR nodes, dt ${dt} s`);
      } finally {
        model.dispose();
      }
      return 0;
    }
    const nir = await loadNir(file);
    if (sub === "import") {
      if (values.out === undefined) throw new Error("nir import: --out MODEL.safetensors is required");
      const windowMs = numOpt("window-ms", values["window-ms"]) ?? 1;
      const frames = countOpt("frames", values.frames) ?? 300;
      const r = nirCheckpoint(nir, file, {
        windowMs,
        frames,
        dt: numOpt("dt", values.dt),
        reset,
        dataset: values.dataset,
      });
      writeBytesAtomic(values.out, r.bytes);
      const layers = r.spec.ops.filter((o) => o.type === "lif").length;
      console.log(
        `${values.out}: ${layers} spiking layers from ${file} (dt ${r.dt} s, ${windowMs} ms frames × ${frames}, input [${r.spec.input}])`,
      );
      return 0;
    }
    if (sub === "inspect") {
      const net = new NirNetwork(nir.graph, file, { dt: numOpt("dt", values.dt), reset });
      const nodes = net.describe();
      if (values.json) console.log(JSON.stringify({ version: nir.version, nodes }));
      else {
        console.log(`${file}: NIR ${nir.version}, ${nodes.length} nodes, input [${net.inputShape}]`);
        for (const n of nodes) console.log(`  ${n.name.padEnd(16)} ${n.type.padEnd(10)} -> [${n.shape}]`);
      }
      return 0;
    }
    if (sub === "eval") {
      if (values.data === undefined) throw new Error("nir eval: --data DIR is required");
      const windowMs = numOpt("window-ms", values["window-ms"]) ?? 1;
      if (!(windowMs > 0)) throw new Error(`--window-ms ${values["window-ms"]}: expected a positive number`);
      const dt = numOpt("dt", values.dt) ?? windowMs / 1000;
      const net = new NirNetwork(nir.graph, file, { dt, reset });
      const r = await evalRecordings(
        net,
        values.data,
        values.labels ?? "train1K.txt",
        windowMs,
        intOpt("limit", values.limit),
      );
      const summary = { file, version: nir.version, dt, reset, windowMs, ...r };
      if (values.json) console.log(JSON.stringify(summary));
      else
        console.log(
          `${file}: accuracy ${(100 * r.accuracy).toFixed(2)} % on ${r.n} recordings (${r.correct} correct; ` +
            `${windowMs} ms frames, dt ${dt} s, reset ${reset}; ${r.silent} with no output spike)`,
        );
      return 0;
    }
    throw new Error(`nir: unknown sub-command '${sub}' (inspect, eval, import, export)`);
  },
};

async function evalRecordings(
  net: NirNetwork,
  dir: string,
  labelsName: string,
  windowMs: number,
  limit: number | undefined,
): Promise<{ n: number; correct: number; accuracy: number; silent: number }> {
  const labelsPath = join(dir, labelsName);
  const lines = parseLabels(await readFile(labelsPath, "utf8"), labelsPath);
  const { labels } = labelIndex(lines, { file: labelsPath });
  const frameSize = net.inputShape.reduce((a, b) => a * b, 1);
  const outSize = net.outputShape.reduce((a, b) => a * b, 1);
  let n = 0;
  let correct = 0;
  let silent = 0;
  for (const [i, line] of lines.entries()) {
    if (limit !== undefined && n >= limit) break;
    const ev = (await readEventFile(join(dir, `${line.id}.bs2`))).stream;
    // Tonic's ToFrame(time_window): [T, P, H, W] counts, as NIR's N-MNIST example framed its input
    const frames = toFrames(ev, {
      mode: "timeWindow",
      dt: windowMs * 1000,
      convention: "tonic",
      includeIncomplete: true,
    });
    if (frames.shape.slice(1).reduce((a, b) => a * b, 1) !== frameSize)
      throw new Error(`${line.id}: frames [${frames.shape.slice(1)}] do not fit the graph's input [${net.inputShape}]`);
    const counts = new Float64Array(outSize);
    net.reset();
    for (let t = 0; t < frames.shape[0]; t++) {
      const out = net.step(frames.data.subarray(t * frameSize, (t + 1) * frameSize));
      for (let k = 0; k < outSize; k++) counts[k]! += out[k]!;
    }
    const best = argmax(counts, 0, outSize);
    if (counts[best] === 0) silent++;
    if (best === labels[i]) correct++;
    n++;
  }
  return { n, correct, accuracy: n === 0 ? 0 : correct / n, silent };
}
