package io.patchcore.knn;

/**
 * A {@link Compute} back end found on the class path with {@link java.util.ServiceLoader}, the way
 * DJL finds its engines: a module lists its implementation in
 * {@code META-INF/services/io.patchcore.knn.ComputeProvider}. {@link Computes#defaultCompute()}
 * uses the available provider with the highest {@link #priority()}; the jblas CPU back end of
 * patchcore-core is always there, with priority 0.
 *
 * <p>Every back end must return what the exact search returns (same indices, ties to the lower
 * index, distances equal within 1e-6 relative), so which one runs never changes a result.
 */
public interface ComputeProvider {
  /**
   * The name used on the command line ({@code --compute NAME}), e.g. {@code "torch"}.
   *
   * @return the provider's name, matched without regard to case
   */
  String name();

  /**
   * Higher runs first; the jblas back end has 0.
   *
   * @return the priority; only providers above 0 are considered for the default back end
   */
  int priority();

  /**
   * Creates (or returns the shared) back end.
   *
   * @return the back end
   * @throws RuntimeException if the back end cannot run here (its native library is missing, for
   *     example); the next provider is tried
   */
  Compute create();
}
