// Compiles the AssemblyScript kernels in assembly/ to WebAssembly with SIMD:
// - build/razor.wasm: imports a shared memory (threads: workers instantiate the same module on the same memory);
// - build/razor-single.wasm: imports an ordinary memory, for one thread where SharedArrayBuffer is unavailable
//   (browser pages that are not cross-origin isolated).
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const asc = require.resolve("assemblyscript/bin/asc.js");
mkdirSync("build", { recursive: true });
const common = ["assembly/index.ts", "-O3", "--noAssert", "--runtime", "stub", "--enable", "simd", "--importMemory"];
const variants = [
  {
    out: "build/razor.wasm",
    flags: [
      "--textFile",
      "build/razor.wat",
      "--enable",
      "threads",
      "--sharedMemory",
      "--initialMemory",
      "64",
      "--maximumMemory",
      "65536",
    ],
  },
  { out: "build/razor-single.wasm", flags: ["--initialMemory", "64"] },
];
for (const v of variants) {
  execFileSync(process.execPath, [asc, ...common, "--outFile", v.out, ...v.flags], { stdio: "inherit" });
  console.log(`built ${v.out}`);
}
