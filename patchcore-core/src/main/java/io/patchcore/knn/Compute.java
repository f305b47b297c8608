package io.patchcore.knn;

import java.util.concurrent.Executor;

/**
 * The compute back end of the two hot kernels: exact nearest-neighbour search against the memory
 * bank and the greedy-coreset distance update. The default is {@link Computes#defaultCompute()};
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
