package io.patchcore;

import java.util.concurrent.Executor;

/**
 * The compute back end of the two hot kernels: exact nearest-neighbour search against the memory
 * bank and the greedy-coreset distance update. The default is {@link Computes#cpu()} (jblas);
 * {@code patchcore-backbones} offers a libtorch implementation (CPU or GPU) of the same contract.
 *
 * <p>Arrays are row-major {@code rows x dim} float32. Implementations must give the same results
 * as the CPU one up to float rounding, break ties by the lower row index and never modify the
 * arrays they are given.
 */
public interface Compute {

  /** A short name for logs and model metadata, e.g. {@code "jblas"}. */
  String name();

  /**
   * Prepares exact squared-L2 search against {@code bank}. The array is not copied: the caller
   * must not modify it while the index is in use.
   */
  NeighbourIndex neighbourIndex(float[] bank, int rows, int dim);

  /** Prepares greedy-coreset distance updates over {@code points} (not copied). */
  CoresetKernel coresetKernel(float[] points, int rows, int dim);

  /**
   * Checks the arguments of {@link NeighbourIndex#search} against an index of {@code rows x dim};
   * every implementation calls it first, so all fail alike.
   *
   * @throws IllegalArgumentException naming the bad value
   */
  static void checkSearch(int rows, int dim, float[] queries, int count, int k, float[] distances, int[] indices) {
    if (k < 1 || k > rows) {
      throw new IllegalArgumentException("k must be in 1.." + rows + " (bank rows), got " + k);
    }
    if ((long) count * dim != queries.length) {
      throw new IllegalArgumentException("queries of " + count + "x" + dim + " need " + (long) count * dim
          + " values, got " + queries.length);
    }
    if (distances.length < (long) count * k || indices.length < (long) count * k) {
      throw new IllegalArgumentException("output arrays need " + (long) count * k + " entries, got "
          + distances.length + " and " + indices.length);
    }
  }

  /**
   * The final step of every implementation's search, so that all agree: re-measures the candidate
   * bank rows of one query exactly (in double precision) and writes the {@code k} nearest in
   * ascending order, ties to the lower row index, to {@code distances[outOffset ..]} and
   * {@code indices[outOffset ..]}.
   *
   * @param candidates row indices of {@code bank}, at least {@code k} of them from
   *     {@code candidates[candidateOffset]}
   */
  static void rerankExactly(float[] queries, int queryOffset, float[] bank, int dim, int[] candidates,
      int candidateOffset, int candidateCount, int k, float[] distances, int[] indices, int outOffset) {
    if (k > candidateCount) {
      throw new IllegalArgumentException("k=" + k + " exceeds the " + candidateCount + " candidates");
    }
    double[] exact = new double[candidateCount];
    int[] order = new int[candidateCount];
    for (int c = 0; c < candidateCount; c++) {
      exact[c] = JblasCompute.exactSquared(queries, queryOffset, bank, candidates[candidateOffset + c] * dim, dim);
      order[c] = c;
    }
    // insertion sort by (exact distance, index): the lists are short (k + a few)
    for (int a = 1; a < candidateCount; a++) {
      int cur = order[a];
      int b = a - 1;
      while (b >= 0 && (exact[order[b]] > exact[cur] || (exact[order[b]] == exact[cur]
          && candidates[candidateOffset + order[b]] > candidates[candidateOffset + cur]))) {
        order[b + 1] = order[b];
        b--;
      }
      order[b + 1] = cur;
    }
    for (int c = 0; c < k; c++) {
      distances[outOffset + c] = (float) exact[order[c]];
      indices[outOffset + c] = candidates[candidateOffset + order[c]];
    }
  }

  /** Exact k-nearest-neighbour search; thread-safe. */
  interface NeighbourIndex extends AutoCloseable {
    /** Number of bank rows. */
    int rows();

    /** Row length. */
    int dimension();

    /**
     * For each of the {@code count} queries (row-major {@code count x dimension()}), writes the
     * squared L2 distances of its {@code k} nearest bank rows in ascending order to
     * {@code distances[q*k ..]} and their row indices to {@code indices[q*k ..]}.
     *
     * @param executor where query blocks may run in parallel (the calling thread also works)
     */
    void search(float[] queries, int count, int k, float[] distances, int[] indices, Executor executor);

    /** Releases native resources, if any. */
    @Override
    void close();
  }

  /** Distance updates of the greedy coreset loop; not thread-safe. */
  interface CoresetKernel extends AutoCloseable {
    /** Writes the Euclidean distance of every point to point {@code centre} into {@code out}. */
    void distances(int centre, float[] out, Executor executor);

    /**
     * Sets {@code running[i] = min(running[i], ||p_i - p_centre||)} for every point and returns the
     * index of the largest updated value (the lowest index among equals).
     */
    int update(int centre, float[] running, Executor executor);

    /** Releases native resources, if any. */
    @Override
    void close();
  }
}
