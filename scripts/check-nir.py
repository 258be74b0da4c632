"""Checks a NIR file the way NIR's Python reader (nir.read) walks it, with h5py only:
/version, /node/type == NIRGraph, edges as n×2 strings naming existing nodes, every node's type, and each
parameter's shape and dtype. With a second file, also checks both hold the same graph (types, edges, values).
Usage: python3 scripts/check-nir.py FILE.nir [REFERENCE.nir]"""
import sys

import h5py
import numpy as np

KNOWN = {"Input", "Output", "Affine", "Linear", "Scale", "Conv1d", "Conv2d", "SumPool2d", "AvgPool2d", "Flatten",
         "LIF", "LI", "IF", "I", "CubaLIF", "CubaLI", "Threshold", "Delay", "NIRGraph"}


def text(v):
    return v.decode("utf8") if isinstance(v, bytes) else str(v)


def graph(g, where):
    assert text(g["type"][()]) == "NIRGraph", f"{where}/type is not NIRGraph"
    nodes = {}
    for name, n in g["nodes"].items():
        typ = text(n["type"][()])
        assert typ in KNOWN, f"{where}/nodes/{name}: unknown type {typ}"
        if typ == "NIRGraph":
            nodes[name] = (typ, graph(n, f"{where}/nodes/{name}"))
        else:
            nodes[name] = (typ, {k: np.asarray(v[()]) for k, v in n.items() if k not in ("type", "metadata")
                                 and isinstance(v, h5py.Dataset)})
    edges = [tuple(text(x) for x in e) for e in g["edges"][()]]
    for a, b in edges:
        assert a in nodes and b in nodes, f"{where}: edge {a} -> {b} names a missing node"
    return nodes, sorted(edges)


def load(path):
    with h5py.File(path, "r") as f:
        text(f["version"][()])
        return graph(f["node"], "/node")


a_nodes, a_edges = load(sys.argv[1])
if len(sys.argv) > 2:
    b_nodes, b_edges = load(sys.argv[2])
    assert a_edges == b_edges, "edges differ"
    assert a_nodes.keys() == b_nodes.keys(), "node names differ"
    for k, (typ, params) in a_nodes.items():
        assert typ == b_nodes[k][0], f"{k}: type differs"
        if typ == "NIRGraph":
            continue
        for p, v in params.items():
            w = b_nodes[k][1][p]
            assert v.shape == w.shape and v.dtype == w.dtype, f"{k}/{p}: {v.shape} {v.dtype} vs {w.shape} {w.dtype}"
            assert np.array_equal(v, w), f"{k}/{p}: values differ"
print(f"ok: {len(a_nodes)} nodes, {len(a_edges)} edges")
