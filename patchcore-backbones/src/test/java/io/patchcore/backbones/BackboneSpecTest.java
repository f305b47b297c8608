package io.patchcore.backbones;

import static io.patchcore.backbones.OutputContractTest.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.patchcore.feature.FeatureExtractor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The text form and configuration map of {@link BackboneSpec}, and the backbones it opens. */
class BackboneSpecTest {
  private static final String MOBILENET_ID = "mobilenet_v2_imagenet_features.pt:" + Backbones.BUNDLED_SHA256;
  private static final String INCEPTION_ID = "inception_v3_imagenet_features.pt:" + Backbones.INCEPTION_SHA256;

  /** A TorchScript spec with two layers, one of them tokens. */
  private static BackboneSpec file(Path path) {
    return BackboneSpec.torchScript(path, List.of("blocks.19", "blocks.29"))
        .withTokens(Map.of("blocks.29", 5));
  }

  /** Every kind with every preprocessing, input size and device. */
  private static List<BackboneSpec> all() {
    List<BackboneSpec> kinds = List.of(BackboneSpec.bundledDefault(), BackboneSpec.inceptionV3(),
        BackboneSpec.bundledDefault().withLayers(List.of("x", "y")), file(Path.of("/models/hoptimus0.pt")),
        BackboneSpec.torchScript(Path.of("/models/wide_resnet50.pt"), List.of("layer2", "layer3")),
        BackboneSpec.torchScript(Path.of("/models/tiny.pt"), List.of("0")).withTokens(Map.of("0", 0)));
    List<BackboneSpec> out = new ArrayList<>();
    for (BackboneSpec kind : kinds) {
      for (PreprocessingSpec p : PreprocessingSpecTest.all()) {
        BackboneSpec s = kind.withPreprocessing(p);
        out.add(s);
        out.add(s.withInputSize(224, 256));
        out.add(s.withDevice("gpu"));
        out.add(s.withGpu(3).withInputSize(1, 1));
      }
    }
    return out;
  }

  private static void assertRoundTrips(BackboneSpec spec) {
    String text = spec.toString();
    assertThat(BackboneSpec.parse(text)).as(text).isEqualTo(spec);
    assertThat(BackboneSpec.parse(text).toString()).as(text).isEqualTo(text);
    assertThat(BackboneSpec.fromConfiguration(spec.toConfiguration())).as(text).isEqualTo(spec);
    assertThat(BackboneSpec.fromConfiguration(spec.toConfiguration()).toConfiguration())
        .isEqualTo(spec.toConfiguration());
  }

  @Test
  void everySpecRoundTripsThroughTextAndConfiguration() {
    List<BackboneSpec> all = all();
    assertThat(all).hasSize(6 * 20 * 4).doesNotHaveDuplicates();
    for (BackboneSpec spec : all) {
      assertRoundTrips(spec);
    }
  }

  @Test
  void awkwardPathsAndLayerNamesRoundTrip() {
    for (String path : List.of("/models/run 3, final/model.pt", "/models/a=b/[x].pt", "/models/\"q\"\\b.pt",
        "/models/ trailing /x.pt ", "/models/default", "/models/inception")) {
      BackboneSpec spec = BackboneSpec.torchScript(Path.of(path), List.of("a"));
      assertRoundTrips(spec);
      assertThat(spec.path()).contains(Path.of(path));
    }
    BackboneSpec odd = BackboneSpec.torchScript(Path.of("/m.pt"), List.of("a=b", "[c]", "d \"e\"", " f", "g\\"))
        .withTokens(Map.of("a=b", 1, "[c]", 2, " f", 3));
    assertRoundTrips(odd);
    assertThat(odd.toString())
        .isEqualTo("/m.pt,layers=[a=b,\"[c]\",\"d \\\"e\\\"\",\" f\",g\\],tokens=[a=b=1,\"[c]=2\",\" f=3\"]");
    assertThat(odd.toConfiguration()).containsEntry("layers", "a=b,[c],d \"e\", f,g\\")
        .containsEntry("tokens", "a=b=1,[c]=2, f=3");
  }

