/**
 * `npm run bench pytorch`: razor-snn against a straightforward PyTorch CPU implementation of the same networks
 * (bench/pytorch/*.py), in one run, interleaved round by round:
 *   - SHD training step (configs/shd.json: 700-128FC-128FC-20, batch 128, T 100, MSE rate loss, Adam);
 *   - DVS128 Gesture inference (configs/dvs128-gesture.json, batch 16, T 60, every frame kept);
 *   - DVS128 Gesture training step, only when asked for (minutes per step under load).
 * RAZOR_BENCH_PYTORCH=shd-train,gesture-infer,gesture-train picks the workloads (default: the first two);
 * RAZOR_BENCH_VARIANT=snn runs the plain SNN instead of the Razor model.
 * PyTorch runs at 1 and 2 threads (and 2 with passive OpenMP waits) and counts at its best; razor-snn runs on the
 * wasm engine at 2 threads, and at 1 for SHD training and Gesture inference (like-for-like CPU time). Every step
 * records wall-clock and process CPU time (all threads): on a shared, loaded machine wall-clock is distorted by
 * other processes, CPU time much less so.
 * Skips with a note when no Python with PyTorch is found (python3, then /usr/bin/python3; RAZOR_SNN_PYTHON wins).
 * Inputs are random event-count frames of a stated density, the same recipe on both sides (not the same values).
 * Beside them, the training workloads time the project's PyTorch twin (python/, bench/pytorch/twin_step.py) at 1
 * thread and 2 passive threads: rows with side "pytorch-twin" (not part of the speed-up ratios).
 */
