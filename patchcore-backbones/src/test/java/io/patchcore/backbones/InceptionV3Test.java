package io.patchcore.backbones;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.patchcore.feature.FeatureExtractor;
import io.patchcore.feature.FeatureMap;
import io.patchcore.feature.FeatureMaps;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

/** The bundled InceptionV3 features. */
class InceptionV3Test {

  @Test
  void loadsAndGivesMixed2AndMixed5() {
    try (FeatureExtractor fe = Backbones.inceptionV3()) {
      assertThat(fe.layerNames()).containsExactly("mixed2", "mixed5");
      assertThat(fe.id()).isEqualTo("inception_v3_imagenet_features.pt:" + Backbones.INCEPTION_SHA256
          + " Preprocessing[resize=off, crop=off, Normalization[none]]");
      FeatureMaps maps = fe.extract(TestImages.read("ihc.png").getSubimage(0, 0, 224, 224));
      FeatureMap m2 = maps.layer("mixed2");
      FeatureMap m5 = maps.layer("mixed5");
      assertThat(new int[] {m2.channels(), m2.height(), m2.width()}).containsExactly(288, 25, 25);
      assertThat(new int[] {m5.channels(), m5.height(), m5.width()}).containsExactly(768, 12, 12);
      float max = 0;
      for (float v : m5.toArray()) {
        assertThat(Float.isFinite(v)).isTrue();
        max = Math.max(max, v);
      }
      assertThat(max).isGreaterThan(0f); // ReLU features of a real image are not all zero
    }
  }

  @Test
  void smallestSupportedSize() {
    try (FeatureExtractor fe = Backbones.inceptionV3Builder().inputSize(75, 75).resize(75).centerCrop(75).build()) {
      FeatureMaps maps = fe.extract(TestImages.read("chelsea.png"));
      assertThat(maps.layer("mixed2").height()).isEqualTo(7);
      assertThat(maps.layer("mixed5").height()).isEqualTo(3);
    }
  }

  @Test
  void imagesBelowTheWorkingMinimumAreRefusedClearly() {
    // 42 pixels fail inside the model's "valid" convolutions; 43 is the smallest side that runs
    try (FeatureExtractor fe = Backbones.inceptionV3()) {
      assertThatThrownBy(() -> fe.extract(new BufferedImage(200, 42, BufferedImage.TYPE_INT_RGB)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("image 200x42 (WxH) is smaller than the backbone's minimum input of 43x43")
          .hasMessageContaining("inception_v3_imagenet_features.pt");
      assertThat(fe.extract(new BufferedImage(43, 200, BufferedImage.TYPE_INT_RGB)).layer("mixed5").width())
          .isEqualTo(1);
    }
  }
}
