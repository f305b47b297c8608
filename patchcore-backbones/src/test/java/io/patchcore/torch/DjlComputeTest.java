package io.patchcore.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.patchcore.AnomalyResult;
import io.patchcore.PatchCore;
import io.patchcore.PatchCoreModel;
import io.patchcore.feature.FeatureMap;
import io.patchcore.feature.FeatureMaps;
import io.patchcore.knn.Compute;
import io.patchcore.knn.Computes;
import io.patchcore.sampling.Samplers;
import io.patchcore.testing.RandomData;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The libtorch back end against the jblas one. */
class DjlComputeTest {
  static final Compute JBLAS = Computes.cpu();
  static final Compute TORCH = TorchCompute.cpu();
  /** Tiny blocks and chunks: several query blocks and bank chunks even for small inputs. */
  static final Compute CHUNKED = new DjlCompute(Device.cpu(), 32, 32 * 400, 3000);

  @ParameterizedTest(name = "bank {0}x{2}, queries {1}, k={3}")
  @CsvSource({
      "1, 1, 1, 1",
      "7, 3, 5, 5",
      "600, 150, 64, 1",
      "600, 150, 64, 5",
      "1000, 129, 33, 1",
      "5000, 300, 17, 5",
      "20000, 257, 8, 1", // two bank chunks with the default sizes (16384 rows each)
      "20000, 130, 8, 5"})
  void search_equalsJblas(int rows, int count, int dim, int k) {
    Random rnd = new Random(rows * 131L + count * 7L + k);
    float[] bank = RandomData.gaussian(rnd, rows * dim);
    float[] q = RandomData.queriesNear(rnd, bank, rows, count, dim);
    float[] expDist = new float[count * k];
    int[] expIdx = new int[count * k];
    try (Compute.NeighbourIndex index = JBLAS.neighbourIndex(bank, rows, dim)) {
      index.search(q, count, k, expDist, expIdx, null);
    }
    for (Compute compute : List.of(TORCH, CHUNKED)) {
      float[] dist = new float[count * k];
      int[] idx = new int[count * k];
      try (Compute.NeighbourIndex index = compute.neighbourIndex(bank, rows, dim)) {
        assertThat(index.rows()).isEqualTo(rows);
        assertThat(index.dimension()).isEqualTo(dim);
        index.search(q, count, k, dist, idx, null);
      }
      assertThat(idx).as("indices of %s", compute).containsExactly(expIdx);
      for (int i = 0; i < dist.length; i++) {
        assertThat((double) dist[i]).as("distance %d of %s", i, compute)
            .isCloseTo(expDist[i], org.assertj.core.data.Offset.offset(1e-4 * Math.max(1e-6, expDist[i])));
      }
    }
  }

  @Test
  void search_exactQueriesGiveZeroDistanceAndLowerIndexOnDuplicates() {
    int dim = 16;
    Random rnd = new Random(3);
    float[] bank = RandomData.gaussian(rnd, 50 * dim);
    System.arraycopy(bank, 10 * dim, bank, 40 * dim, dim); // row 40 duplicates row 10
    float[] q = new float[dim];
    System.arraycopy(bank, 40 * dim, q, 0, dim);
    float[] dist = new float[2];
    int[] idx = new int[2];
    try (Compute.NeighbourIndex index = TORCH.neighbourIndex(bank, 50, dim)) {
      index.search(q, 1, 2, dist, idx, null);
    }
    assertThat(idx).containsExactly(10, 40);
    assertThat(dist).containsExactly(0f, 0f);
  }

  @Test
  void search_rejectsBadArgumentsWithTheValue() {
    float[] bank = new float[12];
    try (Compute.NeighbourIndex index = TORCH.neighbourIndex(bank, 4, 3)) {
      assertThatThrownBy(() -> index.search(new float[3], 1, 5, new float[5], new int[5], null))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 5");
      assertThatThrownBy(() -> index.search(new float[4], 1, 1, new float[1], new int[1], null))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 4");
    }
    assertThatThrownBy(() -> TORCH.neighbourIndex(bank, 5, 3))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 12");
  }

