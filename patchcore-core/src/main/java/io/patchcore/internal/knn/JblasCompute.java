package io.patchcore.internal.knn;

import io.patchcore.internal.Parallel;
import io.patchcore.knn.Compute;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * The CPU {@link Compute}: squared distances as ||q||^2 - 2 q.m + ||m||^2 with cached bank norms,
 * the dot products by chunked float32 GEMM through jblas, clamped at 0 (the coreset update, a
 * memory-bound matrix-vector product, runs in plain Java). Because float32 GEMM loses
 * precision when a query lies very close to a bank row, the best {@code k + REFINE_EXTRA}
 * candidates of each query are re-measured exactly in double precision before the final k are
 * chosen (ties by the lower index).
 */
public final class JblasCompute implements Compute {
  /** The only instance; it holds no state. */
  public static final JblasCompute INSTANCE = new JblasCompute();

  /** Queries per GEMM block (and per parallel task). */
  public static final int QUERY_BLOCK = 128;
  /** Bank rows per GEMM call; bounds the scratch matrix to BANK_CHUNK x QUERY_BLOCK floats. */
  public static final int BANK_CHUNK = 8192;
  /** Extra candidates re-measured exactly. */
  public static final int REFINE_EXTRA = 8;
  /** Points per parallel block in the coreset update. */
  public static final int CORESET_BLOCK = 16384;

  private JblasCompute() {}

  @Override
  public String name() {
    return "jblas";
  }

  @Override
  public NeighbourIndex neighbourIndex(float[] bank, int rows, int dim) {
    checkShape("bank", bank, rows, dim);
    return new Index(bank, rows, dim);
  }

  @Override
  public CoresetKernel coresetKernel(float[] points, int rows, int dim) {
    checkShape("points", points, rows, dim);
    return new Coreset(points, rows, dim);
  }

  /**
   * Checks that {@code data} is a {@code rows x dim} matrix.
   *
   * @param what the array's name, for the message (such as {@code "bank"})
   * @param data the array
   * @param rows the number of rows, at least 1
   * @param dim the row length, at least 1
   * @throws IllegalArgumentException if {@code rows} or {@code dim} is below 1, or {@code data}
   *     does not hold {@code rows * dim} values (the message names the array and gives the shape)
   */
  public static void checkShape(String what, float[] data, int rows, int dim) {
    if (rows < 1 || dim < 1) {
      throw new IllegalArgumentException(what + " shape must be positive, got " + rows + "x" + dim);
    }
    if ((long) rows * dim != data.length) {
      throw new IllegalArgumentException(
          what + " of shape " + rows + "x" + dim + " needs " + (long) rows * dim + " values, got " + data.length);
    }
  }

  /**
   * Squared L2 norm of each row, accumulated in double, stored as float.
   *
   * @param data the matrix, at least {@code rows * dim} values, row-major
   * @param rows the number of rows
   * @param dim the row length
   * @return a new array of {@code rows} squared norms
   */
  public static float[] rowNorms(float[] data, int rows, int dim) {
    float[] norms = new float[rows];
    for (int r = 0; r < rows; r++) {
      double s = 0;
      int off = r * dim;
      for (int j = 0; j < dim; j++) {
        double v = data[off + j];
        s += v * v;
      }
      norms[r] = (float) s;
    }
    return norms;
  }


  /**
   * The CPU nearest-neighbour index: the bank (not copied) and its cached squared norms. A search
   * screens every bank row in float32 by chunked GEMM, keeps the {@code k + }{@link #REFINE_EXTRA}
   * best per query, re-measures them in double, and proves for each query that no row left out
   * can be among the true {@code k} nearest (a rigorous bound on the float32 error, see
   * {@link #screeningError}); a query for which it cannot is searched again exactly, by brute force
   * in double. Query blocks of {@link #QUERY_BLOCK} run in parallel.
   *
   * <p>Memory: the index holds the bank once (the caller's array) plus one row norm per row; each
   * running query block copies one chunk of {@link #BANK_CHUNK} rows at a time, because jblas's
   * JNI layer copies every array it is given in full, so a GEMM on one chunk must not receive the
   * whole bank.
   */
  public static final class Index implements NeighbourIndex {
    private final float[] bank;
    private final int rows;
    private final int dim;
    private final float[] norms;
    /** The largest row norm (not squared), for the error bound. */
    private final double maxNorm;
    private final java.util.concurrent.atomic.AtomicLong exhaustive = new java.util.concurrent.atomic.AtomicLong();

