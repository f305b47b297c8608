package io.patchcore.torch;

import ai.djl.Device;
import io.patchcore.knn.Compute;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Times (prints, does not assert) the libtorch k-NN search of 784 queries against a 65,536 x 1024
 * bank, k = 1 and 5: the former float32 top-(k+8) search ({@link LegacyIndex}) against the screened
 * index in bfloat16 and in float32, in one JVM. Run with {@code -Dknn.bench=true}
 * ({@code -Dknn.bench.rows}, {@code -Dknn.bench.reps} to change the size and repetitions), or
 * through {@link #main}.
 */
class KnnSpeedTest {
  static final int QUERIES = 784;

  @Test
  @EnabledIfSystemProperty(named = "knn.bench", matches = "true")
  void printTimes() {
    main(new String[0]);
  }

  public static void main(String[] args) {
    int rows = Integer.getInteger("knn.bench.rows", 65_536);
    int dim = Integer.getInteger("knn.bench.dim", 1024);
    int reps = Integer.getInteger("knn.bench.reps", 3);
    for (String data : new String[] {"uniform", "near"}) {
      SplittableRandom rnd = new SplittableRandom(42);
      float[] bank = new float[rows * dim];
      float[] queries = new float[QUERIES * dim];
      for (int i = 0; i < bank.length; i++) {
        bank[i] = (float) rnd.nextDouble(); // as KnnBenchmark: distances concentrate
      }
      for (int q = 0; q < QUERIES; q++) {
        int r = rnd.nextInt(rows);
        for (int j = 0; j < dim; j++) {
          queries[q * dim + j] = data.equals("uniform") ? (float) rnd.nextDouble()
              : bank[r * dim + j] + (float) (0.05 * (rnd.nextDouble() - 0.5)); // near a bank row
        }
      }
      List<String> names = List.of("old float32 top-(k+8)", "screened bfloat16", "screened float32");
      List<Compute.NeighbourIndex> indexes = new ArrayList<>();
      long t0 = System.nanoTime();
      indexes.add(new LegacyIndex(bank, rows, dim));
      long t1 = System.nanoTime();
      indexes.add(new DjlCompute(Device.cpu(), 128, 1L << 21, DjlCompute.MAX_CHUNK_FLOATS, Screening.BF16)
          .neighbourIndex(bank, rows, dim));
      long t2 = System.nanoTime();
      indexes.add(new DjlCompute(Device.cpu(), 128, 1L << 21, DjlCompute.MAX_CHUNK_FLOATS, Screening.FLOAT32)
          .neighbourIndex(bank, rows, dim));
      long t3 = System.nanoTime();
      System.out.printf("KnnSpeedTest %s data, bank %dx%d, %d queries; build: old %.0f ms, bf16 %.0f ms, "
          + "float32 %.0f ms%n", data, rows, dim, QUERIES, (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6);
      try {
        for (int k : new int[] {1, 5}) {
          int[][] results = new int[3][];
          for (int i = 0; i < 3; i++) {
            double[] ms = new double[reps];
            long screened = ScreenedIndex.SCREENED_QUERIES.get();
            long reranked = ScreenedIndex.RERANKED_CANDIDATES.get();
            for (int rep = 0; rep < reps; rep++) {
              float[] d = new float[QUERIES * k];
              int[] ix = new int[QUERIES * k];
              long s = System.nanoTime();
              indexes.get(i).search(queries, QUERIES, k, d, ix, null);
              ms[rep] = (System.nanoTime() - s) / 1e6;
              results[i] = ix;
            }
            Arrays.sort(ms);
            long nq = ScreenedIndex.SCREENED_QUERIES.get() - screened;
            String cands = i == 0 ? "k + 8 = " + (k + 8) + " candidates per query"
                : String.format("%.1f candidates per query", (ScreenedIndex.RERANKED_CANDIDATES.get() - reranked)
                    / (double) Math.max(1, nq));
            System.out.printf("KnnSpeedTest %s k=%d %-22s min %7.0f ms, median %7.0f ms (%d runs), %s%n", data, k,
                names.get(i), ms[0], ms[reps / 2], reps, cands);
          }
          int differ = 0;
          for (int q = 0; q < QUERIES * k; q++) {
            differ += results[0][q] != results[1][q] || results[1][q] != results[2][q] ? 1 : 0;
          }
          System.out.printf("KnnSpeedTest %s k=%d: %d of %d neighbours differ between the three%n", data, k, differ,
              QUERIES * k);
        }
      } finally {
        indexes.forEach(Compute.NeighbourIndex::close);
      }
    }
  }
}
