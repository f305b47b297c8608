package io.patchcore.backbones;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.patchcore.testing.Npy;
import org.junit.jupiter.api.Test;

/** Golden vectors from torchvision {@code Resize(256) -> CenterCrop(224) -> ToTensor -> Normalize}. */
class PreprocessingTest {

  private static void assertPixelsEqual(RgbImage actual, String golden) {
    Npy npy = Npy.golden(golden + ".npy");
    int[] shape = npy.shape();
    assertThat(new int[] {actual.height, actual.width, 3}).as(golden + " shape").containsExactly(shape);
    int[] expected = npy.ints();
    int mismatches = 0;
    for (int i = 0; i < expected.length; i++) {
      if ((actual.pixels[i] & 0xff) != expected[i]) {
        mismatches++;
      }
    }
    assertThat(mismatches).as(golden + ": pixels differing from PIL").isZero();
  }

  @Test
  void resizeMatchesPilExactly() {
    for (String name : new String[] {"ihc", "chelsea"}) {
      RgbImage in = RgbImage.of(TestImages.read(name + ".png"));
      assertPixelsEqual(Preprocessing.resizeShorterSide(in, 256), "pre_" + name + "_resized256");
    }
  }

  @Test
  void resizeAndCropMatchTorchvision() {
    Preprocessing p = new Preprocessing(256, 224, Normalization.NONE);
    for (String name : new String[] {"ihc", "chelsea"}) {
      RgbImage out = p.transformPixels(RgbImage.of(TestImages.read(name + ".png")));
      assertPixelsEqual(out, "pre_" + name + "_crop224");
    }
  }

  @Test
  void normalisedTensorsMatchTorchvision() {
    for (String name : new String[] {"ihc", "chelsea"}) {
      for (String stats : new String[] {"hne", "imagenet"}) {
        Normalization n = stats.equals("hne") ? Normalization.HNE : Normalization.IMAGENET;
        Preprocessing.Chw chw = new Preprocessing(256, 224, n).apply(TestImages.read(name + ".png"));
        Npy expected = Npy.golden("pre_" + name + "_" + stats + ".npy");
        assertThat(new int[] {3, chw.height, chw.width}).containsExactly(expected.shape());
        float[] e = expected.floats();
        float maxDiff = 0;
        for (int i = 0; i < e.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(e[i] - chw.data[i]));
        }
        assertThat(maxDiff).as(name + " " + stats).isLessThanOrEqualTo(1e-5f);
      }
    }
  }

  @Test
  void customNormalisationEqualsTheNamedOne() {
    Normalization custom = Normalization.of(new float[] {0.6444f, 0.4477f, 0.6041f}, new float[] {0.1820f, 0.1836f, 0.1473f});
    assertThat(custom).isEqualTo(Normalization.HNE);
    RgbImage img = new RgbImage(1, 1, new byte[] {(byte) 255, 0, 51});
    float[] out = new Preprocessing(0, 0, custom).toTensor(img).data;
    assertThat(out[0]).isCloseTo((1f - 0.6444f) / 0.1820f, within(1e-6f));
    assertThat(out[1]).isCloseTo((0f - 0.4477f) / 0.1836f, within(1e-6f));
    assertThat(out[2]).isCloseTo((0.2f - 0.6041f) / 0.1473f, within(1e-6f));
  }

  @Test
  void noNormalisationIsPlainDivisionBy255() {
    RgbImage img = new RgbImage(2, 1, new byte[] {0, 1, 2, (byte) 253, (byte) 254, (byte) 255});
    float[] out = new Preprocessing(0, 0, Normalization.NONE).toTensor(img).data;
    // CHW: R(0), R(1), G(0), G(1), B(0), B(1)
    assertThat(out).containsExactly(0f, 253 / 255f, 1 / 255f, 254 / 255f, 2 / 255f, 1f);
  }

  @Test
  void customNormalisationIsValidated() {
    assertThatThrownBy(() -> Normalization.of(new float[] {0, 0}, new float[] {1, 1, 1}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3 means");
    assertThatThrownBy(() -> Normalization.of(new float[] {0, 0, 0}, new float[] {1, 0, 1}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive");
  }

  @Test
  void centreCropOffsetsRoundHalfToEven() {
    // width 9 - 4 = 5 -> 2.5 -> 2; height 11 - 4 = 7 -> 3.5 -> 4
    byte[] px = new byte[9 * 11 * 3];
    for (int y = 0; y < 11; y++) {
      for (int x = 0; x < 9; x++) {
        px[(y * 9 + x) * 3] = (byte) x;
        px[(y * 9 + x) * 3 + 1] = (byte) y;
      }
    }
    RgbImage crop = Preprocessing.centerCrop(new RgbImage(9, 11, px), 4);
    assertThat(crop.get(0, 0, 0)).as("left").isEqualTo(2);
    assertThat(crop.get(0, 0, 1)).as("top").isEqualTo(4);
    assertThat(crop.get(3, 3, 0)).isEqualTo(5);
    assertThat(crop.get(3, 3, 1)).isEqualTo(7);
  }

  @Test
  void cropLargerThanTheImageIsRejected() {
    RgbImage img = new RgbImage(100, 80, new byte[100 * 80 * 3]);
    assertThatThrownBy(() -> Preprocessing.centerCrop(img, 90))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("90x90").hasMessageContaining("100x80");
  }

  @Test
  void resizeSetsTheShorterSide() {
    RgbImage portrait = new RgbImage(300, 451, new byte[300 * 451 * 3]);
    RgbImage out = Preprocessing.resizeShorterSide(portrait, 256);
    assertThat(out.width).isEqualTo(256);
    assertThat(out.height).isEqualTo(384);
  }

  @Test
  void upscalingAndIdentityAgreeWithTheFilterDefinition() {
    // 2 -> 4 pixels: centres 0.25, 0.75, 1.25, 1.75 with support 1 give weights (1, 0), (0.75, 0.25),
    // (0.25, 0.75), (0, 1) after clipping to the image
    RgbImage in = new RgbImage(2, 1, new byte[] {0, 0, 0, (byte) 200, (byte) 200, (byte) 200});
    RgbImage out = PilBilinear.resize(in, 4, 1);
    assertThat(new int[] {out.get(0, 0, 0), out.get(0, 1, 0), out.get(0, 2, 0), out.get(0, 3, 0)})
        .containsExactly(0, 50, 150, 200);
    assertThat(PilBilinear.resize(in, 2, 1)).isSameAs(in);
  }
}
