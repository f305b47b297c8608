package io.patchcore.internal.knn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.patchcore.knn.Compute;
import io.patchcore.knn.Computes;
import io.patchcore.testing.RandomData;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The jblas k-NN kernel against a naive double-precision loop. */
class JblasKernelTest {
  static final ExecutorService POOL = Executors.newFixedThreadPool(3);

  @AfterAll
  static void shutdown() {
    POOL.shutdownNow();
  }

  /** Naive exact k-NN: (distance, index) ascending. */
  static void naive(float[] bank, int rows, float[] q, int count, int dim, int k, double[] dist, int[] idx) {
    for (int i = 0; i < count; i++) {
      double[] d = new double[rows];
      Integer[] order = new Integer[rows];
      for (int r = 0; r < rows; r++) {
        double s = 0;
        for (int j = 0; j < dim; j++) {
          double diff = (double) q[i * dim + j] - bank[r * dim + j];
          s += diff * diff;
        }
        d[r] = s;
        order[r] = r;
      }
      java.util.Arrays.sort(order, (a, b) -> d[a] != d[b] ? Double.compare(d[a], d[b]) : Integer.compare(a, b));
      for (int j = 0; j < k; j++) {
        dist[i * k + j] = d[order[j]];
        idx[i * k + j] = order[j];
      }
    }
  }

  @ParameterizedTest(name = "bank {0}x{2}, queries {1}, k={3}")
  @CsvSource({
      "1, 1, 1, 1",
      "7, 3, 5, 5",
      "600, 150, 64, 1",
      "600, 150, 64, 5",
      "1000, 129, 33, 1",
      "9000, 300, 17, 5",
      "8193, 257, 8, 1"})
  void search_equalsNaiveDoubleLoop(int rows, int count, int dim, int k) {
    Random rnd = new Random(rows * 31L + count);
    float[] bank = RandomData.gaussian(rnd, rows * dim);
    float[] q = RandomData.queriesNear(rnd, bank, rows, count, dim);
    double[] expDist = new double[count * k];
    int[] expIdx = new int[count * k];
    naive(bank, rows, q, count, dim, k, expDist, expIdx);
    float[] dist = new float[count * k];
    int[] idx = new int[count * k];
    Computes.cpu().neighbourIndex(bank, rows, dim).search(q, count, k, dist, idx, POOL);
    assertThat(idx).containsExactly(expIdx);
    for (int i = 0; i < dist.length; i++) {
      assertThat((double) dist[i]).as("distance %d", i).isCloseTo(expDist[i], org.assertj.core.api.Assertions.within(
          1e-6 * Math.max(1e-12, Math.abs(expDist[i]))));
    }
  }

  @Test
  void search_tiesGoToLowerIndex() {
    float[] bank = {1, 0, 0, 1, 1, 0, -1, 0};
    float[] q = {0, 0};
    float[] dist = new float[4];
    int[] idx = new int[4];
    Computes.cpu().neighbourIndex(bank, 4, 2).search(q, 1, 4, dist, idx, null);
    assertThat(idx).containsExactly(0, 1, 2, 3);
    assertThat(dist).containsExactly(1f, 1f, 1f, 1f);
  }

  @Test
  void search_kLargerThanBank() {
    var index = Computes.cpu().neighbourIndex(new float[4], 2, 2);
    assertThatThrownBy(() -> index.search(new float[2], 1, 3, new float[3], new int[3], null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 3");
  }

  @Test
  void neighbourIndex_shapeMismatch() {
    assertThatThrownBy(() -> Computes.cpu().neighbourIndex(new float[10], 3, 4))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3x4").hasMessageContaining("10");
  }

  @Test
  void coresetUpdate_matchesDirectDistances() {
    Random rnd = new Random(5);
    int rows = 40000;
    int dim = 6;
    float[] pts = RandomData.gaussian(rnd, rows * dim);
    try (Compute.CoresetKernel kernel = Computes.cpu().coresetKernel(pts, rows, dim)) {
      float[] running = new float[rows];
      java.util.Arrays.fill(running, Float.POSITIVE_INFINITY);
      int best = kernel.update(17, running, POOL);
      int expectBest = 0;
      for (int i = 0; i < rows; i++) {
        double d = Math.sqrt(SearchSteps.exactSquared(pts, i * dim, pts, 17 * dim, dim));
        // float32 norm expansion: error ~ sqrt(eps * |p|^2) near zero, ~1e-6 relative elsewhere
        assertThat((double) running[i]).isCloseTo(d, org.assertj.core.api.Assertions.within(2e-3));
        if (running[i] > running[expectBest]) {
          expectBest = i;
        }
      }
      assertThat(best).isEqualTo(expectBest);
      assertThat(running[17]).isZero();
    }
  }
}
