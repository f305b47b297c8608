package io.patchcore;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.Executor;

/**
 * The memory-bank samplers of ALGORITHM.md §2. Fractions are in (0, 1]; a sampler keeps
 * {@code floor(N * fraction)} of N rows.
 */
public final class Samplers {
  /** Projection dimension of the approximate greedy coreset. */
  public static final int DEFAULT_PROJECTION = 128;
  /** Number of random starting points of the greedy coresets. */
  public static final int DEFAULT_STARTS = 10;

  private Samplers() {}

  /** Keeps every row. */
  public static Sampler identity() {
    return Identity.INSTANCE;
  }

  /** A uniformly random subset (without replacement) of {@code floor(N * fraction)} rows. */
  public static Sampler random(double fraction) {
    return new RandomSubset(checkFraction(fraction));
  }

  /**
   * The approximate greedy coreset (the reference's default): distances measured after a seeded
   * random projection to 128 dimensions, 10 random starting points.
   */
  public static Sampler approximateGreedy(double fraction) {
    return approximateGreedy(fraction, DEFAULT_PROJECTION, DEFAULT_STARTS);
  }

  /**
   * The approximate greedy coreset with its projection dimension and number of starts.
   *
   * @throws IllegalArgumentException if a value is out of range
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
   * incremental O(N) memory form (never an N x N matrix).
   */
  public static Sampler greedy(double fraction) {
    return new Greedy(checkFraction(fraction), 0, DEFAULT_STARTS);
  }

  /**
   * The parameters that rebuild a sampler, stored in model files: {@code kind} is one of
   * {@code identity, random, approx-greedy, greedy}; {@code projection} is 0 unless approx-greedy;
   * {@code starts} is 0 unless greedy or approx-greedy.
   */
  record Spec(String kind, double fraction, int projection, int starts) {}

  /** The parameters of a built-in sampler. */
  static Spec spec(Sampler sampler) {
    if (sampler instanceof Identity) {
      return new Spec("identity", 1.0, 0, 0);
    }
    if (sampler instanceof RandomSubset r) {
      return new Spec("random", r.fraction, 0, 0);
    }
    if (sampler instanceof Greedy g) {
      return new Spec(g.projection > 0 ? "approx-greedy" : "greedy", g.fraction, g.projection, g.starts);
    }
    throw new IllegalArgumentException("not a built-in sampler: " + sampler.description());
  }

