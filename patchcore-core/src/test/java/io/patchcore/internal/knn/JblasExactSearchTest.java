package io.patchcore.internal.knn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The jblas index is exact: on data where float32 screening cannot tell rows apart (near-duplicates
 * with huge norms, ties, clusters, tiny scales) it returns what a double-precision brute force
 * written here returns, the same rows (ties to the lower index) and distances within 1e-6 relative,
 * for k up to 16; where its bound cannot prove the screened candidates complete it searches the
 * query exhaustively, and the test checks that this happens on such data.
 */
class JblasExactSearchTest {
  static ExecutorService pool;

  @BeforeAll
  static void start() {
    pool = Executors.newFixedThreadPool(3);
  }

  @AfterAll
  static void stop() {
    pool.shutdownNow();
  }

  /** Rows sorted by (exact double distance, index): the definition of the answer. */
  static int[] reference(float[] bank, int rows, int dim, float[] q, int qOff, int k, double[] dist) {
    List<Integer> order = new ArrayList<>();
    double[] d = new double[rows];
    for (int r = 0; r < rows; r++) {
      double s = 0;
      for (int j = 0; j < dim; j++) {
        double t = (double) q[qOff + j] - bank[r * dim + j];
        s += t * t;
      }
      d[r] = s;
      order.add(r);
    }
    order.sort(Comparator.<Integer>comparingDouble(r -> d[r]).thenComparingInt(r -> r));
    int[] out = new int[k];
    for (int i = 0; i < k; i++) {
      out[i] = order.get(i);
      dist[i] = d[out[i]];
    }
    return out;
  }

