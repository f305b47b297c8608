package io.patchcore;

import io.patchcore.PatchCoreEnsemble.Calibration;
import java.util.Arrays;

/**
 * The parameters and calibration of {@link ImageScoring#COMBINED}: the fraction of patches the
 * top mean takes, the number of global neighbours, how many held-out training images calibrated
 * it, and each component's calibration.
 */
record CombinedScoring(double topFraction, int globalNeighbours, int calibrationImages, Calibration patchMax,
    Calibration patchTopMean, Calibration global, Weights weights) {
  /**
   * The components' weights in the fused score, each finite and at least 0, not all 0.
   *
   * @param patchMax the weight of the largest patch score
   * @param patchTopMean the weight of the top-10% mean
   * @param global the weight of the global distance
   */
  record Weights(double patchMax, double patchTopMean, double global) {
    Weights {
      for (double w : new double[] {patchMax, patchTopMean, global}) {
        if (!(w >= 0) || !Double.isFinite(w)) {
          throw new IllegalArgumentException("COMBINED weights must be finite and >= 0, got " + w);
        }
      }
      if (patchMax + patchTopMean + global <= 0) {
        throw new IllegalArgumentException("COMBINED weights must not all be 0");
      }
    }

    /** The weighted mean of the normalised components (patchMax, patchTopMean, global). */
    double fuse(double[] z) {
      return (patchMax * z[0] + patchTopMean * z[1] + global * z[2]) / (patchMax + patchTopMean + global);
    }
  }

  /**
   * The weights new fits use unless told otherwise: patchMax 0.25, patchTopMean 0, global 1,
   * chosen on validation splits of the training data (Fashion-MNIST and MNIST, classes
   * 1, 3, 5, 7, 9; see patchcore-eval/BENCHMARKS.md).
   */
  static final Weights DEFAULT_WEIGHTS = new Weights(0.25, 0, 1);

  /** The fraction of the highest patch scores the top mean averages. */
  static final double TOP_FRACTION = 0.1;
  /** Global neighbours averaged (fewer when there are fewer other training images). */
  static final int GLOBAL_NEIGHBOURS = 5;
  /** The most training images scored to calibrate the components. */
  static final int MAX_CALIBRATION_IMAGES = 100;
  /** Training images needed: leaving one out must leave 2 global neighbours. */
  static final int MIN_TRAINING_IMAGES = 3;

  /** The mean of the highest {@code ceil(fraction * n)} (at least 1) of {@code patch}. */
  static double topMean(float[] patch, double fraction) {
    int n = patch.length;
    int t = (int) Math.min(n, Math.max(1, Math.ceil(fraction * n)));
    float[] sorted = patch.clone();
    Arrays.sort(sorted);
    double s = 0;
    for (int i = n - t; i < n; i++) {
      s += sorted[i];
    }
    return s / t;
  }

  /** The components, raw, in the order patchMax, patchTopMean, global. */
  double[] normalise(double patchMaxRaw, double topMeanRaw, double globalRaw) {
    return new double[] {patchMax.normalise(patchMaxRaw), patchTopMean.normalise(topMeanRaw),
        global.normalise(globalRaw)};
  }

  /** The image score: the weighted mean of the normalised components. */
  double fuse(double[] normalised) {
    return weights.fuse(normalised);
  }
}