  @Test
  void textForm() {
    assertThat(BackboneSpec.bundledDefault()).hasToString("default");
    assertThat(BackboneSpec.inceptionV3()).hasToString("inception");
    assertThat(BackboneSpec.parse("inception,resize=342,crop=299,normalize=imagenet,device=gpu:1"))
        .isEqualTo(BackboneSpec.inceptionV3().withPreprocessing(PreprocessingSpec.parse(
            "resize=342,crop=299,normalize=imagenet")).withGpu(1))
        .hasToString("inception,resize=342,crop=299,normalize=imagenet,device=gpu:1");
    BackboneSpec vit = file(Path.of("/models/hoptimus0.pt")).withPreprocessing(PreprocessingSpec.NONE
        .withResize(224).withCrop(224).withNormalization(PreprocessingSpecTest.CUSTOM)).withInputSize(224, 224);
    assertThat(vit).hasToString("/models/hoptimus0.pt,layers=[blocks.19,blocks.29],tokens=[blocks.29=5],resize=224,"
        + "crop=224,normalize=custom,mean=[0.5,0.4,0.3],std=[0.2,0.2,0.25],inputSize=224x224");
    // any order, whitespace; the bundled layers, normalize=none and cpu are defaults
    assertThat(BackboneSpec.parse(" default , device = cpu, normalize=none,layers=[ block_6_expand_relu , "
        + "block_10_expand_relu ] ")).isEqualTo(BackboneSpec.bundledDefault());
    assertThat(BackboneSpec.parse("default,device=gpu")).isEqualTo(BackboneSpec.bundledDefault().withGpu(0))
        .hasToString("default,device=gpu:0");
    assertThat(BackboneSpec.parse("/m.pt,layers=only").layers()).containsExactly("only");
    assertThat(BackboneSpec.parse("\"default\"")).isEqualTo(BackboneSpec.bundledDefault());
    assertThat(BackboneSpec.parse("\"/a=b.pt\",layers=[x]").path()).contains(Path.of("/a=b.pt"));
  }

  @Test
  void relativePathsBecomeAbsolute() {
    BackboneSpec spec = BackboneSpec.parse("models/../model.pt,layers=[a]");
    Path expected = Path.of("model.pt").toAbsolutePath().normalize();
    assertThat(spec.path()).contains(expected);
    assertThat(spec).isEqualTo(BackboneSpec.torchScript(Path.of("model.pt"), List.of("a")));
    assertThat(spec.toConfiguration()).containsEntry("path", expected.toString());
    assertThat(BackboneSpec.parse("./default,layers=[a]").path()).contains(Path.of("default").toAbsolutePath());
  }

  /** The configuration maps as the code before BackboneSpec wrote them (captured from it). */
  @Test
  void configurationMapsAreTheOnesSavedInModelFiles() {
    assertThat(BackboneSpec.bundledDefault().toConfiguration()).isEqualTo(Map.of(
        "kind", "default", "layers", "block_6_expand_relu,block_10_expand_relu", "normalize", "none"));
    assertThat(BackboneSpec.inceptionV3().toConfiguration()).isEqualTo(Map.of(
        "kind", "inception", "layers", "mixed2,mixed5", "normalize", "none"));
    assertThat(BackboneSpec.parse("default,resize=256,crop=224,normalize=imagenet,inputSize=224x224,device=gpu:0")
        .toConfiguration()).isEqualTo(Map.of("kind", "default", "layers", "block_6_expand_relu,block_10_expand_relu",
            "resize", "256", "crop", "224", "normalize", "imagenet", "inputSize", "224x224", "device", "gpu:0"));
    assertThat(BackboneSpec.parse("inception,resize=342,crop=299,normalize=he,device=gpu:2").toConfiguration())
        .isEqualTo(Map.of("kind", "inception", "layers", "mixed2,mixed5", "resize", "342", "crop", "299",
            "normalize", "he", "device", "gpu:2"));
    assertThat(BackboneSpec.parse("default,layers=[x,y],normalize=custom,mean=[0.5,0.4,0.3],std=[0.2,0.2,0.25]")
        .toConfiguration()).isEqualTo(Map.of("kind", "default", "layers", "x,y", "normalize", "custom",
            "mean", "0.5,0.4,0.3", "std", "0.2,0.2,0.25"));
    assertThat(BackboneSpec.parse("/models/vit.pt,layers=[tokens],tokens=[tokens=5],resize=32,crop=16")
        .toConfiguration()).isEqualTo(Map.of("kind", "torchscript", "path", "/models/vit.pt", "layers", "tokens",
            "tokens", "tokens=5", "resize", "32", "crop", "16", "normalize", "none"));
  }

