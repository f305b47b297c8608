package io.patchcore.internal.knn;

import static org.assertj.core.api.Assertions.assertThat;

import io.patchcore.ProgressListener;
import io.patchcore.knn.Compute;
import io.patchcore.knn.Computes;
import io.patchcore.sampling.Sampler;
import io.patchcore.sampling.Samplers;
import io.patchcore.testing.Busy;
import io.patchcore.testing.RandomData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The jblas k-NN search and the coreset projection, called from many threads at once on a CPU
 * made busy by spinning threads, give exactly the results of a sequential run.
 *
 * <p>This is the regression test of the wrong-scores-under-load defect: the OpenBLAS inside jblas
 * 1.2.5 is a single-threaded build whose buffer allocator takes no lock, so two threads inside
 * {@code sgemm} at once could share one packing buffer. Before the fix (one lock around every
 * jblas call, in {@link Blas}) this test failed on every run: with 8 threads, thousands of
 * searches, a few percent of GEMM calls came back wrong.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConcurrentSearchStressTest {
  static final int THREADS = 8;
  static final int ROUNDS = 6000;
  static final int ROWS = 200;
  static final int DIM = 32;
  static final int QUERIES = 16;
  static final int SETS = 16;
  static final int K = 3;

  record Result(float[] distances, int[] indices) {
    boolean sameAs(Result o) {
      return Arrays.equals(distances, o.distances) && Arrays.equals(indices, o.indices);
    }
  }

  static Result search(Compute.NeighbourIndex index, float[] queries) {
    float[] d = new float[QUERIES * K];
    int[] i = new int[QUERIES * K];
    index.search(queries, QUERIES, K, d, i, null);
    return new Result(d, i);
  }

  @Test
  void searchFromManyThreadsOnABusyCpuEqualsTheSequentialRun() throws Exception {
    Random rnd = new Random(8);
    float[] bank = RandomData.gaussian(rnd, ROWS * DIM);
    float[][] sets = new float[SETS][];
    for (int s = 0; s < SETS; s++) {
      sets[s] = RandomData.queriesNear(rnd, bank, ROWS, QUERIES, DIM);
    }
    try (Compute.NeighbourIndex index = Computes.cpu().neighbourIndex(bank, ROWS, DIM)) {
      Result[] expected = new Result[SETS];
      for (int s = 0; s < SETS; s++) {
        expected[s] = search(index, sets[s]);
      }
      int wrong = runConcurrently(t -> {
        int bad = 0;
        for (int r = 0; r < ROUNDS; r++) {
          int s = (t * 5 + r) % SETS;
          if (!search(index, sets[s]).sameAs(expected[s])) {
            bad++;
          }
        }
        return bad;
      });
      assertThat(wrong).as("searches (of %d) that differ from the sequential run", THREADS * ROUNDS).isZero();
    }
  }

  @Test
  void coresetProjectionFromManyThreadsOnABusyCpuEqualsTheSequentialRun() throws Exception {
    Random rnd = new Random(9);
    int rows = 120;
    int dim = 40;
    float[] features = RandomData.gaussian(rnd, rows * dim);
    Sampler sampler = Samplers.approximateGreedy(0.05, 16, 4);
    int[] expected = sampler.select(features, rows, dim, 5, Computes.cpu(), null, ProgressListener.NONE);
    int wrong = runConcurrently(t -> {
      int bad = 0;
      for (int r = 0; r < 4000; r++) {
        int[] got = sampler.select(features, rows, dim, 5, Computes.cpu(), null, ProgressListener.NONE);
        if (!Arrays.equals(got, expected)) {
          bad++;
        }
      }
      return bad;
    });
    assertThat(wrong).as("selections (of %d) that differ from the sequential run", THREADS * 4000).isZero();
  }

  interface Work {
    int run(int thread) throws Exception;
  }

  /** Runs {@code work} on THREADS threads released together, beside two busy threads; sums the results. */
  static int runConcurrently(Work work) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try (Busy busy = Busy.start(2)) {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Integer>> futures = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        futures.add(pool.submit(() -> {
          go.await();
          return work.run(thread);
        }));
      }
      go.countDown();
      int sum = 0;
      for (Future<Integer> f : futures) {
        sum += f.get(100, TimeUnit.SECONDS);
      }
      return sum;
    } finally {
      pool.shutdownNow();
    }
  }
}
