package io.patchcore;

import static org.assertj.core.api.Assertions.assertThat;

import io.patchcore.feature.FeatureMap;
import io.patchcore.feature.FeatureMaps;
import io.patchcore.knn.Compute;
import io.patchcore.sampling.Samplers;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Cases for {@link PatchCoreModel#imageScoreFeatures}, shared by the back ends' tests: on every
 * case the pruned image score equals {@code scoreFeatures(maps).score()} bit for bit, under MAX,
 * REWEIGHTED and COMBINED scoring, for k = 1, 3 and 16. The banks are large enough (16 training
 * images of 32 x 32 patches, identity sampler) for the probe to be used, and the cases check that
 * it pruned where it can (a normal image's largest patch score is in the tail of its patches' scores,
 * so there the probe's bounds, about twice the scores in these 6 dimensions, prune few patches).
 *
 * <p>Patches are the map's channels at each position (patch size 1, no pooling), in C = 6
 * dimensions on an integer lattice, so that exact ties between patch scores can be built.
 */
public final class ImageScoreCases {
  static final int C = 6;
  static final int H = 32;
  static final int W = 32;

  private ImageScoreCases() {}

  /** A normal patch: one of a few lattice points with small noise (many near-duplicates in the bank). */
  static void normal(SplittableRandom r, float[] chw, int p) {
    int centre = r.nextInt(8);
    for (int c = 0; c < C; c++) {
      chw[c * H * W + p] = (float) (((centre >> (c % 3)) & 1) * 4 + 0.05 * r.nextGaussian());
    }
  }

  static void set(float[] chw, int p, float... v) {
    for (int c = 0; c < C; c++) {
      chw[c * H * W + p] = v[c];
    }
  }

  static FeatureMaps maps(float[] chw) {
    return new FeatureMaps(H, W, List.of(new FeatureMap("f", C, H, W, chw)));
  }

  static float[] normalImage(SplittableRandom r) {
    float[] chw = new float[C * H * W];
    for (int p = 0; p < H * W; p++) {
      normal(r, chw, p);
    }
    return chw;
  }

  /**
   * The training images: 16 normal ones, the first two of which hold exact lattice rows at
   * (20, 0, 0, 0, 0, 0) and (0, 0, 0, 0, 0, 20) (far from everything else, with different
   * neighbourhoods) for the tie cases.
   */
  static List<FeatureMaps> training(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<FeatureMaps> out = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      float[] chw = normalImage(r);
      if (i == 0) {
        set(chw, 5, 20, 0, 0, 0, 0, 0);
        set(chw, 6, 21, 0, 0, 0, 0, 0);
      }
      if (i == 1) {
        set(chw, 9, 0, 0, 0, 0, 0, 20);
        set(chw, 10, 0, 0, 0, 0, 0, 22);
        set(chw, 11, 0, 0, 0, 0, 1, 20);
      }
      out.add(maps(chw));
    }
    return out;
  }

  /** The test images, each with a name. */
  static List<Object[]> tests(long seed) {
    return tests(seed, 6);
  }

  /** The test images, with {@code variants} images whose patches are all anomalous. */
  static List<Object[]> tests(long seed, int variants) {
    SplittableRandom r = new SplittableRandom(seed);
    List<Object[]> out = new ArrayList<>();
    out.add(new Object[] {"normal", normalImage(r)});
    float[] one = normalImage(r);
    set(one, 300, 9, 9, 9, 9, 9, 9);
    out.add(new Object[] {"one outlier", one});
    float[] scattered = normalImage(r);
    for (int p = 0; p < H * W; p += 37) {
      set(scattered, p, (float) (p % 7), 2, 3, (float) (p % 5), 1, 6);
    }
    out.add(new Object[] {"scattered outliers", scattered});
    // equal nearest distances at patches 700 and 100: (20,0,0,0,3,4) is 5 from row (20,0,...),
    // (0,0,0,5,0,20) is 5 from (0,...,0,20): 25 exactly; their neighbourhoods differ (REWEIGHTED)
    float[] tie = normalImage(r);
    set(tie, 700, 20, 0, 0, 0, 3, 4);
    set(tie, 100, 0, 0, 0, 5, 0, 20);
    out.add(new Object[] {"tied maxima", tie});
    float[] same = new float[C * H * W];
    for (int p = 0; p < H * W; p++) {
      set(same, p, 7, 7, 7, 7, 7, 7);
    }
    out.add(new Object[] {"every patch the same", same});
    for (int v = 0; v < variants; v++) { // many similar scores: the order of loose bounds misleads
      float[] far = new float[C * H * W];
      for (int i = 0; i < far.length; i++) {
        far[i] = (float) (100 + 10 * r.nextGaussian());
      }
      out.add(new Object[] {"every patch anomalous " + v, far});
    }
    float[] bankPatches = training(seed).get(3).layer("f").toArray();
    out.add(new Object[] {"a training image (all distances 0)", bankPatches});
    return out;
  }

  static PatchCore.Builder config(Compute compute, ImageScoring scoring, int k) {
    PatchCore.Builder b = PatchCore.builder().patchSize(1).pretrainDimension(C).targetDimension(C)
        .anomalyMapSigma(0).sampler(Samplers.identity()).neighbours(k).imageScoring(scoring).threads(2)
        .compute(compute);
    return scoring == ImageScoring.REWEIGHTED ? b.reweightingNeighbours(5) : b;
  }

  /**
   * Asserts every case on {@code compute}: the image score equals the full score bit for bit, and
   * the probe pruned the normal patches of the images with far outliers.
   *
   * @param compute the back end to test
   */
  public static void assertAll(Compute compute) {
    assertAll(compute, true);
  }

  /**
   * Asserts every case on {@code compute}: the image score equals the full score bit for bit, and
   * if {@code pruning}, the probe pruned the normal patches of the images with far outliers.
   *
   * @param compute the back end to test
   * @param pruning whether to check that patches were pruned
   */
  public static void assertAll(Compute compute, boolean pruning) {
    assertAll(compute, pruning, 6, 1, 3, 16);
  }

  /**
   * As {@link #assertAll(Compute, boolean)} with {@code variants} images whose patches are all
   * anomalous (many similar scores; 6 by default) and the given k (1, 3 and 16 by default).
   *
   * @param compute the back end to test
   * @param pruning whether to check that patches were pruned
   * @param variants the number of all-anomalous images
   * @param ks the numbers of neighbours to test
   */
  public static void assertAll(Compute compute, boolean pruning, int variants, int... ks) {
    List<FeatureMaps> train = training(11);
    List<Object[]> tests = tests(12, variants);
    for (ImageScoring scoring : List.of(ImageScoring.MAX, ImageScoring.REWEIGHTED)) {
      for (int k : ks) {
        try (PatchCoreModel m = config(compute, scoring, k).build().fitFeatures(train)) {
          assertThat(m.bankSize()).isGreaterThanOrEqualTo(MaxPatchSearch.MIN_BANK_ROWS);
          for (Object[] t : tests) {
            long searched = MaxPatchSearch.SEARCHED.get();
            long patches = MaxPatchSearch.PATCHES.get();
            assertSame(m, (float[]) t[1], t[0] + ", " + scoring + ", k=" + k + ", " + compute.name());
            // an image with outliers far from the bank: the normal patches' bounds fall below them
            if (pruning && (t[0].equals("one outlier") || t[0].equals("tied maxima"))) {
              assertThat(MaxPatchSearch.SEARCHED.get() - searched).as("patches searched in full: %s", t[0])
                  .isLessThan((MaxPatchSearch.PATCHES.get() - patches) / 4);
            }
          }
        }
      }
    }
    // COMBINED needs every patch: the same number through the full search
    try (PatchCoreModel m = config(compute, ImageScoring.COMBINED, 1).build().fitFeatures(train)) {
      for (Object[] t : tests) {
        assertSame(m, (float[]) t[1], t[0] + ", COMBINED, " + compute.name());
      }
    }
  }

  /**
   * A bank below {@link MaxPatchSearch#MIN_BANK_ROWS} is searched in full and agrees too.
   *
   * @param compute the back end to test
   */
  public static void assertSmallBank(Compute compute) {
    try (PatchCoreModel m = config(compute, ImageScoring.REWEIGHTED, 3).build().fitFeatures(training(11).subList(0, 4))) {
      assertThat(m.bankSize()).isLessThan(MaxPatchSearch.MIN_BANK_ROWS);
      for (Object[] t : tests(13)) {
        long searched = MaxPatchSearch.SEARCHED.get();
        assertSame(m, (float[]) t[1], t[0] + ", small bank");
        assertThat(MaxPatchSearch.SEARCHED.get() - searched).isZero();
      }
    }
  }

  /**
   * {@code compute} with valid but loose and scrambled upper bounds: the exact mean times a factor
   * in [1, 4) that varies from query to query (a hash of the query and its bound), so that the order of the bounds says little about
   * the order of the scores and the first block often misses the largest patch.
   *
   * @param compute the back end to wrap
   * @return the wrapped back end
   */
  public static Compute looseBounds(Compute compute) {
    return new Compute() {
      @Override
      public String name() {
        return compute.name() + " with loose bounds";
      }

      @Override
      public NeighbourIndex neighbourIndex(float[] bank, int rows, int dim) {
        NeighbourIndex in = compute.neighbourIndex(bank, rows, dim);
        return new NeighbourIndex() {
          @Override
          public int rows() {
            return in.rows();
          }

          @Override
          public int dimension() {
            return in.dimension();
          }

          @Override
          public void search(float[] queries, int count, int k, float[] distances, int[] indices,
              java.util.concurrent.Executor executor) {
            in.search(queries, count, k, distances, indices, executor);
          }

          @Override
          public void upperBounds(float[] queries, int count, int k, float[] bounds,
              java.util.concurrent.Executor executor) {
            in.upperBounds(queries, count, k, bounds, executor);
            for (int q = 0; q < count; q++) {
              long h = (Float.floatToIntBits(bounds[q]) + 31L * q) * 0x9E3779B97F4A7C15L;
              float f = 1 + 3 * (float) ((h >>> 40) / (double) (1L << 24));
              bounds[q] = Math.nextUp(bounds[q] * f);
            }
          }

          @Override
          public void close() {
            in.close();
          }
        };
      }

      @Override
      public CoresetKernel coresetKernel(float[] points, int rows, int dim) {
        return compute.coresetKernel(points, rows, dim);
      }
    };
  }

  /**
   * The probe index is built on the first image score only, and closing the model closes it (its
   * native memory with it); a closed model refuses image scores.
   *
   * @param compute the back end to test
   */
  public static void assertProbeLifecycle(Compute compute) {
    PatchCoreModel m = config(compute, ImageScoring.MAX, 1).build().fitFeatures(training(11));
    FeatureMaps maps = maps((float[]) tests(12, 0).get(1)[1]); // one outlier
    assertThat(m.maxSearch().probeOpen()).as("before the first image score").isFalse();
    m.scoreFeatures(maps);
    assertThat(m.maxSearch().probeOpen()).as("after a full score").isFalse();
    double s = m.imageScoreFeatures(maps);
    assertThat(m.maxSearch().probeOpen()).as("after an image score").isTrue();
    assertThat(m.imageScoreFeatures(maps)).isEqualTo(s);
    m.close();
    assertThat(m.maxSearch().probeOpen()).as("after close").isFalse();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> m.imageScoreFeatures(maps))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  static void assertSame(PatchCoreModel m, float[] chw, String what) {
    FeatureMaps maps = maps(chw);
    double full = m.scoreFeatures(maps).score();
    double fast = m.imageScoreFeatures(maps);
    assertThat(Double.doubleToLongBits(fast)).as("%s: imageScore %s, score %s", what, fast, full)
        .isEqualTo(Double.doubleToLongBits(full));
  }
}
