package io.patchcore;

/** Factories of the built-in {@link Compute} back ends. */
public final class Computes {
  private Computes() {}

  /** The CPU back end: chunked float32 GEMM through jblas, exact double-precision refinement. */
  public static Compute cpu() {
    return JblasCompute.INSTANCE;
  }
}
