package io.patchcore.bench;

import io.patchcore.PatchCore;
import io.patchcore.knn.Compute;
import io.patchcore.knn.Computes;
import io.patchcore.torch.TorchCompute;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Scoring one image: {@code queries} query patches (784 = a 28 x 28 grid) against a memory bank of
 * {@code bankRows x dim}, k nearest, with each implementation: the jblas back end (parallel over
 * query blocks), the libtorch back end ({@code TorchCompute.cpu()}), the default back end found by
 * {@link Computes#defaultCompute()}, and a plain-Java loop baseline ({@code naiveLoop}). Data:
 * uniform random in [0, 1), seeded. Every fork runs DJL offline with tracking off.
 *
 * <p>Run: {@code java -jar patchcore-bench/target/benchmarks.jar KnnBenchmark -p bankRows=65536
 * -p dim=1024 -p k=1}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true",
    "-DDJL_CACHE_DIR=target/djl-cache", "-DENGINE_CACHE_DIR=target/djl-cache"})
public class KnnBenchmark {
  /** Memory-bank rows. */
  @Param({"65536"})
  int bankRows;

  /** Feature dimension. */
  @Param({"1024"})
  int dim;

  /** Neighbours per query. */
  @Param({"1", "5"})
  int k;

  /** Query patches per search. */
  @Param({"784"})
  int queries;

  float[] bank;
  float[] query;
  Compute.NeighbourIndex jblasIndex;
  Compute.NeighbourIndex torchIndex;
  Compute.NeighbourIndex defaultIndex;
  ExecutorService pool;

  /** Builds the data and one index per implementation. */
  @Setup(Level.Trial)
  public void setup() {
    SplittableRandom rnd = new SplittableRandom(42);
    bank = new float[bankRows * dim];
    query = new float[queries * dim];
    for (int i = 0; i < bank.length; i++) {
      bank[i] = (float) rnd.nextDouble();
    }
    for (int i = 0; i < query.length; i++) {
      query[i] = (float) rnd.nextDouble();
    }
    jblasIndex = Computes.cpu().neighbourIndex(bank, bankRows, dim);
    torchIndex = TorchCompute.cpu().neighbourIndex(bank, bankRows, dim);
    defaultIndex = Computes.defaultCompute().neighbourIndex(bank, bankRows, dim);
    pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
  }

  /** Frees the native indexes and the pool. */
  @TearDown(Level.Trial)
  public void tearDown() {
    torchIndex.close();
    defaultIndex.close();
    jblasIndex.close();
    pool.shutdownNow();
  }

  private int[] search(Compute.NeighbourIndex index, java.util.concurrent.Executor executor) {
    float[] d = new float[queries * k];
    int[] idx = new int[queries * k];
    index.search(query, queries, k, d, idx, executor);
    return idx;
  }

  /**
   * The jblas back end, query blocks in parallel on every core.
   *
   * @return the neighbours' indices
   */
  @Benchmark
  public int[] jblas() {
    return search(jblasIndex, pool);
  }

  /**
   * The libtorch back end on the CPU.
   *
   * @return the neighbours' indices
   */
  @Benchmark
  public int[] torch() {
    return search(torchIndex, null);
  }

  /**
   * The back end {@code PatchCore.builder()} uses when none is set.
   *
   * @return the neighbours' indices
   */
  @Benchmark
  public int[] defaultCompute() {
    return search(defaultIndex, pool);
  }

  /**
   * Baseline: a plain loop of squared differences in float, one thread, top k by insertion.
   *
   * @return the neighbours' indices
   */
  @Benchmark
  public int[] naiveLoop() {
    int[] idx = new int[queries * k];
    float[] best = new float[k];
    for (int q = 0; q < queries; q++) {
      java.util.Arrays.fill(best, Float.MAX_VALUE);
      int qo = q * dim;
      int base = q * k;
      for (int r = 0; r < bankRows; r++) {
        int ro = r * dim;
        float s = 0;
        for (int j = 0; j < dim; j++) {
          float diff = query[qo + j] - bank[ro + j];
          s += diff * diff;
        }
        if (s < best[k - 1]) {
          int pos = k - 1;
          while (pos > 0 && best[pos - 1] > s) {
            best[pos] = best[pos - 1];
            idx[base + pos] = idx[base + pos - 1];
            pos--;
          }
          best[pos] = s;
          idx[base + pos] = r;
        }
      }
    }
    return idx;
  }
}
