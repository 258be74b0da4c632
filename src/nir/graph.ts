/**
 * The NIR graph in memory (Neuromorphic Intermediate Representation, neuromorphs/NIR): named nodes, each a type and
 * numeric parameters, and directed edges between node names. Parameters keep their HDF5 element type so a file
 * written back carries the same dtypes.
 */

/** A numeric NIR parameter: values in row-major order, the shape ([] for a scalar) and the element type in the file. */
export interface NirArray {
  shape: number[];
  data: Float64Array;
  dtype: "float32" | "float64" | "int64";
}

export interface NirNode {
  type: string;
  params: Record<string, NirArray>;
  /** for type "NIRGraph" (a subgraph) */
  graph?: NirGraph;
  /** string metadata (NIR allows any; numeric metadata is kept as JSON text) */
  metadata?: Record<string, string>;
}

export interface NirGraph {
  nodes: Record<string, NirNode>;
  edges: [string, string][];
  metadata?: Record<string, string>;
}

/** A NIR file: the format version and the top-level graph. */
export interface NirFile {
  version: string;
  graph: NirGraph;
}

/** A NIR problem in a named file and node: `file: node 'x': field: what`. */
export class NirError extends Error {
  constructor(
    readonly file: string,
    readonly node: string | null,
    detail: string,
  ) {
    super(`${file}: ${node === null ? "" : `node '${node}': `}${detail}`);
    this.name = "NirError";
  }
}

export function nirArray(data: ArrayLike<number>, shape: number[], dtype: NirArray["dtype"] = "float32"): NirArray {
  return { data: Float64Array.from(data), shape: [...shape], dtype };
}

export function nirSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