import { spawn, spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import type { Seq } from "../../src/nn/module.js";
import { createWasmEngine, engine, useEngine, type WasmEngine } from "../../src/engine/index.js";
import { type PrunedResult, PrunedRunner } from "../../src/infer/pruned.js";
import { loadModelConfig } from "../../src/models/config-file.js";
import { buildModel, type SnnModel } from "../../src/models/index.js";
import { outputLoss } from "../../src/train/loss.js";
import { Adam } from "../../src/train/optimizer.js";
import { projectRoot } from "../../src/util/paths.js";
import { Rng } from "../../src/util/rng.js";
import type { BenchRow, Suite } from "../run.js";
import { median } from "../timing.js";

/** Per timed step: wall-clock and process CPU milliseconds. */
interface Samples {
  wall: number[];
  cpu: number[];
}

interface Candidate {
  /** "pytorch-twin": python/razor_snn_torch, timed beside the baseline but not counted as PyTorch's best */
  side: "pytorch" | "pytorch-twin" | "razor-snn";
  threads: number;
  /** how the threads wait, for PyTorch's OpenMP ("" = its default) */
  wait: string;
  /** runs `steps` timed steps (after its own warm-up) and returns their times */
  run(steps: number): Promise<Samples>;
  /** what the last step did, for the notes */
  describe?(): string;
  close?(): void;
}

interface Workload {
  name: string;
  /** samples per step */
  batch: number;
  /** speed-up target for razor-snn (2 threads) over PyTorch's best, if the issue sets one */
  target: number | null;
  candidates: Candidate[];
}

const SHD = { batch: 128, T: 100, density: 0.08, maxCount: 2 };
/** T from RAZOR_BENCH_GESTURE_T (default 60): razor-snn's Gesture training does not fit wasm32 memory at T 60 yet. */
const GESTURE = { batch: 16, T: gestureT(), density: 0.15, maxCount: 4 };

function gestureT(): number {
  const v = process.env.RAZOR_BENCH_GESTURE_T;
  const t = v === undefined ? 60 : Number(v);
  if (!(Number.isInteger(t) && t >= 1)) throw new Error(`RAZOR_BENCH_GESTURE_T must be an integer >= 1, got '${v}'`);
  return t;
}

/**
 * PyTorch's thread settings: 1 thread, 2 with OpenMP's default waiting, and 2 with OMP_WAIT_POLICY=PASSIVE. On a
 * loaded machine the default (spinning) wait makes 2 threads several times slower than 1, since each parallel
 * region waits for a thread that another process has pushed off its core; the passive policy sleeps instead.
 */
const torchConfigs: [number, string][] = [
  [1, ""],
  [2, ""],
  [2, "PASSIVE"],
];

/** The twin at 1 thread and at 2 with passive waits (its best setting on a loaded machine, like the baseline's). */
const twinConfigs: [number, string][] = [
  [1, ""],
  [2, "PASSIVE"],
];

export const suite: Suite = async ({ quick }) => {
  const python = findTorchPython();
  if (python === null) {
    return {
      rows: [],
      notes: [
        "skipped: no Python with PyTorch (tried $RAZOR_SNN_PYTHON, python3, /usr/bin/python3). " +
          "On Debian: apt-get install python3-torch libopenblas-dev",
      ],
    };
  }
  const variant = process.env.RAZOR_BENCH_VARIANT === "snn" ? "snn" : "razor";
  const wanted = (process.env.RAZOR_BENCH_PYTORCH ?? "shd-train,gesture-infer").split(",");
  const known = ["shd-train", "gesture-infer", "gesture-train"];
  const unknown = wanted.filter((w) => !known.includes(w));
  if (unknown.length > 0) {
    throw new Error(`RAZOR_BENCH_PYTORCH: unknown workload '${unknown[0]}' (have ${known.join(", ")})`);
  }
  const loadBefore = loadavg();
  const engines = { 1: await createWasmEngine({ threads: 1 }), 2: await createWasmEngine({ threads: 2 }) };
  const previous = engine();
  const torch = (script: string, extra: string[], warmup: number) =>
    torchConfigs.map(([t, wait]) => pythonCandidate(python, script, t, wait, variant, extra, warmup));
  const twin = (extra: string[], warmup: number) =>
    twinConfigs.map(([t, wait]) => ({
      ...pythonCandidate(python, "twin_step.py", t, wait, variant, extra, warmup),
      side: "pytorch-twin" as const,
    }));
  const gestureArgs = (mode: string) => ["--mode", mode, "--T", String(GESTURE.T)];
  const all: { name: string; batch: number; target: number | null; make: () => Candidate[] }[] = [
    {
      name: "shd-train",
      batch: SHD.batch,
      target: 1.5,
      make: () => [
        ...torch("shd_train.py", [], quick ? 1 : 2),
        ...twin(["--config", "shd"], quick ? 1 : 2),
        ...[2, 1].map((t) => shdTrainCandidate(engines[t as 1 | 2], t, variant)),
      ],
    },
    {
      name: "gesture-infer",
      batch: GESTURE.batch,
      target: null,
      make: () => [
        ...torch("gesture.py", gestureArgs("infer"), 1),
        ...[2, 1].map((t) => gestureInferCandidate(engines[t as 1 | 2], t, variant)),
      ],
    },
    {
      name: "gesture-train",
      batch: GESTURE.batch,
      target: null,
      make: () => [
        ...torch("gesture.py", gestureArgs("train"), 1),
        ...twin(
          [
            "--config",
            "dvs128-gesture",
            "--batch",
            String(GESTURE.batch),
            "--T",
            String(GESTURE.T),
            "--density",
            String(GESTURE.density),
            "--max_count",
            String(GESTURE.maxCount),
          ],
          1,
        ),
        gestureTrainCandidate(engines[2], 2, variant),
      ],
    },
  ];
  const workloads = all.filter((w) => wanted.includes(w.name));
  const rows: BenchRow[] = [];
  const ratios: BenchRow[] = [];
  const described: string[] = [];
  try {
    for (const spec of workloads) {
      const w: Workload = { ...spec, candidates: spec.make() };
      const shd = w.name === "shd-train";
      const rounds = quick ? 1 : shd ? 3 : 2;
      const steps = shd ? (quick ? 2 : 4) : 1;
      const got = w.candidates.map(() => ({ wall: [], cpu: [] }) as Samples);
      const failed = new Map<number, string>();
      for (let r = 0; r < rounds; r++) {
        for (const [i, c] of w.candidates.entries()) {
          if (failed.has(i)) continue;
          try {
            const s = await c.run(steps);
            got[i]!.wall.push(...s.wall);
            got[i]!.cpu.push(...s.cpu);
          } catch (err) {
            // one side failing (e.g. out of wasm memory) still leaves the other's numbers worth reporting
            failed.set(i, err instanceof Error ? err.message : String(err));
          }
        }
      }
      for (const [i, msg] of failed) {
        const c = w.candidates[i]!;
        described.push(`${w.name}, ${c.side} ${c.threads}t${c.wait ? ` ${c.wait}` : ""} FAILED: ${msg}`);
      }
      const stats = w.candidates
        .map((c, i) => ({ c, wall: median(got[i]!.wall), cpu: median(got[i]!.cpu), n: got[i]!.wall.length }))
        .filter((s) => s.n > 0);
      for (const s of stats) {
        rows.push({
          workload: w.name,
          side: s.c.side,
          threads: s.c.threads,
          wait: s.c.wait,
          steps: s.n,
          wallMs: round(s.wall),
          cpuMs: round(s.cpu),
          samplesPerS: round((1000 * w.batch) / s.wall),
          samplesPerCpuS: round((1000 * w.batch) / s.cpu),
        });
      }
      ratios.push(...compare(w, stats));
      for (const c of w.candidates) {
        const d = c.describe?.();
        if (d) described.push(`${w.name}, ${c.side} ${c.threads}t: ${d}`);
        c.close?.();
      }
    }
  } finally {
    useEngine(previous);
    engines[1].close();
    engines[2].close();
  }
  const loadAfter = loadavg();
  return {
    rows: [...rows, ...ratios],
    notes: [
      `variant ${variant}; PyTorch via ${python}; razor-snn on the wasm engine`,
      `load average (1 min) before ${loadBefore[0]!.toFixed(1)}, after ${loadAfter[0]!.toFixed(1)}: ` +
        "wall-clock figures are distorted on a loaded machine; CPU time (process, all threads) much less so",
      "speedup = PyTorch's best (of 1 and 2 threads, per metric) / razor-snn at the row's thread count",
      `inputs: random count frames, SHD density ${SHD.density} (1..${SHD.maxCount}), ` +
        `Gesture density ${GESTURE.density} (1..${GESTURE.maxCount}), Gesture T ${GESTURE.T}; ` +
        "Gesture inference keeps every frame",
      ...described,
    ],
  };
};

/** Speed-up rows: razor-snn against PyTorch's best thread count, by wall-clock and by CPU time. */
function compare(w: Workload, stats: { c: Candidate; wall: number; cpu: number }[]): BenchRow[] {
  const torch = stats.filter((s) => s.c.side === "pytorch");
  const out: BenchRow[] = [];
  if (torch.length === 0) return out;
  for (const metric of ["wall", "cpu"] as const) {
    const best = torch.reduce((a, s) => (s[metric] < a[metric] ? s : a));
    for (const s of stats.filter((x) => x.c.side === "razor-snn")) {
      const speedup = best[metric] / s[metric];
      out.push({
        workload: w.name,
        side: `speedup (${metric})`,
        threads: s.c.threads,
        pytorchThreads: `${best.c.threads}${best.c.wait === "" ? "" : ` ${best.c.wait.toLowerCase()}`}`,
        pytorchMs: round(best[metric]),
        razorMs: round(s[metric]),
        speedup: round(speedup),
        target:
          w.target !== null && s.c.threads === 2 ? `>= ${w.target}: ${speedup >= w.target ? "met" : "missed"}` : "",
      });
    }
  }
  return out;
}

function findTorchPython(): string | null {
  const tried = [process.env.RAZOR_SNN_PYTHON, "python3", "/usr/bin/python3"];
  for (const py of tried) {
    if (!py) continue;
    const r = spawnSync(py, ["-c", "import torch"], { stdio: "ignore", timeout: 60_000 });
    if (r.status === 0) return py;
  }
  return null;
}

/** One script run per call: `steps` timed steps after `warmup` untimed ones; reads its JSON line. */
function pythonCandidate(
  python: string,
  script: string,
  threads: number,
  wait: string,
  variant: string,
  extra: string[],
  warmup: number,
): Candidate {
  const args = ["--threads", String(threads), "--variant", variant, "--warmup", String(warmup), ...extra];
  return {
    side: "pytorch",
    threads,
    wait,
    run: async (steps) => {
      const path = join(projectRoot(), "bench", "pytorch", script);
      // Debian's OpenBLAS ignores torch.set_num_threads: the same count for it (the script defaults to that too)
      const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(threads) };
      if (wait !== "") env.OMP_WAIT_POLICY = wait;
      else delete env.OMP_WAIT_POLICY;
      const out = await runProcess(python, [path, ...args, "--steps", String(steps)], env);
      const line = out.trim().split("\n").pop() ?? "";
      const r = JSON.parse(line) as { wall_ms_all: number[]; cpu_ms_all: number[]; threads: number };
      if (r.threads !== threads) throw new Error(`${script}: asked for ${threads} threads, PyTorch used ${r.threads}`);
      return { wall: r.wall_ms_all, cpu: r.cpu_ms_all };
    },
  };
}

function runProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env });
    let out = "";
    let err = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.on("error", reject);
    p.on("close", (code) => {
      if (code === 0) resolve(out);
      else
        reject(
          new Error(`${cmd} ${args.join(" ")} exited with ${code}: ${err.trim().split("\n").slice(-3).join(" | ")}`),
        );
    });
  });
}

/** Times `step` on `e` (made the active engine first); warms up for >= 0.4 s on the first call. */
function razorCandidate(e: WasmEngine, threads: number, step: () => void, dispose: () => void): Candidate {
  let warm = false;
  return {
    side: "razor-snn",
    threads,
    wait: "",
    run: async (steps) => {
      useEngine(e);
      if (!warm) {
        const start = performance.now();
        do step();
        while (performance.now() - start < 400);
        warm = true;
      }
      const s: Samples = { wall: [], cpu: [] };
      for (let i = 0; i < steps; i++) {
        const c0 = process.cpuUsage();
        const w0 = performance.now();
        step();
        s.wall.push(performance.now() - w0);
        const c = process.cpuUsage(c0);
        s.cpu.push((c.user + c.system) / 1000);
      }
      return s;
    },
    close: () => {
      useEngine(e);
      dispose();
    },
  };
}

/** Random event-count frames [T, B, ...frame] in engine memory: non-zero with probability `density`. */
function randomCounts(shape: number[], density: number, maxCount: number, seed: number): Seq {
  const n = shape.reduce((a, v) => a * v, 1);
  const data = engine().allocF32(n);
  const rng = new Rng(seed);
  for (let i = 0; i < n; i++) data[i] = rng.uniform() < density ? 1 + rng.int(maxCount) : 0;
  return { data, shape };
}

