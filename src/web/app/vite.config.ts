// Builds the viewer page (src/web/app) into dist/web. The page imports the package's browser-safe modules
// (src/events, src/engine, src/nn, src/web ...) straight from their TypeScript sources.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root: here,
  base: "./",
  logLevel: "warn",
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL("../../../dist/web", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    // no source maps: the HDF5 reader's alone would add 11 MB to dist/web
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 4096,
  },
  worker: { format: "es" },
});
