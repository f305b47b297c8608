package io.patchcore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.patchcore.feature.FeatureMap;
import io.patchcore.feature.FeatureMaps;
import io.patchcore.sampling.FeatureRows;
import io.patchcore.sampling.Sampler;
import io.patchcore.sampling.Samplers;
import io.patchcore.knn.Computes;
import io.patchcore.ProgressListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fitting with patch features streamed to a memory-mapped file gives the model of the in-memory
 * fit, bit for bit, for every sampler; the file is deleted after the fit, on failure too.
 */
class StreamingFitTest {
  @TempDir
  Path cache;

  static List<FeatureMaps> training(int images) {
    SplittableRandom r = new SplittableRandom(5);
    List<FeatureMaps> out = new ArrayList<>();
    for (int i = 0; i < images; i++) {
      out.add(new FeatureMaps(12, 12, List.of(
          new FeatureMap("a", 6, 12, 12, ModelFileTest.gaussian(r, 6 * 144)),
          new FeatureMap("b", 10, 6, 6, ModelFileTest.gaussian(r, 10 * 36)))));
    }
    return out;
  }

  static PatchCore.Builder config(Sampler sampler) {
    return PatchCore.builder().layers("a", "b").patchSize(3).pretrainDimension(32).targetDimension(24)
        .sampler(sampler).seed(11).threads(2);
  }

  long cacheFiles() throws IOException {
    try (Stream<Path> s = Files.list(cache)) {
      return s.count();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"approx", "exact", "random", "identity"})
  void streamedFit_givesTheInMemoryModel_bitForBit(String kind) throws IOException {
    Sampler sampler = switch (kind) {
      case "approx" -> Samplers.approximateGreedy(0.1, 8, 3);
      case "exact" -> Samplers.greedy(0.05);
      case "random" -> Samplers.random(0.2);
      default -> Samplers.identity();
    };
    List<FeatureMaps> train = training(20);
    List<String> stages = new ArrayList<>();
    try (PatchCoreModel inMemory = config(sampler).build().fitFeatures(train);
        PatchCoreModel streamed = config(sampler).featureMemoryBudget(10_000).featureCache(cache)
            .progressListener((stage, done, total) -> stages.add(stage)).build().fitFeatures(train)) {
      assertThat(streamed.bankSize()).isEqualTo(inMemory.bankSize());
      assertThat(streamed.candidateSize()).isEqualTo(20 * 144);
      assertThat(floatBits(streamed.memoryBank())).isEqualTo(floatBits(inMemory.memoryBank()));
      FeatureMaps test = training(21).get(20);
      assertThat(streamed.scoreFeatures(test).score()).isEqualTo(inMemory.scoreFeatures(test).score());
    }
    assertThat(stages).contains("extract");
    assertThat(cacheFiles()).as("feature cache files after the fit").isZero();
  }

  @Test
  void aFailingFit_leavesNoCacheFile() throws IOException {
    List<FeatureMaps> train = training(12);
    Iterable<FeatureMaps> failing = () -> new Iterator<>() {
      int i;

      @Override
      public boolean hasNext() {
        return i < train.size();
      }

      @Override
      public FeatureMaps next() {
        if (i == 10) {
          throw new IllegalArgumentException("training image 10 cannot be read");
        }
        return train.get(i++);
      }
    };
    PatchCore patchCore = config(Samplers.approximateGreedy(0.1, 8, 3)).featureMemoryBudget(0).featureCache(cache)
        .build();
    assertThatThrownBy(() -> patchCore.fitFeatures(failing)).hasMessageContaining("training image 10");
    assertThat(cacheFiles()).as("feature cache files after a failed fit").isZero();
  }

  @Test
  void projectionInSeveralBlocks_selectsWhatOneArraySelects() {
    // 5,000 x 1024 values are more than one projection block of 2^22
    int rows = 5000;
    int dim = 1024;
    SplittableRandom r = new SplittableRandom(2);
    float[] data = ModelFileTest.gaussian(r, rows * dim);
    FeatureRows array = FeatureRows.of(data, rows, dim);
    FeatureRows elsewhere = new FeatureRows() {
      @Override
      public int rows() {
        return rows;
      }

      @Override
      public int dimension() {
        return dim;
      }

      @Override
      public void read(int first, int count, float[] dst, int offset) {
        System.arraycopy(data, first * dim, dst, offset, count * dim);
      }
    };
    Sampler s = Samplers.approximateGreedy(0.01);
    List<String> stages = new ArrayList<>();
    int[] a = s.select(array, 3, Computes.cpu(), null, ProgressListener.NONE);
    int[] b = s.select(elsewhere, 3, Computes.cpu(), null, (stage, done, total) -> stages.add(stage));
    assertThat(b).containsExactly(a);
    assertThat(stages).contains("projection", "coreset");
  }

  @Test
  void builderChecksTheNewOptions() throws IOException {
    Path file = Files.writeString(cache.resolve("f.txt"), "x");
    assertThatThrownBy(() -> PatchCore.builder().featureCache(file)).hasMessageContaining("f.txt");
    assertThatThrownBy(() -> PatchCore.builder().featureMemoryBudget(-3)).hasMessageContaining("-3");
    assertThatThrownBy(() -> PatchCore.builder().featureMemoryBudget(3).featureMemoryBudget(4))
        .isInstanceOf(IllegalStateException.class);
  }

  static int[] floatBits(float[] a) {
    int[] b = new int[a.length];
    for (int i = 0; i < a.length; i++) {
      b[i] = Float.floatToRawIntBits(a[i]);
    }
    return b;
  }
}
