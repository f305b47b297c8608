package io.patchcore.internal;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Seeded draws of distinct indices, shared by the samplers, ensembles and dataset subsamples. */
public final class Draws {
  private Draws() {}

  /**
   * {@code count} distinct indices of [0, n), chosen uniformly at random by a partial Fisher-Yates
   * shuffle driven by {@code new SplittableRandom(seed)}, in ascending order. The same arguments
   * always give the same indices.
   *
   * @param n the number of indices to draw from
   * @param count how many to draw, in [0, n]
   * @param seed the seed of the draw
   * @return {@code count} distinct indices, ascending
   * @throws IllegalArgumentException if {@code count} is not in [0, n]
   */
  public static int[] randomIndices(int n, int count, long seed) {
    if (count < 0 || count > n) {
      throw new IllegalArgumentException("cannot draw " + count + " distinct indices of " + n);
    }
    int[] out = draw(n, count, new SplittableRandom(seed));
    Arrays.sort(out);
    return out;
  }

  /**
   * {@code count} distinct indices of [0, n) in the order drawn (partial Fisher-Yates).
   *
   * @param n the number of indices to draw from
   * @param count how many to draw, in [0, n] (not checked)
   * @param rnd the source of randomness; it is advanced by {@code count} draws
   * @return {@code count} distinct indices, in the order drawn
   */
  public static int[] draw(int n, int count, SplittableRandom rnd) {
    int[] perm = new int[n];
    Arrays.setAll(perm, i -> i);
    for (int i = 0; i < count; i++) {
      int j = i + rnd.nextInt(n - i);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    return Arrays.copyOf(perm, count);
  }
}
