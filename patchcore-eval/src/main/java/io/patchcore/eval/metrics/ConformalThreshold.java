package io.patchcore.eval.metrics;

import static com.google.common.base.Preconditions.checkArgument;

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
   * @param calibration the scores of held-out real images, in any order
   * @param alpha the largest fraction of real images that may be rejected, in (0, 1)
   * @return the threshold; a score strictly above it is rejected
   * @throws IllegalArgumentException if alpha is not in (0, 1), there are no scores, or a score
   *     is NaN
   */
  public static double threshold(double[] calibration, double alpha) {
    checkArgument(alpha > 0 && alpha < 1,
        "alpha (the false-rejection rate) must be in (0, 1), got %s", alpha);
    checkArgument(calibration.length > 0, "no calibration scores");
    double[] sorted = calibration.clone();
    for (int i = 0; i < sorted.length; i++) {
      checkArgument(!Double.isNaN(sorted[i]), "calibration score %s is NaN", i);
    }
    Arrays.sort(sorted);
    int n = sorted.length;
    long rank = (long) Math.ceil((n + 1) * (1 - alpha) - 1e-12);
    if (rank > n) {
      return Double.POSITIVE_INFINITY;
    }
    return sorted[(int) Math.max(rank, 1) - 1];
  }

  /**
   * The smallest number of calibration images for which {@link #threshold} is finite.
   *
   * @param alpha the rejection rate, in (0, 1)
   * @return the smallest calibration set size
   * @throws IllegalArgumentException if alpha is not in (0, 1)
   */
  public static int minimumCalibrationSize(double alpha) {
    checkArgument(alpha > 0 && alpha < 1, "alpha must be in (0, 1), got %s", alpha);
    return (int) Math.ceil(1 / alpha - 1 - 1e-12);
  }
}
