/**
 * The compute back ends of the two hot kernels, exact k-nearest-neighbour search and greedy
 * coreset distance updates: the {@link io.patchcore.knn.Compute} interface and the built-in
 * back ends of {@link io.patchcore.knn.Computes}. Every back end returns the same indices and
 * distances (exact re-ranking in double precision, ties to the lower index).
 */
package io.patchcore.knn;
