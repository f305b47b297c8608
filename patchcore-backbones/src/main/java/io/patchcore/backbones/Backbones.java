package io.patchcore.backbones;

import io.patchcore.PatchCoreModel;
import io.patchcore.feature.FeatureExtractor;
import io.patchcore.internal.image.Images;
import io.patchcore.internal.torch.TorchRuntime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Factories for {@link FeatureExtractor}s backed by TorchScript modules, run on the CPU or a CUDA GPU with DJL's
 * PyTorch engine (no network access: DJL is put in offline mode with tracking off unless the
 * application set those properties itself).
 *
 * <p>A TorchScript backbone takes one float tensor {@code (1, 3, H, W)} of RGB values and returns a
 * tuple (or list) of 4-D feature maps {@code (1, C, h, w)}, which the layer names given here name
 * by position, or a dict of such maps, from which the layer names select by key. A vision
 * transformer's layer may instead be tokens {@code (1, T, C)}: declared with {@link
 * Builder#tokens}, its class and register tokens are dropped and the patch tokens become a map on
 * their grid. {@link Builder#build()} checks this contract with one forward pass on a zero image.
 * {@code patchcore-backbones/scripts/export_backbone.py} writes such files from torchvision
 * ResNets and from H-optimus-0.
 *
 * <p>Before the model, each image goes through {@link Builder the configured preprocessing}:
 * conversion to RGB (grey replicated, alpha dropped), an optional resize of the shorter side
 * (PIL-exact antialiased bilinear, as torchvision's {@code Resize}), an optional centre crop,
 * division by 255 and an optional {@link Normalization}.
 *
 * <pre>{@code
 * try (FeatureExtractor backbone = Backbones.bundledDefault()) { ... }
 *
 * FeatureExtractor wrn = Backbones.torchScriptBuilder(Path.of("wide_resnet50.pt"))
 *     .layers("layer2", "layer3").resize(256).centerCrop(224).normalize(Normalization.IMAGENET)
 *     .build();
 *
 * FeatureExtractor vit = Backbones.torchScriptBuilder(Path.of("hoptimus0.pt"))
 *     .layers("blocks.19", "blocks.29").tokens("blocks.19", 5).tokens("blocks.29", 5)
 *     .resize(224).centerCrop(224).normalize(Normalization.of(mean, std))
 *     .build();
 *
 * // the same as text (e.g. from a command line) or as a saved configuration map
 * FeatureExtractor same = BackboneSpec.parse(
 *     "wide_resnet50.pt,layers=[layer2,layer3],resize=256,crop=224,normalize=imagenet").open();
 * }</pre>
 *
 * <p>{@link BackboneSpec} describes a backbone of this class as a value: {@link Builder#spec()}
 * gives it, {@link #open(BackboneSpec)} builds it, and each extractor's {@link
 * FeatureExtractor#configuration()} is its {@link BackboneSpec#toConfiguration()}, which {@link
 * #fromConfiguration} reads back.
 *
 * <p>The extractors are thread-safe; close them to free native memory.
 */
public final class Backbones {
  static final String BUNDLED_FILE = "mobilenet_v2_imagenet_features.pt";
  static final String BUNDLED_RESOURCE = "/io/patchcore/backbones/" + BUNDLED_FILE;
  static final String BUNDLED_SHA256 = "f68d196192cc493ce31c68ad81c2edff36e5f3b58d10baa257b16097933ec492";
  static final List<String> BUNDLED_LAYERS = List.of("block_6_expand_relu", "block_10_expand_relu");
  static final String INCEPTION_FILE = "inception_v3_imagenet_features.pt";
  static final String INCEPTION_SHA256 = "afff2a80c2a2d39b49063287fa1ad26bb62d7acae3a79d4835308369cc78c168";
  static final List<String> INCEPTION_LAYERS = List.of("mixed2", "mixed5");
  /** Input side of the build-time output check when no input size, crop or resize is set. */
  static final int DEFAULT_CHECK_SIZE = 224;

  /** Smallest input side of the bundled MobileNetV2 (measured: 15 fails in its stride-16 stage). */
  static final int BUNDLED_MINIMUM_SIDE = 16;
  /** Smallest input side of the bundled InceptionV3 (measured: 42 fails in its "valid" convolutions). */
  static final int INCEPTION_MINIMUM_SIDE = 43;

  private static final Bundled MOBILENET =
      new Bundled(BUNDLED_FILE, BUNDLED_SHA256, BUNDLED_MINIMUM_SIDE);
  private static final Bundled INCEPTION =
      new Bundled(INCEPTION_FILE, INCEPTION_SHA256, INCEPTION_MINIMUM_SIDE);

  /**
   * A model vendored as a class-path resource next to this class; {@code minimumSide} is the
   * smallest input height and width it runs on, checked before each forward pass.
   */
  private record Bundled(String file, String sha256, int minimumSide) {
    String resource() {
      return "/io/patchcore/backbones/" + file;
    }
  }

  private Backbones() {}

  /**
   * Rebuilds a backbone from its {@link FeatureExtractor#configuration()} (as saved in model files
   * and returned by {@code PatchCoreModel.backboneConfiguration}): {@link
   * BackboneSpec#fromConfiguration} (which describes the keys) and {@link #open}. An {@code id}
   * entry is ignored here (loading a model checks it).
   *
   * @param configuration the backbone configuration; not modified
   * @return a new backbone, whose {@link FeatureExtractor#configuration()} is the {@link
   *     BackboneSpec#toConfiguration()} of the spec read from {@code configuration}; close it to free
   *     native memory
   * @throws NullPointerException if {@code configuration} is null
   * @throws IllegalArgumentException naming the key and value that are missing or invalid, or the
   *     model if it cannot be loaded (see {@link #open})
   * @throws UncheckedIOException naming the file if it is missing or unreadable (see {@link #open})
   * @throws IllegalStateException as {@link #open} does
   */
  public static FeatureExtractor fromConfiguration(Map<String, String> configuration) {
    return open(BackboneSpec.fromConfiguration(configuration));
  }

  /**
   * Builds the backbone {@code spec} describes, checking its outputs with one forward pass on a
   * zero image of the spec's {@linkplain BackboneSpec#inputSize() input size} (see {@link
   * Builder#build()}). Its {@link FeatureExtractor#configuration()} is {@link
   * BackboneSpec#toConfiguration() spec.toConfiguration()}.
   *
   * @param spec the backbone to build
   * @return a new backbone; close it to free native memory
   * @throws NullPointerException if {@code spec} is null
   * @throws UncheckedIOException naming the file if it is missing or unreadable, or, for a bundled
   *     model, if it cannot be copied to a temporary file
   * @throws IllegalArgumentException naming the model if it is not a loadable TorchScript module,
   *     fails on the check input, or its outputs do not match the declared layers; or if the spec
   *     names a GPU, GPUs are visible and its index is not one of them
   * @throws IllegalStateException if a bundled model's resource is missing from the class path or
   *     corrupt, or if the spec names a GPU and the PyTorch engine cannot be loaded
   */
  public static FeatureExtractor open(BackboneSpec spec) {
    Objects.requireNonNull(spec, "spec");
    PreprocessingSpec pre = spec.preprocessing();
    Preprocessing preprocessing = new Preprocessing(pre);
    Map<String, Integer> tokens = spec.tokens();
    String idSuffix = " " + preprocessing + (tokens.isEmpty() ? "" : " tokens" + new TreeMap<>(tokens));
    int side = pre.crop().orElse(pre.resize().orElse(DEFAULT_CHECK_SIZE));
    int height = spec.inputSize().map(BackboneSpec.InputSize::height).orElse(side);
    int width = spec.inputSize().map(BackboneSpec.InputSize::width).orElse(side);
    TorchScriptExtractor extractor;
    if (spec.kind() == BackboneSpec.Kind.TORCHSCRIPT) {
      Path modelFile = spec.path().orElseThrow();
      String sha = ModelFiles.sha256(modelFile);
      String id = modelFile.getFileName() + ":" + sha + idSuffix;
      extractor = TorchScriptExtractor.load(modelFile, modelFile.toString(), id, spec.layers(), tokens, preprocessing,
          0, device(spec));
    } else {
      Bundled bundled = spec.kind() == BackboneSpec.Kind.INCEPTION ? INCEPTION : MOBILENET;
      extractor = loadBundled(bundled, spec.layers(), preprocessing, tokens, idSuffix, device(spec));
    }
    extractor.checkOutputs(height, width);
    return extractor.describedBy(spec);
  }

  private static ai.djl.Device device(BackboneSpec spec) {
    int gpu = spec.gpu().orElse(-1);
    return TorchRuntime.device(gpu, BackboneSpec.describe(spec.kind(), spec.path().orElse(null)) + " on GPU " + gpu);
  }

  private static TorchScriptExtractor loadBundled(Bundled bundled, List<String> layers, Preprocessing preprocessing,
      Map<String, Integer> tokens, String idSuffix, ai.djl.Device device) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("patchcore-backbone");
      Path file = dir.resolve(bundled.file());
      ModelFiles.copyResource(bundled.resource(), bundled.sha256(), file);
      // libtorch reads the whole module at load time; the copy is not needed afterwards
      return TorchScriptExtractor.load(file, "bundled " + bundled.file(),
          bundled.file() + ":" + bundled.sha256() + idSuffix, layers, tokens, preprocessing,
          bundled.minimumSide(), device);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary directory for the bundled model " + bundled.file(),
          e);
    } finally {
      ModelFiles.deleteQuietly(dir);
    }
  }

  /**
   * Loads a TorchScript backbone with no preprocessing beyond RGB in [0, 1].
   *
   * @param modelFile a TorchScript module (saved with {@code torch.jit.save})
   * @param layerNames names of the module's outputs, in order; at least one
   * @return a new backbone on the CPU; close it to free native memory
   * @throws NullPointerException if {@code modelFile} or {@code layerNames} is null
   * @throws UncheckedIOException naming the file if it is missing or unreadable
   * @throws IllegalArgumentException if the file is not a TorchScript module, its outputs for a
   *     224x224 input do not match the names (see {@link Builder#build()}), or the names are
   *     empty, blank or repeated
   */
  public static FeatureExtractor torchScript(Path modelFile, String... layerNames) {
    return torchScriptBuilder(modelFile).layers(layerNames).build();
  }

  /**
   * Starts configuring a TorchScript backbone; {@link Builder#layers} must be called.
   *
   * @param modelFile a TorchScript module (saved with {@code torch.jit.save}); read by {@link
   *     Builder#build()}, not here
   * @return a new builder with the {@linkplain Builder defaults} and no layer names
   * @throws NullPointerException if {@code modelFile} is null
   */
  public static Builder torchScriptBuilder(Path modelFile) {
    return new Builder(BackboneSpec.Kind.TORCHSCRIPT, Objects.requireNonNull(modelFile, "modelFile"));
  }

  /**
   * The bundled backbone: MobileNetV2 ImageNet features (an 8-bit-quantised third-party export,
   * not torchvision's WideResNet-50; see the PROVENANCE.md next to the model resource). Layers
   * {@code block_6_expand_relu} (192 channels, stride 8) and {@code block_10_expand_relu} (384
   * channels, stride 16). It expects RGB in [0, 1] (the scaling to [-1, 1] happens inside the
   * model) and even image sizes of at least 16x16 (smaller inputs are refused with an
   * {@link IllegalArgumentException} naming the size); by default no resize, crop or
   * normalisation is applied.
   *
   * @return a new backbone on the CPU; close it to free native memory
   * @throws IllegalStateException if the model resource is missing from the class path or corrupt
   * @throws UncheckedIOException if the model cannot be copied to a temporary file
   */
  public static FeatureExtractor bundledDefault() {
    return bundledDefaultBuilder().build();
  }

  /**
   * Starts configuring the {@linkplain #bundledDefault() bundled backbone}, e.g. to add a resize.
   *
   * @return a new builder with the {@linkplain Builder defaults} and the bundled model's own layers
   */
  public static Builder bundledDefaultBuilder() {
    return new Builder(BackboneSpec.Kind.DEFAULT, null);
  }

  /**
   * The bundled InceptionV3 backbone: ImageNet features from the same third-party 8-bit export as
   * the {@linkplain #bundledDefault() default} (see the PROVENANCE.md next to the model resource).
   * Layers {@code mixed2} (288 channels; 25x25 for a 224x224 input) and {@code mixed5} (768
   * channels; 12x12 for 224x224). It expects RGB in [0, 1] (the scaling to [-1, 1] happens inside
   * the model) and images of at least 75x75 (Keras' minimum; inputs below 43x43 fail and are
   * refused with an {@link IllegalArgumentException} naming the size); by default no resize, crop
   * or normalisation is applied. Larger than the default (20.5 MB, about 10x the compute).
   *
   * @return a new backbone on the CPU; close it to free native memory
   * @throws IllegalStateException if the model resource is missing from the class path or corrupt
   * @throws UncheckedIOException if the model cannot be copied to a temporary file
   */
  public static FeatureExtractor inceptionV3() {
    return inceptionV3Builder().build();
  }

  /**
   * Starts configuring the {@linkplain #inceptionV3() bundled InceptionV3 backbone}.
   *
   * @return a new builder with the {@linkplain Builder defaults} and the bundled model's own layers
   */
  public static Builder inceptionV3Builder() {
    return new Builder(BackboneSpec.Kind.INCEPTION, null);
  }

  /**
   * Options of a TorchScript backbone: a mutable way to make a {@link BackboneSpec} ({@link
   * #spec()}) and open it ({@link #build()}). Defaults: no resize, no crop, {@link
   * Normalization#NONE}, every layer a 4-D map, the CPU. Not thread-safe; {@link #build()} may be
   * called more than once.
   */
  public static final class Builder {
    private final BackboneSpec.Kind kind;
    private final Path modelFile; // null: a bundled model
    private List<String> layers; // null: not given yet
    private final Map<String, Integer> prefixTokens = new LinkedHashMap<>();
    private PreprocessingSpec preprocessing = PreprocessingSpec.NONE;
    private int gpu = -1; // -1: the CPU
    private BackboneSpec.InputSize inputSize; // null: derived from crop / resize / DEFAULT_CHECK_SIZE

    private Builder(BackboneSpec.Kind kind, Path modelFile) {
      this.kind = kind;
      this.modelFile = modelFile;
      this.layers = BackboneSpec.bundledLayers(kind);
    }

    /**
     * Names the model's outputs, in order, replacing any names given before (for a bundled model,
     * its own layer names).
     *
     * @param layerNames the names of the model's outputs, in order; at least one (copied)
     * @return this builder
     * @throws NullPointerException if {@code layerNames} is null
     * @throws IllegalArgumentException if there are none, or one is blank, repeated or contains a
     *     comma (which a saved configuration cannot hold)
     */
    public Builder layers(String... layerNames) {
      Objects.requireNonNull(layerNames, "layerNames");
      this.layers = BackboneSpec.checkLayers(Arrays.asList(layerNames), describe());
      return this;
    }

    /**
     * Resizes every image so that its shorter side is {@code shorterSide} pixels (the longer side
     * becomes {@code (int) (shorterSide * long / short)}), with PIL's antialiased bilinear filter.
     *
     * @param shorterSide the length of the shorter side after the resize, in pixels
     * @return this builder
     * @throws IllegalArgumentException if {@code shorterSide} is not positive
     */
    public Builder resize(int shorterSide) {
      this.preprocessing = preprocessing.withResize(shorterSide);
      return this;
    }

    /**
     * Cuts the central {@code size x size} square (after any resize). Images smaller than that are
     * rejected by {@code extract}.
     *
     * @param size the side of the square, in pixels
     * @return this builder
     * @throws IllegalArgumentException if {@code size} is not positive
     */
    public Builder centerCrop(int size) {
      this.preprocessing = preprocessing.withCrop(size);
      return this;
    }

    /**
     * Runs the model on CUDA device {@code index} (with DJL's CUDA build of libtorch on the class
     * path instead of {@code pytorch-native-cpu}). When libtorch sees no GPU, the model runs on the
     * CPU and a warning is logged.
     *
     * @param index the CUDA device index, 0 or more; {@link #build()} fails if GPUs are visible but
     *     this is not one of them
     * @return this builder
     * @throws IllegalArgumentException if {@code index} is negative
     */
    public Builder gpu(int index) {
      if (index < 0) {
        throw new IllegalArgumentException("GPU index must be non-negative, got " + index);
      }
      this.gpu = index;
      return this;
    }

    /**
     * Normalises the [0, 1] RGB values before the model.
     *
     * @param normalization the per-channel statistics, {@link Normalization#NONE} for none
     * @return this builder
     * @throws NullPointerException if {@code normalization} is null
     */
    public Builder normalize(Normalization normalization) {
      this.preprocessing = preprocessing.withNormalization(normalization);
      return this;
    }

    /**
     * Declares layer {@code layer} a vision transformer's token output {@code (1, T, C)}: the first
     * {@code prefixTokens} tokens (the class token plus any register tokens; 1 + 4 for H-optimus-0)
     * are dropped and the remaining {@code N} patch tokens, in row-major order, are laid out as a
     * {@code C x h x w} map with {@code h * w = N}. The grid is the one a patch stride {@code s}
     * gives for the model input {@code H x W} ({@code h = H / s}, {@code w = W / s}, rounded down,
     * or else up); failing that a square grid; anything else is an error naming the model.
     *
     * @param layer one of the names given to {@link #layers} (checked by {@link #build()})
     * @param prefixTokens tokens before the patch tokens, 0 or more; replaces a count given before
     *     for the same layer
     * @return this builder
     * @throws NullPointerException if {@code layer} is null
     * @throws IllegalArgumentException if the name is blank or the count negative
     */
    public Builder tokens(String layer, int prefixTokens) {
      this.prefixTokens.put(layer, BackboneSpec.checkTokens(layer, prefixTokens, describe()));
      return this;
    }

    /**
     * The model input size ({@code height x width}, after resize and crop) used by the output
     * check of {@link #build()}. Default: the centre crop if set, else the resize if set (a square
     * image), else 224x224. It neither resizes images nor limits the sizes {@code extract} accepts.
     *
     * @param height the rows of the check input
     * @param width the columns of the check input
     * @return this builder
     * @throws IllegalArgumentException if a size is not positive
     */
    public Builder inputSize(int height, int width) {
      this.inputSize = new BackboneSpec.InputSize(height, width);
      return this;
    }

    /**
     * The spec of the backbone these options describe; {@link BackboneSpec#open()} builds the same
     * backbone as {@link #build()}.
     *
     * @return a new spec of the options set so far; later changes to this builder do not change it
     * @throws IllegalStateException if no layer names were given, or a token layer is not one of
     *     them
     */
    public BackboneSpec spec() {
      if (layers == null) {
        throw new IllegalStateException("no layer names given for " + describe() + "; call layers(...)");
      }
      for (String layer : prefixTokens.keySet()) {
        if (!layers.contains(layer)) {
          throw new IllegalStateException("token layer '" + layer + "' is not one of the layers " + layers + " of "
              + describe());
        }
      }
      return new BackboneSpec(kind, modelFile, layers, prefixTokens, preprocessing, inputSize, gpu);
    }

    /**
     * Loads the model and checks its outputs with one forward pass on a zero image of the
     * {@linkplain #inputSize input size}: {@link Backbones#open(BackboneSpec) open}({@link #spec()}).
     *
     * @return a new backbone; close it to free native memory
     * @throws IllegalStateException if no layer names were given, or a token layer is not one of
     *     them; or as {@link Backbones#open(BackboneSpec)} does (a bundled model's resource missing
     *     or corrupt, the PyTorch engine not loadable for a GPU)
     * @throws UncheckedIOException naming the file if it is missing or unreadable
     * @throws IllegalArgumentException naming the file if it is not a loadable TorchScript module,
     *     fails on the check input, or its outputs do not match the declared layers (count, dict
     *     keys, rank, empty maps, token grid); or if GPUs are visible but the {@link #gpu} index is
     *     not one of them
     */
    public FeatureExtractor build() {
      return open(spec());
    }

    private String describe() {
      return BackboneSpec.describe(kind, modelFile);
    }
  }
}
