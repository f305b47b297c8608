package io.patchcore.eval.metrics;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;

/**
 * Image-level (ranking) metrics for anomaly detection, computed in double precision.
 *
 * <p>Every method takes the same two arguments first, {@code (double[] scores, int[] labels)},
 * followed by the metric's own parameter where it has one ({@link #fprAtTpr}). Label 1 marks an
 * anomalous, i.e. positive, sample and label 0 a normal one; a higher score means more anomalous;
 * a sample is predicted anomalous at threshold {@code t} when {@code score >= t}. Scores must not
 * be NaN; {@code -0.0} counts as {@code 0.0}. Float scores are widened to double by the caller,
 * which is exact.
 *
 * <p>The metrics follow scikit-learn: {@link #auroc} matches {@code roc_auc_score}, {@link
 * #averagePrecision} matches {@code average_precision_score}, {@link #rocCurve} matches {@code
 * roc_curve(drop_intermediate=False)}. Scores are sorted as primitive arrays (no boxing). The
 * pixel-level metrics are in {@link PixelMetrics}.
 */
public final class RankingMetrics {

  private RankingMetrics() {}

  /**
   * Area under the ROC curve (trapezoid rule; tied scores form one step and count half), as
   * scikit-learn's {@code roc_auc_score}.
   *
   * @param scores anomaly scores
   * @param labels 1 = anomalous, 0 = normal
   * @return the AUROC in [0, 1]
   * @throws IllegalArgumentException if lengths differ, a score is NaN, a label is not 0/1, or
   *     only one class is present
   */
  public static double auroc(double[] scores, int[] labels) {
    return auroc(ClassSplit.of(scores, labels));
  }

  /** The AUROC of scores already split by class; shared with {@link PixelMetrics#pixelAuroc}. */
  static double auroc(ClassSplit s) {
    s.requireBothClasses("AUROC");
    // Twice the area in units of one positive x one negative: exact in long arithmetic.
    long twiceArea = 0;
    long prevTp = 0;
    long prevFp = 0;
    ThresholdSweep w = new ThresholdSweep(s);
    while (w.next()) {
      twiceArea += (w.fp - prevFp) * (w.tp + prevTp);
      prevTp = w.tp;
      prevFp = w.fp;
    }
    return twiceArea / (2.0 * s.pos.length * (double) s.neg.length);
  }

  /**
   * Average precision, as scikit-learn's {@code average_precision_score}: the sum over distinct
   * thresholds (decreasing) of {@code (R_n - R_{n-1}) * P_n}, without interpolation.
   *
   * @param scores anomaly scores
   * @param labels 1 = anomalous, 0 = normal
   * @return the AP in [0, 1]
   * @throws IllegalArgumentException if lengths differ, a score is NaN, a label is not 0/1, or
   *     there is no positive label
   */
  public static double averagePrecision(double[] scores, int[] labels) {
    ClassSplit s = ClassSplit.of(scores, labels);
    s.requirePositives("average precision");
    double sum = 0;
    long prevTp = 0;
    ThresholdSweep w = new ThresholdSweep(s);
    while (w.next()) {
      if (w.tp != prevTp) {
        sum += (w.tp - prevTp) * ((double) w.tp / (w.tp + w.fp));
        prevTp = w.tp;
      }
    }
    return sum / s.pos.length;
  }

  /**
   * The smallest false positive rate among the thresholds whose true positive rate is at least
   * {@code minTpr}, i.e. {@code min(fpr[tpr >= minTpr])} on scikit-learn's {@code
   * roc_curve(drop_intermediate=False)}. {@code fprAtTpr(scores, labels, 0.95)} is FPR@95%TPR.
   *
   * @param scores anomaly scores
   * @param labels 1 = anomalous, 0 = normal
   * @param minTpr the required true positive rate, in [0, 1]
   * @return the FPR in [0, 1]
   * @throws IllegalArgumentException if lengths differ, a score is NaN, a label is not 0/1, only
   *     one class is present, or {@code minTpr} is outside [0, 1]
   */
  public static double fprAtTpr(double[] scores, int[] labels, double minTpr) {
    ClassSplit s = ClassSplit.of(scores, labels);
    checkArgument(minTpr >= 0 && minTpr <= 1, "minTpr must be in [0, 1], got %s", minTpr);
    s.requireBothClasses("FPR at TPR");
    if (minTpr <= 0) {
      return 0; // the leading (0, 0) point of the curve
    }
    // FPR is non-decreasing as the threshold falls, so the first qualifying point is the minimum.
    ThresholdSweep w = new ThresholdSweep(s);
    while (w.next()) {
      if ((double) w.tp / s.pos.length >= minTpr) {
        return (double) w.fp / s.neg.length;
      }
    }
    throw new AssertionError("TPR 1 is always reached");
  }

  /**
   * The score threshold that maximises F1 over the precision-recall curve (the candidates are the
   * distinct scores, {@code score >= threshold} is anomalous). On ties the lowest such threshold
   * wins, like anomalib's F1 adaptive threshold.
   *
   * @param scores anomaly scores
   * @param labels 1 = anomalous, 0 = normal
   * @return the threshold and its F1
   * @throws IllegalArgumentException if lengths differ, a score is NaN, a label is not 0/1, or
   *     there is no positive label
   */
  public static F1Threshold f1OptimalThreshold(double[] scores, int[] labels) {
    ClassSplit s = ClassSplit.of(scores, labels);
    s.requirePositives("F1");
    double bestF1 = -1;
    double bestThreshold = Double.NaN;
    ThresholdSweep w = new ThresholdSweep(s);
    while (w.next()) {
      // F1 = 2 TP / (2 TP + FP + FN) = 2 TP / (TP + FP + P); ">=" keeps the lowest threshold on ties.
      double f1 = 2.0 * w.tp / (w.tp + w.fp + s.pos.length);
      if (f1 >= bestF1) {
        bestF1 = f1;
        bestThreshold = w.threshold;
      }
    }
    return new F1Threshold(bestThreshold, bestF1);
  }

  /**
   * The full ROC curve, as scikit-learn's {@code roc_curve(drop_intermediate=False)}: a leading
   * point (0, 0) with threshold {@code +Infinity}, then one point per distinct score, decreasing.
   *
   * @param scores anomaly scores
   * @param labels 1 = anomalous, 0 = normal
   * @return the curve
   * @throws IllegalArgumentException if lengths differ, a score is NaN, a label is not 0/1, or
   *     only one class is present
   */
  public static RocCurve rocCurve(double[] scores, int[] labels) {
    ClassSplit s = ClassSplit.of(scores, labels);
    s.requireBothClasses("ROC curve");
    int n = s.pos.length + s.neg.length + 1;
    double[] fpr = new double[n];
    double[] tpr = new double[n];
    double[] thr = new double[n];
    thr[0] = Double.POSITIVE_INFINITY;
    int k = 1;
    ThresholdSweep w = new ThresholdSweep(s);
    while (w.next()) {
      fpr[k] = (double) w.fp / s.neg.length;
      tpr[k] = (double) w.tp / s.pos.length;
      thr[k] = w.threshold;
      k++;
    }
    return new RocCurve(Arrays.copyOf(fpr, k), Arrays.copyOf(tpr, k), Arrays.copyOf(thr, k));
  }
}
