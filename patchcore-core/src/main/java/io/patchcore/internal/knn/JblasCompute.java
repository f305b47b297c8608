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

  public static void checkShape(String what, float[] data, int rows, int dim) {
    if (rows < 1 || dim < 1) {
      throw new IllegalArgumentException(what + " shape must be positive, got " + rows + "x" + dim);
    }
    if ((long) rows * dim != data.length) {
      throw new IllegalArgumentException(
          what + " of shape " + rows + "x" + dim + " needs " + (long) rows * dim + " values, got " + data.length);
    }
  }

  /** Squared L2 norm of each row, accumulated in double, stored as float. */
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


  public static final class Index implements NeighbourIndex {
    private final float[] bank;
    private final int rows;
    private final int dim;
    private final float[] norms;
    /**
     * The bank split into separate arrays of BANK_CHUNK rows: jblas's JNI layer copies every
     * array it is given in full, so a GEMM on one chunk must not receive the whole bank.
     */
    private final float[][] chunks;

    Index(float[] bank, int rows, int dim) {
      this.bank = bank;
      this.rows = rows;
      this.dim = dim;
      this.norms = rowNorms(bank, rows, dim);
      int n = (rows + BANK_CHUNK - 1) / BANK_CHUNK;
      this.chunks = new float[n][];
      for (int c = 0; c < n; c++) {
        int start = c * BANK_CHUNK;
        int end = Math.min(rows, start + BANK_CHUNK);
        chunks[c] = java.util.Arrays.copyOfRange(bank, start * dim, end * dim);
      }
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
      for (int c = 0; c < chunks.length; c++) {
        int start = c * BANK_CHUNK;
        int m = chunks[c].length / dim;
        // dots (m x nq, column-major) = chunk (m x dim, row-major) times the query block transposed
        Blas.sgemm('T', 'N', m, nq, dim, 1f, chunks[c], 0, dim, block, 0, dim, 0f, dots, 0, m);
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
        SearchSteps.rerankExactly(queries, (from + q) * dim, bank, dim, candIdx, q * keep, keep, k, distances, indices,
            (from + q) * k);
      }
    }

    @Override
    public void close() {}
  }

  /**
   * Coreset updates in plain Java: a distance update is a matrix-vector product, bound by memory
   * bandwidth, and jblas would copy the whole point array on every call.
   */
  public static final class Coreset implements CoresetKernel {
    private final float[] points;
    private final int rows;
    private final int dim;
    private final float[] norms;

    Coreset(float[] points, int rows, int dim) {
      this.points = points;
      this.rows = rows;
      this.dim = dim;
      this.norms = rowNorms(points, rows, dim);
    }

    private int blocks() {
      return (rows + CORESET_BLOCK - 1) / CORESET_BLOCK;
    }

    /** Dot product of rows i and c with four accumulators (lets the JIT pipeline the loop). */
    private float dot(int i, int c) {
      int a = i * dim;
      int b = c * dim;
      float s0 = 0;
      float s1 = 0;
      float s2 = 0;
      float s3 = 0;
      int j = 0;
      for (; j + 3 < dim; j += 4) {
        s0 += points[a + j] * points[b + j];
        s1 += points[a + j + 1] * points[b + j + 1];
        s2 += points[a + j + 2] * points[b + j + 2];
        s3 += points[a + j + 3] * points[b + j + 3];
      }
      for (; j < dim; j++) {
        s0 += points[a + j] * points[b + j];
      }
      return (s0 + s1) + (s2 + s3);
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

    @Override
    public int update(int centre, float[] running, Executor executor) {
      Objects.checkIndex(centre, rows);
      int blocks = blocks();
      int[] bestIdx = new int[blocks];
      Parallel.forEach(executor, blocks, Parallel.helpers(executor), b -> {
        int from = b * CORESET_BLOCK;
        int to = Math.min(rows, from + CORESET_BLOCK);
        int best = from;
        float bestVal = Float.NEGATIVE_INFINITY;
        for (int i = from; i < to; i++) {
          float d = distance(centre, i);
          float r = running[i];
          if (d < r) {
            r = d;
            running[i] = d;
          }
          if (r > bestVal) {
            bestVal = r;
            best = i;
          }
        }
        bestIdx[b] = best;
      });
      int best = bestIdx[0];
      for (int b = 1; b < blocks; b++) {
        if (running[bestIdx[b]] > running[best]) {
          best = bestIdx[b];
        }
      }
      return best;
    }

    @Override
    public void close() {}
  }
}
