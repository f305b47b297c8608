package io.patchcore.backbones;

import ai.djl.Device;
import io.patchcore.Compute;
import io.patchcore.Computes;
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
 * Scoring one image (784 query patches, k nearest) with the libtorch CPU back end against the
 * jblas one. In this package to reach the package-private {@link DjlCompute} directly.
 *
 * <p>Run: {@code java -jar patchcore-bench/target/benchmarks.jar TorchKnnBenchmark}. The fork runs
 * DJL offline with tracking off and keeps its native-library cache under {@code target/}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true",
    "-DDJL_CACHE_DIR=target/djl-cache", "-DENGINE_CACHE_DIR=target/djl-cache"})
public class TorchKnnBenchmark {
  @Param({"10000", "40000"})
  int bankRows;

  @Param({"1024"})
  int dim;

  @Param({"1"})
  int k;

  static final int QUERIES = 784;

  float[] queries;
  Compute.NeighbourIndex jblas;
  Compute.NeighbourIndex torch;
  ExecutorService pool;

  @Setup(Level.Trial)
  public void setup() {
    SplittableRandom rnd = new SplittableRandom(42);
    float[] bank = new float[bankRows * dim];
    queries = new float[QUERIES * dim];
    for (int i = 0; i < bank.length; i++) {
      bank[i] = (float) rnd.nextDouble();
    }
    for (int i = 0; i < queries.length; i++) {
      queries[i] = (float) rnd.nextDouble();
    }
    jblas = Computes.cpu().neighbourIndex(bank, bankRows, dim);
    torch = new DjlCompute(Device.cpu()).neighbourIndex(bank, bankRows, dim);
    pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    torch.close();
    pool.shutdownNow();
  }

  @Benchmark
  public int[] jblasParallel() {
    float[] d = new float[QUERIES * k];
    int[] idx = new int[QUERIES * k];
    jblas.search(queries, QUERIES, k, d, idx, pool);
    return idx;
  }

  /** libtorch parallelises each GEMM itself; the executor is not used. */
  @Benchmark
  public int[] torchCpu() {
    float[] d = new float[QUERIES * k];
    int[] idx = new int[QUERIES * k];
    torch.search(queries, QUERIES, k, d, idx, null);
    return idx;
  }
}
