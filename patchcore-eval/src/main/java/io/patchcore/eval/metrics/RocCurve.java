package io.patchcore.eval.metrics;

import static com.google.common.base.Preconditions.checkArgument;

/**
 * A receiver operating characteristic curve, from {@link RankingMetrics#rocCurve}: one point per
 * distinct score plus a leading {@code (0, 0)} point whose threshold is {@code +Infinity}, ordered
 * by decreasing threshold (like scikit-learn's {@code roc_curve(drop_intermediate=False)}).
 * Accessors return copies.
 *
 * @param fpr false positive rates, non-decreasing
 * @param tpr true positive rates, non-decreasing
 * @param thresholds the thresholds, decreasing
 */
public record RocCurve(double[] fpr, double[] tpr, double[] thresholds) {

  /**
   * Copies the arrays and checks that they have the same length.
   *
   * @param fpr false positive rates
   * @param tpr true positive rates
   * @param thresholds the thresholds
   * @throws IllegalArgumentException if the lengths differ
   */
  public RocCurve {
    fpr = fpr.clone();
    tpr = tpr.clone();
    thresholds = thresholds.clone();
    checkArgument(fpr.length == tpr.length && fpr.length == thresholds.length,
        "curve arrays differ in length: fpr %s, tpr %s, thresholds %s", fpr.length, tpr.length,
        thresholds.length);
  }

  /**
   * The false positive rates.
   *
   * @return a copy, non-decreasing
   */
  @Override
  public double[] fpr() {
    return fpr.clone();
  }

  /**
   * The true positive rates.
   *
   * @return a copy, non-decreasing
   */
  @Override
  public double[] tpr() {
    return tpr.clone();
  }

  /**
   * The thresholds.
   *
   * @return a copy, decreasing
   */
  @Override
  public double[] thresholds() {
    return thresholds.clone();
  }
}
