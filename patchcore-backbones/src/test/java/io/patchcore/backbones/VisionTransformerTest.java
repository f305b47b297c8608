package io.patchcore.backbones;

import static io.patchcore.backbones.OutputContractTest.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import io.patchcore.feature.FeatureExtractor;
import io.patchcore.feature.FeatureMap;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Token outputs: the {@code tiny_vit.pt} fixture returns {@code (1, 5 + h*w, 8)} tokens (class,
 * four registers, then patch tokens of 4x4 pixels in row-major order) whose values encode their
 * grid position, so the test can check where each token lands.
 */
class VisionTransformerTest {
  private static final int PATCH = 4;
  private static FeatureExtractor vit;

  @BeforeAll
  static void load() {
    vit = Backbones.torchScriptBuilder(fixture("tiny_vit.pt")).layers("tokens").tokens("tokens", 5).build();
  }

  @AfterAll
  static void close() {
    vit.close();
  }

  /** An image whose pixel (x, y) has the grey value (7 * x + 13 * y) mod 256. */
  private static BufferedImage pattern(int width, int height) {
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int v = (7 * x + 13 * y) & 0xff;
        img.setRGB(x, y, v << 16 | v << 8 | v);
      }
    }
    return img;
  }

  private static void assertPlacement(FeatureMap map, int gridH, int gridW) {
    assertThat(new int[] {map.channels(), map.height(), map.width()}).containsExactly(8, gridH, gridW);
    for (int i = 0; i < gridH; i++) {
      for (int j = 0; j < gridW; j++) {
        assertThat(map.get(0, i, j)).as("row channel at (%d, %d)", i, j).isEqualTo(i);
        assertThat(map.get(1, i, j)).as("column channel at (%d, %d)", i, j).isEqualTo(j);
        double sum = 0;
        for (int y = i * PATCH; y < (i + 1) * PATCH; y++) {
          for (int x = j * PATCH; x < (j + 1) * PATCH; x++) {
            sum += ((7 * x + 13 * y) & 0xff) / 255.0;
          }
        }
        assertThat((double) map.get(2, i, j)).as("patch mean at (%d, %d)", i, j)
            .isCloseTo(sum / (PATCH * PATCH), offset(1e-5));
        for (int c = 3; c < 8; c++) {
          assertThat(map.get(c, i, j)).isEqualTo(100f * c + i * gridW + j);
        }
      }
    }
    // no prefix token (all negative) leaked into the map
    for (float v : map.toArray()) {
      assertThat(v).isGreaterThanOrEqualTo(0f);
    }
  }

  @Test
  void squareGridOf16PatchTokens() {
    FeatureMap map = vit.extract(pattern(16, 16)).layer("tokens");
    assertPlacement(map, 4, 4);
  }

  @Test
  void nonSquareGridsFollowThePatchStride() {
    // 8x32 (HxW): 16 tokens, a square number, but laid out 2x8, not 4x4
    assertPlacement(vit.extract(pattern(32, 8)).layer("tokens"), 2, 8);
    // 12x20: 15 tokens, 3x5
    assertPlacement(vit.extract(pattern(20, 12)).layer("tokens"), 3, 5);
    // sizes not divisible by the patch: 18x23 -> 4x5 (the patch embedding drops the remainder)
    assertPlacement(vit.extract(pattern(23, 18)).layer("tokens"), 4, 5);
  }

  @Test
  void wrongPrefixCountIsReported() {
    Path file = fixture("tiny_vit.pt");
    // 16x16 input: 21 tokens; dropping 4 leaves 17, which is no grid
    assertThatThrownBy(() -> Backbones.torchScriptBuilder(file).layers("tokens").tokens("tokens", 4)
        .inputSize(16, 16).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("17 patch tokens (21 minus 4 prefix tokens)")
        .hasMessageContaining("16x16 (HxW)");
    assertThatThrownBy(() -> Backbones.torchScriptBuilder(file).layers("tokens").tokens("tokens", 21)
        .inputSize(16, 16).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no patch tokens after the 21 declared prefix token(s)");
  }

  @Test
  void tokenGridInference() {
    assertThat(ModelOutputs.tokenGrid(256, 224, 224)).containsExactly(16, 16); // ViT-*/14 at 224
    assertThat(ModelOutputs.tokenGrid(16, 8, 32)).containsExactly(2, 8);
    assertThat(ModelOutputs.tokenGrid(15, 12, 20)).containsExactly(3, 5);
    assertThat(ModelOutputs.tokenGrid(6, 9, 13)).containsExactly(2, 3); // stride 4
    assertThat(ModelOutputs.tokenGrid(15, 5, 9)).containsExactly(3, 5); // stride 2, rounded up (padded)
    assertThat(ModelOutputs.tokenGrid(256, 300, 200)).containsExactly(16, 16); // resized inside: square
    assertThat(ModelOutputs.tokenGrid(17, 16, 16)).isNull();
    assertThat(ModelOutputs.tokenGrid(1, 1, 1)).containsExactly(1, 1);
  }
}
