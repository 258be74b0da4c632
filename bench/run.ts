/**
 * `npm run bench [suite ...] [--out FILE]`: runs the benchmark suites, prints a table per suite and writes all
 * results as JSON (default bench-results.json). Each suite measures its own baseline in the same run and reports
 * ratios against it, so numbers from different machines are comparable.
 */
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { writeFileAtomic } from "../src/util/atomic-write.js";

export interface BenchRow {
  [key: string]: string | number | boolean | null;
}

export interface SuiteResult {
  rows: BenchRow[];
  notes?: string[];
}

export type Suite = (opts: { quick: boolean }) => Promise<SuiteResult>;

const suites: Record<string, () => Promise<Suite>> = {
  engine: async () => (await import("./suites/engine.js")).suite,
  events: async () => (await import("./suites/events.js")).suite,
  train: async () => (await import("./suites/train.js")).suite,
  spike: async () => (await import("./suites/spike.js")).suite,
  infer: async () => (await import("./suites/infer.js")).suite,
  pytorch: async () => (await import("./suites/pytorch.js")).suite,
};

const USAGE = `usage: npm run bench -- [SUITE ...] [--quick] [--out FILE]
suites: ${Object.keys(suites).join(", ")} (default: all); --quick: smaller inputs, fewer rounds;
--out: the JSON file written (default bench-results.json)`;

export async function runBenchmarks(argv: string[]): Promise<number> {
  let parsed: { values: { out?: string; quick?: boolean; help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: "string", default: "bench-results.json" },
        quick: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    console.error(`bench: ${(err as Error).message.split("\n")[0]}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  const names = positionals.length > 0 ? positionals : Object.keys(suites);
  const machine = {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
  };
  console.log(`razor-snn benchmarks on ${machine.cpu} (${machine.cores} cores), Node ${machine.node}`);
  const results: Record<string, SuiteResult | { error: string }> = {};
  for (const name of names) {
    const load = suites[name];
    if (load === undefined) {
      console.error(`unknown suite '${name}' (have: ${Object.keys(suites).join(", ")})`);
      return 2;
    }
    console.log(`\n== ${name}`);
    try {
      const r = await (await load())({ quick: values.quick === true });
      console.table(r.rows);
      for (const n of r.notes ?? []) console.log(`  ${n}`);
      results[name] = r;
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      console.error(`suite ${name} failed: ${msg}`);
      results[name] = { error: msg };
    }
  }
  writeFileAtomic(values.out!, `${JSON.stringify({ machine, results }, null, 2)}\n`);
  console.log(`\nwrote ${values.out}`);
  return Object.values(results).some((r) => "error" in r) ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runBenchmarks(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
