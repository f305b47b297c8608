package io.patchcore.eval;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Evaluation metrics for anomaly detection, computed in double precision.
 *
 * <p>Conventions: label 1 (or {@code true}, or a nonzero mask byte) marks an anomalous, i.e.
 * positive, sample, and a higher score means more anomalous. A sample is predicted anomalous at
 * threshold {@code t} when {@code score >= t}. Scores must not be NaN.
 *
 * <p>The image-level metrics follow scikit-learn: {@link #auroc} matches {@code roc_auc_score},
 * {@link #averagePrecision} matches {@code average_precision_score}, {@link #rocCurve} matches
 * {@code roc_curve(drop_intermediate=False)}. {@link #aupro} is the MVTec-style per-region overlap
 * metric as computed by the MVTec 3D-AD evaluation code.
 *
 * <p>Scores are sorted as primitive arrays (no boxing), so the pixel-level metrics scale to
 * millions of pixels.
 */
public final class Metrics {

  /** Default upper FPR limit of the AUPRO integration. */
  public static final double DEFAULT_AUPRO_LIMIT = 0.3;

  /** Default number of thresholds of the AUPRO curve. */
  public static final int DEFAULT_AUPRO_THRESHOLDS = 100;

  private Metrics() {}

  // ---------------------------------------------------------------------------------------------
  // Result types
  // ---------------------------------------------------------------------------------------------

  /**
   * The threshold that maximises F1 and that F1.
   *
   * @param threshold the score threshold ({@code score >= threshold} is anomalous)
   * @param f1 the F1 score at that threshold
   */
  public record F1Threshold(double threshold, double f1) {}

  /**
   * A receiver operating characteristic curve, one point per distinct score plus a leading
   * {@code (0, 0)} point whose threshold is {@code +Infinity}, ordered by decreasing threshold
   * (like scikit-learn's {@code roc_curve(drop_intermediate=False)}). Accessors return copies.
   *
   * @param fpr false positive rates, non-decreasing
   * @param tpr true positive rates, non-decreasing
   * @param thresholds the thresholds, decreasing
   */
  public record RocCurve(double[] fpr, double[] tpr, double[] thresholds) {
    /** Copies the arrays and checks that they have the same length. */
    public RocCurve {
      fpr = fpr.clone();
      tpr = tpr.clone();
      thresholds = thresholds.clone();
      if (fpr.length != tpr.length || fpr.length != thresholds.length) {
        throw new IllegalArgumentException("curve arrays differ in length: fpr " + fpr.length
            + ", tpr " + tpr.length + ", thresholds " + thresholds.length);
      }
    }

    @Override
    public double[] fpr() {
      return fpr.clone();
    }

    @Override
    public double[] tpr() {
      return tpr.clone();
    }

    @Override
    public double[] thresholds() {
      return thresholds.clone();
    }
  }

  /**
   * A per-region overlap (PRO) curve, ordered by increasing FPR; the last point is {@code (1, 1)}.
   * Accessors return copies.
   *
   * @param fpr false positive rates over the normal pixels, non-decreasing, from 0 to 1
   * @param pro mean per-region overlaps at the same thresholds
   */
  public record ProCurve(double[] fpr, double[] pro) {
    /** Copies the arrays and checks that they have the same length. */
    public ProCurve {
      fpr = fpr.clone();
      pro = pro.clone();
      if (fpr.length != pro.length || fpr.length < 2) {
        throw new IllegalArgumentException("curve needs two or more points and equal lengths: fpr "
            + fpr.length + ", pro " + pro.length);
      }
    }

    @Override
    public double[] fpr() {
      return fpr.clone();
    }

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
     */
    public double normalizedAuc(double fprLimit) {
      if (!(fprLimit > 0 && fprLimit <= 1)) {
        throw new IllegalArgumentException("fprLimit must be in (0, 1], got " + fprLimit);
      }
      return integrate(fpr, pro, fprLimit) / fprLimit;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // AUROC
  // ---------------------------------------------------------------------------------------------

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
    return auroc(Split.of(scores, labels));
  }

  /** As {@link #auroc(double[], int[])}. */
  public static double auroc(float[] scores, int[] labels) {
    return auroc(Split.of(scores, labels));
  }

  /** As {@link #auroc(double[], int[])}, with {@code true} = anomalous. */
  public static double auroc(double[] scores, boolean[] labels) {
    return auroc(Split.of(scores, labels));
  }

  /** As {@link #auroc(double[], int[])}, with {@code true} = anomalous. */
  public static double auroc(float[] scores, boolean[] labels) {
    return auroc(Split.of(scores, labels));
  }

  /**
   * Pixel-level AUROC over all pixels of all given images pooled together. The caller chooses the
   * images (for example all test images, or only the anomalous ones).
   *
   * @param maps one anomaly map per image, any layout, as long as it matches its mask
   * @param masks one ground-truth mask per image, nonzero = anomalous pixel
   * @return the AUROC in [0, 1]
   * @throws IllegalArgumentException if the lists or a map and its mask differ in length, a score
   *     is NaN, or only one class is present among the pooled pixels
   */
  public static double pixelAuroc(List<float[]> maps, List<byte[]> masks) {
    return auroc(Split.ofPixels(maps, masks));
  }

  private static double auroc(Split s) {
    s.requireBothClasses("AUROC");
    // Twice the area in units of one positive x one negative: exact in long arithmetic.
    long twiceArea = 0;
    long prevTp = 0;
    long prevFp = 0;
    Sweep w = new Sweep(s);
    while (w.next()) {
      twiceArea += (w.fp - prevFp) * (w.tp + prevTp);
      prevTp = w.tp;
      prevFp = w.fp;
    }
    return twiceArea / (2.0 * s.pos.length * (double) s.neg.length);
  }

  // ---------------------------------------------------------------------------------------------
  // Average precision
  // ---------------------------------------------------------------------------------------------

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
    return averagePrecision(Split.of(scores, labels));
  }

  /** As {@link #averagePrecision(double[], int[])}. */
  public static double averagePrecision(float[] scores, int[] labels) {
    return averagePrecision(Split.of(scores, labels));
  }

  /** As {@link #averagePrecision(double[], int[])}, with {@code true} = anomalous. */
  public static double averagePrecision(double[] scores, boolean[] labels) {
    return averagePrecision(Split.of(scores, labels));
  }

  /** As {@link #averagePrecision(double[], int[])}, with {@code true} = anomalous. */
  public static double averagePrecision(float[] scores, boolean[] labels) {
    return averagePrecision(Split.of(scores, labels));
  }

  private static double averagePrecision(Split s) {
    s.requirePositives("average precision");
    double sum = 0;
    long prevTp = 0;
    Sweep w = new Sweep(s);
    while (w.next()) {
      if (w.tp != prevTp) {
        sum += (w.tp - prevTp) * ((double) w.tp / (w.tp + w.fp));
        prevTp = w.tp;
      }
    }
    return sum / s.pos.length;
  }

  // ---------------------------------------------------------------------------------------------
  // FPR at a TPR
  // ---------------------------------------------------------------------------------------------

  /**
   * The smallest false positive rate among the thresholds whose true positive rate is at least
   * {@code minTpr}, i.e. {@code min(fpr[tpr >= minTpr])} on scikit-learn's
   * {@code roc_curve(drop_intermediate=False)}. {@code fprAtTpr(s, y, 0.95)} is FPR@95%TPR.
   *
   * @param scores anomaly scores
   * @param labels 1 = anomalous, 0 = normal
   * @param minTpr the required true positive rate, in [0, 1]
   * @return the FPR in [0, 1]
   * @throws IllegalArgumentException if lengths differ, a score is NaN, a label is not 0/1, only
   *     one class is present, or {@code minTpr} is outside [0, 1]
   */
  public static double fprAtTpr(double[] scores, int[] labels, double minTpr) {
    return fprAtTpr(Split.of(scores, labels), minTpr);
  }

  /** As {@link #fprAtTpr(double[], int[], double)}. */
  public static double fprAtTpr(float[] scores, int[] labels, double minTpr) {
    return fprAtTpr(Split.of(scores, labels), minTpr);
  }

  /** As {@link #fprAtTpr(double[], int[], double)}, with {@code true} = anomalous. */
  public static double fprAtTpr(double[] scores, boolean[] labels, double minTpr) {
    return fprAtTpr(Split.of(scores, labels), minTpr);
  }

  /** As {@link #fprAtTpr(double[], int[], double)}, with {@code true} = anomalous. */
  public static double fprAtTpr(float[] scores, boolean[] labels, double minTpr) {
    return fprAtTpr(Split.of(scores, labels), minTpr);
  }

  private static double fprAtTpr(Split s, double minTpr) {
    if (!(minTpr >= 0 && minTpr <= 1)) {
      throw new IllegalArgumentException("minTpr must be in [0, 1], got " + minTpr);
    }
    s.requireBothClasses("FPR at TPR");
    if (minTpr <= 0) {
      return 0; // the leading (0, 0) point of the curve
    }
    // FPR is non-decreasing as the threshold falls, so the first qualifying point is the minimum.
    Sweep w = new Sweep(s);
    while (w.next()) {
      if ((double) w.tp / s.pos.length >= minTpr) {
        return (double) w.fp / s.neg.length;
      }
    }
    throw new AssertionError("TPR 1 is always reached");
  }

  // ---------------------------------------------------------------------------------------------
  // F1-optimal threshold
  // ---------------------------------------------------------------------------------------------

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
    return f1OptimalThreshold(Split.of(scores, labels));
  }

  /** As {@link #f1OptimalThreshold(double[], int[])}. */
  public static F1Threshold f1OptimalThreshold(float[] scores, int[] labels) {
    return f1OptimalThreshold(Split.of(scores, labels));
  }

  /** As {@link #f1OptimalThreshold(double[], int[])}, with {@code true} = anomalous. */
  public static F1Threshold f1OptimalThreshold(double[] scores, boolean[] labels) {
    return f1OptimalThreshold(Split.of(scores, labels));
  }

  /** As {@link #f1OptimalThreshold(double[], int[])}, with {@code true} = anomalous. */
  public static F1Threshold f1OptimalThreshold(float[] scores, boolean[] labels) {
    return f1OptimalThreshold(Split.of(scores, labels));
  }

  private static F1Threshold f1OptimalThreshold(Split s) {
    s.requirePositives("F1");
    double bestF1 = -1;
    double bestThreshold = Double.NaN;
    Sweep w = new Sweep(s);
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

  // ---------------------------------------------------------------------------------------------
  // ROC curve
  // ---------------------------------------------------------------------------------------------

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
    return rocCurve(Split.of(scores, labels));
  }

  /** As {@link #rocCurve(double[], int[])}. */
  public static RocCurve rocCurve(float[] scores, int[] labels) {
    return rocCurve(Split.of(scores, labels));
  }

  /** As {@link #rocCurve(double[], int[])}, with {@code true} = anomalous. */
  public static RocCurve rocCurve(double[] scores, boolean[] labels) {
    return rocCurve(Split.of(scores, labels));
  }

  /** As {@link #rocCurve(double[], int[])}, with {@code true} = anomalous. */
  public static RocCurve rocCurve(float[] scores, boolean[] labels) {
    return rocCurve(Split.of(scores, labels));
  }

  private static RocCurve rocCurve(Split s) {
    s.requireBothClasses("ROC curve");
    int n = s.pos.length + s.neg.length + 1;
    double[] fpr = new double[n];
    double[] tpr = new double[n];
    double[] thr = new double[n];
    thr[0] = Double.POSITIVE_INFINITY;
    int k = 1;
    Sweep w = new Sweep(s);
    while (w.next()) {
      fpr[k] = (double) w.fp / s.neg.length;
      tpr[k] = (double) w.tp / s.pos.length;
      thr[k] = w.threshold;
      k++;
    }
    return new RocCurve(Arrays.copyOf(fpr, k), Arrays.copyOf(tpr, k), Arrays.copyOf(thr, k));
  }

  // ---------------------------------------------------------------------------------------------
  // AUPRO
  // ---------------------------------------------------------------------------------------------

  /**
   * AUPRO with the defaults: integration up to FPR {@value #DEFAULT_AUPRO_LIMIT} and
   * {@value #DEFAULT_AUPRO_THRESHOLDS} thresholds. See
   * {@link #aupro(List, List, int, int, double, int)}.
   */
  public static double aupro(List<float[]> maps, List<byte[]> masks, int width, int height) {
    return aupro(maps, masks, width, height, DEFAULT_AUPRO_LIMIT, DEFAULT_AUPRO_THRESHOLDS);
  }

  /**
   * The normalised area under the per-region overlap curve up to FPR {@code integrationLimit},
   * as in the MVTec 3D-AD evaluation code: ground-truth regions are 8-connected components; the
   * thresholds are {@code numThresholds} evenly spaced positions in the sorted scores of the
   * normal pixels; the FPR of position {@code p} is {@code 1 - (p + 1) / N_ok}; PRO is the mean
   * over all regions of the fraction of region pixels with score strictly above the threshold.
   *
   * @param maps anomaly maps, row-major, {@code width * height} each
   * @param masks ground-truth masks, row-major, {@code width * height} each, nonzero = anomalous
   * @param width map width
   * @param height map height
   * @param integrationLimit the FPR limit, in (0, 1]
   * @param numThresholds number of thresholds, at least 1
   * @return the AUPRO in [0, 1]
   * @throws IllegalArgumentException on inconsistent sizes, a NaN score, or when there are no
   *     normal pixels or no anomalous regions
   */
  public static double aupro(List<float[]> maps, List<byte[]> masks, int width, int height,
      double integrationLimit, int numThresholds) {
    if (!(integrationLimit > 0 && integrationLimit <= 1)) {
      throw new IllegalArgumentException("integrationLimit must be in (0, 1], got "
          + integrationLimit);
    }
    return proCurve(maps, masks, width, height, numThresholds).normalizedAuc(integrationLimit);
  }

  /**
   * The per-region overlap curve behind {@link #aupro(List, List, int, int, double, int)}:
   * {@code numThresholds + 1} points including the final {@code (1, 1)}, by increasing FPR.
   *
   * @param maps anomaly maps, row-major, {@code width * height} each
   * @param masks ground-truth masks, row-major, {@code width * height} each, nonzero = anomalous
   * @param width map width
   * @param height map height
   * @param numThresholds number of thresholds, at least 1
   * @return the curve
   * @throws IllegalArgumentException as {@link #aupro(List, List, int, int, double, int)}
   */
  public static ProCurve proCurve(List<float[]> maps, List<byte[]> masks, int width, int height,
      int numThresholds) {
    return proCurve(maps, masks, width, height, numThresholds, true);
  }

  /** {@code eightConnected = false} exists only so that tests can show the 4-connected result. */
  static ProCurve proCurve(List<float[]> maps, List<byte[]> masks, int width, int height,
      int numThresholds, boolean eightConnected) {
    checkPairs(maps, masks);
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("width and height must be positive, got " + width + "x"
          + height);
    }
    if (numThresholds < 1) {
      throw new IllegalArgumentException("numThresholds must be at least 1, got " + numThresholds);
    }
    long pixelsL = (long) width * height;
    if (pixelsL > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("map too large: " + width + "x" + height);
    }
    int pixels = (int) pixelsL;
    long okCount = 0;
    long defectCount = 0;
    for (int i = 0; i < maps.size(); i++) {
      float[] m = maps.get(i);
      byte[] g = masks.get(i);
      if (m.length != pixels || g.length != pixels) {
        throw new IllegalArgumentException("maps[" + i + "] has " + m.length + " and masks[" + i
            + "] has " + g.length + " pixels; expected " + width + "x" + height + " = " + pixels);
      }
      for (int p = 0; p < pixels; p++) {
        if (Float.isNaN(m[p])) {
          throw new IllegalArgumentException("maps[" + i + "][" + p + "] is NaN");
        }
        if (g[p] != 0) {
          defectCount++;
        } else {
          okCount++;
        }
      }
    }
    if (okCount == 0 || defectCount == 0) {
      throw new IllegalArgumentException("AUPRO needs normal and anomalous pixels; got " + okCount
          + " normal and " + defectCount + " anomalous");
    }
    if (okCount > Integer.MAX_VALUE - 8 || defectCount > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("too many pixels: " + (okCount + defectCount));
    }

    // Normal pixels pooled; anomalous pixels grouped by component (component c occupies
    // compScores[compStart[c] .. compStart[c + 1])).
    float[] ok = new float[(int) okCount];
    float[] compScores = new float[(int) defectCount];
    int[] compStart = new int[16];
    int numComps = 0;
    int okN = 0;
    int defectN = 0;
    int[] queue = new int[pixels];
    boolean[] seen = new boolean[pixels];
    for (int i = 0; i < maps.size(); i++) {
      float[] m = maps.get(i);
      byte[] g = masks.get(i);
      Arrays.fill(seen, false);
      for (int p = 0; p < pixels; p++) {
        if (g[p] == 0) {
          ok[okN++] = m[p] + 0.0f; // + 0 turns -0 into +0
        } else if (!seen[p]) {
          if (numComps + 1 >= compStart.length) {
            compStart = Arrays.copyOf(compStart, compStart.length * 2);
          }
          compStart[numComps] = defectN;
          int size = floodFill(g, width, height, p, eightConnected, seen, queue);
          for (int q = 0; q < size; q++) {
            compScores[defectN++] = m[queue[q]] + 0.0f;
          }
          Arrays.sort(compScores, compStart[numComps], defectN);
          numComps++;
        }
      }
    }
    compStart[numComps] = defectN;
    Arrays.sort(ok);

    double[] fpr = new double[numThresholds + 1];
    double[] pro = new double[numThresholds + 1];
    // Positions floor(linspace(0, N_ok - 1, numThresholds)), computed as numpy does.
    double step = numThresholds > 1 ? (double) (okN - 1) / (numThresholds - 1) : 0;
    for (int k = 0; k < numThresholds; k++) {
      int pos = k == numThresholds - 1 && numThresholds > 1 ? okN - 1 : (int) Math.floor(k * step);
      float t = ok[pos];
      double sum = 0;
      for (int c = 0; c < numComps; c++) {
        int from = compStart[c];
        int len = compStart[c + 1] - from;
        int notAbove = upperBound(compScores, from, from + len, t) - from;
        sum += 1.0 - (double) notAbove / len;
      }
      // Stored reversed: the highest threshold (lowest FPR) comes first.
      int j = numThresholds - 1 - k;
      fpr[j] = 1.0 - (double) (pos + 1) / okN;
      pro[j] = sum / numComps;
    }
    fpr[numThresholds] = 1.0;
    pro[numThresholds] = 1.0;
    return new ProCurve(fpr, pro);
  }

  /** Component count of one mask; package-private for tests. */
  static int countComponents(byte[] mask, int width, int height, boolean eightConnected) {
    if (mask.length != width * height) {
      throw new IllegalArgumentException("mask has " + mask.length + " pixels; expected " + width
          + "x" + height);
    }
    boolean[] seen = new boolean[mask.length];
    int[] queue = new int[mask.length];
    int n = 0;
    for (int p = 0; p < mask.length; p++) {
      if (mask[p] != 0 && !seen[p]) {
        floodFill(mask, width, height, p, eightConnected, seen, queue);
        n++;
      }
    }
    return n;
  }

  /**
   * Marks the component of {@code start} in {@code seen} and leaves its pixel indices in
   * {@code queue[0 .. size)}.
   *
   * @return the component size
   */
  private static int floodFill(byte[] mask, int width, int height, int start,
      boolean eightConnected, boolean[] seen, int[] queue) {
    int head = 0;
    int tail = 0;
    queue[tail++] = start;
    seen[start] = true;
    while (head < tail) {
      int p = queue[head++];
      int y = p / width;
      int x = p - y * width;
      for (int dy = -1; dy <= 1; dy++) {
        int ny = y + dy;
        if (ny < 0 || ny >= height) {
          continue;
        }
        for (int dx = -1; dx <= 1; dx++) {
          int nx = x + dx;
          if (nx < 0 || nx >= width || (dx == 0 && dy == 0)
              || (!eightConnected && dx != 0 && dy != 0)) {
            continue;
          }
          int q = ny * width + nx;
          if (mask[q] != 0 && !seen[q]) {
            seen[q] = true;
            queue[tail++] = q;
          }
        }
      }
    }
    return tail;
  }

  /** First index in sorted {@code a[from, to)} whose value is greater than {@code t}. */
  private static int upperBound(float[] a, int from, int to, float t) {
    int lo = from;
    int hi = to;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] <= t) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
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
    boolean sampled = false;
    for (double v : x) {
      if (v == limit) {
        sampled = true;
        break;
      }
    }
    if (!sampled && i < x.length) {
      // x[i - 1] < limit < x[i]
      double yi = y[i - 1] + (y[i] - y[i - 1]) * (limit - x[i - 1]) / (x[i] - x[i - 1]);
      area += 0.5 * (yi + y[i - 1]) * (limit - x[i - 1]);
    }
    return area;
  }

  // ---------------------------------------------------------------------------------------------
  // Input handling
  // ---------------------------------------------------------------------------------------------

  private static void checkPairs(List<float[]> maps, List<byte[]> masks) {
    Objects.requireNonNull(maps, "maps");
    Objects.requireNonNull(masks, "masks");
    if (maps.size() != masks.size()) {
      throw new IllegalArgumentException("got " + maps.size() + " maps but " + masks.size()
          + " masks");
    }
    for (int i = 0; i < maps.size(); i++) {
      Objects.requireNonNull(maps.get(i), "maps[" + i + "]");
      Objects.requireNonNull(masks.get(i), "masks[" + i + "]");
    }
  }

  private static void checkLengths(int scores, int labels) {
    if (scores != labels) {
      throw new IllegalArgumentException("scores has length " + scores + " but labels has length "
          + labels);
    }
  }

  private static void checkScore(double v, int i) {
    if (Double.isNaN(v)) {
      throw new IllegalArgumentException("scores[" + i + "] is NaN");
    }
  }

  private static boolean checkLabel(int label, int i) {
    if (label != 0 && label != 1) {
      throw new IllegalArgumentException("labels[" + i + "] is " + label + "; expected 0 or 1");
    }
    return label == 1;
  }

  /** Scores split by class, each sorted ascending, with -0.0 normalised to +0.0. */
  private static final class Split {
    final double[] pos;
    final double[] neg;

    private Split(double[] pos, double[] neg) {
      Arrays.sort(pos);
      Arrays.sort(neg);
      this.pos = pos;
      this.neg = neg;
    }

    static Split of(double[] scores, int[] labels) {
      Objects.requireNonNull(scores, "scores");
      Objects.requireNonNull(labels, "labels");
      checkLengths(scores.length, labels.length);
      int p = 0;
      for (int i = 0; i < labels.length; i++) {
        checkScore(scores[i], i);
        p += checkLabel(labels[i], i) ? 1 : 0;
      }
      double[] pos = new double[p];
      double[] neg = new double[labels.length - p];
      int a = 0;
      int b = 0;
      for (int i = 0; i < labels.length; i++) {
        if (labels[i] == 1) {
          pos[a++] = scores[i] + 0.0;
        } else {
          neg[b++] = scores[i] + 0.0;
        }
      }
      return new Split(pos, neg);
    }

    static Split of(float[] scores, int[] labels) {
      Objects.requireNonNull(scores, "scores");
      return of(toDouble(scores), labels);
    }

    static Split of(double[] scores, boolean[] labels) {
      Objects.requireNonNull(labels, "labels");
      int[] y = new int[labels.length];
      for (int i = 0; i < y.length; i++) {
        y[i] = labels[i] ? 1 : 0;
      }
      return of(scores, y);
    }

    static Split of(float[] scores, boolean[] labels) {
      Objects.requireNonNull(scores, "scores");
      return of(toDouble(scores), labels);
    }

    static Split ofPixels(List<float[]> maps, List<byte[]> masks) {
      checkPairs(maps, masks);
      long p = 0;
      long n = 0;
      for (int i = 0; i < maps.size(); i++) {
        float[] m = maps.get(i);
        byte[] g = masks.get(i);
        if (m.length != g.length) {
          throw new IllegalArgumentException("maps[" + i + "] has " + m.length + " pixels but masks["
              + i + "] has " + g.length);
        }
        for (int j = 0; j < m.length; j++) {
          if (Float.isNaN(m[j])) {
            throw new IllegalArgumentException("maps[" + i + "][" + j + "] is NaN");
          }
          if (g[j] != 0) {
            p++;
          } else {
            n++;
          }
        }
      }
      if (p > Integer.MAX_VALUE - 8 || n > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("too many pixels: " + (p + n));
      }
      double[] pos = new double[(int) p];
      double[] neg = new double[(int) n];
      int a = 0;
      int b = 0;
      for (int i = 0; i < maps.size(); i++) {
        float[] m = maps.get(i);
        byte[] g = masks.get(i);
        for (int j = 0; j < m.length; j++) {
          if (g[j] != 0) {
            pos[a++] = m[j] + 0.0;
          } else {
            neg[b++] = m[j] + 0.0;
          }
        }
      }
      return new Split(pos, neg);
    }

    private static double[] toDouble(float[] v) {
      double[] d = new double[v.length];
      for (int i = 0; i < v.length; i++) {
        d[i] = v[i];
      }
      return d;
    }

    void requireBothClasses(String what) {
      if (pos.length == 0 || neg.length == 0) {
        throw new IllegalArgumentException(what + " needs both classes; got " + pos.length
            + " positive (anomalous) and " + neg.length + " negative (normal) samples");
      }
    }

    void requirePositives(String what) {
      if (pos.length == 0) {
        throw new IllegalArgumentException(what + " needs a positive (anomalous) sample; got 0 "
            + "positive and " + neg.length + " negative samples");
      }
    }
  }

  /**
   * Walks the distinct scores from high to low; after each {@link #next()}, {@code tp} and
   * {@code fp} count the samples with score {@code >= threshold}.
   */
  private static final class Sweep {
    private final double[] pos;
    private final double[] neg;
    private int i;
    private int j;
    long tp;
    long fp;
    double threshold;

    Sweep(Split s) {
      this.pos = s.pos;
      this.neg = s.neg;
      this.i = pos.length - 1;
      this.j = neg.length - 1;
    }

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
}
