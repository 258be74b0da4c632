export * from "./api.js";
export * from "./current.js";
export { createReferenceEngine, denseReferenceKernels } from "./reference.js";

import { setDefaultEngineFactory } from "./current.js";
import { createReferenceEngine } from "./reference.js";

setDefaultEngineFactory(createReferenceEngine);
