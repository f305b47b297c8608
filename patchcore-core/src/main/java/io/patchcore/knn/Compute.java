package io.patchcore.knn;

import io.patchcore.internal.knn.SearchSteps;
import java.util.concurrent.Executor;
import java.util.function.IntConsumer;

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

  /**
   * A short name for logs and model metadata, e.g. {@code "jblas"}.
   *
   * @return the back end's name
   */
  String name();

  /**
   * Prepares exact squared-L2 search against {@code bank}. The array is not copied: the caller
   * must not modify it while the index is in use.
   *
   * @param bank the memory bank, {@code rows * dim} values, row-major
   * @param rows the number of bank rows, at least 1
   * @param dim the row length, at least 1
   * @return an index that searches {@code bank}; close it when done
   * @throws IllegalArgumentException if {@code rows} or {@code dim} is below 1, or {@code bank}
   *     does not hold {@code rows * dim} values (the message gives the shape)
   */
  NeighbourIndex neighbourIndex(float[] bank, int rows, int dim);

  /**
   * Prepares greedy-coreset distance updates over {@code points} (not copied).
   *
   * @param points the points, {@code rows * dim} values, row-major
   * @param rows the number of points, at least 1
   * @param dim the point dimension, at least 1
   * @return a kernel over {@code points}; close it when done
   * @throws IllegalArgumentException if {@code rows} or {@code dim} is below 1, or {@code points}
   *     does not hold {@code rows * dim} values (the message gives the shape)
   */
  CoresetKernel coresetKernel(float[] points, int rows, int dim);

  /** Exact k-nearest-neighbour search; thread-safe. */
  interface NeighbourIndex extends AutoCloseable {
    /**
     * Number of bank rows.
     *
     * @return the rows of the bank this index searches
     */
    int rows();

    /**
     * Row length.
     *
     * @return the dimension of bank rows and queries
     */
    int dimension();

    /**
     * For each of the {@code count} queries (row-major {@code count x dimension()}), writes the
     * squared L2 distances of its {@code k} nearest bank rows in ascending order to
     * {@code distances[q*k ..]} and their row indices to {@code indices[q*k ..]}.
     *
     * @param queries the queries, {@code count * dimension()} values, row-major
     * @param count the number of queries
     * @param k the number of neighbours per query, in {@code 1 .. rows()}
     * @param distances receives {@code count * k} squared distances (it may be longer)
     * @param indices receives {@code count * k} bank row indices (it may be longer)
     * @param executor where query blocks may run in parallel (the calling thread also works); null
     *     runs everything on the calling thread
     * @throws IllegalArgumentException if {@code k} is out of range, {@code queries} does not hold
     *     {@code count * dimension()} values or an output array is too short (the message names the
     *     bad value)
     */
    void search(float[] queries, int count, int k, float[] distances, int[] indices, Executor executor);

    /**
     * For each of the {@code count} queries, an upper bound on the mean of the squared distances
     * to its {@code k} nearest bank rows: {@code bounds[q]} is at least that mean as {@link #search}
     * returns it (up to the 1e-6 relative rounding that search allows). A back end that screens in
     * reduced precision returns the bound of its screening without re-measuring anything, which is
     * much cheaper than a search and, for data in the bank's range, a few percent above the exact
     * mean. The default runs {@link #search} and returns the mean itself.
     *
     * @param queries the queries, {@code count * dimension()} values, row-major
     * @param count the number of queries
     * @param k the number of neighbours per query, in {@code 1 .. rows()}
     * @param bounds receives {@code count} upper bounds (it may be longer); a bound may be
     *     {@code +Infinity} where the back end cannot bound a query
     * @param executor where query blocks may run in parallel (the calling thread also works); null
     *     runs everything on the calling thread
     * @throws IllegalArgumentException if {@code k} is out of range, {@code queries} does not hold
     *     {@code count * dimension()} values or {@code bounds} is too short
     */
    default void upperBounds(float[] queries, int count, int k, float[] bounds, Executor executor) {
      SearchSteps.checkBounds(rows(), dimension(), queries, count, k, bounds);
      float[] d = new float[count * k];
      int[] idx = new int[count * k];
      search(queries, count, k, d, idx, executor);
      for (int q = 0; q < count; q++) {
        bounds[q] = SearchSteps.mean(d, q * k, k);
      }
    }

    /** Releases native resources, if any. */
    @Override
    void close();
  }

  /** Distance updates of the greedy coreset loop; not thread-safe. */
  interface CoresetKernel extends AutoCloseable {
    /**
     * Writes the Euclidean distance of every point to point {@code centre} into {@code out}.
     *
     * @param centre the index of the centre point
     * @param out receives one distance per point, in point order
     * @param executor where blocks of points may run in parallel; null runs them on the calling
     *     thread
     * @throws IndexOutOfBoundsException if {@code centre} is not a point index
     */
    void distances(int centre, float[] out, Executor executor);

    /**
     * Sets {@code running[i] = min(running[i], ||p_i - p_centre||)} for every point and returns the
     * index of the largest updated value (the lowest index among equals).
     *
     * @param centre the index of the newly selected point
     * @param running the running distance of every point to the selection so far, updated in place
     * @param executor where blocks of points may run in parallel; null runs them on the calling
     *     thread
     * @return the index of the point with the largest running distance after the update
     * @throws IndexOutOfBoundsException if {@code centre} is not a point index
     */
    int update(int centre, float[] running, Executor executor);

    /**
     * The whole greedy loop: {@code count} times, selects the point with the largest running
     * distance (the lowest index among equals), then lowers every running distance to its distance
     * from that point. The default runs {@link #update} once per selected point; an implementation
     * may skip work it can prove changes nothing, but must select the same points in the same
     * order with the same radii.
     *
     * @param running the running distance of every point before the first selection (the
     *     sampler starts from the mean distance to its random starting points); used as scratch,
     *     its contents on return are unspecified
     * @param count the number of points to select, in {@code 0 .. running.length}
     * @param radii null, or receives at {@code [s]} the running distance of the {@code s}-th
     *     selected point when it was selected ({@code count} values)
     * @param progress null, or told the number of points selected so far after each selection
     * @param executor where work may run in parallel; null runs it on the calling thread
     * @return the selected point indices, in selection order
     * @throws IllegalArgumentException if {@code count} is out of range or {@code radii} is too
     *     short (the message gives the value)
     */
    default int[] select(float[] running, int count, float[] radii, IntConsumer progress, Executor executor) {
      checkSelect(running, count, radii);
      int[] selected = new int[count];
      if (count == 0) {
        return selected;
      }
      int next = 0;
      for (int i = 1; i < running.length; i++) {
        if (running[i] > running[next]) {
          next = i;
        }
      }
      for (int s = 0; s < count; s++) {
        selected[s] = next;
        if (radii != null) {
          radii[s] = running[next];
        }
        next = update(next, running, executor);
        if (progress != null) {
          progress.accept(s + 1);
        }
      }
      return selected;
    }

    /**
     * The argument checks of {@link #select}.
     *
     * @param running the running distances
     * @param count the number of points to select
     * @param radii null or the array for the radii
     * @throws IllegalArgumentException if {@code count} is out of range or {@code radii} is too
     *     short
     */
    static void checkSelect(float[] running, int count, float[] radii) {
      if (count < 0 || count > running.length) {
        throw new IllegalArgumentException("cannot select " + count + " of " + running.length + " points");
      }
      if (radii != null && radii.length < count) {
        throw new IllegalArgumentException("radii holds " + radii.length + " values, " + count + " needed");
      }
    }

    /** Releases native resources, if any. */
    @Override
    void close();
  }
}
