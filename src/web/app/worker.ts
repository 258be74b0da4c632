// The page's Worker: the package's razor-snn Worker host, nothing else.
import type { MessageEndpoint } from "../protocol.js";
import { serveRazorWorker } from "../worker-host.js";

serveRazorWorker(self as unknown as MessageEndpoint);