  @Test
  void closeReleasesTheBankAndLaterSearchesFail() {
    float[] bank = RandomData.gaussian(new Random(1), 40);
    Compute.NeighbourIndex index = TORCH.neighbourIndex(bank, 10, 4);
    index.search(new float[4], 1, 1, new float[1], new int[1], null);
    index.close();
    index.close(); // idempotent
    assertThatThrownBy(() -> index.search(new float[4], 1, 1, new float[1], new int[1], null))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    Compute.CoresetKernel kernel = TORCH.coresetKernel(bank, 10, 4);
    kernel.close();
    assertThatThrownBy(() -> kernel.update(0, new float[10], null))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  @ParameterizedTest(name = "points {0}x{1}")
  @CsvSource({"1, 3", "300, 16", "2000, 64", "150000, 3"})
  void coreset_argmaxSequenceEqualsJblas(int rows, int dim) {
    float[] points = RandomData.gaussian(new Random(rows + dim), rows * dim);
    for (Compute compute : List.of(TORCH, CHUNKED)) {
      float[] expOut = new float[rows];
      float[] out = new float[rows];
      try (Compute.CoresetKernel j = JBLAS.coresetKernel(points, rows, dim);
          Compute.CoresetKernel t = compute.coresetKernel(points, rows, dim)) {
        j.distances(rows / 2, expOut, null);
        t.distances(rows / 2, out, null);
        assertThat(out[rows / 2]).isZero();
        assertClose(out, expOut, 1e-4);
        float[] expRunning = new float[rows];
        float[] running = new float[rows];
        java.util.Arrays.fill(expRunning, Float.POSITIVE_INFINITY);
        java.util.Arrays.fill(running, Float.POSITIVE_INFINITY);
        int expNext = 0;
        int next = 0;
        for (int step = 0; step < 50; step++) {
          int centre = next;
          expNext = j.update(expNext, expRunning, null);
          next = t.update(next, running, null);
          assertThat(next).as("argmax at step %d with %s", step, compute).isEqualTo(expNext);
          assertThat(running[centre]).as("running distance of centre %d", centre).isZero();
        }
        assertClose(running, expRunning, 1e-4);
      }
    }
  }

  static void assertClose(float[] actual, float[] expected, double rel) {
    for (int i = 0; i < actual.length; i++) {
      double tol = rel * Math.max(1, Math.abs(expected[i]));
      assertThat((double) actual[i]).as("element %d", i)
          .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(tol));
    }
  }

  static List<FeatureMaps> randomMaps(Random rnd, int images) {
    List<FeatureMaps> maps = new ArrayList<>();
    for (int b = 0; b < images; b++) {
      maps.add(new FeatureMaps(32, 32, List.of(
          new FeatureMap("l1", 24, 8, 8, RandomData.gaussian(rnd, 24 * 64)),
          new FeatureMap("l2", 32, 4, 4, RandomData.gaussian(rnd, 32 * 16)))));
    }
    return maps;
  }

  static PatchCore config(Compute compute) {
    return PatchCore.builder().patchSize(3).pretrainDimension(48).targetDimension(40)
        .sampler(Samplers.approximateGreedy(0.1, 16, 10)).neighbours(3).seed(42).compute(compute).build();
  }

  @Test
  void patchCore_sameCoresetAndScoresAsJblas() {
    Random rnd = new Random(11);
    List<FeatureMaps> train = randomMaps(rnd, 20);
    List<FeatureMaps> test = randomMaps(rnd, 6);
    try (PatchCoreModel expected = config(JBLAS).fitFeatures(train);
        PatchCoreModel actual = config(TORCH).fitFeatures(train)) {
      assertThat(actual.bankSize()).isEqualTo(expected.bankSize()).isEqualTo(128);
      assertThat(actual.memoryBank()).containsExactly(expected.memoryBank());
      assertThat(actual.configuration().toString()).contains("compute=torch-cpu");
      for (FeatureMaps maps : test) {
        AnomalyResult e = expected.scoreFeatures(maps);
        AnomalyResult a = actual.scoreFeatures(maps);
        assertThat(a.score()).isCloseTo(e.score(), org.assertj.core.data.Offset.offset(1e-5 * e.score()));
        assertClose(a.map().toArray(), e.map().toArray(), 1e-5);
      }
    }
  }

  @Test
  void factories() {
    assertThat(TorchCompute.cpu()).isSameAs(TORCH);
    assertThat(TORCH.name()).isEqualTo("torch-cpu");
    assertThat(((DjlCompute) TORCH).device()).isEqualTo(Device.cpu());
    assertThatThrownBy(() -> TorchCompute.gpu(-1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
    if (ai.djl.engine.Engine.getEngine("PyTorch").getGpuCount() == 0) {
      assertThat(TorchCompute.gpu(0)).isSameAs(TORCH); // falls back with a warning
    } else {
      assertThat(TorchCompute.gpu(0).name()).isEqualTo("torch-gpu0");
    }
  }
}
