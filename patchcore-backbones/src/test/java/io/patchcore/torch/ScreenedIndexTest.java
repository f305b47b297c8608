package io.patchcore.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.patchcore.knn.Compute;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The screened libtorch k-NN search against a naive double-precision brute force, on adversarial
 * data, with both screening precisions and with tiny blocks and chunks (several query blocks,
 * counts and bank sizes that are not multiples of them) as well as the default sizes.
 */
class ScreenedIndexTest {
  static final Compute BF16 = new DjlCompute(Device.cpu(), 128, 1L << 21, DjlCompute.MAX_CHUNK_FLOATS, Screening.BF16);
  static final Compute FP32 = new DjlCompute(Device.cpu(), 128, 1L << 21, DjlCompute.MAX_CHUNK_FLOATS,
      Screening.FLOAT32);
  /** Blocks of 7 queries, chunks of at most 97 rows. */
  static final Compute BF16_SMALL = new DjlCompute(Device.cpu(), 7, 7 * 97, 1L << 24, Screening.BF16);
  static final Compute FP32_SMALL = new DjlCompute(Device.cpu(), 7, 7 * 97, 1L << 24, Screening.FLOAT32);
  static final List<Compute> ALL = List.of(BF16, FP32, BF16_SMALL, FP32_SMALL);

  /** A data set: bank and queries, row-major. */
  record Data(String name, float[] bank, int rows, float[] queries, int count, int dim) {
    @Override
    public String toString() {
      return name + " (" + rows + "x" + dim + ", " + count + " queries)";
    }
  }

  // ---------------------------------------------------------------- the reference

  /** Naive brute force in double: the k nearest by (exact distance, index). */
  static void bruteForce(Data d, int k, double[] dist, int[] idx) {
    for (int q = 0; q < d.count; q++) {
      double[] all = new double[d.rows];
      Integer[] order = new Integer[d.rows];
      for (int r = 0; r < d.rows; r++) {
        double s = 0;
        for (int j = 0; j < d.dim; j++) {
          double diff = (double) d.queries[q * d.dim + j] - d.bank[r * d.dim + j];
          s += diff * diff;
        }
        all[r] = s;
        order[r] = r;
      }
      Arrays.sort(order, (x, y) -> {
        int c = Double.compare(all[x], all[y]);
        return c != 0 ? c : Integer.compare(x, y);
      });
      for (int i = 0; i < k; i++) {
        dist[q * k + i] = all[order[i]];
        idx[q * k + i] = order[i];
      }
    }
  }

  static void assertExact(Compute compute, Data d, int k) {
    double[] expDist = new double[d.count * k];
    int[] expIdx = new int[d.count * k];
    bruteForce(d, k, expDist, expIdx);
    long failures = ScreenedIndex.BOUND_FAILURES.get();
    float[] dist = new float[d.count * k];
    int[] idx = new int[d.count * k];
    try (Compute.NeighbourIndex index = compute.neighbourIndex(d.bank, d.rows, d.dim)) {
      index.search(d.queries, d.count, k, dist, idx, null);
    }
    assertThat(idx).as("indices of %s, k=%d, %s", d, k, compute).containsExactly(expIdx);
    for (int i = 0; i < dist.length; i++) {
      double e = expDist[i];
      // returned as float: relative 1e-6, or below the float range
      assertThat(Math.abs(dist[i] - e)).as("distance %d of %s, k=%d", i, d, k)
          .isLessThanOrEqualTo(1e-6 * e + Float.MIN_VALUE);
    }
    assertThat(ScreenedIndex.BOUND_FAILURES.get()).isEqualTo(failures);
  }

  // ---------------------------------------------------------------- data sets