  /**
   * What the backbones opened from the builders, the specs and the configurations say, against the
   * configurations and identities the code before BackboneSpec gave (captured from it).
   */
  @Test
  void openedBackbonesDescribeThemselvesAsBefore() {
    Map<Backbones.Builder, Map<String, String>> expected = new LinkedHashMap<>();
    Map<Backbones.Builder, String> ids = new LinkedHashMap<>();
    Backbones.Builder b = Backbones.bundledDefaultBuilder();
    expected.put(b, Map.of("kind", "default", "layers", "block_6_expand_relu,block_10_expand_relu",
        "normalize", "none"));
    ids.put(b, MOBILENET_ID + " Preprocessing[resize=off, crop=off, Normalization[none]]");
    b = Backbones.inceptionV3Builder();
    expected.put(b, Map.of("kind", "inception", "layers", "mixed2,mixed5", "normalize", "none"));
    ids.put(b, INCEPTION_ID + " Preprocessing[resize=off, crop=off, Normalization[none]]");
    b = Backbones.bundledDefaultBuilder().resize(256).centerCrop(224).normalize(Normalization.IMAGENET)
        .inputSize(224, 224).gpu(0);
    expected.put(b, Map.of("kind", "default", "layers", "block_6_expand_relu,block_10_expand_relu",
        "resize", "256", "crop", "224", "normalize", "imagenet", "inputSize", "224x224", "device", "gpu:0"));
    ids.put(b, MOBILENET_ID + " Preprocessing[resize=256, crop=224, Normalization[imagenet]]");
    b = Backbones.inceptionV3Builder().resize(342).centerCrop(299).normalize(Normalization.HNE);
    expected.put(b, Map.of("kind", "inception", "layers", "mixed2,mixed5", "resize", "342", "crop", "299",
        "normalize", "he"));
    ids.put(b, INCEPTION_ID + " Preprocessing[resize=342, crop=299, Normalization[hne]]");
    b = Backbones.bundledDefaultBuilder().layers("x", "y").normalize(PreprocessingSpecTest.CUSTOM);
    expected.put(b, Map.of("kind", "default", "layers", "x,y", "normalize", "custom", "mean", "0.5,0.4,0.3",
        "std", "0.2,0.2,0.25"));
    ids.put(b, MOBILENET_ID + " Preprocessing[resize=off, crop=off, Normalization[mean=[0.5, 0.4, 0.3], "
        + "std=[0.2, 0.2, 0.25]]]");
    Path vit = fixture("tiny_vit.pt");
    b = Backbones.torchScriptBuilder(vit).layers("tokens").tokens("tokens", 5).resize(32).centerCrop(16);
    expected.put(b, Map.of("kind", "torchscript", "path", vit.toAbsolutePath().normalize().toString(),
        "layers", "tokens", "tokens", "tokens=5", "resize", "32", "crop", "16", "normalize", "none"));
    ids.put(b, "tiny_vit.pt:c699adb93f3fd676b0518d1bb987167c0c41ded437c786240555db5b42b1fb34 Preprocessing[resize=32,"
        + " crop=16, Normalization[none]] tokens{tokens=5}");
    Path cnn = fixture("tiny_cnn_dict.pt");
    b = Backbones.torchScriptBuilder(cnn).layers("layer2", "layer3").resize(256).centerCrop(224)
        .normalize(Normalization.IMAGENET).inputSize(224, 256);
    expected.put(b, Map.of("kind", "torchscript", "path", cnn.toAbsolutePath().normalize().toString(),
        "layers", "layer2,layer3", "resize", "256", "crop", "224", "normalize", "imagenet", "inputSize", "224x256"));
    ids.put(b, "tiny_cnn_dict.pt:2b80f623f06e5d8219e1f92b2b8234130cdf8aa2f02180475b5b8558b034693d "
        + "Preprocessing[resize=256, crop=224, Normalization[imagenet]]");

    for (Map.Entry<Backbones.Builder, Map<String, String>> e : expected.entrySet()) {
      BackboneSpec spec = e.getKey().spec();
      String id = ids.get(e.getKey());
      assertThat(spec.toConfiguration()).as(id).isEqualTo(e.getValue());
      assertThat(BackboneSpec.parse(spec.toString())).as(id).isEqualTo(spec);
      try (FeatureExtractor built = e.getKey().build();
          FeatureExtractor reopened = Backbones.fromConfiguration(built.configuration())) {
        assertThat(built.configuration()).as(id).isEqualTo(e.getValue());
        assertThat(built.id()).isEqualTo(id);
        assertThat(reopened.configuration()).as(id).isEqualTo(e.getValue());
        assertThat(reopened.id()).isEqualTo(id);
      }
    }
    try (FeatureExtractor fe = BackboneSpec.parse("default").open()) {
      assertThat(fe.configuration()).isEqualTo(BackboneSpec.bundledDefault().toConfiguration());
      assertThat(fe.id()).isEqualTo(MOBILENET_ID + " Preprocessing[resize=off, crop=off, Normalization[none]]");
    }
  }

