// The page's Worker: the package's razor-snn Worker host, with the engine's thread script bundled beside it.
import type { MessageEndpoint } from "../protocol.js";
import { serveRazorWorker } from "../worker-host.js";
import engineWorkerUrl from "./engine-worker.ts?worker&url";

serveRazorWorker(self as unknown as MessageEndpoint, { engineWorkerUrl: new URL(engineWorkerUrl, self.location.href) });
