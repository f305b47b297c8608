package io.patchcore.eval.metrics;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.primitives.Doubles;

/**
 * A per-region overlap (PRO) curve, from {@link PixelMetrics#proCurve}, ordered by increasing
 * FPR; the last point is {@code (1, 1)}. Accessors return copies.
 *
 * @param fpr false positive rates over the normal pixels, non-decreasing, from 0 to 1
 * @param pro mean per-region overlaps at the same thresholds
 */
public record ProCurve(double[] fpr, double[] pro) {

  /**
   * Copies the arrays and checks that they have the same length, at least 2.
   *
   * @param fpr false positive rates
   * @param pro mean per-region overlaps
   * @throws IllegalArgumentException if the lengths differ or are below 2
   */
  public ProCurve {
    fpr = fpr.clone();
    pro = pro.clone();
    checkArgument(fpr.length == pro.length && fpr.length >= 2,
        "curve needs two or more points and equal lengths: fpr %s, pro %s", fpr.length,
        pro.length);
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
   * The mean per-region overlaps.
   *
   * @return a copy
   */
  @Override
  public double[] pro() {
    return pro.clone();
  }

  /**
   * The area under this curve from FPR 0 to {@code fprLimit}, divided by {@code fprLimit}
   * (trapezoid rule; if the limit is not a sample, the curve is linearly interpolated there).
   *
   * @param fprLimit the integration limit, in (0, 1]
   * @return the normalised area, in [0, 1]
   * @throws IllegalArgumentException if the limit is outside (0, 1]
   */
  public double normalizedAuc(double fprLimit) {
    checkArgument(fprLimit > 0 && fprLimit <= 1, "fprLimit must be in (0, 1], got %s", fprLimit);
    return integrate(fpr, pro, fprLimit) / fprLimit;
  }

  /**
   * Trapezoid integral of y(x) from x[0] to {@code limit}; x is non-decreasing and ends at or
   * above the limit. If the limit is not a sample, y is interpolated linearly there.
   */
  private static double integrate(double[] x, double[] y, double limit) {
    double area = 0;
    int i = 1;
    for (; i < x.length && x[i] <= limit; i++) {
      area += 0.5 * (y[i] + y[i - 1]) * (x[i] - x[i - 1]);
    }
    if (!Doubles.contains(x, limit) && i < x.length) {
      // x[i - 1] < limit < x[i]
      double yi = y[i - 1] + (y[i] - y[i - 1]) * (limit - x[i - 1]) / (x[i] - x[i - 1]);
      area += 0.5 * (yi + y[i - 1]) * (limit - x[i - 1]);
    }
    return area;
  }
}