  @Test
  void configurationsAsOtherCodeWritesThemAreRead() {
    // the CLI writes device=cpu and may leave out normalize; model files add the backbone's id
    assertThat(BackboneSpec.fromConfiguration(Map.of("kind", "default", "device", "cpu", "normalize", "imagenet",
        "id", "whatever"))).isEqualTo(BackboneSpec.parse("default,normalize=imagenet"));
    assertThat(BackboneSpec.fromConfiguration(Map.of("kind", "inception", "device", "gpu")))
        .isEqualTo(BackboneSpec.inceptionV3().withGpu(0));
    assertThat(BackboneSpec.fromConfiguration(Map.of("kind", "torchscript", "path", "/m.pt", "layers", "0,1",
        "crop", " 224 "))).isEqualTo(BackboneSpec.parse("/m.pt,layers=[0,1],crop=224"));
  }

  private static void refusedText(String text, String... named) {
    assertThatThrownBy(() -> BackboneSpec.parse(text)).as(text).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("backbone '" + text + "': ").hasMessageContainingAll(named);
  }

  @Test
  void invalidTextIsRefusedNamingTheValue() {
    refusedText("", "backbone", "missing");
    refusedText("resize=256", "must start with the backbone", "'resize=256'");
    refusedText("default,kind=inception", "unknown key(s) [kind]");
    refusedText("default,path=/m.pt", "unknown key(s) [path]");
    refusedText("default,colour=red", "[colour]");
    refusedText("default,resize=abc", "'resize'", "'abc'");
    refusedText("default,normalize=fancy", "'fancy'");
    refusedText("default,layers=[a,a]", "'a' given twice");
    refusedText("default,layers=[a,\" \"]", "blank layer name");
    refusedText("default,layers=[a,\"b,c\"]", "'b,c'", "comma");
    refusedText("/m.pt", "'layers' is missing");
    refusedText("/m.pt,layers=[a],tokens=[b=5]", "token layer 'b'", "[a]");
    refusedText("/m.pt,layers=[a],tokens=[a=x]", "'tokens'", "'x'");
    refusedText("/m.pt,layers=[a],tokens=[a=-1]", "'tokens'", "'-1'");
    refusedText("/m.pt,layers=[a],tokens=[a]", "'tokens'", "'a'");
    refusedText("/m.pt,layers=[a],tokens=[a=1,a=2]", "'a' twice");
    refusedText("default,inputSize=224", "'inputSize'", "'224'");
    refusedText("default,inputSize=0x5", "'inputSize'", "'0'");
    refusedText("default,device=tpu", "'device'", "'tpu'");
    refusedText("default,device=gpu:-1", "'device'", "'-1'");
    refusedText("default,device=[gpu]", "'device'", "one value");
    refusedText("default,resize=1,resize=2", "'resize' given twice");
    refusedText("default,crop=224,", "empty item");
    refusedText("\"/m.pt,layers=[a]", "quote is not closed");
  }

  private static void refusedMap(Map<String, String> configuration, String... named) {
    assertThatThrownBy(() -> BackboneSpec.fromConfiguration(configuration)).as(configuration.toString())
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("backbone configuration: ")
        .hasMessageContainingAll(named);
  }

  @Test
  void invalidConfigurationValuesAreRefusedNamingTheValue() {
    refusedMap(Map.of(), "'kind'", "nothing");
    refusedMap(Map.of("kind", "vgg"), "'kind'", "'vgg'");
    refusedMap(Map.of("kind", "Default"), "'kind'", "'Default'");
    refusedMap(Map.of("kind", "torchscript", "layers", "a"), "'path' is missing");
    refusedMap(Map.of("kind", "torchscript", "path", "", "layers", "a"), "'path' is empty");
    refusedMap(Map.of("kind", "torchscript", "path", "/m.pt"), "'layers' is missing");
    refusedMap(Map.of("kind", "default", "path", "/m.pt"), "unknown key(s) [path]");
    refusedMap(Map.of("kind", "default", "colour", "red"), "[colour]");
    refusedMap(Map.of("kind", "default", "layers", "a,,b"), "blank layer name", "[a, , b]");
    refusedMap(Map.of("kind", "default", "layers", "a,b", "tokens", "c=1"), "token layer 'c'");
    refusedMap(Map.of("kind", "default", "layers", "a,b", "tokens", "a:1"), "'tokens'", "'a:1'");
    refusedMap(Map.of("kind", "default", "resize", "-3"), "'resize'", "'-3'");
    refusedMap(Map.of("kind", "default", "normalize", "custom", "mean", "1,2,3", "std", "1,1"), "'std'", "'1,1'");
    refusedMap(Map.of("kind", "default", "normalize", "none", "std", "1,1,1"), "'std'");
    refusedMap(Map.of("kind", "default", "inputSize", "axb"), "'inputSize'", "'a'");
    refusedMap(Map.of("kind", "default", "inputSize", "224X224"), "'inputSize'", "'224X224'");
    refusedMap(Map.of("kind", "default", "device", "GPU"), "'device'", "'GPU'");
    refusedMap(Map.of("kind", "default", "device", "gpu:x"), "'device'", "'x'");
  }

