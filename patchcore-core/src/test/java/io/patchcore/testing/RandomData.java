package io.patchcore.testing;

import java.util.Random;

/** Random test data for the nearest-neighbour kernels. */
public final class RandomData {
  private RandomData() {}

  /** {@code n} standard-normal floats. */
  public static float[] gaussian(Random rnd, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) rnd.nextGaussian();
    }
    return a;
  }

  /**
   * {@code count} standard-normal queries of length {@code dim}, the first five of which sit
   * within 1e-3 of random bank rows, where the float32 norm expansion loses precision.
   */
  public static float[] queriesNear(Random rnd, float[] bank, int rows, int count, int dim) {
    float[] q = gaussian(rnd, count * dim);
    for (int i = 0; i < Math.min(count, 5); i++) {
      int r = rnd.nextInt(rows);
      for (int j = 0; j < dim; j++) {
        q[i * dim + j] = bank[r * dim + j] + (float) (1e-3 * rnd.nextGaussian());
      }
    }
    return q;
  }
}
