package io.patchcore.backbones;

import static io.patchcore.testing.Close.assertClose;
import static org.assertj.core.api.Assertions.assertThat;

import io.patchcore.AnomalyResult;
import io.patchcore.PatchCore;
import io.patchcore.PatchCoreModel;
import io.patchcore.feature.FeatureExtractor;
import io.patchcore.feature.FeatureMaps;
import io.patchcore.sampling.Samplers;
import io.patchcore.testing.Npy;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Golden case {@code backbone_patchcore_ihc}: the bundled MobileNetV2 on 224x224 crops of
 * scikit-image's ihc.png (crops 0-7 fit, 8-11 held out) and brick.png (out of distribution),
 * p=3, s=1, Dp=Dt=256, identity sampler, k=1.
 */
class BundledPatchCoreGoldenTest {
  static final int[] ROWS = {0, 144, 288};
  static final int[] COLS = {0, 96, 192, 288};
  static final int[][] BRICK = {{0, 0}, {0, 288}, {288, 0}, {288, 288}};

  static FeatureExtractor backbone;
  static PatchCoreModel model;
  static List<AnomalyResult> results;

  static BufferedImage crop(BufferedImage image, int top, int left) {
    return image.getSubimage(left, top, 224, 224);
  }

  static BufferedImage ihcCrop(BufferedImage ihc, int i) {
    return crop(ihc, ROWS[i / 4], COLS[i % 4]);
  }

  @BeforeAll
  static void fitAndScore() {
    backbone = Backbones.bundledDefault();
    BufferedImage ihc = TestImages.read("ihc.png");
    BufferedImage brick = TestImages.read("brick.png");
    List<BufferedImage> train = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      train.add(ihcCrop(ihc, i));
    }
    model = PatchCore.builder().backbone(backbone).patchSize(3).patchStride(1).pretrainDimension(256)
        .targetDimension(256).sampler(Samplers.identity()).neighbours(1).build().fit(train);
    List<BufferedImage> scored = new ArrayList<>();
    for (int i = 8; i < 12; i++) {
      scored.add(ihcCrop(ihc, i));
    }
    for (int[] b : BRICK) {
      scored.add(crop(brick, b[0], b[1]));
    }
    results = model.scoreAll(scored);
  }

  @AfterAll
  static void close() {
    if (model != null) {
      model.close();
    }
    if (backbone != null) {
      backbone.close();
    }
  }

  @Test
  void featureMapsOfCrop0() {
    FeatureMaps maps = backbone.extract(ihcCrop(TestImages.read("ihc.png"), 0));
    assertThat(maps.layerNames()).containsExactly("block_6_expand_relu", "block_10_expand_relu");
    assertClose(maps.layers().get(0).toArray(), Npy.golden("bb_ihc_crop0_layer1.npy").floats(), 1e-4, 0, "layer 1");
    assertClose(maps.layers().get(1).toArray(), Npy.golden("bb_ihc_crop0_layer2.npy").floats(), 1e-4, 0, "layer 2");
  }

  @Test
  void memoryBankStartsWithTheEmbeddingOfCrop0() {
    assertThat(model.bankSize()).isEqualTo(6272);
    assertThat(model.dimension()).isEqualTo(256);
    float[] crop0 = Arrays.copyOf(model.memoryBank(), 784 * 256);
    assertClose(crop0, Npy.golden("bb_ihc_crop0_embedding.npy").floats(), 1e-4, 0, "embedding of crop 0");
  }

  @Test
  void imageScores() {
    float[] expected = Npy.golden("bb_image_scores.npy").floats();
    double[] got = results.stream().mapToDouble(AnomalyResult::score).toArray();
    double[] exp = new double[expected.length];
    for (int i = 0; i < exp.length; i++) {
      exp[i] = expected[i];
    }
    assertClose(got, exp, 0, 1e-4, "image scores");
    // out of distribution scores above every held-out real crop: AUROC 1
    double maxReal = Arrays.stream(got, 0, 4).max().orElseThrow();
    double minBrick = Arrays.stream(got, 4, 8).min().orElseThrow();
    assertThat(minBrick).isGreaterThan(maxReal);
  }

  @Test
  void patchScoreGrids() {
    float[] expected = Npy.golden("bb_patch_scores.npy").floats();
    for (int i = 0; i < 8; i++) {
      AnomalyResult r = results.get(i);
      assertThat(r.patchScores().height()).isEqualTo(28);
      assertThat(r.patchScores().width()).isEqualTo(28);
      // relative 1e-4 plus a small absolute floor for near-zero patch scores
      assertClose(r.patchScores().toArray(), Arrays.copyOfRange(expected, i * 784, (i + 1) * 784), 1e-4, 1e-4,
          "patch scores of scored image " + i);
    }
  }

  @Test
  void anomalyMapOfBrickCrop0() {
    AnomalyResult r = results.get(4);
    assertThat(r.map().height()).isEqualTo(224);
    assertThat(r.map().width()).isEqualTo(224);
    assertClose(r.map().toArray(), Npy.golden("bb_anomaly_map_scored4.npy").floats(), 1e-4, 1e-4,
        "anomaly map of brick crop 0");
  }
}
