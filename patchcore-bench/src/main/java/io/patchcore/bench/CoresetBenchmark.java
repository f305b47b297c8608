package io.patchcore.bench;

import io.patchcore.ProgressListener;
import io.patchcore.knn.Computes;
import io.patchcore.sampling.Samplers;
import java.util.SplittableRandom;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Greedy coreset selection of {@code fraction} of {@code rows} patch features (one-shot: the whole
 * selection, projection included, per invocation), approximate (128-dim projection) and exact
 * (full dimension), each with the default compute. {@code data=features}: real patch features
 * ({@link TissueFeatures}, the bundled MobileNetV2 on crops of the bundled tissue image, cached
 * under {@code target/}); {@code data=uniform}: seeded uniform noise, which has almost no structure
 * for the pruning to use. {@code threads}: 1 runs everything on the benchmark thread; more gives
 * the sampler a pool of that many threads, as {@code fit} does. {@code -jvmArgsAppend
 * -Dpatchcore.coreset.pruning=false} runs the unpruned loop (the same selection) for comparison.
 *
 * <p>Run: {@code java -jar patchcore-bench/target/benchmarks.jar CoresetBenchmark.approximateGreedy
 * -p data=features}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g", "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true",
    "-DDJL_CACHE_DIR=target/djl-cache", "-DENGINE_CACHE_DIR=target/djl-cache"})
public class CoresetBenchmark {
  /** {@code features} (real patch features) or {@code uniform} (noise). */
  @Param({"features", "uniform"})
  String data;

  /** Candidate patches. */
  @Param({"156800"})
  int rows;

  /** Feature dimension. */
  @Param({"1024"})
  int dim;

  /** Fraction of the candidates selected. */
  @Param({"0.1"})
  double fraction;

  /** Threads of the selection: 1 (the calling thread only) or the size of a worker pool. */
  @Param({"1"})
  int threads;

  float[] features;
  java.util.concurrent.ExecutorService pool;

  /** Loads or makes the candidate features. */
  @Setup(Level.Trial)
  public void setup() {
    if (data.equals("features")) {
      features = TissueFeatures.load(rows, dim);
    } else if (data.equals("uniform")) {
      SplittableRandom rnd = new SplittableRandom(7);
      features = new float[rows * dim];
      for (int i = 0; i < features.length; i++) {
        features[i] = (float) rnd.nextDouble();
      }
    } else {
      throw new IllegalArgumentException("data must be features or uniform, got '" + data + "'");
    }
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    pool = threads > 1 ? java.util.concurrent.Executors.newFixedThreadPool(threads) : null;
  }

  /** Stops the pool. */
  @org.openjdk.jmh.annotations.TearDown(Level.Trial)
  public void tearDown() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }

  /**
   * The approximate greedy coreset (128-dim projection, 10 starts).
   *
   * @return the selected rows
   */
  @Benchmark
  public int[] approximateGreedy() {
    return Samplers.approximateGreedy(fraction).select(features, rows, dim, 1, Computes.defaultCompute(), pool,
        ProgressListener.NONE);
  }

  /**
   * The exact greedy coreset (full dimension, 10 starts).
   *
   * @return the selected rows
   */
  @Benchmark
  public int[] exactGreedy() {
    return Samplers.greedy(fraction).select(features, rows, dim, 1, Computes.defaultCompute(), pool,
        ProgressListener.NONE);
  }
}
