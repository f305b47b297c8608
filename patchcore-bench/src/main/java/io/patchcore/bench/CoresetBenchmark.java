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
 * Greedy coreset selection of 1% of N candidate patches (one-shot: the whole selection per
 * invocation), approximate (128-dim projection) against exact (full dimension).
 *
 * <p>Run: {@code java -jar patchcore-bench/target/benchmarks.jar CoresetBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g"})
public class CoresetBenchmark {
  @Param({"50000"})
  int rows;

  @Param({"1024"})
  int dim;

  float[] features;

  @Setup(Level.Trial)
  public void setup() {
    SplittableRandom rnd = new SplittableRandom(7);
    features = new float[rows * dim];
    for (int i = 0; i < features.length; i++) {
      features[i] = (float) rnd.nextDouble();
    }
  }

  @Benchmark
  public int[] approximateGreedy() {
    return Samplers.approximateGreedy(0.01).select(features, rows, dim, 1, Computes.cpu(), null,
        ProgressListener.NONE);
  }

  @Benchmark
  public int[] exactGreedy() {
    return Samplers.greedy(0.01).select(features, rows, dim, 1, Computes.cpu(), null, ProgressListener.NONE);
  }
}
