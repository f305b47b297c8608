package io.patchcore;

import io.patchcore.PatchCoreEnsemble.Calibration;
import io.patchcore.internal.Draws;
import io.patchcore.internal.knn.SearchSteps;
import io.patchcore.sampling.FeatureRows;
import java.util.concurrent.Executor;

/**
 * Calibrates {@link ImageScoring#COMBINED} at fit time by scoring held-out training images: up to
 * {@link CombinedScoring#MAX_CALIBRATION_IMAGES} training images drawn with the seed, each scored
 * leaving itself out. Its patches are searched in the memory bank skipping the rows taken from the
 * image itself, and its global distance skips its own descriptor; the bank and everything else
 * stay as fitted.
 */
final class Calibrator {
  /** Neighbours fetched per patch on the first try; rows of the image itself are then dropped. */
  private static final int FIRST_TRY = 64;
  /** Patches searched in one call. */
  private static final int QUERY_BLOCK = 4096;

  private final PatchCoreModel model;
  private final FeatureRows candidates;
  private final int[] imageStarts;
  private final int[] extra;

  /**
   * @param model the fitted model with its provenance
   * @param candidates the candidate patch rows of every training image, in training order
   * @param imageStarts the first candidate row of each training image, plus the total at the end
   */
  Calibrator(PatchCoreModel model, FeatureRows candidates, int[] imageStarts) {
    this(model, candidates, imageStarts, new int[] {FIRST_TRY / 4, 4 * FIRST_TRY});
  }

  /** As above, fetching {@code k + extra[i]} neighbours on try i (tests force the fallback). */
  Calibrator(PatchCoreModel model, FeatureRows candidates, int[] imageStarts, int[] extra) {
    this.model = model;
    this.candidates = candidates;
    this.imageStarts = imageStarts;
    this.extra = extra.clone();
  }

  CombinedScoring calibrate(long seed, CombinedScoring.Weights weights, Executor executor,
      ProgressListener progress) {
    Provenance p = model.provenance();
    int n = p.images();
    int count = Math.min(n, CombinedScoring.MAX_CALIBRATION_IMAGES);
    int[] chosen = count == n ? java.util.stream.IntStream.range(0, n).toArray()
        : Draws.randomIndices(n, count, seed ^ 0x5EEDCA1BL);
    double[] max = new double[count];
    double[] top = new double[count];
    double[] global = new double[count];
    int neighbours = Math.min(CombinedScoring.GLOBAL_NEIGHBOURS, n - 1);
    for (int c = 0; c < count; c++) {
      int image = chosen[c];
      float[] patch = leaveOneOutPatchScores(image, executor);
      float worst = Float.NEGATIVE_INFINITY;
      for (float v : patch) {
        worst = Math.max(worst, v);
      }
      max[c] = worst;
      top[c] = CombinedScoring.topMean(patch, CombinedScoring.TOP_FRACTION);
      float[] own = new float[p.globalDimension];
      System.arraycopy(p.globals, image * p.globalDimension, own, 0, p.globalDimension);
      global[c] = Provenance.meanOfNearest(p.globalDistances(own, image), neighbours);
      progress.onProgress("calibrate", c + 1, count);
    }
    return new CombinedScoring(CombinedScoring.TOP_FRACTION, neighbours, count,
        Calibration.of(max), Calibration.of(top), Calibration.of(global), weights);
  }

  /** The patch scores of training image {@code image} against the bank without its own rows. */
  float[] leaveOneOutPatchScores(int image, Executor executor) {
    Provenance p = model.provenance();
    int dim = model.dimension();
    int k = model.configuration().neighbours;
    int bankRows = model.bankSize();
    int first = imageStarts[image];
    int rows = imageStarts[image + 1] - first;
    int own = 0;
    for (int r = 0; r < bankRows; r++) {
      if (p.imageOf(r) == image) {
        own++;
      }
    }
    if (bankRows - own < k) {
      throw new IllegalArgumentException("training image " + image + " holds " + own + " of the " + bankRows
          + " memory-bank rows, leaving fewer than k=" + k + " to calibrate COMBINED scoring; use more images");
    }
    float[] scores = new float[rows];
    int[] pending = new int[rows];
    for (int q = 0; q < rows; q++) {
      pending[q] = q;
    }
    int left = rows;
    // a few neighbours first; the patches whose neighbours were all the image's own rows try many
    // more; what is left is searched exhaustively
    for (int e : extra) {
      if (left == 0) {
        break;
      }
      left = searchSkippingOwnRows(image, first, pending, left, Math.min(bankRows, k + e), k, scores, executor);
    }
    float[] query = new float[dim];
    for (int i = 0; i < left; i++) {
      candidates.read(first + pending[i], 1, query, 0);
      scores[pending[i]] = exhaustive(query, 0, image, k);
    }
    return scores;
  }

  /**
   * Searches the {@code left} patches listed in {@code pending} with {@code fetch} neighbours each
   * and scores those that found k rows of other images; returns how many are left, listed first in
   * {@code pending}.
   */
  private int searchSkippingOwnRows(int image, int first, int[] pending, int left, int fetch, int k, float[] scores,
      Executor executor) {
    Provenance p = model.provenance();
    int dim = model.dimension();
    int block = Math.min(left, QUERY_BLOCK);
    float[] queries = new float[block * dim];
    float[] dist = new float[block * fetch];
    int[] idx = new int[block * fetch];
    int stillLeft = 0;
    for (int b = 0; b < left; b += QUERY_BLOCK) {
      int m = Math.min(QUERY_BLOCK, left - b);
      for (int q = 0; q < m; q++) {
        candidates.read(first + pending[b + q], 1, queries, q * dim);
      }
      model.index().search(queries, m, fetch, dist, idx, executor);
      for (int q = 0; q < m; q++) {
        double s = 0;
        int used = 0;
        for (int j = 0; j < fetch && used < k; j++) {
          if (p.imageOf(idx[q * fetch + j]) != image) {
            s += dist[q * fetch + j];
            used++;
          }
        }
        if (used == k) {
          scores[pending[b + q]] = (float) (s / k);
        } else {
          pending[stillLeft++] = pending[b + q];
        }
      }
    }
    return stillLeft;
  }

  /** The mean squared distance to the k nearest bank rows not from {@code image}, by brute force. */
  private float exhaustive(float[] queries, int offset, int image, int k) {
    Provenance p = model.provenance();
    float[] bank = model.bank();
    int dim = model.dimension();
    double[] best = new double[k];
    java.util.Arrays.fill(best, Double.POSITIVE_INFINITY);
    for (int r = 0; r < model.bankSize(); r++) {
      if (p.imageOf(r) == image) {
        continue;
      }
      double d = SearchSteps.exactSquared(queries, offset, bank, r * dim, dim);
      if (d < best[k - 1]) {
        int j = k - 1;
        while (j > 0 && best[j - 1] > d) {
          best[j] = best[j - 1];
          j--;
        }
        best[j] = d;
      }
    }
    double s = 0;
    for (double v : best) {
      s += (float) v;
    }
    return (float) (s / k);
  }
}
