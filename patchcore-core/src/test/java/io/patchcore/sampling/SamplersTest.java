package io.patchcore.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.patchcore.ProgressListener;
import io.patchcore.internal.feature.Gaussian;
import io.patchcore.internal.knn.SearchSteps;
import io.patchcore.knn.Computes;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SamplersTest {
  static final ExecutorService POOL = Executors.newFixedThreadPool(2);

  @AfterAll
  static void shutdown() {
    POOL.shutdownNow();
  }

  /** 20 tight Gaussian clusters of very different sizes in 200 dimensions. */
  static float[] clustered(int rows, int dim, long seed) {
    Random rnd = new Random(seed);
    int clusters = 20;
    float[][] centres = new float[clusters][dim];
    for (float[] c : centres) {
      for (int j = 0; j < dim; j++) {
        c[j] = (float) (rnd.nextGaussian() * 10);
      }
    }
    float[] data = new float[rows * dim];
    for (int i = 0; i < rows; i++) {
      // cluster 0 holds most points, the others are rare
      int c = rnd.nextDouble() < 0.8 ? 0 : 1 + rnd.nextInt(clusters - 1);
      for (int j = 0; j < dim; j++) {
        data[i * dim + j] = centres[c][j] + (float) (rnd.nextGaussian() * 0.5);
      }
    }
    return data;
  }

  static int[] select(Sampler s, float[] data, int rows, int dim, long seed) {
    return s.select(data, rows, dim, seed, Computes.cpu(), POOL, ProgressListener.NONE);
  }

  static Stream<Arguments> samplers() {
    return Stream.of(
        Arguments.of(Samplers.random(0.1)),
        Arguments.of(Samplers.approximateGreedy(0.1)),
        Arguments.of(Samplers.greedy(0.1)),
        Arguments.of(Samplers.approximateGreedy(0.037, 16, 3)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samplers")
  void select_sizeUniqueInRangeDeterministic(Sampler sampler) {
    int rows = 1234;
    int dim = 200;
    float[] data = clustered(rows, dim, 1);
    int[] a = select(sampler, data, rows, dim, 7);
    int expected = sampler.sampleSize(rows);
    assertThat(a).hasSize(expected);
    assertThat(expected).isEqualTo((int) Math.floor(rows * (sampler.description().contains("0.037") ? 0.037 : 0.1)));
    assertThat(IntStream.of(a).distinct().count()).isEqualTo(a.length);
    assertThat(IntStream.of(a).allMatch(i -> i >= 0 && i < rows)).isTrue();
    assertThat(select(sampler, data, rows, dim, 7)).containsExactly(a);
    assertThat(select(sampler, data, rows, dim, 8)).isNotEqualTo(a);
  }

  @Test
  void identity_keepsAll() {
    int[] all = select(Samplers.identity(), new float[30], 10, 3, 1);
    assertThat(all).containsExactly(IntStream.range(0, 10).toArray());
  }

  /** Largest distance from any point to its nearest selected point. */
  static double coverage(float[] data, int rows, int dim, int[] centres) {
    double worst = 0;
    for (int i = 0; i < rows; i++) {
      double best = Double.MAX_VALUE;
      for (int c : centres) {
        best = Math.min(best, SearchSteps.exactSquared(data, i * dim, data, c * dim, dim));
      }
      worst = Math.max(worst, best);
    }
    return Math.sqrt(worst);
  }

  @Test
  void approximateGreedy_coversBetterThanRandom() {
    int rows = 3000;
    int dim = 200;
    float[] data = clustered(rows, dim, 3);
    for (long seed : List.of(1L, 2L, 3L)) {
      double greedy = coverage(data, rows, dim, select(Samplers.approximateGreedy(0.01), data, rows, dim, seed));
      double exact = coverage(data, rows, dim, select(Samplers.greedy(0.01), data, rows, dim, seed));
      double random = coverage(data, rows, dim, select(Samplers.random(0.01), data, rows, dim, seed));
      assertThat(greedy).as("approximate greedy vs random, seed %d", seed).isLessThan(random);
      assertThat(exact).as("exact greedy vs random, seed %d", seed).isLessThan(random);
    }
  }

  @Test
  void greedy_reportsProgress() {
    int rows = 500;
    float[] data = clustered(rows, 20, 4);
    long[] last = new long[2];
    Samplers.greedy(0.2).select(data, rows, 20, 1, Computes.cpu(), null, (stage, done, total) -> {
      assertThat(stage).isEqualTo("coreset");
      last[0] = done;
      last[1] = total;
    });
    assertThat(last).containsExactly(100, 100);
  }

  @Test
  void coreset_zero() {
    assertThatThrownBy(() -> Samplers.approximateGreedy(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got 0.0");
  }

  @Test
  void coreset_aboveOne() {
    assertThatThrownBy(() -> Samplers.greedy(1.5)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1.5");
  }

  @Test
  void coreset_nan() {
    assertThatThrownBy(() -> Samplers.random(Double.NaN)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NaN");
  }

  @Test
  void approximateGreedy_badProjection() {
    assertThatThrownBy(() -> Samplers.approximateGreedy(0.1, 0, 10)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got 0");
    assertThatThrownBy(() -> Samplers.approximateGreedy(0.1, 128, -2)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got -2");
  }

  @Test
  void describe_namesParameters() {
    assertThat(Samplers.approximateGreedy(0.1).description()).isEqualTo("approx-greedy(p=0.1, projection=128, starts=10)");
    assertThat(Arrays.asList(Samplers.identity().toString(), Samplers.greedy(0.5).toString()))
        .containsExactly("identity", "greedy(p=0.5, starts=10)");
  }
}
