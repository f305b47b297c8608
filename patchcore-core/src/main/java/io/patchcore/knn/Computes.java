package io.patchcore.knn;

import io.patchcore.internal.knn.JblasCompute;

/** Factories of the built-in {@link Compute} back ends. */
public final class Computes {
  private Computes() {}

  /** The CPU back end: chunked float32 GEMM through jblas, exact double-precision refinement. */
  public static Compute cpu() {
    return JblasCompute.INSTANCE;
  }

  /**
   * The compute back end used when none is configured: the CPU back end.
   */
  public static Compute defaultCompute() {
    return cpu();
  }
}