  static float[] gaussian(Random rnd, int n, double scale) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (scale * rnd.nextGaussian());
    }
    return a;
  }

  static Data random(int rows, int count, int dim, long seed) {
    Random rnd = new Random(seed);
    float[] bank = gaussian(rnd, rows * dim, 1);
    float[] q = gaussian(rnd, count * dim, 1);
    for (int i = 0; i < count; i += 3) { // every third query near a bank row
      int r = rnd.nextInt(rows);
      for (int j = 0; j < dim; j++) {
        q[i * dim + j] = bank[r * dim + j] + (float) (1e-3 * rnd.nextGaussian());
      }
    }
    return new Data("random", bank, rows, q, count, dim);
  }

  /** Uniform [0, 1) data as in KnnBenchmark: distances concentrate, the hardest case to screen. */
  static Data uniform(int rows, int count, int dim, long seed) {
    Random rnd = new Random(seed);
    float[] bank = new float[rows * dim];
    float[] q = new float[count * dim];
    for (int i = 0; i < bank.length; i++) {
      bank[i] = rnd.nextFloat();
    }
    for (int i = 0; i < q.length; i++) {
      q[i] = rnd.nextFloat();
    }
    return new Data("uniform", bank, rows, q, count, dim);
  }

  /** Groups of rows differing in the last bits of a few coordinates; queries on and between them. */
  static Data nearDuplicates(long seed) {
    Random rnd = new Random(seed);
    int dim = 48;
    int groups = 60;
    int copies = 5;
    int rows = groups * copies;
    float[] bank = new float[rows * dim];
    for (int g = 0; g < groups; g++) {
      float[] base = gaussian(rnd, dim, 1);
      for (int c = 0; c < copies; c++) {
        int r = c * groups + g; // copies far apart in index order
        for (int j = 0; j < dim; j++) {
          float v = base[j];
          for (int u = 0; u < c; u++) {
            v = (j + u) % 3 == 0 ? Math.nextUp(v) : v;
          }
          bank[r * dim + j] = v;
        }
      }
    }
    int count = 131;
    float[] q = new float[count * dim];
    for (int i = 0; i < count; i++) {
      int r = rnd.nextInt(rows);
      for (int j = 0; j < dim; j++) {
        float v = bank[r * dim + j];
        q[i * dim + j] = i % 2 == 0 ? v : Math.nextDown(v);
      }
    }
    return new Data("near-duplicates", bank, rows, q, count, dim);
  }

  /** Small integer coordinates: many exact ties (duplicate rows and equidistant rows). */
  static Data ties(long seed) {
    Random rnd = new Random(seed);
    int dim = 12;
    int rows = 700;
    float[] bank = new float[rows * dim];
    for (int r = 0; r < rows; r++) {
      if (r >= 350 && r % 3 == 0) { // duplicates of earlier rows, at higher indices
        System.arraycopy(bank, rnd.nextInt(350) * dim, bank, r * dim, dim);
        continue;
      }
      for (int j = 0; j < dim; j++) {
        bank[r * dim + j] = rnd.nextInt(3) - 1;
      }
    }
    int count = 100;
    float[] q = new float[count * dim];
    for (int i = 0; i < count; i++) {
      for (int j = 0; j < dim; j++) {
        // on the lattice, or half way between points: equidistant rows
        q[i * dim + j] = i % 2 == 0 ? rnd.nextInt(3) - 1 : (rnd.nextInt(4) - 1.5f) * 0.5f;
      }
    }
    return new Data("exact ties", bank, rows, q, count, dim);
  }

  /** Rows at scale 1e4 and 1e-4 around different centres, and one row far from all. */
  static Data scales(long seed) {
    Random rnd = new Random(seed);
    int dim = 32;
    int rows = 1001;
    float[] bank = new float[rows * dim];
    for (int r = 0; r < rows - 1; r++) {
      double s = r % 2 == 0 ? 1e4 : 1e-4;
      double centre = r % 2 == 0 ? 0 : 3;
      for (int j = 0; j < dim; j++) {
        bank[r * dim + j] = (float) (centre + s * rnd.nextGaussian());
      }
    }
    for (int j = 0; j < dim; j++) {
      bank[(rows - 1) * dim + j] = 1e8f; // far from everything
    }
    int count = 60;
    float[] q = new float[count * dim];
    for (int i = 0; i < count; i++) {
      int r = i == count - 1 ? rows - 1 : rnd.nextInt(rows - 1);
      double s = i % 3 == 0 ? 1e-6 : i % 3 == 1 ? 1e-3 : 10;
      for (int j = 0; j < dim; j++) {
        q[i * dim + j] = (float) (bank[r * dim + j] + s * rnd.nextGaussian());
      }
    }
    return new Data("huge and tiny norms", bank, rows, q, count, dim);
  }

  /** Tight clusters (spread 1e-2) around 20 centres; queries near centres and near rows. */
  static Data clustered(long seed) {
    Random rnd = new Random(seed);
    int dim = 64;
    int rows = 2000;
    int clusters = 20;
    float[] centres = gaussian(rnd, clusters * dim, 5);
    float[] bank = new float[rows * dim];
    for (int r = 0; r < rows; r++) {
      int c = rnd.nextInt(clusters);
      for (int j = 0; j < dim; j++) {
        bank[r * dim + j] = (float) (centres[c * dim + j] + 1e-2 * rnd.nextGaussian());
      }
    }
    int count = 157;
    float[] q = new float[count * dim];
    for (int i = 0; i < count; i++) {
      boolean nearRow = i % 2 == 0;
      int src = nearRow ? rnd.nextInt(rows) : rnd.nextInt(clusters);
      float[] from = nearRow ? bank : centres;
      for (int j = 0; j < dim; j++) {
        q[i * dim + j] = (float) (from[src * dim + j] + (nearRow ? 1e-4 : 1e-2) * rnd.nextGaussian());
      }
    }
    return new Data("clustered", bank, rows, q, count, dim);
  }

  /** Values below the float32/bfloat16 normal range (flushed by the screening). */
  static Data subnormal(long seed) {
    Random rnd = new Random(seed);
    int dim = 16;
    int rows = 300;
    float[] bank = new float[rows * dim];
    for (int i = 0; i < bank.length; i++) {
      bank[i] = (float) (1e-39 * rnd.nextGaussian()) + (i % 5 == 0 ? (float) rnd.nextGaussian() * 1e-30f : 0);
    }
    float[] q = new float[40 * dim];
    for (int i = 0; i < q.length; i++) {
      q[i] = (float) (1e-39 * rnd.nextGaussian());
    }
    return new Data("subnormal", bank, rows, q, 40, dim);
  }

  static Stream<Arguments> dataSets() {
    List<Arguments> out = new ArrayList<>();
    List<Data> sets = List.of(random(3001, 257, 64, 1), uniform(2500, 100, 128, 2), nearDuplicates(3), ties(4),
        scales(5), clustered(6), subnormal(7));
    for (Data d : sets) {
      for (int k : new int[] {1, 5, 16}) {
        out.add(Arguments.of(d, k));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}, k={1}")
  @MethodSource("dataSets")
  void search_equalsDoubleBruteForce(Data data, int k) {
    for (Compute compute : ALL) {
      assertExact(compute, data, k);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dataSets")
  void bound_holdsWithoutTheSafetyFactor(Data data, int k) {
    if (k != 1) {
      return;
    }
    for (Compute compute : ALL) {
      try (Compute.NeighbourIndex index = compute.neighbourIndex(data.bank, data.rows, data.dim)) {
        double use = ((ScreenedIndex) index).maxBoundUse(data.queries, data.count);
        System.out.printf("ScreenedIndexTest: %s, %s: the error used %.4f of the bound (at most %.4f allowed)%n",
            data, index, use, 1 / ScreenedIndex.SAFETY);
        assertThat(use).as("largest share of the bound used on %s by %s", data, index)
            .isLessThanOrEqualTo(1 / ScreenedIndex.SAFETY);
      }
    }
  }

  @ParameterizedTest(name = "{0}, k={1}")
  @MethodSource("dataSets")
  void upperBounds_boundTheExactMean(Data data, int k) {
    double[] dist = new double[data.count * k];
    int[] idx = new int[data.count * k];
    bruteForce(data, k, dist, idx);
    for (Compute compute : ALL) {
      float[] bounds = new float[data.count + 1];
      bounds[data.count] = -1;
      try (Compute.NeighbourIndex index = compute.neighbourIndex(data.bank, data.rows, data.dim)) {
        index.upperBounds(data.queries, data.count, k, bounds, null);
      }
      double worst = 0;
      for (int q = 0; q < data.count; q++) {
        double s = 0;
        for (int j = 0; j < k; j++) {
          s += (float) dist[q * k + j];
        }
        float mean = (float) (s / k);
        assertThat(bounds[q]).as("bound of query %d of %s, k=%d, %s", q, data, k, compute)
            .isGreaterThanOrEqualTo(mean).isFinite();
        worst = Math.max(worst, (bounds[q] - mean) / (mean + 1e-3));
      }
      assertThat(bounds[data.count]).as("past count").isEqualTo(-1);
      System.out.printf("ScreenedIndexTest: %s, k=%d, %s: bounds at most %.3g above the mean (relative)%n", data, k,
          compute, worst);
    }
  }

  @Test
  void upperBounds_checkTheirArguments() {
    Data d = random(300, 4, 8, 3);
    try (Compute.NeighbourIndex index = BF16.neighbourIndex(d.bank, d.rows, d.dim)) {
      assertThatThrownBy(() -> index.upperBounds(d.queries, 4, 1, new float[3], null))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3");
      assertThatThrownBy(() -> index.upperBounds(d.queries, 4, 301, new float[4], null))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("301");
      assertThatThrownBy(() -> index.upperBounds(d.queries, 5, 1, new float[5], null))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("5x8");
    }
  }

  @Test
  void edgeShapes() {
    Random rnd = new Random(8);
    // one row; k = rows; constant bank (all ties); a bank smaller than k + 8
    assertExactAll(new Data("one row", gaussian(rnd, 5, 1), 1, gaussian(rnd, 15, 1), 3, 5), 1);
    Data small = new Data("k = rows", gaussian(rnd, 9 * 4, 1), 9, gaussian(rnd, 11 * 4, 1), 11, 4);
    assertExactAll(small, 9);
    float[] constant = new float[200 * 8];
    Arrays.fill(constant, 0.25f);
    assertExactAll(new Data("constant", constant, 200, gaussian(rnd, 10 * 8, 1), 10, 8), 16);
    // rows and counts around the block (7) and chunk (97) sizes of the small computes
    for (int rows : new int[] {96, 97, 98, 195}) {
      for (int count : new int[] {6, 7, 8, 15}) {
        assertExactAll(random(rows, count, 10, rows * 31L + count), 5);
      }
    }
  }

  @Test
  void nonFiniteRowsAndFarQueries() {
    Random rnd = new Random(9);
    int dim = 8;
    int rows = 400;
    float[] bank = gaussian(rnd, rows * dim, 1);
    bank[17 * dim + 3] = Float.NaN;
    bank[250 * dim] = Float.POSITIVE_INFINITY;
    float[] q = gaussian(rnd, 20 * dim, 1);
    for (int j = 0; j < dim; j++) {
      q[5 * dim + j] = 1e18f; // far beyond the bank: searched on the host
      q[6 * dim + j] = j == 3 ? 0 : bank[17 * dim + j]; // next to the NaN row
    }
    Data data = new Data("non-finite rows", bank, rows, q, 20, dim);
    assertExactAll(data, 5);
    upperBounds_boundTheExactMean(data, 5);
  }

  static void assertExactAll(Data d, int k) {
    for (Compute compute : ALL) {
      assertExact(compute, d, k);
    }
  }

  @Test
  void defaultComputeScreensAndChoosesAPath() {
    Data d = random(5000, 300, 96, 10);
    long screened = ScreenedIndex.SCREENED_QUERIES.get();
    assertExact(TorchCompute.cpu(), d, 5);
    assertThat(ScreenedIndex.SCREENED_QUERIES.get() - screened).isEqualTo(300);
    assertThat(((DjlCompute) TorchCompute.cpu()).screening()).isNotNull();
  }

  @Test
  void concurrentSearchesOfOneIndexAgree() throws Exception {
    Data d = clustered(13);
    int k = 5;
    double[] expDist = new double[d.count * k];
    int[] expIdx = new int[d.count * k];
    bruteForce(d, k, expDist, expIdx);
    for (Compute compute : List.of(BF16, FP32_SMALL)) {
      try (Compute.NeighbourIndex index = compute.neighbourIndex(d.bank, d.rows, d.dim)) {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
          List<java.util.concurrent.Future<int[]>> results = new ArrayList<>();
          for (int t = 0; t < 8; t++) {
            results.add(pool.submit(() -> {
              int[] idx = new int[d.count * k];
              index.search(d.queries, d.count, k, new float[d.count * k], idx, null);
              return idx;
            }));
          }
          for (java.util.concurrent.Future<int[]> r : results) {
            assertThat(r.get()).containsExactly(expIdx);
          }
        } finally {
          pool.shutdownNow();
        }
      }
    }
  }

  @Test
  void bankStoredInBfloat16Only() {
    // the bank's own float32 size vs. what the index holds natively is checked by the RSS test;
    // here: the index does not copy the bank on the Java side and keeps the screening it was given
    Data d = random(500, 10, 32, 11);
    try (Compute.NeighbourIndex index = BF16.neighbourIndex(d.bank, d.rows, d.dim)) {
      assertThat(((ScreenedIndex) index).screening()).isEqualTo(Screening.BF16);
    }
    try (Compute.NeighbourIndex index = FP32.neighbourIndex(d.bank, d.rows, d.dim)) {
      assertThat(((ScreenedIndex) index).screening()).isEqualTo(Screening.FLOAT32);
    }
  }

  @Test
  void roundingIsDirectFromDouble() {
    // 1 + 2^-8 + 2^-30: via float it would round to 1 + 2^-8 (a tie) and then to 1 (even); directly it is above the tie
    double x = 1 + 0x1p-8 + 0x1p-30;
    assertThat(Rounding.bf16(x)).isEqualTo(1 + 0x1p-7);
    assertThat(Rounding.bf16(1 + 0x1p-8)).isEqualTo(1.0); // tie to even
    assertThat(Rounding.bf16(1 + 3 * 0x1p-8)).isEqualTo(1 + 0x1p-6); // tie to even, upwards
    assertThat(Rounding.bf16(-255.5)).isEqualTo(-256.0);
    assertThat(Rounding.bf16(0x1p-127)).isZero(); // flushed
    assertThat(Rounding.round(Math.PI, 24)).isEqualTo((double) (float) Math.PI);
    Random rnd = new Random(12);
    for (int i = 0; i < 100_000; i++) {
      double v = rnd.nextGaussian() * Math.pow(2, rnd.nextInt(200) - 100);
      double r = Rounding.bf16(v);
      assertThat((double) (float) r).isEqualTo(r);
      assertThat(Float.floatToRawIntBits((float) r) & 0xFFFF).isZero();
      assertThat(Math.abs(r - v)).isLessThanOrEqualTo(0x1p-8 * Math.abs(r));
    }
  }
}