  /**
   * The sampler {@link #spec} describes.
   *
   * @throws IllegalArgumentException naming the bad kind or value
   */
  static Sampler fromSpec(Spec spec) {
    switch (spec.kind()) {
      case "identity":
        if (spec.fraction() != 1.0) {
          throw new IllegalArgumentException("identity sampler needs fraction 1.0, got " + spec.fraction());
        }
        return identity();
      case "random":
        return random(spec.fraction());
      case "approx-greedy":
        return approximateGreedy(spec.fraction(), spec.projection(), spec.starts());
      case "greedy":
        if (spec.starts() < 1) {
          throw new IllegalArgumentException("number of starting points must be >= 1, got " + spec.starts());
        }
        return new Greedy(checkFraction(spec.fraction()), 0, spec.starts());
      default:
        throw new IllegalArgumentException("unknown sampler kind '" + spec.kind()
            + "' (known: identity, random, approx-greedy, greedy)");
    }
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

  /**
   * {@code count} distinct indices of [0, n), chosen uniformly at random by a partial Fisher-Yates
   * shuffle driven by {@code new SplittableRandom(seed)}, in ascending order. The same arguments
   * always give the same indices (the random sampler, seeded subsamples and held-out splits use it).
   *
   * @throws IllegalArgumentException if {@code count} is not in [0, n]
   */
  public static int[] randomIndices(int n, int count, long seed) {
    if (count < 0 || count > n) {
      throw new IllegalArgumentException("cannot draw " + count + " distinct indices of " + n);
    }
    int[] out = draw(n, count, new SplittableRandom(seed));
    Arrays.sort(out);
    return out;
  }

  /** {@code count} distinct indices of [0, n) in the order drawn (partial Fisher-Yates). */
  static int[] draw(int n, int count, SplittableRandom rnd) {
    int[] perm = new int[n];
    Arrays.setAll(perm, i -> i);
    for (int i = 0; i < count; i++) {
      int j = i + rnd.nextInt(n - i);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    return Arrays.copyOf(perm, count);
  }

  private static final class Identity extends Sampler {
    static final Identity INSTANCE = new Identity();

    @Override
    public String description() {
      return "identity";
    }

    @Override
    public int sampleSize(int rows) {
      return rows;
    }

    @Override
    int[] select(float[] f, int rows, int dim, long seed, Compute c, Executor e, ProgressListener p) {
      int[] all = new int[rows];
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
    public String description() {
      return "random(p=" + fraction + ")";
    }

    @Override
    public int sampleSize(int rows) {
      return sizeOf(rows, fraction);
    }

    @Override
    int[] select(float[] f, int rows, int dim, long seed, Compute c, Executor e, ProgressListener p) {
      return randomIndices(rows, sampleSize(rows), seed);
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
    public String description() {
      return projection > 0
          ? "approx-greedy(p=" + fraction + ", projection=" + projection + ", starts=" + starts + ")"
          : "greedy(p=" + fraction + ", starts=" + starts + ")";
    }

    @Override
    public int sampleSize(int rows) {
      return sizeOf(rows, fraction);
    }

    @Override
    int[] select(float[] features, int rows, int dim, long seed, Compute compute, Executor executor,
        ProgressListener progress) {
      int m = sampleSize(rows);
      SplittableRandom rnd = new SplittableRandom(seed);
      float[] points = features;
      int pdim = dim;
      if (projection > 0 && projection < dim) {
        points = project(features, rows, dim, projection, rnd.split());
        pdim = projection;
      }
      int[] selected = new int[m];
      try (Compute.CoresetKernel kernel = compute.coresetKernel(points, rows, pdim)) {
        // running distance: mean Euclidean distance to the random starting points (not selected)
        int nStarts = Math.min(starts, rows);
        int[] startIdx = draw(rows, nStarts, rnd);
        double[] sum = new double[rows];
        float[] d = new float[rows];
        for (int s : startIdx) {
          kernel.distances(s, d, executor);
          for (int i = 0; i < rows; i++) {
            sum[i] += d[i];
          }
        }
        float[] running = new float[rows];
        int next = 0;
        for (int i = 0; i < rows; i++) {
          running[i] = (float) (sum[i] / nStarts);
          if (running[i] > running[next]) {
            next = i;
          }
        }
        long step = Math.max(1, m / 100);
        for (int i = 0; i < m; i++) {
          selected[i] = next;
          next = kernel.update(next, running, executor);
          if ((i + 1) % step == 0 || i + 1 == m) {
            progress.onProgress("coreset", i + 1, m);
          }
        }
      }
      return selected;
    }

    /**
     * Seeded random linear map {@code dim -> out}, weights uniform in +-1/sqrt(dim) (the reference
     * uses an untrained {@code torch.nn.Linear}); only distances are measured in this space.
     */
    private static float[] project(float[] features, int rows, int dim, int out, SplittableRandom rnd) {
      float[] w = new float[dim * out]; // column-major dim x out
      double bound = 1.0 / Math.sqrt(dim);
      for (int i = 0; i < w.length; i++) {
        w[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
      }
      float[] projected = new float[rows * out];
      // projected (column-major out x rows) = W^T (out x dim) * F^T (dim x rows)
      Blas.sgemm('T', 'N', out, rows, dim, 1f, w, 0, dim, features, 0, dim, 0f, projected, 0, out);
      return projected;
    }
  }
}
