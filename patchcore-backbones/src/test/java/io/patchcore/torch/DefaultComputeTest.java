package io.patchcore.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.patchcore.PatchCore;
import io.patchcore.PatchCoreModel;
import io.patchcore.feature.FeatureMap;
import io.patchcore.feature.FeatureMaps;
import io.patchcore.knn.Computes;
import io.patchcore.sampling.Samplers;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * With patchcore-backbones on the class path, {@link Computes#defaultCompute()} finds the libtorch
 * back end through {@link java.util.ServiceLoader}, and a model fitted and scored with it equals
 * one fitted and scored with jblas, bit for bit.
 */
class DefaultComputeTest {
  static FeatureMaps maps(Random rnd) {
    float[] a = new float[8 * 12 * 12];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) Math.abs(rnd.nextGaussian());
    }
    return new FeatureMaps(96, 96, List.of(new FeatureMap("l", 8, 12, 12, a)));
  }

  @Test
  void defaultCompute_isLibtorchForTheSearch() {
    assertThat(Computes.defaultCompute().name()).isEqualTo("torch-cpu");
    assertThat(Computes.named("auto")).isSameAs(Computes.defaultCompute());
    assertThat(Computes.named("jblas")).isSameAs(Computes.cpu());
    assertThat(Computes.named("torch").name()).isEqualTo("torch-cpu");
    assertThat(PatchCore.builder().build().toString()).contains("compute=torch-cpu");
  }

  @Test
  void named_unknownNamesTheValueAndTheKnownBackEnds() {
    assertThatThrownBy(() -> Computes.named("cuda-magic")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'cuda-magic'").hasMessageContaining("auto, jblas").hasMessageContaining("torch");
  }

  @Test
  void fitAndScore_sameBankAndScoresAsJblas() {
    Random rnd = new Random(4);
    List<FeatureMaps> train = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      train.add(maps(rnd));
    }
    List<FeatureMaps> test = List.of(maps(rnd), maps(rnd), maps(rnd));
    try (PatchCoreModel auto = PatchCore.builder().pretrainDimension(32).targetDimension(32)
            .sampler(Samplers.approximateGreedy(0.2, 16, 3)).neighbours(3).seed(9).build().fitFeatures(train);
        PatchCoreModel jblas = PatchCore.builder().pretrainDimension(32).targetDimension(32)
            .sampler(Samplers.approximateGreedy(0.2, 16, 3)).neighbours(3).seed(9).compute(Computes.cpu()).build()
            .fitFeatures(train)) {
      assertThat(auto.memoryBank()).isEqualTo(jblas.memoryBank());
      for (FeatureMaps m : test) {
        assertThat(auto.scoreFeatures(m).patchScores().toArray())
            .isEqualTo(jblas.scoreFeatures(m).patchScores().toArray());
      }
    }
  }
}
