package io.patchcore.bench;

import io.patchcore.torch.TorchCompute;
import io.patchcore.knn.Compute;
import io.patchcore.knn.Computes;
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
 * Scoring one image: 784 query patches against a memory bank, k nearest. Compares the jblas kernel
 * (single thread and parallel over query blocks) and the libtorch CPU back end
 * ({@code TorchCompute.cpu()}, which parallelises each GEMM itself) with a plain-Java loop
 * baseline. The fork runs DJL offline with tracking off.
 *
 * <p>Run: {@code java -jar patchcore-bench/target/benchmarks.jar KnnBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true",
    "-DDJL_CACHE_DIR=target/djl-cache", "-DENGINE_CACHE_DIR=target/djl-cache"})
public class KnnBenchmark {
  @Param({"10000", "40000"})
  int bankRows;

  @Param({"1024"})
  int dim;

  @Param({"1"})
  int k;

  static final int QUERIES = 784;

  float[] bank;
  float[] queries;
  Compute.NeighbourIndex index;
  Compute.NeighbourIndex torch;
  ExecutorService pool;

  @Setup(Level.Trial)
  public void setup() {
    SplittableRandom rnd = new SplittableRandom(42);
    bank = new float[bankRows * dim];
    queries = new float[QUERIES * dim];
    for (int i = 0; i < bank.length; i++) {
      bank[i] = (float) rnd.nextDouble();
    }
    for (int i = 0; i < queries.length; i++) {
      queries[i] = (float) rnd.nextDouble();
    }
    index = Computes.cpu().neighbourIndex(bank, bankRows, dim);
    torch = io.patchcore.torch.TorchCompute.cpu().neighbourIndex(bank, bankRows, dim);
    pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    torch.close();
    pool.shutdownNow();
  }

  @Benchmark
  public int[] jblasSingleThread() {
    float[] d = new float[QUERIES * k];
    int[] idx = new int[QUERIES * k];
    index.search(queries, QUERIES, k, d, idx, null);
    return idx;
  }

  @Benchmark
  public int[] jblasParallel() {
    float[] d = new float[QUERIES * k];
    int[] idx = new int[QUERIES * k];
    index.search(queries, QUERIES, k, d, idx, pool);
    return idx;
  }

  @Benchmark
  public int[] torchCpu() {
    float[] d = new float[QUERIES * k];
    int[] idx = new int[QUERIES * k];
    torch.search(queries, QUERIES, k, d, idx, null);
    return idx;
  }

  /** Baseline: direct squared differences, k = 1, one thread. */
  @Benchmark
  public int[] naiveLoop() {
    int[] idx = new int[QUERIES];
    for (int q = 0; q < QUERIES; q++) {
      double best = Double.MAX_VALUE;
      int qo = q * dim;
      for (int r = 0; r < bankRows; r++) {
        int ro = r * dim;
        float s = 0;
        for (int j = 0; j < dim; j++) {
          float diff = queries[qo + j] - bank[ro + j];
          s += diff * diff;
        }
        if (s < best) {
          best = s;
          idx[q] = r;
        }
      }
    }
    return idx;
  }
}