    Index(float[] bank, int rows, int dim) {
      this.bank = bank;
      this.rows = rows;
      this.dim = dim;
      this.norms = rowNorms(bank, rows, dim);
      float max = 0;
      for (float n : norms) {
        max = Math.max(max, n);
      }
      // the cached norms are double sums rounded to float: within one float rounding of the exact
      this.maxNorm = Math.sqrt(max * (1 + 0x1p-20));
    }

    /**
     * How many queries this index had to search exhaustively because the float32 screening could not
     * prove its candidates complete (for tests and diagnostics).
     *
     * @return the count since the index was built
     */
    public long exhaustiveQueries() {
      return exhaustive.get();
    }

    /**
     * A rigorous bound on {@code |computed - exact|} for every screened squared distance of a query
     * of norm {@code queryNorm}, with {@code s = ||q|| + max ||b||} and {@code u = 2^-24}: the GEMM's
     * dot product, summed in float32 in any order (with or without FMA), is within
     * {@code gamma_dim ||q|| ||b|| <= gamma_dim s^2 / 4} of the exact one ({@code gamma_n = n u /
     * (1 - n u)}), and twice that enters the distance; the two cached norms (double sums rounded to
     * float) and the two float additions add at most {@code 4 u s^2 (1 + gamma_dim)}. The bound
     * used, {@code (gamma_dim + 8 u) s^2}, is about twice that sum.
     */
    double screeningError(double queryNorm) {
      double u = 0x1p-24;
      double gamma = dim * u / (1 - dim * u);
      double s = queryNorm + maxNorm;
      return (gamma + 8 * u) * s * s;
    }

    @Override
    public int rows() {
      return rows;
    }

    @Override
    public int dimension() {
      return dim;
    }

    @Override
    public void search(float[] queries, int count, int k, float[] distances, int[] indices, Executor executor) {
      SearchSteps.checkSearch(rows, dim, queries, count, k, distances, indices);
      int blocks = (count + QUERY_BLOCK - 1) / QUERY_BLOCK;
      Parallel.forEach(executor, blocks, Parallel.helpers(executor),
          b -> searchBlock(queries, b * QUERY_BLOCK, Math.min(count, (b + 1) * QUERY_BLOCK), k, distances, indices));
    }

    private void searchBlock(float[] queries, int from, int to, int k, float[] distances, int[] indices) {
      int nq = to - from;
      int keep = Math.min(rows, k + REFINE_EXTRA);
      float[] candDist = new float[nq * keep];
      int[] candIdx = new int[nq * keep];
      int[] candCount = new int[nq];
      float[] block = java.util.Arrays.copyOfRange(queries, from * dim, to * dim);
      float[] qNorm = rowNorms(block, nq, dim);
      float[] dots = new float[Math.min(BANK_CHUNK, rows) * nq];
      float[] chunk = new float[Math.min(BANK_CHUNK, rows) * dim];
      for (int start = 0; start < rows; start += BANK_CHUNK) {
        int m = Math.min(BANK_CHUNK, rows - start);
        float[] a = chunk.length == m * dim ? chunk : new float[m * dim];
        System.arraycopy(bank, start * dim, a, 0, m * dim);
        // dots (m x nq, column-major) = chunk (m x dim, row-major) times the query block transposed
        Blas.sgemm('T', 'N', m, nq, dim, 1f, a, 0, dim, block, 0, dim, 0f, dots, 0, m);
        for (int q = 0; q < nq; q++) {
          int col = q * m;
          int base = q * keep;
          int n = candCount[q];
          float qn = qNorm[q];
          for (int i = 0; i < m; i++) {
            float d = qn - 2f * dots[col + i] + norms[start + i];
            if (d < 0f) {
              d = 0f;
            }
            if (n < keep || d < candDist[base + n - 1]) {
              // insertion after equal values keeps the lower index first
              int pos = n < keep ? n : keep - 1;
              while (pos > 0 && candDist[base + pos - 1] > d) {
                candDist[base + pos] = candDist[base + pos - 1];
                candIdx[base + pos] = candIdx[base + pos - 1];
                pos--;
              }
              candDist[base + pos] = d;
              candIdx[base + pos] = start + i;
              if (n < keep) {
                n++;
              }
            }
          }
          candCount[q] = n;
        }
      }
      for (int q = 0; q < nq; q++) {
        int base = q * keep;
        boolean complete = keep == rows || (double) candDist[base + keep - 1]
            > (double) candDist[base + k - 1] + 2 * screeningError(Math.sqrt(qNorm[q]) * (1 + 0x1p-20));
        if (complete) {
          SearchSteps.rerankExactly(queries, (from + q) * dim, bank, dim, candIdx, base, keep, k, distances, indices,
              (from + q) * k);
        } else {
          // rows left out may be as near as the k-th candidate: prove nothing, search exactly
          exhaustive.incrementAndGet();
          SearchSteps.bruteForce(queries, (from + q) * dim, bank, rows, dim, k, distances, indices, (from + q) * k);
        }
      }
    }

