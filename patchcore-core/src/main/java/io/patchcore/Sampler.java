package io.patchcore;

import java.util.concurrent.Executor;

/**
 * Chooses the rows of the candidate memory bank that PatchCore keeps. Obtain one from
 * {@link Samplers}; all samplers are immutable and deterministic for a given seed.
 */
public abstract class Sampler {
  Sampler() {}

  /** A description with all parameters, recorded in model metadata, e.g. {@code approx-greedy(p=0.1, ...)}. */
  public abstract String description();

  /** Number of rows kept out of {@code rows}. */
  public abstract int sampleSize(int rows);

  /**
   * Selects rows of the {@code rows x dim} row-major {@code features}.
   *
   * @return distinct row indices in [0, rows)
   */
  abstract int[] select(float[] features, int rows, int dim, long seed, Compute compute, Executor executor,
      ProgressListener progress);

  @Override
  public String toString() {
    return description();
  }
}
