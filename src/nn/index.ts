/** nn: modules over whole time-major sequences (see module.ts for the contract). */
export * from "./batchnorm.js";
export * from "./buffers.js";
export * from "./conv2d.js";
export * from "./density.js";
export * from "./frame-gate.js";
export * from "./init.js";
export * from "./lif.js";
export * from "./lif-scan.js";
export * from "./linear.js";
export * from "./module.js";
export * from "./param.js";
export * from "./pool2d.js";
export * from "./razor.js";
export * from "./reshape.js";
export * from "./spiking-layer.js";
export * from "./temporal-attention.js";
export * from "./gradcheck.js";
