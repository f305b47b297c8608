package io.patchcore.eval.metrics;

/**
 * Walks the distinct scores of a {@link ClassSplit} from high to low; after each {@link #next()},
 * {@code tp} and {@code fp} count the samples with score {@code >= threshold}.
 */
final class ThresholdSweep {
  private final double[] pos;
  private final double[] neg;
  private int i;
  private int j;
  long tp;
  long fp;
  double threshold;

  ThresholdSweep(ClassSplit s) {
    this.pos = s.pos;
    this.neg = s.neg;
    this.i = pos.length - 1;
    this.j = neg.length - 1;
  }

  /** Moves to the next lower distinct score; false when all scores have been passed. */
  boolean next() {
    if (i < 0 && j < 0) {
      return false;
    }
    double t = i < 0 ? neg[j] : j < 0 ? pos[i] : Math.max(pos[i], neg[j]);
    while (i >= 0 && pos[i] == t) {
      tp++;
      i--;
    }
    while (j >= 0 && neg[j] == t) {
      fp++;
      j--;
    }
    threshold = t;
    return true;
  }
}
