package io.patchcore;

import static io.patchcore.testing.Close.assertClose;
import static org.assertj.core.api.Assertions.assertThat;

import io.patchcore.feature.FeatureMap;
import io.patchcore.feature.FeatureMaps;
import io.patchcore.knn.Compute;
import io.patchcore.knn.Computes;
import io.patchcore.sampling.Samplers;
import io.patchcore.testing.Npy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** k-NN distances and indices, MAX and REWEIGHTED image scores against golden case nn_*. */
class NearestNeighbourGoldenTest {
  static final int DIM = 64;
  static final float[] BANK = Npy.golden("nn_bank.npy").floats();
  static final float[] QUERY = Npy.golden("nn_query.npy").floats();

  @ParameterizedTest(name = "k={0}")
  @ValueSource(ints = {1, 3})
  void kernel_distancesAndIndices(int k) {
    float[] expectedDist = Npy.golden("nn_k" + k + "_sqdist.npy").floats();
    int[] expectedIdx = Npy.golden("nn_k" + k + "_index.npy").ints();
    float[] dist = new float[150 * k];
    int[] idx = new int[150 * k];
    try (Compute.NeighbourIndex index = Computes.cpu().neighbourIndex(BANK, 600, DIM)) {
      index.search(QUERY, 150, k, dist, idx, Runnable::run);
    }
    assertThat(idx).containsExactly(expectedIdx);
    assertClose(dist, expectedDist, 0, 1e-5, "squared distances k=" + k);
  }

  /**
   * One 64-channel layer, patch size 1 and dimensions 64: each embedding row is exactly the
   * channel vector at a grid position, so the golden bank and queries go through the public API.
   */
  static FeatureMaps asMaps(float[] rows, int image) {
    float[] chw = new float[DIM * 25];
    for (int pos = 0; pos < 25; pos++) {
      for (int c = 0; c < DIM; c++) {
        chw[c * 25 + pos] = rows[(image * 25 + pos) * DIM + c];
      }
    }
    return new FeatureMaps(5, 5, List.of(new FeatureMap("f", DIM, 5, 5, chw)));
  }

  static PatchCoreModel fit(PatchCore.Builder builder) {
    List<FeatureMaps> train = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      train.add(asMaps(BANK, i));
    }
    return builder.patchSize(1).pretrainDimension(DIM).targetDimension(DIM).sampler(Samplers.identity())
        .build().fitFeatures(train);
  }

  @ParameterizedTest(name = "k={0}")
  @ValueSource(ints = {1, 3})
  void model_maxImageScoreAndPatchScores(int k) {
    float[] expectedImage = Npy.golden("nn_k" + k + "_image_score.npy").floats();
    float[] expectedPatch = Npy.golden("nn_k" + k + "_patch_score.npy").floats();
    try (PatchCoreModel model = fit(PatchCore.builder().neighbours(k))) {
      assertThat(model.bankSize()).isEqualTo(600);
      assertThat(model.memoryBank()).containsExactly(BANK);
      for (int i = 0; i < 6; i++) {
        AnomalyResult r = model.scoreFeatures(asMaps(QUERY, i));
        assertClose(new double[] {r.score()}, new double[] {expectedImage[i]}, 0, 1e-5, "image " + i);
        float[] patch = r.patchScores().toArray();
        float[] exp = java.util.Arrays.copyOfRange(expectedPatch, i * 25, i * 25 + 25);
        assertClose(patch, exp, 0, 1e-5, "patch scores of image " + i);
        assertThat(r.map().height()).isEqualTo(5);
        assertThat(r.map().width()).isEqualTo(5);
      }
    }
  }

  @Test
  void model_reweightedScoreIsPaperEq7() {
    float[] expected = Npy.golden("nn_rw_score_squared_variant.npy").floats();
    float[] weights = Npy.golden("nn_rw_weight.npy").floats();
    float[] maxPatch = Npy.golden("nn_k1_image_score.npy").floats();
    try (PatchCoreModel model = fit(PatchCore.builder().imageScoring(ImageScoring.REWEIGHTED).reweightingNeighbours(9))) {
      for (int i = 0; i < 6; i++) {
        double score = model.scoreFeatures(asMaps(QUERY, i)).score();
        assertClose(new double[] {score}, new double[] {expected[i]}, 0, 1e-5, "reweighted image " + i);
        assertClose(new double[] {score / maxPatch[i]}, new double[] {weights[i]}, 0, 1e-5, "weight of image " + i);
      }
    }
  }
}
