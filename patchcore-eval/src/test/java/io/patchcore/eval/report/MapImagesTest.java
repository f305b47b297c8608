package io.patchcore.eval.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class MapImagesTest {

  @Test
  void regionFollowsResizeAndCentreCrop() {
    // no preprocessing: the whole image
    assertThat(MapImages.region(640, 480, 0, 0)).isEqualTo(new MapImages.Region(0, 0, 640, 480));
    // resize shorter side to 256 (-> 341x256), crop 224: offsets rint(58.5) = 58 and 16
    MapImages.Region r = MapImages.region(640, 480, 256, 224);
    double s = 480 / 256.0;
    assertThat(r.x()).isCloseTo(58 * (640 / 341.0), within(1e-9));
    assertThat(r.y()).isCloseTo(16 * s, within(1e-9));
    assertThat(r.height()).isCloseTo(224 * s, within(1e-9));
    // crop only
    assertThat(MapImages.region(256, 256, 0, 224)).isEqualTo(new MapImages.Region(16, 16, 224, 224));
  }

  @Test
  void maskSamplesOntoTheMapGrid() {
    BufferedImage m = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
    // grid cell (i, j) samples mask pixel (x, y) = (2j + 1, 2i + 1)
    m.setRGB(7, 5, 0x800000); // brightest channel 128: anomalous
    m.setRGB(7, 7, 0x7f7f7f); // 127: normal
    m.setRGB(0, 0, 0xffffff); // between cell centres: not sampled
    byte[] grid = MapImages.maskOnGrid(m, 4, 4, 0, 0);
    byte[] expected = new byte[16];
    expected[2 * 4 + 3] = 1;
    assertThat(grid).isEqualTo(expected);
  }

  @Test
  void jetRunsFromBlueToRed() {
    assertThat(MapImages.jet(0)).isEqualTo(0x000080);
    assertThat(MapImages.jet(1)).isEqualTo(0x800000);
    assertThat(MapImages.jet(0.5)).isEqualTo(0x80ff80);
    assertThat(MapImages.jet(-3)).isEqualTo(MapImages.jet(0));
    assertThat(MapImages.jet(Double.NaN)).isEqualTo(MapImages.jet(0));
  }
}
