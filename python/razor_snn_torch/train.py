"""Training on exported frames, on one or many processes (DistributedDataParallel):

    python -m razor_snn_torch.train --frames DIR --out model.safetensors [options]
    torchrun --nproc_per_node N -m razor_snn_torch.train --frames DIR --out model.safetensors [options]

NCCL on GPUs, gloo on CPU. --batch is the global batch, split evenly over the processes; BN statistics are taken
over the global batch too (model.batch_norm), so N processes train the same network as one process with the whole
batch (up to float rounding). The checkpoint is razor-snn's: `razor-snn eval/sweep/infer --checkpoint` read it.
"""
import argparse
import math
import os
import sys
import time

import numpy as np
import torch
import torch.distributed as dist

from .checkpoint import load_checkpoint, save_checkpoint
from .config import load_config, parse_overrides, resolve_config
from .frames import open_frames
from .model import SnnModel, rate_loss


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="python -m razor_snn_torch.train", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", required=True, help="folder written by razor-snn data export-frames")
    ap.add_argument("--out", required=True, help="checkpoint to write (razor-snn safetensors)")
    ap.add_argument("--config", help="config file (default: the one recorded with the frames)")
    ap.add_argument("--model", choices=["razor", "ta", "snn"], help="variant")
    ap.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="config override")
    ap.add_argument("--init", help="start from this razor-snn checkpoint (its config wins)")
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--batch", type=int, help="global batch (default: the config's train.batch)")
    ap.add_argument("--lr", type=float)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-steps", type=int, help="stop each epoch after this many steps")
    ap.add_argument("--limit-train", type=int, help="only the first N training samples")
    ap.add_argument("--no-eval", action="store_true", help="skip the test split after each epoch")
    ap.add_argument("--amp", action="store_true", help="mixed precision (float16 on GPUs, bfloat16 on CPU)")
    ap.add_argument("--threads", type=int, help="CPU threads per process")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    for name in ("epochs", "batch", "max_steps", "limit_train", "threads"):
        v = getattr(a, name)
        if v is not None and v < 1:
            ap.error(f"--{name.replace('_', '-')} {v}: expected an integer >= 1")
    if a.lr is not None and not a.lr > 0:
        ap.error(f"--lr {a.lr}: expected a number > 0")
    return a


def setup_distributed():
    """(rank, world, device): from torchrun's environment, or a single process."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    cuda = torch.cuda.is_available()
    device = torch.device(f"cuda:{local}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    if world > 1:
        dist.init_process_group("nccl" if cuda else "gloo")
    return rank, world, device


def grad_scaler(enabled):
    """torch.amp.GradScaler("cuda") where it exists (torch >= 2.3 deprecates torch.cuda.amp's; torch 2.11 warns)."""
    if hasattr(torch, "amp") and hasattr(torch.amp, "GradScaler"):
        return torch.amp.GradScaler("cuda", enabled=enabled)
    return torch.cuda.amp.GradScaler(enabled=enabled)


def all_sum(values, device, world):
    t = torch.tensor(values, dtype=torch.float64, device=device)
    if world > 1:
        dist.all_reduce(t)
    return t.tolist()


def build_model(a, meta):
    if a.init:
        model, _ = load_checkpoint(a.init)
        return model
    overrides = parse_overrides(a.set)
    if a.model:
        overrides["variant"] = a.model
    config = load_config(a.config, overrides) if a.config else resolve_config(meta["config"], overrides, "meta.json")
    torch.manual_seed(a.seed)  # every process builds the same initial weights
    if config["variant"] == "razor" and config["razor"]["init"] == "data":
        print('razor_snn_torch.train: note: razor.init "data" (k-means of the first batch) is razor-snn\'s only; '
              "the twin starts from |N(0,1)| embeddings (--init CKPT starts from a razor-snn checkpoint)", file=sys.stderr)
    return SnnModel(config)


def evaluate(net, split, device, rank, world, batch):
    """Accuracy on the split, each process a share; with clips the spike counts of all clips are summed."""
    net.eval()
    mine = np.arange(rank, len(split), world)
    correct = 0
    with torch.no_grad():
        for s in range(0, len(mine), batch):
            idx = mine[s:s + batch]
            counts = 0
            for clip in range(split.clips):
                x, y = split.batch(idx, clip=clip)
                counts = counts + net(x.to(device)).sum(0)
            correct += int((counts.argmax(-1).cpu() == y).sum())
    net.train()
    right, total = all_sum([correct, len(mine)], device, world)
    return right / max(total, 1)


def main(argv=None):
    a = parse_args(argv)
    rank, world, device = setup_distributed()
    if a.threads:
        torch.set_num_threads(a.threads)
    say = (lambda *s: print(*s, flush=True)) if rank == 0 and not a.quiet else (lambda *s: None)
    try:
        meta, splits = open_frames(a.frames)
    except ValueError as e:
        print(f"razor_snn_torch.train: {e}", file=sys.stderr)
        return 2
    model = build_model(a, meta).to(device)
    cfg = model.config
    if list(cfg["input"]) != list(splits["train"].input):
        print(f"razor_snn_torch.train: the network takes {cfg['input']}, the frames are {splits['train'].input}",
              file=sys.stderr)
        return 2
    train = splits["train"]
    test = splits.get("test")
    batch = a.batch or cfg["train"]["batch"]
    if batch % world:
        print(f"razor_snn_torch.train: --batch {batch} does not split over {world} processes", file=sys.stderr)
        return 2
    local = batch // world
    epochs = a.epochs or cfg["train"]["epochs"]
    lr = a.lr or cfg["train"]["lr"]
    net = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    opt = torch.optim.Adam(model.param_groups(lr), betas=(0.9, 0.999), eps=1e-8,
                           weight_decay=cfg["train"]["weightDecay"])
    cosine = cfg["train"]["schedule"] == "cosine"
    if cosine:  # stepped once per epoch, like the TypeScript trainer's cosineLr
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs, eta_min=0)
    else:
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=cfg["train"]["plateauFactor"],
                                                           patience=cfg["train"]["plateauPatience"])
    amp_dtype = torch.float16 if device.type == "cuda" else torch.bfloat16
    scaler = grad_scaler(a.amp and device.type == "cuda")
    n = min(len(train), a.limit_train or len(train))
    say(f"{cfg['variant']} network {cfg['name']}: {n} training samples, batch {batch} over {world} process(es) "
        f"on {device.type}, {epochs} epochs")
    acc = None
    for epoch in range(1, epochs + 1):
        t0 = time.time()
        order = np.random.default_rng([a.seed, epoch]).permutation(n)
        steps = n // batch if a.max_steps is None else min(n // batch, a.max_steps)
        loss_sum = 0.0
        for step in range(steps):
            idx = order[step * batch:(step + 1) * batch][rank * local:(rank + 1) * local]
            x, y = train.batch(idx, rng_for=lambda i: np.random.default_rng([a.seed, epoch, int(i)]))
            x, y = x.to(device), y.to(device)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=a.amp):
                out = net(x)
            loss = rate_loss(out.float(), y, cfg["train"]["loss"]) + model.aux_loss()
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            loss_sum += float(loss)
        (mean_loss,) = all_sum([loss_sum / max(steps, 1)], device, world)
        mean_loss /= world
        sched.step() if cosine else sched.step(mean_loss)
        took = time.time() - t0
        if test is not None and len(test) > 0 and not a.no_eval:
            acc = evaluate(net, test, device, rank, world, local)
        say(f"epoch {epoch}/{epochs}: loss {mean_loss:.4f}" + (f", test accuracy {acc:.4f}" if acc is not None else "")
            + f", {steps} steps in {took:.1f} s ({took / max(steps, 1):.3f} s/step)")
        if not math.isfinite(mean_loss):
            print("razor_snn_torch.train: the loss diverged (NaN or infinity)", file=sys.stderr)
            return 1
    if rank == 0:
        training = {"engine": "pytorch", "processes": world, "device": device.type, "epochs": epochs,
                    "batch": batch, "lr": lr, "seed": a.seed, "finalTestAccuracy": acc, "frames": a.frames}
        save_checkpoint(a.out, model.cpu(), meta["preprocessing"], training)
        say(f"checkpoint written to {a.out}")
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
