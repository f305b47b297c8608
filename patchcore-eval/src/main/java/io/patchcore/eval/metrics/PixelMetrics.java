package io.patchcore.eval.metrics;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;
import java.util.List;

/**
 * Pixel- and region-level metrics of anomaly maps against ground-truth masks, computed in double
 * precision: the pixel AUROC and the MVTec-style per-region overlap (PRO) curve and its
 * normalised area, AUPRO, as computed by the MVTec 3D-AD evaluation code.
 *
 * <p>Every method takes {@code (List<float[]> maps, List<byte[]> masks)} first: one anomaly map
 * and one mask per image, where a nonzero mask byte marks an anomalous pixel and a higher map value
 * means more anomalous. Map values must not be NaN. Pixels are sorted as primitive arrays (no
 * boxing), so the metrics scale to millions of pixels.
 */
public final class PixelMetrics {

  /** Default upper FPR limit of the AUPRO integration. */
  public static final double DEFAULT_AUPRO_LIMIT = 0.3;

  /** Default number of thresholds of the AUPRO curve. */
  public static final int DEFAULT_AUPRO_THRESHOLDS = 100;

  private PixelMetrics() {}

  /**
   * Pixel-level AUROC over all pixels of all given images pooled together, as {@link
   * RankingMetrics#auroc} of the pooled pixels. The caller chooses the images (for example all
   * test images, or only the anomalous ones).
   *
   * @param maps one anomaly map per image, any layout, as long as it matches its mask
   * @param masks one ground-truth mask per image, nonzero = anomalous pixel
   * @return the AUROC in [0, 1]
   * @throws IllegalArgumentException if the lists or a map and its mask differ in length, a score
   *     is NaN, or only one class is present among the pooled pixels
   */
  public static double pixelAuroc(List<float[]> maps, List<byte[]> masks) {
    return RankingMetrics.auroc(ClassSplit.ofPixels(maps, masks));
  }

  /**
   * AUPRO with the defaults: integration up to FPR {@value #DEFAULT_AUPRO_LIMIT} and {@value
   * #DEFAULT_AUPRO_THRESHOLDS} thresholds. See {@link #aupro(List, List, int, int, double, int)}.
   *
   * @param maps anomaly maps, row-major, {@code width * height} each
   * @param masks ground-truth masks, row-major, {@code width * height} each, nonzero = anomalous
   * @param width map width
   * @param height map height
   * @return the AUPRO in [0, 1]
   * @throws IllegalArgumentException as {@link #aupro(List, List, int, int, double, int)}
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
    checkArgument(integrationLimit > 0 && integrationLimit <= 1,
        "integrationLimit must be in (0, 1], got %s", integrationLimit);
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
    ClassSplit.checkPairs(maps, masks);
    checkArgument(width > 0 && height > 0, "width and height must be positive, got %sx%s", width,
        height);
    checkArgument(numThresholds >= 1, "numThresholds must be at least 1, got %s", numThresholds);
    long pixelsL = (long) width * height;
    checkArgument(pixelsL <= Integer.MAX_VALUE, "map too large: %sx%s", width, height);
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
        checkArgument(!Float.isNaN(m[p]), "maps[%s][%s] is NaN", i, p);
        if (g[p] != 0) {
          defectCount++;
        } else {
          okCount++;
        }
      }
    }
    checkArgument(okCount > 0 && defectCount > 0,
        "AUPRO needs normal and anomalous pixels; got %s normal and %s anomalous", okCount,
        defectCount);
    checkArgument(okCount <= Integer.MAX_VALUE - 8 && defectCount <= Integer.MAX_VALUE - 8,
        "too many pixels: %s", okCount + defectCount);

    // Normal pixels pooled; anomalous pixels grouped by component (component c occupies
    // compScores[compStart[c] .. compStart[c + 1])).
    float[] ok = new float[(int) okCount];
    float[] compScores = new float[(int) defectCount];
    int[] compStart = new int[16];
    int numComps = 0;
    int okN = 0;
    int defectN = 0;
    Regions regions = new Regions(width, height, eightConnected);
    for (int i = 0; i < maps.size(); i++) {
      float[] m = maps.get(i);
      byte[] g = masks.get(i);
      regions.reset();
      for (int p = 0; p < pixels; p++) {
        if (g[p] == 0) {
          ok[okN++] = m[p] + 0.0f; // + 0 turns -0 into +0
        } else if (!regions.seen(p)) {
          if (numComps + 1 >= compStart.length) {
            compStart = Arrays.copyOf(compStart, compStart.length * 2);
          }
          compStart[numComps] = defectN;
          int size = regions.fill(g, p);
          for (int q = 0; q < size; q++) {
            compScores[defectN++] = m[regions.pixel(q)] + 0.0f;
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
}
