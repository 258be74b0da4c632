/**
 * Learning rate cut ×factor when the monitored loss stops improving for `patience` epochs: PyTorch's
 * ReduceLROnPlateau in "min" mode with a relative threshold of 1e-4 and no cooldown.
 */
export interface PlateauState {
  best: number;
  badEpochs: number;
}

export class PlateauSchedule {
  best = Number.POSITIVE_INFINITY;
  badEpochs = 0;

  constructor(
    readonly factor = 0.1,
    readonly patience = 5,
    readonly threshold = 1e-4,
    readonly minLr = 0,
  ) {}

  /** Feeds one epoch's loss; returns the learning rate to use next. */
  step(loss: number, lr: number): number {
    if (loss < this.best * (1 - this.threshold)) {
      this.best = loss;
      this.badEpochs = 0;
      return lr;
    }
    this.badEpochs++;
    if (this.badEpochs > this.patience) {
      this.badEpochs = 0;
      return Math.max(this.minLr, lr * this.factor);
    }
    return lr;
  }

  exportState(): PlateauState {
    return { best: this.best, badEpochs: this.badEpochs };
  }

  importState(s: PlateauState): void {
    this.best = s.best;
    this.badEpochs = s.badEpochs;
  }
}

/**
 * Cosine annealing from `lr0` to 0 over `epochs`, set at the start of each epoch (0-based): PyTorch's
 * CosineAnnealingLR(T_max = epochs, eta_min = 0) stepped once per epoch. It needs no state, so a resumed run
 * continues it exactly.
 */
export function cosineLr(lr0: number, epoch: number, epochs: number): number {
  return (lr0 * (1 + Math.cos((Math.PI * epoch) / epochs))) / 2;
}
