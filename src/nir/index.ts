/** NIR (Neuromorphic Intermediate Representation) graphs: the format in memory, HDF5 read/write, a runner. */
export * from "./graph.js";
export * from "./hdf5.js";
export * from "./network.js";
export * from "./export.js";
export * from "./import.js";
export * from "./import-checkpoint.js";
export * from "./browser.js";
