package io.patchcore.backbones;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.patchcore.feature.FeatureExtractor;
import io.patchcore.feature.FeatureMap;
import io.patchcore.feature.FeatureMaps;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The output contract checked at build time, dict outputs, and the fixtures written by
 * {@code scripts/export_backbone.py} (see {@code src/test/resources/fixtures/README.md}).
 */
class OutputContractTest {

  static Path fixture(String name) {
    URL url = OutputContractTest.class.getResource("/fixtures/" + name);
    if (url == null) {
      throw new IllegalStateException("test fixture missing: /fixtures/" + name);
    }
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The mean of {@code layer}'s output for a constant 0.5 input, as recorded by the export script. */
  private static double sidecarMean(String json, String layer) {
    try {
      String text = Files.readString(fixture(json));
      String means = text.substring(text.indexOf("\"output_means\""));
      Matcher m = Pattern.compile("\"" + Pattern.quote(layer) + "\":\\s*([-0-9.eE+]+)").matcher(means);
      assertThat(m.find()).as("mean of %s in %s", layer, json).isTrue();
      return Double.parseDouble(m.group(1));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static double mean(FeatureMap map) {
    double sum = 0;
    for (float v : map.toArray()) {
      sum += v;
    }
    return sum / (map.channels() * map.height() * map.width());
  }

  private static FeatureMaps runConstant(FeatureExtractor fe, int size, float value) {
    float[] data = new float[3 * size * size];
    Arrays.fill(data, value);
    return ((TorchScriptExtractor) fe).run(new Preprocessing.Chw(size, size, data));
  }

  @Test
  void exportedCnnFixtureHasTheExpectedChannelsAndValues() {
    Path file = fixture("tiny_cnn.pt");
    try (FeatureExtractor fe = Backbones.torchScript(file, "layer2", "layer3")) {
      FeatureMaps maps = fe.extract(new BufferedImage(224, 160, BufferedImage.TYPE_INT_RGB));
      FeatureMap l2 = maps.layer("layer2");
      FeatureMap l3 = maps.layer("layer3");
      assertThat(new int[] {l2.channels(), l2.height(), l2.width()}).containsExactly(16, 20, 28);
      assertThat(new int[] {l3.channels(), l3.height(), l3.width()}).containsExactly(32, 10, 14);
      // same numbers as torch 1.13 computed when the script wrote the file
      FeatureMaps half = runConstant(fe, 224, 0.5f);
      assertThat(mean(half.layer("layer2"))).isCloseTo(sidecarMean("tiny_cnn.json", "layer2"),
          offset(1e-5));
      assertThat(mean(half.layer("layer3"))).isCloseTo(sidecarMean("tiny_cnn.json", "layer3"),
          offset(1e-5));
    }
  }

  @Test
  void dictOutputIsSelectedByKeyInDeclaredOrder() {
    BufferedImage img = TestImages.read("chelsea.png").getSubimage(0, 0, 128, 96);
    try (FeatureExtractor tuple = Backbones.torchScript(fixture("tiny_cnn.pt"), "layer2", "layer3");
        FeatureExtractor dict = Backbones.torchScript(fixture("tiny_cnn_dict.pt"), "layer3", "layer2")) {
      FeatureMaps byPosition = tuple.extract(img);
      FeatureMaps byKey = dict.extract(img);
      assertThat(byKey.layerNames()).containsExactly("layer3", "layer2");
      assertThat(byKey.layer("layer3").channels()).isEqualTo(32);
      assertThat(byKey.layer("layer2").toArray()).containsExactly(byPosition.layer("layer2").toArray());
      assertThat(byKey.layer("layer3").toArray()).containsExactly(byPosition.layer("layer3").toArray());
    }
    // a subset of the keys is fine
    try (FeatureExtractor one = Backbones.torchScript(fixture("tiny_cnn_dict.pt"), "layer3")) {
      assertThat(one.extract(img).layerNames()).containsExactly("layer3");
    }
  }

  @Test
  void missingDictKeyFailsAtBuild() {
    Path file = fixture("tiny_cnn_dict.pt");
    assertThatThrownBy(() -> Backbones.torchScript(file, "layer2", "layer4"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("keys [layer2, layer3]")
        .hasMessageContaining("no entry 'layer4'");
  }

  @Test
  void wrongOutputCountFailsAtBuild() {
    Path file = fixture("tiny_cnn.pt");
    assertThatThrownBy(() -> Backbones.torchScript(file, "a", "b", "c"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("returned 2 output(s), but 3 layer name(s)")
        .hasMessageContaining("224x224");
    assertThatThrownBy(() -> Backbones.torchScript(file, "a"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("returned 2 output(s), but 1 layer name(s)");
  }

  @Test
  void tokensNotDeclaredAsTokensAreTheWrongRank() {
    Path file = fixture("tiny_vit.pt");
    assertThatThrownBy(() -> Backbones.torchScript(file, "tokens"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("output 'tokens'")
        .hasMessageContaining("(1, 3141, 8)") // 5 + 56 * 56 tokens for the 224x224 check input
        .hasMessageContaining("expected a 4-D map")
        .hasMessageContaining("tokens(\"tokens\", prefixTokens)");
  }

  @Test
  void mapsDeclaredAsTokensAreTheWrongRank() {
    Path file = fixture("tiny_cnn.pt");
    assertThatThrownBy(() -> Backbones.torchScriptBuilder(file).layers("layer2", "layer3").tokens("layer3", 1).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("output 'layer3'")
        .hasMessageContaining("declared as tokens");
  }

  @Test
  void tokenLayersMustBeDeclaredLayers() {
    Path file = fixture("tiny_vit.pt");
    assertThatThrownBy(() -> Backbones.torchScriptBuilder(file).layers("tokens").tokens("cls", 1).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'cls'")
        .hasMessageContaining(file.toString());
    assertThatThrownBy(() -> Backbones.torchScriptBuilder(file).tokens("tokens", -1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
    assertThatThrownBy(() -> Backbones.torchScriptBuilder(file).inputSize(0, 5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0x5");
  }

  @Test
  void inputSizeSetsTheCheckInput() {
    // the bundled MobileNetV2 needs 16x16 at least; the check runs at the declared size
    assertThatThrownBy(() -> Backbones.bundledDefaultBuilder().inputSize(3, 3).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("mobilenet_v2_imagenet_features.pt")
        .hasMessageContaining("minimum input of 16x16")
        .hasMessageContaining("3x3 (HxW)");
    // by default the check uses the crop size: a 16x16 tiny-vit input has 16 patch tokens
    try (FeatureExtractor fe = Backbones.torchScriptBuilder(fixture("tiny_vit.pt")).layers("tokens")
        .tokens("tokens", 5).centerCrop(16).build()) {
      assertThat(fe.id()).endsWith(" tokens{tokens=5}");
    }
  }

  @Test
  void emptyAndMalformedOutputsAreNamed() {
    ModelOutputs contract = new ModelOutputs("m.pt", List.of("a", "b"), Map.of("b", 1));
    try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
      NDArray empty = manager.zeros(new Shape(1, 4, 0, 3));
      NDArray tokens = manager.zeros(new Shape(1, 5, 2));
      assertThatThrownBy(() -> contract.toFeatureMaps(new NDList(empty, tokens), 10, 10))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("output 'a' of TorchScript model m.pt")
          .hasMessageContaining("(1, 4, 0, 3)")
          .hasMessageContaining("empty map");
      NDArray batch2 = manager.zeros(new Shape(2, 4, 3, 3));
      assertThatThrownBy(() -> contract.toFeatureMaps(new NDList(batch2, tokens), 10, 10))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("expected a 4-D map (1, C, H, W)");
      NDArray map = manager.zeros(new Shape(1, 4, 3, 3));
      NDArray onlyPrefix = manager.zeros(new Shape(1, 1, 2));
      assertThatThrownBy(() -> contract.toFeatureMaps(new NDList(map, onlyPrefix), 10, 10))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("output 'b'")
          .hasMessageContaining("no patch tokens after the 1 declared prefix token(s)");
      map.setName("a");
      assertThatThrownBy(() -> contract.toFeatureMaps(new NDList(map, tokens), 10, 10))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("1 dict entries mixed with 1 unnamed tensor(s)");
      FeatureMaps ok = contract.toFeatureMaps(new NDList(manager.zeros(new Shape(1, 4, 3, 3)), tokens), 10, 10);
      assertThat(ok.layer("b").height()).isEqualTo(2);
      assertThat(ok.layer("b").channels()).isEqualTo(2);
    }
  }
}
