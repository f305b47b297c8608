package io.patchcore.eval;

import java.util.Arrays;

/**
 * A split-conformal rejection threshold from held-out real (in-distribution) calibration scores.
 *
 * <p>With n calibration scores and a target false-rejection rate alpha, the threshold is the
 * {@code ceil((n + 1) * (1 - alpha))}-th smallest calibration score, and an image is rejected when
 * its score is strictly greater. If a new real image is exchangeable with the calibration images,
 * the probability that it is rejected is at most alpha (finite-sample guarantee, whatever the
 * score distribution). When {@code n < 1/alpha - 1} no finite threshold gives the guarantee and
 * the threshold is {@code +Infinity} (nothing is rejected): use more calibration images.
 */
public final class ConformalThreshold {
  private ConformalThreshold() {}

  /**
   * The threshold for calibration scores {@code calibration} and rejection rate {@code alpha}.
   *
   * @throws IllegalArgumentException if alpha is not in (0, 1), there are no scores, or a score
   *     is NaN
   */
  public static double threshold(double[] calibration, double alpha) {
    if (!(alpha > 0 && alpha < 1)) {
      throw new IllegalArgumentException("alpha (the false-rejection rate) must be in (0, 1), got " + alpha);
    }
    if (calibration.length == 0) {
      throw new IllegalArgumentException("no calibration scores");
    }
    double[] sorted = calibration.clone();
    for (int i = 0; i < sorted.length; i++) {
      if (Double.isNaN(sorted[i])) {
        throw new IllegalArgumentException("calibration score " + i + " is NaN");
      }
    }
    Arrays.sort(sorted);
    int n = sorted.length;
    long rank = (long) Math.ceil((n + 1) * (1 - alpha) - 1e-12);
    if (rank > n) {
      return Double.POSITIVE_INFINITY;
    }
    return sorted[(int) Math.max(rank, 1) - 1];
  }

  /** The smallest number of calibration images for which {@link #threshold} is finite. */
  public static int minimumCalibrationSize(double alpha) {
    if (!(alpha > 0 && alpha < 1)) {
      throw new IllegalArgumentException("alpha must be in (0, 1), got " + alpha);
    }
    return (int) Math.ceil(1 / alpha - 1 - 1e-12);
  }
}
