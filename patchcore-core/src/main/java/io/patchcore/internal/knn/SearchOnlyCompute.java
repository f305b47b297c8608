package io.patchcore.internal.knn;

import io.patchcore.knn.Compute;

/**
 * The default back end: the k-NN search of a faster back end, with the coreset distance updates of
 * the portable jblas back end (plain Java). The greedy coreset picks an argmax of float32 distances
 * at every step, and another back end's rounding could break a near-tie the other way; keeping the
 * coreset in one implementation keeps fitted memory banks, and so model files, identical whichever
 * back end is on the class path. Searches are exact in every back end, so scores do not depend on
 * it either.
 */
public final class SearchOnlyCompute implements Compute {
  private final Compute search;

  /**
   * Searches with {@code search}; coreset updates with {@link JblasCompute}.
   *
   * @param search the back end whose nearest-neighbour search (and name) is used
   */
  public SearchOnlyCompute(Compute search) {
    this.search = search;
  }

  @Override
  public String name() {
    return search.name();
  }

  @Override
  public NeighbourIndex neighbourIndex(float[] bank, int rows, int dim) {
    return search.neighbourIndex(bank, rows, dim);
  }

  @Override
  public CoresetKernel coresetKernel(float[] points, int rows, int dim) {
    return JblasCompute.INSTANCE.coresetKernel(points, rows, dim);
  }

  @Override
  public String toString() {
    return "default compute (search: " + search.name() + ", coreset: jblas)";
  }
}
