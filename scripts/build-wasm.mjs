// Compiles the AssemblyScript kernels in assembly/ to build/razor.wasm (SIMD + threads, imported shared memory).
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const asc = require.resolve("assemblyscript/bin/asc.js");
mkdirSync("build", { recursive: true });
const args = [
  asc,
  "assembly/index.ts",
  "--outFile",
  "build/razor.wasm",
  "--textFile",
  "build/razor.wat",
  "-O3",
  "--noAssert",
  "--runtime",
  "stub",
  "--enable",
  "simd",
  "--enable",
  "threads",
  "--importMemory",
  "--sharedMemory",
  "--initialMemory",
  "64",
  "--maximumMemory",
  "65536",
];
execFileSync(process.execPath, args, { stdio: "inherit" });
console.log("built build/razor.wasm");
