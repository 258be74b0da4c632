/** The twin follows the TypeScript's learning-rate schedules (src/train/schedule.ts) epoch by epoch. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { cosineLr } from "../../src/train/schedule.js";
import { runPython, skipWithoutTorch } from "./python.js";

test("cosine: torch's CosineAnnealingLR as the twin steps it gives cosineLr's rates; a bad schedule is refused", {
  skip: skipWithoutTorch(),
}, () => {
  const epochs = 7;
  const lr = 3e-3;
  const out = runPython([
    "-c",
    [
      "import json, torch",
      "from razor_snn_torch.config import resolve_config",
      "p = torch.nn.Parameter(torch.zeros(1))",
      `opt = torch.optim.Adam([p], lr=${lr})`,
      `s = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=${epochs}, eta_min=0)`,
      "lrs = []",
      `for _ in range(${epochs}):`,
      "    lrs.append(opt.param_groups[0]['lr']); opt.step(); s.step()",
      "base = dict(name='t', dataset='d', input=[4], classes=2, frames={'T': 2}, layers=[{'type': 'fc', 'out': 2}])",
      "try:",
      "    resolve_config({**base, 'train': {'schedule': 'step'}}); err = None",
      "except ValueError as e:",
      "    err = str(e)",
      "print(json.dumps({'lrs': lrs, 'err': err, 'default': resolve_config(base)['train']['schedule']}))",
    ].join("\n"),
  ]);
  const got = JSON.parse(out.trim().split("\n").at(-1)!) as { lrs: number[]; err: string | null; default: string };
  assert.equal(got.lrs.length, epochs);
  for (const [e, v] of got.lrs.entries()) {
    assert.ok(Math.abs(v - cosineLr(lr, e, epochs)) <= 1e-12 * lr, `epoch ${e}: ${v}`);
  }
  assert.match(got.err ?? "", /train\.schedule must be "plateau" or "cosine"/);
  assert.equal(got.default, "plateau");
});
