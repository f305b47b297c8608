package io.patchcore.internal.knn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The lazy greedy selection selects exactly what the unpruned loop selects: the same points in the
 * same order, each at the same float32 radius, on random, clustered and duplicate-heavy data, in a
 * projected (approximate greedy) and a full dimension (exact greedy), with a coreset larger than the
 * number of distinct points where the data has duplicates.
 */
class GreedyCoresetTest {
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

  /** Mean distance to three starting points, as the sampler starts (with 3 instead of 10 starts). */
  static float[] start(GreedyCoreset kernel, int rows) {
    float[] tmp = new float[rows];
    double[] sum = new double[rows];
    for (int s : new int[] {1, rows / 2, rows - 1}) {
      kernel.distances(s, tmp, null);
      for (int i = 0; i < rows; i++) {
        sum[i] += tmp[i];
      }
    }
    float[] start = new float[rows];
    for (int i = 0; i < rows; i++) {
      start[i] = (float) (sum[i] / 3);
    }
    return start;
  }

  @ParameterizedTest(name = "{0}, {1} rows, dim {2}, projected to {3}, {4} selected")
  @CsvSource({
      "uniform, 3000, 16, 0, 600",
      "uniform, 2000, 256, 64, 400",
      "clustered, 4000, 32, 0, 800",
      "clustered, 3000, 256, 128, 600",
      "duplicates, 3000, 24, 0, 600",
      "duplicates, 2000, 128, 32, 400",
      // more than the 250 distinct points: radii reach 0 and ties go to the lower index
      "duplicates, 2000, 8, 0, 1000"})
  void lazyEqualsUnpruned(String kind, int rows, int dim, int projection, int count) {
    Random rnd = new Random(kind.hashCode() * 31L + rows + dim);
    float[] p = data(kind, rows, dim, rnd);
    int d = dim;
    if (projection > 0) {
      p = project(p, rows, dim, projection, rnd);
      d = projection;
    }
    GreedyCoreset lazy = new GreedyCoreset(p, rows, d, true);
    GreedyCoreset plain = new GreedyCoreset(p, rows, d, false);
    float[] start = start(plain, rows);
    // the reference: the plain loop written out here, one pair distance at a time
    float[] running = start.clone();
    int[] expected = new int[count];
    float[] expectedRadii = new float[count];
    for (int s = 0; s < count; s++) {
      int next = 0;
      for (int i = 1; i < rows; i++) {
        if (running[i] > running[next]) {
          next = i;
        }
      }
      expected[s] = next;
      expectedRadii[s] = running[next];
      for (int i = 0; i < rows; i++) {
        running[i] = Math.min(running[i], lazy.distance(i, next));
      }
    }
    float[] radiiLazy = new float[count];
    float[] radiiPlain = new float[count];
    int[] steps = new int[1];
    int[] selLazy = lazy.select(start.clone(), count, radiiLazy, done -> {
      assertThat(done).isEqualTo(steps[0] + 1);
      steps[0] = done;
    }, POOL);
    int[] selPlain = plain.select(start.clone(), count, radiiPlain, null, POOL);
    // every batch split between threads; and with an executor that never runs the helper
    GreedyCoreset split = new GreedyCoreset(p, rows, d, true, 0);
    float[] radiiSplit = new float[count];
    int[] selSplit = split.select(start.clone(), count, radiiSplit, null, POOL);
    float[] radiiAlone = new float[count];
    int[] selAlone = new GreedyCoreset(p, rows, d, true, 0).select(start.clone(), count, radiiAlone, null, task -> {});
    assertThat(steps[0]).isEqualTo(count);
    assertThat(selPlain).as("unpruned update loop").isEqualTo(expected);
    assertThat(radiiPlain).isEqualTo(expectedRadii);
    assertThat(selLazy).as("lazy selection").isEqualTo(expected);
    assertThat(radiiLazy).as("radii of the lazy selection").isEqualTo(expectedRadii);
    assertThat(selSplit).as("lazy selection, batches split between threads").isEqualTo(expected);
    assertThat(radiiSplit).isEqualTo(expectedRadii);
    assertThat(selAlone).as("lazy selection, helper never run").isEqualTo(expected);
    assertThat(radiiAlone).isEqualTo(expectedRadii);
    long full = (long) rows * count;
    System.out.printf("%s %dx%d (projection %d): lazy selection measured %.1f%% of %d distances%n", kind, rows,
        dim, projection, 100.0 * lazy.evaluations() / full, full);
    // the laziness did work (else the equality would be trivial)
    assertThat(lazy.evaluations()).as("distance evaluations").isLessThan(full * 3 / 5);
  }

  @org.junit.jupiter.api.Test
  void distancesOfTheFullPassEqualThePairDistance() {
    Random rnd = new Random(3);
    int rows = 200;
    int dim = 37; // not a multiple of a vector width
    float[] p = data("uniform", rows, dim, rnd);
    GreedyCoreset kernel = new GreedyCoreset(p, rows, dim, true);
    float[] out = new float[rows];
    kernel.distances(77, out, POOL);
    for (int i = 0; i < rows; i++) {
      assertThat(out[i]).as("point %d", i).isEqualTo(kernel.distance(i, 77));
      double exact = Math.sqrt(SearchSteps.exactSquared(p, i * dim, p, 77 * dim, dim));
      assertThat((double) out[i]).isCloseTo(exact, org.assertj.core.api.Assertions.within(1e-5 * (1 + exact)));
    }
    assertThat(out[77]).isZero();
  }

  @ParameterizedTest(name = "{0} points of dim 3, all selected")
  @CsvSource({"1", "2", "7", "300"})
  void selectsEveryPointWhenAskedForAll(int rows) {
    Random rnd = new Random(rows);
    float[] p = data("uniform", rows, 3, rnd);
    for (int i = 0; i < 3 * (rows / 3); i++) {
      p[i] = 0.5f; // the first third identical
    }
    float[] start = new float[rows];
    java.util.Arrays.fill(start, 1f); // all tied: the lowest index first
    int[] lazy = new GreedyCoreset(p, rows, 3, true, 0).select(start.clone(), rows, null, null, POOL);
    int[] plain = new GreedyCoreset(p, rows, 3, false).select(start.clone(), rows, null, null, null);
    assertThat(lazy).isEqualTo(plain);
    assertThat(lazy[0]).isZero();
    // once every point is covered (all running distances 0), the lowest index repeats, as in the
    // reference's argmax; before that, no point is selected twice
    int distinctPoints = (int) java.util.stream.IntStream.range(0, rows)
        .mapToObj(i -> java.util.Arrays.toString(java.util.Arrays.copyOfRange(p, 3 * i, 3 * i + 3))).distinct().count();
    assertThat(java.util.Arrays.stream(lazy, 0, distinctPoints).distinct().count()).isEqualTo(distinctPoints);
    for (int s = distinctPoints; s < rows; s++) {
      assertThat(lazy[s]).as("selection %d after every point is covered", s).isZero();
    }
  }

  @org.junit.jupiter.api.Test
  void selectRefusesBadArguments() {
    GreedyCoreset kernel = new GreedyCoreset(new float[20], 10, 2, true);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> kernel.select(new float[10], 11, null, null, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("11 of 10");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> kernel.select(new float[9], 1, null, null, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("9 values for 10 points");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> kernel.select(new float[10], 3, new float[2], null, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("radii holds 2");
    assertThat(kernel.select(new float[10], 0, null, null, null)).isEmpty();
  }
}
