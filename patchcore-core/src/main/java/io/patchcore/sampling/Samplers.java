package io.patchcore.sampling;

import io.patchcore.ProgressListener;
import io.patchcore.internal.Draws;
import io.patchcore.internal.knn.Blas;
import io.patchcore.knn.Compute;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.Executor;

/**
 * The memory-bank samplers (patchcore-core/ALGORITHM.md, section 2). Fractions are in (0, 1]; a sampler keeps
 * {@code floor(N * fraction)} of N rows.
 */
public final class Samplers {
  /** Projection dimension of the approximate greedy coreset. */
  public static final int DEFAULT_PROJECTION = 128;
  /** Number of random starting points of the greedy coresets. */
  public static final int DEFAULT_STARTS = 10;

  private Samplers() {}

  /**
   * Keeps every row.
   *
   * @return the identity sampler, which selects rows {@code 0 .. N-1} in order
   */
  public static Sampler identity() {
    return Identity.INSTANCE;
  }

  /**
   * A uniformly random subset (without replacement) of {@code floor(N * fraction)} rows.
   *
   * @param fraction the fraction of rows kept, in (0, 1]
   * @return the random sampler
   * @throws IllegalArgumentException if {@code fraction} is out of range (the message gives it)
   */
  public static Sampler random(double fraction) {
    return new RandomSubset(checkFraction(fraction));
  }

  /**
   * The approximate greedy coreset (the reference's default): distances measured after a seeded
   * random projection to 128 dimensions, 10 random starting points.
   *
   * @param fraction the fraction of rows kept, in (0, 1]
   * @return the approximate greedy sampler
   * @throws IllegalArgumentException if {@code fraction} is out of range (the message gives it)
   */
  public static Sampler approximateGreedy(double fraction) {
    return approximateGreedy(fraction, DEFAULT_PROJECTION, DEFAULT_STARTS);
  }

  /**
   * The approximate greedy coreset with its projection dimension and number of starts. When the
   * projection dimension is not below the feature dimension, distances are measured unprojected.
   *
   * @param fraction the fraction of rows kept, in (0, 1]
   * @param projection the dimension distances are measured in, at least 1
   * @param starts the number of random starting points, at least 1
   * @return the approximate greedy sampler
   * @throws IllegalArgumentException if a value is out of range (the message gives it)
   */
  public static Sampler approximateGreedy(double fraction, int projection, int starts) {
    if (projection < 1) {
      throw new IllegalArgumentException("projection dimension must be >= 1, got " + projection);
    }
    if (starts < 1) {
      throw new IllegalArgumentException("number of starting points must be >= 1, got " + starts);
    }
    return new Greedy(checkFraction(fraction), projection, starts);
  }

  /**
   * The exact greedy coreset: the same loop with distances in the full feature dimension, in its
   * incremental O(N) memory form (never an N x N matrix). Uses 10 random starting points.
   *
   * @param fraction the fraction of rows kept, in (0, 1]
   * @return the exact greedy sampler
   * @throws IllegalArgumentException if {@code fraction} is out of range (the message gives it)
   */
  public static Sampler greedy(double fraction) {
    return greedy(fraction, DEFAULT_STARTS);
  }

  /**
   * The exact greedy coreset with its number of starts.
   *
   * @param fraction the fraction of rows kept, in (0, 1]
   * @param starts the number of random starting points, at least 1
   * @return the exact greedy sampler
   * @throws IllegalArgumentException if a value is out of range (the message gives it)
   */
  public static Sampler greedy(double fraction, int starts) {
    if (starts < 1) {
      throw new IllegalArgumentException("number of starting points must be >= 1, got " + starts);
    }
    return new Greedy(checkFraction(fraction), 0, starts);
  }

  static double checkFraction(double fraction) {
    if (!(fraction > 0.0 && fraction <= 1.0)) {
      throw new IllegalArgumentException("coreset fraction must be in (0, 1], got " + fraction);
    }
    return fraction;
  }

  static int sizeOf(int rows, double fraction) {
    return (int) Math.floor(rows * fraction);
  }

  /** Values of one projection block: 16 MiB of rows. */
  static final int PROJECTION_BLOCK_FLOATS = 1 << 22;

  private static final class Identity extends Sampler {
    static final Identity INSTANCE = new Identity();

    @Override
    public SamplerSpec spec() {
      return new SamplerSpec("identity", 1.0, 0, 0);
    }

    @Override
    public int sampleSize(int rows) {
      return rows;
    }

    @Override
    int[] choose(FeatureRows f, long seed, Compute c, Executor e, ProgressListener p) {
      int[] all = new int[f.rows()];
      Arrays.setAll(all, i -> i);
      return all;
    }
  }

  private static final class RandomSubset extends Sampler {
    private final double fraction;