  @Test
  void accessorsAndWithers() {
    BackboneSpec s = file(Path.of("/models/h.pt")).withDevice(" GPU:2 ").withInputSize(16, 32);
    assertThat(s.kind()).isEqualTo(BackboneSpec.Kind.TORCHSCRIPT);
    assertThat(s.kind().key()).isEqualTo("torchscript");
    assertThat(s.layers()).containsExactly("blocks.19", "blocks.29");
    assertThat(s.tokens()).containsExactly(Map.entry("blocks.29", 5));
    assertThat(s.gpu()).isEqualTo(OptionalInt.of(2));
    assertThat(s.device()).isEqualTo("gpu:2");
    assertThat(s.withDevice("cpu").gpu()).isEmpty();
    assertThat(s.withDevice("cpu").device()).isEqualTo("cpu");
    assertThat(s.inputSize()).contains(new BackboneSpec.InputSize(16, 32));
    assertThat(s.preprocessing()).isEqualTo(PreprocessingSpec.NONE);
    assertThat(BackboneSpec.bundledDefault().path()).isEmpty();
    assertThat(BackboneSpec.bundledDefault().layers()).isEqualTo(Backbones.BUNDLED_LAYERS);
    assertThat(BackboneSpec.inceptionV3().layers()).isEqualTo(Backbones.INCEPTION_LAYERS);
    // token layers are kept in layer order, whatever order they were declared in
    BackboneSpec two = BackboneSpec.torchScript(Path.of("/m.pt"), List.of("a", "b"));
    Map<String, Integer> reversed = new LinkedHashMap<>();
    reversed.put("b", 1);
    reversed.put("a", 2);
    assertThat(two.withTokens(reversed).toConfiguration()).containsEntry("tokens", "a=2,b=1");
    assertThat(two.withTokens(reversed)).isEqualTo(BackboneSpec.parse("/m.pt,layers=[a,b],tokens=[b=1,a=2]"));
    assertThat(two.withTokens(reversed).withTokens(Map.of()).tokens()).isEmpty();

    assertThatThrownBy(() -> s.withLayers(List.of("blocks.19"))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContainingAll("token layer 'blocks.29'", "/models/h.pt");
    assertThatThrownBy(() -> s.withLayers(List.of())).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one layer name");
    assertThatThrownBy(() -> s.withTokens(Map.of("blocks.19", -1))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContainingAll("'blocks.19'", "-1");
    assertThatThrownBy(() -> s.withGpu(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
    assertThatThrownBy(() -> s.withDevice("tpu")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'tpu'");
    assertThatThrownBy(() -> s.withInputSize(0, 3)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0x3");
    assertThatThrownBy(() -> BackboneSpec.torchScript(Path.of(""), List.of("a")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
  }

  @Test
  void builderSpecsEqualParsedSpecs() {
    Path any = Path.of("/models/m.pt");
    assertThat(Backbones.torchScriptBuilder(any).layers("a", "b").tokens("b", 1).resize(8).centerCrop(4)
        .normalize(Normalization.HNE).inputSize(4, 6).gpu(1).spec())
        .isEqualTo(BackboneSpec.parse("/models/m.pt,layers=[a,b],tokens=[b=1],resize=8,crop=4,normalize=he,"
            + "inputSize=4x6,device=gpu:1"));
    assertThat(Backbones.bundledDefaultBuilder().spec()).isEqualTo(BackboneSpec.bundledDefault());
    assertThat(Backbones.inceptionV3Builder().spec()).isEqualTo(BackboneSpec.inceptionV3());
    assertThatThrownBy(() -> Backbones.torchScriptBuilder(any).layers("a").tokens("b", 1).spec())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("token layer 'b'");
    assertThatThrownBy(() -> Backbones.torchScriptBuilder(any).layers("a,b"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContainingAll("'a,b'", "comma");
  }
}
