/** Creating parameters and buffers in engine memory, and naming them inside containers. */
import { engine } from "../engine/current.js";
import type { Buffer, Param } from "./module.js";

export function newParam(name: string, shape: number[], lrScale?: number): Param {
  const n = shape.reduce((a, b) => a * b, 1);
  const p: Param = { name, value: engine().allocF32(n), grad: engine().allocF32(n), shape };
  if (lrScale !== undefined) p.lrScale = lrScale;
  return p;
}

export function newBuffer(name: string, shape: number[], dtype?: "I64"): Buffer {
  const n = shape.reduce((a, b) => a * b, 1);
  const b: Buffer = { name, value: engine().allocF32(n), shape };
  if (dtype !== undefined) b.dtype = dtype;
  return b;
}

export function freeParams(ps: readonly Param[]): void {
  const e = engine();
  for (const p of ps) {
    e.free(p.value);
    e.free(p.grad);
  }
}

export function freeBuffers(bs: readonly Buffer[]): void {
  for (const b of bs) engine().free(b.value);
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