    RandomSubset(double fraction) {
      this.fraction = fraction;
    }

    @Override
    public SamplerSpec spec() {
      return new SamplerSpec("random", fraction, 0, 0);
    }

    @Override
    public int sampleSize(int rows) {
      return sizeOf(rows, fraction);
    }

    @Override
    int[] choose(FeatureRows f, long seed, Compute c, Executor e, ProgressListener p) {
      return Draws.randomIndices(f.rows(), sampleSize(f.rows()), seed);
    }
  }

  /** Greedy coreset; projection 0 means the full dimension (exact). */
  private static final class Greedy extends Sampler {
    private final double fraction;
    private final int projection;
    private final int starts;

    Greedy(double fraction, int projection, int starts) {
      this.fraction = fraction;
      this.projection = projection;
      this.starts = starts;
    }

    @Override
    public SamplerSpec spec() {
      return new SamplerSpec(projection > 0 ? "approx-greedy" : "greedy", fraction, projection, starts);
    }

    @Override
    public int sampleSize(int rows) {
      return sizeOf(rows, fraction);
    }

    @Override
    int[] choose(FeatureRows features, long seed, Compute compute, Executor executor, ProgressListener progress) {
      int rows = features.rows();
      int dim = features.dimension();
      int m = sampleSize(rows);
      SplittableRandom rnd = new SplittableRandom(seed);
      float[] points;
      int pdim = dim;
      if (projection > 0 && projection < dim) {
        points = project(features, projection, rnd.split(), progress);
        pdim = projection;
      } else {
        points = allRows(features);
      }
      int[] selected;
      try (Compute.CoresetKernel kernel = compute.coresetKernel(points, rows, pdim)) {
        // running distance: mean Euclidean distance to the random starting points (not selected)
        int nStarts = Math.min(starts, rows);
        int[] startIdx = Draws.draw(rows, nStarts, rnd);
        double[] sum = new double[rows];
        float[] d = new float[rows];
        for (int s : startIdx) {
          kernel.distances(s, d, executor);
          for (int i = 0; i < rows; i++) {
            sum[i] += d[i];
          }
        }
        float[] running = new float[rows];
        for (int i = 0; i < rows; i++) {
          running[i] = (float) (sum[i] / nStarts);
        }
        int step = Math.max(1, m / 100);
        selected = kernel.select(running, m, null, done -> {
          if (done % step == 0 || done == m) {
            progress.onProgress("coreset", done, m);
          }
        }, executor);
      }
      return selected;
    }

    /**
     * Seeded random linear map {@code dim -> out}, weights uniform in +-1/sqrt(dim) (the reference
     * uses an untrained {@code torch.nn.Linear}); only distances are measured in this space.
     */
    private static float[] project(FeatureRows features, int out, SplittableRandom rnd, ProgressListener progress) {
      int rows = features.rows();
      int dim = features.dimension();
      float[] w = new float[dim * out]; // column-major dim x out
      double bound = 1.0 / Math.sqrt(dim);
      for (int i = 0; i < w.length; i++) {
        w[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
      }
      if ((long) rows * out > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException(rows + " rows projected to " + out + " dimensions exceed one Java array");
      }
      float[] projected = new float[rows * out];
      // blocks of whole rows, the same for rows from an array or from a file, so that both give the
      // same bits: projected block (column-major out x n) = W^T (out x dim) * F^T (dim x n)
      int block = Math.max(1, Math.min(rows, PROJECTION_BLOCK_FLOATS / dim));
      float[] in = new float[block * dim];
      float[] result = new float[block * out];
      for (int first = 0; first < rows; first += block) {
        int n = Math.min(block, rows - first);
        features.read(first, n, in, 0);
        Blas.sgemm('T', 'N', out, n, dim, 1f, w, 0, dim, in, 0, dim, 0f, result, 0, out);
        System.arraycopy(result, 0, projected, first * out, n * out);
        if (rows > block) {
          progress.onProgress("projection", first + n, rows);
        }
      }
      return projected;
    }

    /** Every row in one array: the exact greedy sampler measures full-dimensional distances. */
    private static float[] allRows(FeatureRows features) {
      if (features instanceof ArrayRows a) {
        return a.array();
      }
      long values = (long) features.rows() * features.dimension();
      if (values > Integer.MAX_VALUE - 8 || values * Float.BYTES > Runtime.getRuntime().maxMemory() / 2) {
        throw new IllegalArgumentException("the exact greedy coreset needs all " + features.rows() + "x"
            + features.dimension() + " features in memory (" + (values * Float.BYTES >> 20) + " MB, heap "
            + (Runtime.getRuntime().maxMemory() >> 20) + " MB); use approx-greedy, or a larger heap");
      }
      float[] all = new float[(int) values];
      features.read(0, features.rows(), all, 0);
      return all;
    }
  }
}