function randomLabels(n: number, classes: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => rng.int(classes));
}

/** One training step as the trainer does it: zero grads, forward, rate loss, backward, Adam. */
function trainingStep(model: SnnModel, x: Seq, labels: Int32Array, lr: number): { step: () => void; adam: Adam } {
  const adam = new Adam(model.parameters(), { lr });
  const ctx = { training: true, rng: new Rng(7) };
  const step = () => {
    adam.zeroGrad();
    const out = model.forward(x, ctx);
    const [t, b, k] = out.shape as [number, number, number];
    const l = outputLoss("mse", out.data, t, b, k, labels);
    model.backward({ data: l.grad, shape: out.shape }, ctx);
    adam.update();
  };
  return { step, adam };
}

function shdTrainCandidate(e: WasmEngine, threads: number, variant: string): Candidate {
  useEngine(e);
  const config = loadModelConfig("shd", { variant });
  const model = buildModel(config).train();
  const x = randomCounts([SHD.T, SHD.batch, ...config.input], SHD.density, SHD.maxCount, 11);
  const { step, adam } = trainingStep(model, x, randomLabels(SHD.batch, config.classes, 12), config.train.lr);
  return razorCandidate(e, threads, step, () => {
    adam.dispose();
    model.dispose();
    e.free(x.data);
  });
}

function gestureTrainCandidate(e: WasmEngine, threads: number, variant: string): Candidate {
  useEngine(e);
  const config = loadModelConfig("dvs128-gesture", { variant });
  const model = buildModel(config).train();
  const x = randomCounts([GESTURE.T, GESTURE.batch, ...config.input], GESTURE.density, GESTURE.maxCount, 21);
  const { step, adam } = trainingStep(model, x, randomLabels(GESTURE.batch, config.classes, 22), config.train.lr);
  return razorCandidate(e, threads, step, () => {
    adam.dispose();
    model.dispose();
    e.free(x.data);
  });
}

/** Inference on the pruned runner (its fastest unmasked path: event-driven where density favours it). */
function gestureInferCandidate(e: WasmEngine, threads: number, variant: string): Candidate {
  useEngine(e);
  const config = loadModelConfig("dvs128-gesture", { variant });
  const model = buildModel(config).eval();
  const runner = new PrunedRunner(model);
  const x = randomCounts([GESTURE.T, GESTURE.batch, ...config.input], GESTURE.density, GESTURE.maxCount, 31);
  let last: PrunedResult | null = null;
  const c = razorCandidate(
    e,
    threads,
    () => {
      last = runner.run(x);
    },
    () => {
      model.dispose();
      e.free(x.data);
    },
  );
  c.describe = () => (last === null ? "" : describeLayers(last));
  return c;
}

/** Per layer: synapse path, output firing rate and share of the step's time (untrained weights: rates differ). */
function describeLayers(r: PrunedResult): string {
  const total = r.layers.reduce((a, l) => a + l.ms, 0);
  return r.layers
    .map((l) => {
      const spikes = l.outputSpikes.reduce((a, v) => a + v, 0);
      const rate = spikes / Math.max(1, l.framesExecuted * l.neurons);
      return `L${l.layer + 1} ${l.path} out-rate ${(100 * rate).toFixed(1)}% ${((100 * l.ms) / total).toFixed(0)}% of time`;
    })
    .join("; ");
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
