import { parseArgs } from "node:util";
import { startViewerServer } from "../../web/server.js";
import type { Command } from "../command.js";

const help = `usage: razor-snn view [--checkpoint FILE] [--labels FILE] [RECORDING...] [--port N]

Serves the browser viewer on http://127.0.0.1:PORT/ and prints the URL; open it in a browser.
The page plays event recordings (any format the decoders read), shows integrated frames or a spike
raster for audio, and with a checkpoint runs the model in the browser: per-frame Razor scores, kept and
dropped frames per layer, predictions, SOPs and time with and without the mask, a threshold slider.
Files can also be opened from the page (file picker or drag-and-drop).

options:
  --checkpoint FILE  a trained model (safetensors) to load at start-up
  --labels FILE      labels for the recordings: "id<TAB>class" lines (id = file name without extension)
  --port N           port to listen on (default 8080; 0 picks a free one)
  --host ADDR        address to bind (default 127.0.0.1)
  --json             print {"url": ...} as JSON instead of a sentence
  -h, --help         show this help

Stop it with Ctrl-C.`;

export const command: Command = {
  summary: "serve the browser viewer on localhost",
  async run(argv: string[]): Promise<number> {
    let args: ReturnType<typeof parse>;
    try {
      args = parse(argv);
    } catch (err) {
      console.error(`razor-snn view: ${(err as Error).message}\n\n${help}`);
      return 2;
    }
    const { values, positionals } = args;
    if (values.help) {
      console.log(help);
      return 0;
    }
    const port = Number(values.port ?? "8080");
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      console.error(`razor-snn view: --port must be an integer from 0 to 65535, got '${values.port}'`);
      return 2;
    }
    const server = await startViewerServer({
      recordings: positionals,
      checkpoint: values.checkpoint,
      labels: values.labels,
      port,
      host: values.host,
    });
    if (values.json) console.log(JSON.stringify({ url: server.url, port: server.port }));
    else {
      console.log(`razor-snn viewer: ${server.url}  (Ctrl-C to stop)`);
      if (server.session.wasm === null) console.log("note: build/razor.wasm is missing, so models cannot run");
    }
    await new Promise<void>((done) => {
      const stop = () => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        void server.close().then(done);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    return 0;
  },
};

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      checkpoint: { type: "string" },
      labels: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}