    @Override
    public void close() {}
  }

  /**
   * Coreset updates in plain Java: a distance update is a matrix-vector product, bound by memory
   * bandwidth, and jblas would copy the whole point array on every call.
   *
   * <p><b>Pruning (exact).</b> {@link #update} skips the points that the new centre provably cannot
   * improve, by the triangle inequality. Each point remembers the centre {@code a} nearest to it
   * among those it was measured against, and that distance {@code u}; the new centre {@code c} is
   * measured against every earlier centre. Since {@code d(i,c) >= d(a,c) - d(i,a)}, a point whose
   * {@code d(a,c) - u} exceeds its running value cannot be lowered. So that the float32 values stay
   * exactly those of the unpruned loop, the test allows for the rounding of every computed
   * distance: with {@code K_x = ||x||}, each computed distance is within {@code kappa (K_x + K_y)}
   * of the exact one (see {@link #kappa}), and a point is skipped only if {@code D(a,c) - u -
   * 2 kappa (K_a + K_c + K_i) >= running}, which implies that the float distance the unpruned loop
   * would compute is at least the running value, so {@code min} would not change it. The selection,
   * its order and every running value are therefore identical to the unpruned loop's.
   *
   * <p>The pruning state belongs to one sequence of {@link #update} calls on one running array;
   * a call with another array starts a new sequence.
   */
  public static final class Coreset implements CoresetKernel {
    private final float[] points;
    private final int rows;
    private final int dim;
    private final float[] norms;
    private final boolean prune;
    /** Square roots of the exact squared norms, for the rounding bound. */
    private final double[] roots;
    private final double kappa;
    /** Pruning state: the running array it belongs to, centres so far, and per point its nearest. */
    private float[] state;
    private int[] centres;
    private int centreCount;
    private int[] assigned;
    private float[] assignedDistance;
    private float[] centreDistance;
    /** Distance evaluations skipped by pruning, over the life of this kernel. */
    private final java.util.concurrent.atomic.AtomicLong skipped = new java.util.concurrent.atomic.AtomicLong();

    Coreset(float[] points, int rows, int dim) {
      // -Dpatchcore.coreset.pruning=false runs the unpruned loop (benchmarks compare the two)
      this(points, rows, dim, !"false".equals(System.getProperty("patchcore.coreset.pruning")));
    }

    /** With pruning switched on or off (tests compare the two). */
    Coreset(float[] points, int rows, int dim, boolean prune) {
      this.points = points;
      this.rows = rows;
      this.dim = dim;
      this.prune = prune;
      // one pass for both: the float norms of the expansion (as rowNorms computes them) and the
      // roots of the double norms for the pruning bound
      this.norms = new float[rows];
      this.roots = new double[rows];
      for (int r = 0; r < rows; r++) {
        double n = 0;
        int off = r * dim;
        for (int j = 0; j < dim; j++) {
          double v = points[off + j];
          n += v * v;
        }
        norms[r] = (float) n;
        roots[r] = Math.sqrt(n);
      }
      this.kappa = kappa(dim);
    }

    /**
     * The bound {@code kappa} with {@code |computed - exact| <= kappa (K_x + K_y)} for the float
     * distance of {@link #distance}. With {@code u = 2^-24} and {@code g = dim u / (1 - dim u)}:
     * the float norms are within {@code u n} of the exact squared norms; the dot product with four
     * float accumulators within {@code g K_x K_y}; the two float additions of {@code n_x - 2 dot +
     * n_y} add at most {@code 2.01 u (K_x + K_y)^2}. So the squared distance is within {@code
     * eps (K_x + K_y)^2}, {@code eps = 3.01 u + g / 2}; the square root is 1/2-Hoelder, so the
     * distance is within {@code sqrt(eps) (K_x + K_y)}, plus {@code u} relative for the final
     * rounding. A safety factor of 1.25 covers the terms of second order.
     */
    static double kappa(int dim) {
      double u = Math.ulp(1.0f) / 2;
      double g = dim * u / (1 - dim * u);
      double eps = 3.01 * u + g / 2;
      return 1.25 * (Math.sqrt(eps) * (1 + u) + u);
    }