  static void assertExact(float[] bank, int rows, int dim, float[] queries, int count, int k,
      JblasCompute.Index index) {
    float[] dist = new float[count * k];
    int[] idx = new int[count * k];
    index.search(queries, count, k, dist, idx, pool);
    for (int q = 0; q < count; q++) {
      double[] refDist = new double[k];
      int[] ref = reference(bank, rows, dim, queries, q * dim, k, refDist);
      for (int i = 0; i < k; i++) {
        assertThat(idx[q * k + i]).as("query %d neighbour %d", q, i).isEqualTo(ref[i]);
        assertThat((double) dist[q * k + i]).as("query %d distance %d", q, i)
            .isCloseTo(refDist[i], org.assertj.core.data.Offset.offset(1e-6 * Math.max(refDist[i], 1e-30)));
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 5, 16})
  void nearDuplicatesWithHugeNorms_exactAndProvenOrSearchedExhaustively(int k) {
    Random rnd = new Random(11 + k);
    int rows = 3000;
    int dim = 64;
    float[] base = new float[dim];
    for (int j = 0; j < dim; j++) {
      base[j] = (float) (1000 + 100 * rnd.nextGaussian());
    }
    float[] bank = new float[rows * dim];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < dim; j++) {
        // most rows differ from the base by about one float ulp of 1000 in a few coordinates
        bank[r * dim + j] = base[j] + (rnd.nextInt(8) == 0 ? (float) (0.01 * rnd.nextGaussian()) : 0f);
      }
    }
    int count = 40;
    float[] queries = new float[count * dim];
    for (int i = 0; i < queries.length; i++) {
      queries[i] = base[i % dim] + (float) (0.005 * rnd.nextGaussian());
    }
    JblasCompute.Index index = (JblasCompute.Index) JblasCompute.INSTANCE.neighbourIndex(bank, rows, dim);
    assertExact(bank, rows, dim, queries, count, k, index);
    assertThat(index.exhaustiveQueries()).as("queries the float32 screening could not prove").isPositive();
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 4, 16})
  void duplicateRows_tiesGoToTheLowerIndex(int k) {
    Random rnd = new Random(5);
    int dim = 32;
    int distinct = 50;
    int rows = distinct * 20;
    float[] bank = new float[rows * dim];
    for (int r = 0; r < rows; r++) {
      Random row = new Random(r % distinct);
      for (int j = 0; j < dim; j++) {
        bank[r * dim + j] = (float) row.nextGaussian();
      }
    }
    int count = 30;
    float[] queries = new float[count * dim];
    for (int q = 0; q < count; q++) {
      int src = rnd.nextInt(rows);
      for (int j = 0; j < dim; j++) {
        queries[q * dim + j] = q % 2 == 0 ? bank[src * dim + j] : bank[src * dim + j] + (float) (0.1 * rnd.nextGaussian());
      }
    }
    assertExact(bank, rows, dim, queries, count, k,
        (JblasCompute.Index) JblasCompute.INSTANCE.neighbourIndex(bank, rows, dim));
  }

  @ParameterizedTest
  @ValueSource(doubles = {1e-15, 1e-3, 1, 1e6, 1e15})
  void clusteredDataAtEveryScale(double scale) {
    Random rnd = new Random(7);
    int dim = 48;
    int rows = 10_000; // more than one bank chunk
    float[] centres = new float[10 * dim];
    for (int i = 0; i < centres.length; i++) {
      centres[i] = (float) (5 * rnd.nextGaussian());
    }
    float[] bank = new float[rows * dim];
    for (int r = 0; r < rows; r++) {
      int c = rnd.nextInt(10);
      for (int j = 0; j < dim; j++) {
        bank[r * dim + j] = (float) (scale * (centres[c * dim + j] + 0.01 * rnd.nextGaussian()));
      }
    }
    int count = 60;
    float[] queries = new float[count * dim];
    for (int q = 0; q < count; q++) {
      int c = rnd.nextInt(10);
      for (int j = 0; j < dim; j++) {
        queries[q * dim + j] = (float) (scale * (centres[c * dim + j] + 0.01 * rnd.nextGaussian()));
      }
    }
    for (int k : new int[] {1, 5, 16}) {
      assertExact(bank, rows, dim, queries, count, k,
          (JblasCompute.Index) JblasCompute.INSTANCE.neighbourIndex(bank, rows, dim));
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 5})
  void uniformData_screeningProvesAlmostEveryQuery(int k) {
    Random rnd = new Random(3);
    int rows = 9000;
    int dim = 256;
    float[] bank = new float[rows * dim];
    for (int i = 0; i < bank.length; i++) {
      bank[i] = rnd.nextFloat();
    }
    int count = 200;
    float[] queries = new float[count * dim];
    for (int i = 0; i < queries.length; i++) {
      queries[i] = rnd.nextFloat();
    }
    JblasCompute.Index index = (JblasCompute.Index) JblasCompute.INSTANCE.neighbourIndex(bank, rows, dim);
    assertExact(bank, rows, dim, queries, count, k, index);
    // the bound is tight enough that the fast path serves typical data
    assertThat(index.exhaustiveQueries()).isLessThan(count / 10);
  }


  @org.junit.jupiter.api.Test
  void theIndexHoldsTheBankOnce() {
    int rows = 65_536;
    int dim = 256; // a 64 MiB bank
    float[] bank = new float[rows * dim];
    new Random(1).ints(0, 1000).limit(bank.length / 64).forEach(i -> bank[i * 64] = i);
    long before = usedHeap();
    JblasCompute.Index index = (JblasCompute.Index) JblasCompute.INSTANCE.neighbourIndex(bank, rows, dim);
    long after = usedHeap();
    // the norms are 256 KiB; a copy of the bank would be 64 MiB
    assertThat(after - before).as("heap held by the index beyond the caller's bank").isLessThan(16L << 20);
    int[] i = new int[1];
    index.search(java.util.Arrays.copyOf(bank, dim), 1, 1, new float[1], i, pool);
    assertThat(i[0]).isZero();
  }

  private static long usedHeap() {
    Runtime rt = Runtime.getRuntime();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      used = Math.min(used, rt.totalMemory() - rt.freeMemory());
    }
    return used;
  }
}
