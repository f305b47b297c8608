package io.patchcore.internal.knn;

import io.patchcore.internal.Parallel;
import io.patchcore.knn.Compute;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * The CPU {@link Compute}: squared distances as ||q||^2 - 2 q.m + ||m||^2 with cached bank norms,
 * the dot products by chunked float32 GEMM through jblas, clamped at 0 (the greedy coreset runs in
 * plain Java, {@link GreedyCoreset}). Because float32 GEMM loses
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
  /** Points per parallel block of the coreset's full passes. */
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
    return new GreedyCoreset(points, rows, dim);
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
}