    private int blocks() {
      return (rows + CORESET_BLOCK - 1) / CORESET_BLOCK;
    }

    /** Dot product of rows i and c with four accumulators (lets the JIT pipeline the loop). */
    private float dot(int i, int c) {
      return Blas.dot(points, i * dim, points, c * dim, dim);
    }

    private float distance(int centre, int i) {
      if (i == centre) {
        return 0f; // exact, whatever the rounding of the norm expansion
      }
      float d = norms[i] - 2f * dot(i, centre) + norms[centre];
      return d > 0f ? (float) Math.sqrt(d) : 0f;
    }

    @Override
    public void distances(int centre, float[] out, Executor executor) {
      Objects.checkIndex(centre, rows);
      Parallel.forEach(executor, blocks(), Parallel.helpers(executor), b -> {
        int from = b * CORESET_BLOCK;
        int to = Math.min(rows, from + CORESET_BLOCK);
        for (int i = from; i < to; i++) {
          out[i] = distance(centre, i);
        }
      });
    }

    /** Starts a new pruning sequence for {@code running}. */
    private void reset(float[] running) {
      state = running;
      centres = new int[16];
      centreCount = 0;
      assigned = new int[rows];
      java.util.Arrays.fill(assigned, -1);
      assignedDistance = new float[rows];
      centreDistance = new float[16];
    }

    @Override
    public int update(int centre, float[] running, Executor executor) {
      Objects.checkIndex(centre, rows);
      if (prune && running != state) {
        reset(running);
      }
      int id = -1;
      if (prune) {
        if (centreCount == centres.length) {
          centres = java.util.Arrays.copyOf(centres, centreCount * 2);
          centreDistance = java.util.Arrays.copyOf(centreDistance, centreCount * 2);
        }
        int[] cs = centres;
        float[] cd = centreDistance;
        int count = centreCount;
        int cblocks = (count + CORESET_BLOCK - 1) / CORESET_BLOCK;
        Parallel.forEach(executor, cblocks, Parallel.helpers(executor), b -> {
          int to = Math.min(count, (b + 1) * CORESET_BLOCK);
          for (int j = b * CORESET_BLOCK; j < to; j++) {
            cd[j] = distance(centre, cs[j]);
          }
        });
        id = centreCount;
        centres[centreCount++] = centre;
      }
      int newId = id;
      int blocks = blocks();
      int[] bestIdx = new int[blocks];
      Parallel.forEach(executor, blocks, Parallel.helpers(executor), b -> {
        int from = b * CORESET_BLOCK;
        int to = Math.min(rows, from + CORESET_BLOCK);
        int best = from;
        float bestVal = Float.NEGATIVE_INFINITY;
        double kc = roots[centre];
        long skips = 0;
        for (int i = from; i < to; i++) {
          float r = running[i];
          int a = prune ? assigned[i] : -1;
          boolean skip = false;
          if (a >= 0) {
            double margin = 2 * kappa * (roots[centres[a]] + kc + roots[i]);
            skip = (double) centreDistance[a] - assignedDistance[i] - margin >= r;
          }
          if (skip) {
            skips++;
          }
          if (!skip) {
            float d = distance(centre, i);
            if (d < r) {
              r = d;
              running[i] = d;
            }
            if (prune && (a < 0 || d < assignedDistance[i])) {
              assigned[i] = newId;
              assignedDistance[i] = d;
            }
          }
          if (r > bestVal) {
            bestVal = r;
            best = i;
          }
        }
        bestIdx[b] = best;
        if (skips > 0) {
          skipped.addAndGet(skips);
        }
      });
      int best = bestIdx[0];
      for (int b = 1; b < blocks; b++) {
        if (running[bestIdx[b]] > running[best]) {
          best = bestIdx[b];
        }
      }
      return best;
    }

    /** Distance evaluations skipped by pruning so far. */
    long skipped() {
      return skipped.get();
    }

    @Override
    public void close() {}
  }
}
