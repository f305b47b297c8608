package io.patchcore.internal.knn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The pruned greedy-coreset update selects exactly what the unpruned loop selects: the same points
 * in the same order, and the same float32 running distances after every step, on random,
 * clustered and duplicate-heavy data, in a projected (approximate greedy) and a full dimension
 * (exact greedy).
 */
class PrunedCoresetTest {
  static final ExecutorService POOL = Executors.newFixedThreadPool(3);

  @AfterAll
  static void shutdown() {
    POOL.shutdownNow();
  }

  static float[] data(String kind, int rows, int dim, Random rnd) {
    float[] p = new float[rows * dim];
    switch (kind) {
      case "uniform" -> {
        for (int i = 0; i < p.length; i++) {
          p[i] = rnd.nextFloat();
        }
      }
      case "clustered" -> {
        int clusters = 12;
        float[] centres = new float[clusters * dim];
        for (int i = 0; i < centres.length; i++) {
          centres[i] = (float) (5 * rnd.nextGaussian()) + 20f; // far from the origin, like ReLU features
        }
        for (int r = 0; r < rows; r++) {
          int c = rnd.nextInt(clusters);
          for (int j = 0; j < dim; j++) {
            p[r * dim + j] = centres[c * dim + j] + (float) (0.3 * rnd.nextGaussian());
          }
        }
      }
      case "duplicates" -> {
        int distinct = rows / 8;
        for (int r = 0; r < rows; r++) {
          int src = r < distinct ? -1 : rnd.nextInt(distinct);
          for (int j = 0; j < dim; j++) {
            p[r * dim + j] = src < 0 ? (float) rnd.nextGaussian() : p[src * dim + j];
          }
        }
      }
      default -> throw new IllegalArgumentException(kind);
    }
    return p;
  }

  /** A seeded random projection to {@code out} dimensions, as the approximate greedy coreset does. */
  static float[] project(float[] p, int rows, int dim, int out, Random rnd) {
    float[] w = new float[dim * out];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) ((rnd.nextDouble() * 2 - 1) / Math.sqrt(dim));
    }
    float[] q = new float[rows * out];
    Blas.sgemm('T', 'N', out, rows, dim, 1f, w, 0, dim, p, 0, dim, 0f, q, 0, out);
    return q;
  }

  @ParameterizedTest(name = "{0}, {1} rows, dim {2}, projected to {3}")
  @CsvSource({
      "uniform, 3000, 16, 0",
      "uniform, 2000, 256, 64",
      "clustered, 4000, 32, 0",
      "clustered, 3000, 256, 128",
      "duplicates, 3000, 24, 0",
      "duplicates, 2000, 128, 32"})
  void prunedEqualsUnpruned(String kind, int rows, int dim, int projection) {
    Random rnd = new Random(kind.hashCode() * 31L + rows + dim);
    float[] p = data(kind, rows, dim, rnd);
    int d = dim;
    if (projection > 0) {
      p = project(p, rows, dim, projection, rnd);
      d = projection;
    }
    JblasCompute.Coreset pruned = new JblasCompute.Coreset(p, rows, d, true);
    JblasCompute.Coreset plain = new JblasCompute.Coreset(p, rows, d, false);
    // running starts as the mean distance to 3 starting points, as in the sampler
    float[] start = new float[rows];
    float[] tmp = new float[rows];
    double[] sum = new double[rows];
    for (int s : new int[] {1, rows / 2, rows - 1}) {
      plain.distances(s, tmp, null);
      for (int i = 0; i < rows; i++) {
        sum[i] += tmp[i];
      }
    }
    int next = 0;
    for (int i = 0; i < rows; i++) {
      start[i] = (float) (sum[i] / 3);
      if (start[i] > start[next]) {
        next = i;
      }
    }
    float[] runPruned = start.clone();
    float[] runPlain = start.clone();
    int a = next;
    int b = next;
    int steps = rows / 5;
    for (int step = 0; step < steps; step++) {
      assertThat(a).as("selection %d", step).isEqualTo(b);
      a = pruned.update(a, runPruned, POOL);
      b = plain.update(b, runPlain, step % 2 == 0 ? POOL : null);
      if (step % 50 == 0 || step == steps - 1) {
        assertThat(runPruned).as("running values after step %d", step).isEqualTo(runPlain);
      }
    }
    assertThat(a).isEqualTo(b);
    // the pruning did work (else the equality above would be trivial)
    assertThat(pruned.skipped()).as("skipped distance evaluations")
        .isGreaterThan(kind.equals("clustered") ? (long) rows * steps / 2 : 0L);
    assertThat(plain.skipped()).isZero();
    System.out.printf("%s %dx%d (projection %d): pruning skipped %.1f%% of %d distance evaluations%n", kind, rows,
        dim, projection, 100.0 * pruned.skipped() / ((long) rows * steps), (long) rows * steps);
  }
}
