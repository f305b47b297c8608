package io.patchcore.sampling;

import io.patchcore.PatchCore;
import io.patchcore.ProgressListener;
import io.patchcore.knn.Compute;
import io.patchcore.knn.Computes;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Chooses the rows of the candidate memory bank that PatchCore keeps. Obtain one from
 * {@link Samplers}; all samplers are immutable and deterministic for a given seed.
 */
public abstract class Sampler {
  Sampler() {}

  /**
   * A description with all parameters, recorded in model metadata, e.g. {@code
   * approx-greedy(p=0.1, projection=128, starts=10)}: the text form of {@link #spec()}.
   *
   * @return the description, which {@link SamplerSpec#parse} reads back
   */
  public String description() {
    return spec().toString();
  }

  /**
   * Number of rows kept out of {@code rows}.
   *
   * @param rows the number of candidate rows
   * @return how many rows {@link #select} returns for that many candidates
   */
  public abstract int sampleSize(int rows);

  /**
   * The parameters that rebuild this sampler; its text form is {@link #description()}.
   *
   * @return the spec of this sampler
   */
  public abstract SamplerSpec spec();

  /**
   * Selects rows of the {@code rows x dim} row-major {@code features} on the calling thread with
   * the default compute back end.
   *
   * @param features the candidate rows, {@code rows * dim} values, row-major
   * @param rows the number of rows, at least 1
   * @param dim the row length, at least 1
   * @param seed the seed of every random choice; the same inputs and seed give the same rows
   * @return row indices in [0, rows), in the order chosen; distinct, except that a greedy sampler
   *     asked for more rows than there are distinct feature vectors then repeats the lowest index
   *     (every running distance is 0), as the reference does
   * @throws NullPointerException if {@code features} is null
   * @throws IllegalArgumentException if the shape does not match {@code features} (the message
   *     gives the shape and the length)
   */
  public final int[] select(float[] features, int rows, int dim, long seed) {
    return select(features, rows, dim, seed, Computes.defaultCompute(), null, ProgressListener.NONE);
  }

  /**
   * Selects rows of the {@code rows x dim} row-major {@code features}.
   *
   * @param features the candidate rows, {@code rows * dim} values, row-major
   * @param rows the number of rows, at least 1
   * @param dim the row length, at least 1
   * @param seed the seed of every random choice; the same inputs and seed give the same rows
   * @param compute the back end of the distance updates
   * @param executor where parallel work runs; null runs it on the calling thread
   * @param progress told about long selections (stage {@code "coreset"})
   * @return row indices in [0, rows), in the order chosen; distinct, except that a greedy sampler
   *     asked for more rows than there are distinct feature vectors then repeats the lowest index
   *     (every running distance is 0), as the reference does
   * @throws NullPointerException if {@code features}, {@code compute} or {@code progress} is null
   * @throws IllegalArgumentException if the shape does not match {@code features} (the message
   *     gives the shape and the length)
   */
  public final int[] select(float[] features, int rows, int dim, long seed, Compute compute, Executor executor,
      ProgressListener progress) {
    return select(FeatureRows.of(features, rows, dim), seed, compute, executor, progress);
  }

  /**
   * Selects rows of {@code features}, which a sampler reads block by block: the approximate greedy
   * sampler projects them a block at a time, so they may live in a memory-mapped file and exceed
   * the heap; the exact greedy sampler needs them all in one array. The selection is the same as
   * from one array holding the same values.
   *
   * @param features the candidate rows
   * @param seed the seed of every random choice; the same inputs and seed give the same rows
   * @param compute the back end of the distance updates
   * @param executor where parallel work runs; null runs it on the calling thread
   * @param progress told about long selections (stages {@code "projection"} and {@code "coreset"})
   * @return row indices in [0, rows), in the order chosen; distinct, except that a greedy sampler
   *     asked for more rows than there are distinct feature vectors then repeats the lowest index
   *     (every running distance is 0), as the reference does
   * @throws NullPointerException if an argument other than {@code executor} is null
   * @throws IllegalArgumentException if the exact greedy sampler gets more rows than one array or
   *     the heap can hold (the message gives the size)
   */
  public final int[] select(FeatureRows features, long seed, Compute compute, Executor executor,
      ProgressListener progress) {
    Objects.requireNonNull(features, "features");
    Objects.requireNonNull(compute, "compute");
    Objects.requireNonNull(progress, "progress");
    return choose(features, seed, compute, executor, progress);
  }

  abstract int[] choose(FeatureRows features, long seed, Compute compute, Executor executor,
      ProgressListener progress);

  @Override
  public String toString() {
    return description();
  }
}
