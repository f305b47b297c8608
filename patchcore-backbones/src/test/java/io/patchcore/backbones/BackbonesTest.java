package io.patchcore.backbones;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import io.patchcore.feature.FeatureExtractor;
import io.patchcore.feature.FeatureMap;
import io.patchcore.feature.FeatureMaps;
import io.patchcore.testing.Npy;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bundled MobileNetV2 backbone against the golden vectors of ihc.png crop 0. */
class BackbonesTest {
  private static FeatureExtractor bundled;

  @BeforeAll
  static void load() {
    bundled = Backbones.bundledDefault();
  }

  @AfterAll
  static void close() {
    bundled.close();
  }

  private static BufferedImage ihcCrop0() {
    return TestImages.read("ihc.png").getSubimage(0, 0, 224, 224);
  }

  private static Path copyOfBundledModel(Path dir) throws IOException {
    Path file = dir.resolve("copy.pt");
    try (InputStream in = Backbones.class.getResourceAsStream(Backbones.BUNDLED_RESOURCE)) {
      Files.copy(in, file);
    }
    return file;
  }

  private static float maxAbsDiff(float[] a, float[] b) {
    assertThat(a).hasSameSizeAs(b);
    float max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  @Test
  void engineRunsOfflineFromTheNativeJar() {
    assertThat(System.getProperty("ai.djl.offline")).isEqualTo("true");
    Engine engine = Engine.getEngine("PyTorch");
    assertThat(engine.getVersion()).startsWith("2.7.1");
    // the cache dir is under target/ (set by the parent pom); libtorch was extracted there from
    // the pytorch-native-cpu jar, not downloaded
    String cache = System.getProperty("DJL_CACHE_DIR");
    assertThat(cache).contains("target");
    assertThat(Path.of(cache, "pytorch")).isDirectory();
  }

  @Test
  void bundledIdentityAndLayers() {
    assertThat(bundled.id()).isEqualTo("mobilenet_v2_imagenet_features.pt:" + Backbones.BUNDLED_SHA256
        + " Preprocessing[resize=off, crop=off, Normalization[none]]");
    assertThat(bundled.layerNames()).containsExactly("block_6_expand_relu", "block_10_expand_relu");
  }

  @Test
  void inputIsUint8DividedBy255() {
    Preprocessing.Chw chw = new Preprocessing(0, 0, Normalization.NONE).apply(ihcCrop0());
    float[] expected = Npy.golden("bb_ihc_crop0_input.npy").floats();
    assertThat(chw.data).containsExactly(expected);
  }

  @Test
  void bundledFeaturesMatchGolden() {
    FeatureMaps maps = bundled.extract(ihcCrop0());
    assertThat(maps.inputHeight()).isEqualTo(224);
    assertThat(maps.inputWidth()).isEqualTo(224);
    FeatureMap l1 = maps.layer("block_6_expand_relu");
    FeatureMap l2 = maps.layer("block_10_expand_relu");
    assertThat(new int[] {l1.channels(), l1.height(), l1.width()}).containsExactly(192, 28, 28);
    assertThat(new int[] {l2.channels(), l2.height(), l2.width()}).containsExactly(384, 14, 14);
    assertThat(maxAbsDiff(l1.toArray(), Npy.golden("bb_ihc_crop0_layer1.npy").floats())).isLessThanOrEqualTo(1e-4f);
    assertThat(maxAbsDiff(l2.toArray(), Npy.golden("bb_ihc_crop0_layer2.npy").floats())).isLessThanOrEqualTo(1e-4f);
  }

  @Test
  void greyImagesAndOtherSizesWork() {
    FeatureMaps maps = bundled.extract(TestImages.read("brick.png").getSubimage(0, 0, 224, 160));
    assertThat(maps.inputHeight()).isEqualTo(160);
    assertThat(maps.layer("block_6_expand_relu").height()).isEqualTo(20);
    assertThat(maps.layer("block_6_expand_relu").width()).isEqualTo(28);
    assertThat(maps.layer("block_10_expand_relu").height()).isEqualTo(10);
  }

  @Test
  void concurrentCallsAgree() throws Exception {
    BufferedImage img = ihcCrop0();
    float[] reference = bundled.extract(img).layers().get(1).toArray();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<float[]>> results = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        results.add(pool.submit(() -> bundled.extract(img).layers().get(1).toArray()));
      }
      for (Future<float[]> f : results) {
        assertThat(maxAbsDiff(f.get(), reference)).isLessThanOrEqualTo(1e-5f);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void preprocessingOptionsApply() {
    try (FeatureExtractor fe = Backbones.bundledDefaultBuilder().resize(256).centerCrop(224)
        .normalize(Normalization.IMAGENET).build()) {
      FeatureMaps maps = fe.extract(TestImages.read("chelsea.png"));
      assertThat(maps.inputHeight()).isEqualTo(224);
      assertThat(maps.inputWidth()).isEqualTo(224);
      // same weights, other preprocessing: a different identity, so models are not mixed up
      assertThat(fe.id()).startsWith("mobilenet_v2_imagenet_features.pt:" + Backbones.BUNDLED_SHA256)
          .contains("resize=256", "crop=224", "imagenet").isNotEqualTo(bundled.id());
    }
  }

  @Test
  void torchScriptFileWithMatchingNames(@TempDir Path dir) throws IOException {
    Path file = copyOfBundledModel(dir);
    try (FeatureExtractor fe = Backbones.torchScript(file, "a", "b")) {
      assertThat(fe.id()).startsWith("copy.pt:" + Backbones.BUNDLED_SHA256 + " ");
      FeatureMaps maps = fe.extract(ihcCrop0());
      assertThat(maps.layerNames()).containsExactly("a", "b");
      assertThat(maps.layer("b").channels()).isEqualTo(384);
    }
  }

  @Test
  void wrongNumberOfLayerNamesIsReportedAtBuild(@TempDir Path dir) throws IOException {
    Path file = copyOfBundledModel(dir);
    assertThatThrownBy(() -> Backbones.torchScript(file, "a", "b", "c"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("returned 2 output(s), but 3 layer name(s)");
  }

  @Test
  void missingFileIsNamed(@TempDir Path dir) {
    Path missing = dir.resolve("nope.pt");
    assertThatThrownBy(() -> Backbones.torchScript(missing, "a"))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining(missing.toString());
  }

  @Test
  void notATorchScriptFileIsNamed(@TempDir Path dir) throws IOException {
    Path junk = Files.writeString(dir.resolve("junk.pt"), "not a model");
    assertThatThrownBy(() -> Backbones.torchScript(junk, "a"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(junk.toString());
  }

  @Test
  void layerNamesAreValidated() {
    Path any = Path.of("model.pt");
    assertThatThrownBy(() -> Backbones.torchScriptBuilder(any).layers())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one");
    assertThatThrownBy(() -> Backbones.torchScriptBuilder(any).layers("a", "a"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'a' given twice");
    assertThatThrownBy(() -> Backbones.torchScriptBuilder(any).layers("a", " "))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blank");
    assertThatThrownBy(() -> Backbones.torchScriptBuilder(any).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("model.pt");
  }

  @Test
  void closeIsIdempotentAndFinal() {
    FeatureExtractor fe = Backbones.bundledDefault();
    fe.extract(new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB));
    fe.close();
    fe.close();
    assertThatThrownBy(() -> fe.extract(new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void modelFailuresNameTheModelAndShape(@TempDir Path dir) throws IOException {
    // a user's file has no known minimum size: 3x3 fails inside libtorch (MobileNetV2's stride-16
    // stage); the message keeps only libtorch's last line, the traceback stays in the cause
    Path file = copyOfBundledModel(dir);
    try (FeatureExtractor fe = Backbones.torchScript(file, "a", "b")) {
      assertThatThrownBy(() -> fe.extract(new BufferedImage(3, 3, BufferedImage.TYPE_INT_RGB)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(file.toString())
          .hasMessageContaining("(1, 3, 3, 3)")
          .hasMessageContaining("RuntimeError")
          .hasMessageNotContaining("Traceback")
          .cause().hasMessageContaining("Traceback");
    }
  }

  @Test
  void bundledModelsRefuseImagesBelowTheirMinimumSize() {
    for (int[] wh : new int[][] {{1, 1}, {15, 64}, {64, 15}}) {
      assertThatThrownBy(() -> bundled.extract(new BufferedImage(wh[0], wh[1], BufferedImage.TYPE_INT_RGB)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("image " + wh[0] + "x" + wh[1] + " (WxH)")
          .hasMessageContaining("smaller than the backbone's minimum input of 16x16")
          .hasMessageContaining("mobilenet_v2_imagenet_features.pt")
          .hasNoCause();
    }
    assertThat(bundled.extract(new BufferedImage(16, 17, BufferedImage.TYPE_INT_RGB))
        .layer("block_10_expand_relu").height()).isEqualTo(1);
    // with a resize the minimum applies to the model input, and the message says so
    try (FeatureExtractor resized = Backbones.bundledDefaultBuilder().resize(8).inputSize(32, 64).build()) {
      assertThatThrownBy(() -> resized.extract(new BufferedImage(64, 32, BufferedImage.TYPE_INT_RGB)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("image 16x8 (WxH, after Preprocessing[resize=8");
    }
  }

  @Test
  void configuration_rebuildsTheSameBackbone(@TempDir Path dir) throws IOException {
    Path file = copyOfBundledModel(dir);
    try (FeatureExtractor a = Backbones.torchScriptBuilder(file).layers("x", "y").resize(256).centerCrop(224)
        .normalize(Normalization.of(new float[] {0.5f, 0.4f, 0.3f}, new float[] {0.2f, 0.2f, 0.25f})).build();
        FeatureExtractor b = Backbones.fromConfiguration(a.configuration())) {
      assertThat(a.configuration()).containsEntry("kind", "torchscript").containsEntry("layers", "x,y")
          .containsEntry("resize", "256").containsEntry("crop", "224").containsEntry("normalize", "custom");
      assertThat(b.id()).isEqualTo(a.id());
      assertThat(b.configuration()).isEqualTo(a.configuration());
    }
    try (FeatureExtractor c = Backbones.fromConfiguration(bundled.configuration())) {
      assertThat(c.id()).isEqualTo(bundled.id());
    }
  }

  @Test
  void fromConfiguration_badValues() {
    assertThatThrownBy(() -> Backbones.fromConfiguration(java.util.Map.of("kind", "vgg")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'vgg'");
    assertThatThrownBy(() -> Backbones.fromConfiguration(java.util.Map.of("kind", "default", "resize", "-3")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'resize'").hasMessageContaining("-3");
    assertThatThrownBy(() -> Backbones.fromConfiguration(java.util.Map.of("kind", "default", "colour", "red")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("colour");
    assertThatThrownBy(() -> Backbones.fromConfiguration(java.util.Map.of("kind", "torchscript")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'path'");
  }

  @Test
  void gpu_withoutAVisibleGpuFallsBackToTheCpu() {
    try (FeatureExtractor fe = Backbones.bundledDefaultBuilder().gpu(0).build()) {
      assertThat(fe.id()).isEqualTo(bundled.id());
      assertThat(fe.configuration()).containsEntry("device", "gpu:0");
      FeatureMaps maps = fe.extract(ihcCrop0());
      assertThat(maps.layer("block_6_expand_relu").toArray())
          .containsExactly(bundled.extract(ihcCrop0()).layer("block_6_expand_relu").toArray());
    }
    assertThatThrownBy(() -> Backbones.bundledDefaultBuilder().gpu(-1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1");
    assertThatThrownBy(() -> Backbones.fromConfiguration(java.util.Map.of("kind", "default", "device", "tpu")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'tpu'");
  }
}
