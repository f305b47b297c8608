package io.patchcore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.patchcore.feature.FeatureExtractor;
import io.patchcore.feature.FeatureMap;
import io.patchcore.feature.FeatureMaps;
import io.patchcore.sampling.Samplers;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backbone that returns NaN or infinite feature values: fitting refuses, scoring reports it,
 * and the messages name the layer (and the file, for files).
 */
class BadFeaturesTest {
  /** Red value of pixel (0, 0) that makes the fake backbone put NaN into layer "deep". */
  static final int NAN_MARK = 201;
  /** Red value of pixel (0, 0) that makes it put +Inf into layer "shallow". */
  static final int INF_MARK = 202;

  /**
   * Two layers: "shallow" (2 channels at full size, the pixel's red and blue) and "deep" (1
   * channel at half size, their mean); a marked image gets one non-finite value.
   */
  static final class PoisonBackbone implements FeatureExtractor {
    @Override
    public String id() {
      return "poison";
    }

    @Override
    public List<String> layerNames() {
      return List.of("shallow", "deep");
    }

    @Override
    public FeatureMaps extract(BufferedImage image) {
      int h = image.getHeight();
      int w = image.getWidth();
      float[] shallow = new float[2 * h * w];
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int rgb = image.getRGB(x, y);
          shallow[y * w + x] = ((rgb >> 16) & 0xff) / 255f;
          shallow[h * w + y * w + x] = (rgb & 0xff) / 255f;
        }
      }
      int dh = h / 2;
      int dw = w / 2;
      float[] deep = new float[dh * dw];
      for (int y = 0; y < dh; y++) {
        for (int x = 0; x < dw; x++) {
          deep[y * dw + x] = (shallow[2 * y * w + 2 * x] + shallow[h * w + 2 * y * w + 2 * x]) / 2;
        }
      }
      int mark = (image.getRGB(0, 0) >> 16) & 0xff;
      if (mark == NAN_MARK) {
        deep[deep.length - 1] = Float.NaN;
      } else if (mark == INF_MARK) {
        shallow[3] = Float.POSITIVE_INFINITY;
      }
      return new FeatureMaps(h, w,
          List.of(new FeatureMap("shallow", 2, h, w, shallow), new FeatureMap("deep", 1, dh, dw, deep)));
    }

    @Override
    public void close() {}
  }

  static BufferedImage image(int seed, int mark) {
    BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 8; y++) {
      for (int x = 0; x < 8; x++) {
        img.setRGB(x, y, ((x * 31 + y * 17 + seed * 7) % 200) << 16 | ((x * 5 + seed) % 256));
      }
    }
    if (mark >= 0) {
      img.setRGB(0, 0, mark << 16);
    }
    return img;
  }

  static List<BufferedImage> goodImages(int n) {
    List<BufferedImage> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(image(i, -1));
    }
    return out;
  }

  static PatchCore config(FeatureExtractor backbone, String... layers) {
    PatchCore.Builder b = PatchCore.builder().backbone(backbone).pretrainDimension(4).targetDimension(4)
        .sampler(Samplers.identity()).threads(2);
    if (layers.length > 0) {
      b.layers(layers);
    }
    return b.build();
  }

  @Test
  void fit_refusesNaNNamingTheImageAndLayer() {
    List<BufferedImage> train = goodImages(5);
    train.add(3, image(99, NAN_MARK));
    assertThatThrownBy(() -> config(new PoisonBackbone()).fit(train))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("training image 3")
        .hasMessageContaining("'deep'")
        .hasMessageContaining("NaN");
  }

  @Test
  void fit_refusesInfinityInTheFirstImage() {
    List<BufferedImage> train = goodImages(3);
    train.set(0, image(0, INF_MARK));
    assertThatThrownBy(() -> config(new PoisonBackbone()).fit(train))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("training image 0")
        .hasMessageContaining("'shallow'")
        .hasMessageContaining("Infinity");
  }

  @Test
  void fitPaths_namesTheFile(@TempDir Path dir) throws IOException {
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Path f = dir.resolve("img" + i + ".png");
      ImageIO.write(image(i, i == 2 ? NAN_MARK : -1), "png", f.toFile());
      files.add(f);
    }
    assertThatThrownBy(() -> config(new PoisonBackbone()).fitPaths(files))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("training image 2 (" + files.get(2) + ")")
        .hasMessageContaining("'deep'");
  }

  @Test
  void score_reportsNaNAndInfinityNamingTheLayer(@TempDir Path dir) throws IOException {
    try (PatchCoreModel model = config(new PoisonBackbone()).fit(goodImages(4))) {
      assertThat(model.score(image(7, -1)).score()).isFinite();
      assertThatThrownBy(() -> model.score(image(7, NAN_MARK)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'deep'").hasMessageContaining("NaN");
      assertThatThrownBy(() -> model.score(image(7, INF_MARK)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'shallow'").hasMessageContaining("Infinity");
      Path f = dir.resolve("poisoned.png");
      ImageIO.write(image(7, NAN_MARK), "png", f.toFile());
      assertThatThrownBy(() -> model.score(f))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(f.toString()).hasMessageContaining("'deep'").hasMessageContaining("NaN");
      // the model still scores good images afterwards
      assertThat(model.score(image(8, -1)).score()).isFinite();
    }
  }

  @Test
  void scoreFeatures_refusesNegativeInfinity() {
    try (PatchCoreModel model = config(new PoisonBackbone()).fit(goodImages(4))) {
      FeatureMaps maps = new PoisonBackbone().extract(image(1, -1));
      float[] deep = maps.layer("deep").toArray();
      deep[0] = Float.NEGATIVE_INFINITY;
      FeatureMaps bad = new FeatureMaps(maps.inputHeight(), maps.inputWidth(),
          List.of(maps.layer("shallow"), new FeatureMap("deep", 1, 4, 4, deep)));
      assertThatThrownBy(() -> model.scoreFeatures(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'deep'").hasMessageContaining("-Infinity").hasMessageContaining("index 0");
    }
  }

  @Test
  void nonFiniteValuesInAnUnusedLayerAreIgnored() {
    // only the layers a model uses are checked: NaN in "deep" does not stop a "shallow"-only model
    List<BufferedImage> train = goodImages(4);
    train.add(image(5, NAN_MARK));
    try (PatchCoreModel model = config(new PoisonBackbone(), "shallow").fit(train)) {
      assertThat(model.bankSize()).isEqualTo(5 * 64);
      assertThat(model.score(image(9, NAN_MARK)).score()).isFinite();
    }
  }
}
