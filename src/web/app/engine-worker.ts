// A thread of the wasm engine (started by the razor-snn Worker when the page is cross-origin isolated).
import "../../engine/wasm-worker-browser.js";
