package io.patchcore.backbones;

import io.patchcore.internal.torch.TorchRuntime;
import io.patchcore.torch.TorchCompute;
import io.patchcore.PatchCoreModel;
import io.patchcore.internal.image.Images;
import io.patchcore.feature.FeatureExtractor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
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
 * }</pre>
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
      new Bundled(BUNDLED_FILE, BUNDLED_SHA256, BUNDLED_LAYERS, BUNDLED_MINIMUM_SIDE);
  private static final Bundled INCEPTION =
      new Bundled(INCEPTION_FILE, INCEPTION_SHA256, INCEPTION_LAYERS, INCEPTION_MINIMUM_SIDE);

  /**
   * A model vendored as a class-path resource next to this class; {@code minimumSide} is the
   * smallest input height and width it runs on, checked before each forward pass.
   */
  private record Bundled(String file, String sha256, List<String> layers, int minimumSide) {
    String resource() {
      return "/io/patchcore/backbones/" + file;
    }
  }

  private Backbones() {}

  private static final String KIND = "kind";
  private static final String PATH = "path";
  private static final String LAYERS = "layers";
  private static final String TOKENS = "tokens";
  private static final String RESIZE = "resize";
  private static final String CROP = "crop";
  private static final String NORMALIZE = "normalize";
  private static final String MEAN = "mean";
  private static final String STD = "std";
  private static final String INPUT_SIZE = "inputSize";
  private static final String DEVICE = "device";
  private static final String ID = "id";

  /**
   * Rebuilds a backbone from its {@link FeatureExtractor#configuration()} (as saved in model files
   * and returned by {@code PatchCoreModel.backboneConfiguration}). Keys: {@code kind}
   * ({@code default}, {@code inception} or {@code torchscript}), {@code path} (TorchScript file),
   * {@code layers} (comma-separated), {@code tokens} ({@code layer=prefixTokens,...}),
   * {@code resize}, {@code crop}, {@code normalize} ({@code none}, {@code imagenet}, {@code he} or
   * {@code custom} with {@code mean} and {@code std} as three comma-separated numbers),
   * {@code inputSize} ({@code HxW}) and {@code device} ({@code cpu}, {@code gpu} or {@code gpu:N}). An {@code id} entry is
   * ignored here (loading a model checks it).
   *
   * @throws IllegalArgumentException naming the key and value that are missing or invalid
   */
  public static FeatureExtractor fromConfiguration(Map<String, String> configuration) {
    Map<String, String> c = new TreeMap<>(Objects.requireNonNull(configuration, "configuration"));
    c.remove(ID);
    String kind = c.remove(KIND);
    Builder b;
    if ("default".equals(kind)) {
      b = bundledDefaultBuilder();
    } else if ("inception".equals(kind)) {
      b = inceptionV3Builder();
    } else if ("torchscript".equals(kind)) {
      String path = c.remove(PATH);
      if (path == null) {
        throw new IllegalArgumentException("backbone configuration of kind torchscript needs a 'path'");
      }
      b = torchScriptBuilder(Path.of(path));
    } else {
      throw new IllegalArgumentException("backbone configuration 'kind' must be default, inception or torchscript, got "
          + (kind == null ? "nothing" : "'" + kind + "'"));
    }
    String layers = c.remove(LAYERS);
    if (layers != null) {
      b.layers(layers.split(",", -1));
    }
    String tokens = c.remove(TOKENS);
    if (tokens != null) {
      for (String t : tokens.split(",", -1)) {
        int eq = t.lastIndexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("backbone configuration 'tokens' must be layer=count,..., got '" + tokens
              + "'");
        }
        b.tokens(t.substring(0, eq), positive(TOKENS, t.substring(eq + 1), 0));
      }
    }
    String resize = c.remove(RESIZE);
    if (resize != null) {
      b.resize(positive(RESIZE, resize, 1));
    }
    String crop = c.remove(CROP);
    if (crop != null) {
      b.centerCrop(positive(CROP, crop, 1));
    }
    String norm = c.remove(NORMALIZE);
    String mean = c.remove(MEAN);
    String std = c.remove(STD);
    if (norm != null) {
      switch (norm) {
        case "none":
          break;
        case "imagenet":
          b.normalize(Normalization.IMAGENET);
          break;
        case "he":
          b.normalize(Normalization.HNE);
          break;
        case "custom":
          b.normalize(Normalization.of(triple(MEAN, mean), triple(STD, std)));
          break;
        default:
          throw new IllegalArgumentException(
              "backbone configuration 'normalize' must be none, imagenet, he or custom, got '" + norm + "'");
      }
    }
    String size = c.remove(INPUT_SIZE);
    if (size != null) {
      String[] hw = size.split("x", -1);
      if (hw.length != 2) {
        throw new IllegalArgumentException("backbone configuration 'inputSize' must be HxW, got '" + size + "'");
      }
      b.inputSize(positive(INPUT_SIZE, hw[0], 1), positive(INPUT_SIZE, hw[1], 1));
    }
    String device = c.remove(DEVICE);
    if (device != null && !device.equals("cpu")) {
      if (device.equals("gpu")) {
        b.gpu(0);
      } else if (device.startsWith("gpu:")) {
        b.gpu(positive(DEVICE, device.substring(4), 0));
      } else {
        throw new IllegalArgumentException("backbone configuration 'device' must be cpu, gpu or gpu:N, got '" + device
            + "'");
      }
    }
    if (!c.isEmpty()) {
      throw new IllegalArgumentException("unknown backbone configuration keys " + c.keySet());
    }
    return b.build();
  }

  private static int positive(String key, String value, int min) {
    try {
      int v = Integer.parseInt(value.trim());
      if (v >= min) {
        return v;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw new IllegalArgumentException("backbone configuration '" + key + "' must be an integer >= " + min + ", got '"
        + value + "'");
  }

  private static float[] triple(String key, String value) {
    String[] parts = value == null ? new String[0] : value.split(",", -1);
    if (parts.length != 3) {
      throw new IllegalArgumentException("backbone configuration '" + key + "' must be three comma-separated numbers, got "
          + (value == null ? "nothing" : "'" + value + "'"));
    }
    float[] out = new float[3];
    for (int i = 0; i < 3; i++) {
      try {
        out[i] = Float.parseFloat(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("backbone configuration '" + key + "' has a bad number '" + parts[i] + "'");
      }
    }
    return out;
  }

  /**
   * Loads a TorchScript backbone with no preprocessing beyond RGB in [0, 1].
   *
   * @param modelFile a TorchScript module (saved with {@code torch.jit.save})
   * @param layerNames names of the module's outputs, in order; at least one
   * @throws UncheckedIOException naming the file if it is missing or unreadable
   * @throws IllegalArgumentException if the file is not a TorchScript module, its outputs for a
   *     224x224 input do not match the names (see {@link Builder#build()}), or the names are
   *     empty, blank or repeated
   */
  public static FeatureExtractor torchScript(Path modelFile, String... layerNames) {
    return torchScriptBuilder(modelFile).layers(layerNames).build();
  }

  /** Starts configuring a TorchScript backbone; {@link Builder#layers} must be called. */
  public static Builder torchScriptBuilder(Path modelFile) {
    return new Builder(Objects.requireNonNull(modelFile, "modelFile"), null, null);
  }

  /**
   * The bundled backbone: MobileNetV2 ImageNet features (an 8-bit-quantised third-party export,
   * not torchvision's WideResNet-50; see the PROVENANCE.md next to the model resource). Layers
   * {@code block_6_expand_relu} (192 channels, stride 8) and {@code block_10_expand_relu} (384
   * channels, stride 16). It expects RGB in [0, 1] (the scaling to [-1, 1] happens inside the
   * model) and even image sizes of at least 16x16 (smaller inputs are refused with an
   * {@link IllegalArgumentException} naming the size); by default no resize, crop or
   * normalisation is applied.
   */
  public static FeatureExtractor bundledDefault() {
    return bundledDefaultBuilder().build();
  }

  /** Starts configuring the {@linkplain #bundledDefault() bundled backbone}, e.g. to add a resize. */
  public static Builder bundledDefaultBuilder() {
    return new Builder(null, MOBILENET, MOBILENET.layers());
  }

  /**
   * The bundled InceptionV3 backbone: ImageNet features from the same third-party 8-bit export as
   * the {@linkplain #bundledDefault() default} (see the PROVENANCE.md next to the model resource).
   * Layers {@code mixed2} (288 channels; 25x25 for a 224x224 input) and {@code mixed5} (768
   * channels; 12x12 for 224x224). It expects RGB in [0, 1] (the scaling to [-1, 1] happens inside
   * the model) and images of at least 75x75 (Keras' minimum; inputs below 43x43 fail and are
   * refused with an {@link IllegalArgumentException} naming the size); by default no resize, crop
   * or normalisation is applied. Larger than the default (20.5 MB, about 10x the compute).
   */
  public static FeatureExtractor inceptionV3() {
    return inceptionV3Builder().build();
  }

  /** Starts configuring the {@linkplain #inceptionV3() bundled InceptionV3 backbone}. */
  public static Builder inceptionV3Builder() {
    return new Builder(null, INCEPTION, INCEPTION.layers());
  }

  /**
   * Options of a TorchScript backbone. Defaults: no resize, no crop, {@link Normalization#NONE},
   * every layer a 4-D map. Not thread-safe; {@link #build()} may be called more than once.
   */
  public static final class Builder {
    private final Path modelFile; // null: a bundled model
    private final Bundled bundled; // null: a user's file
    private List<String> layers;
    private final Map<String, Integer> prefixTokens = new LinkedHashMap<>();
    private int resize = Preprocessing.OFF;
    private int crop = Preprocessing.OFF;
    private Normalization normalization = Normalization.NONE;
    private int gpu = -1; // -1: the CPU
    private int checkHeight; // 0: derived from crop / resize / DEFAULT_CHECK_SIZE
    private int checkWidth;

    private Builder(Path modelFile, Bundled bundled, List<String> layers) {
      this.modelFile = modelFile;
      this.bundled = bundled;
      this.layers = layers;
    }

    /**
     * Names the model's outputs, in order.
     *
     * @throws IllegalArgumentException if there are none, or one is blank or repeated
     */
    public Builder layers(String... layerNames) {
      Objects.requireNonNull(layerNames, "layerNames");
      if (layerNames.length == 0) {
        throw new IllegalArgumentException("at least one layer name is needed for " + describe());
      }
      Set<String> seen = new HashSet<>();
      for (String name : layerNames) {
        if (name == null || name.isBlank()) {
          throw new IllegalArgumentException(
              "blank layer name in " + Arrays.toString(layerNames) + " for " + describe());
        }
        if (!seen.add(name)) {
          throw new IllegalArgumentException("layer name '" + name + "' given twice for " + describe());
        }
      }
      this.layers = List.of(layerNames);
      return this;
    }

    /**
     * Resizes every image so that its shorter side is {@code shorterSide} pixels (the longer side
     * becomes {@code (int) (shorterSide * long / short)}), with PIL's antialiased bilinear filter.
     */
    public Builder resize(int shorterSide) {
      if (shorterSide < 1) {
        throw new IllegalArgumentException("resize must be positive, got " + shorterSide);
      }
      this.resize = shorterSide;
      return this;
    }

    /**
     * Cuts the central {@code size x size} square (after any resize). Images smaller than that are
     * rejected by {@code extract}.
     */
    public Builder centerCrop(int size) {
      if (size < 1) {
        throw new IllegalArgumentException("centre crop must be positive, got " + size);
      }
      this.crop = size;
      return this;
    }

    /**
     * Runs the model on CUDA device {@code index} (with DJL's CUDA build of libtorch on the class
     * path instead of {@code pytorch-native-cpu}). When libtorch sees no GPU, the model runs on the
     * CPU and a warning is logged.
     *
     * @throws IllegalArgumentException if {@code index} is negative
     */
    public Builder gpu(int index) {
      if (index < 0) {
        throw new IllegalArgumentException("GPU index must be non-negative, got " + index);
      }
      this.gpu = index;
      return this;
    }

    private ai.djl.Device device() {
      return TorchRuntime.device(gpu, describe() + " on GPU " + gpu);
    }

    /** Normalises the [0, 1] RGB values before the model. */
    public Builder normalize(Normalization normalization) {
      this.normalization = Objects.requireNonNull(normalization, "normalization");
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
     * @param prefixTokens tokens before the patch tokens, 0 or more
     * @throws IllegalArgumentException if the name is blank or the count negative
     */
    public Builder tokens(String layer, int prefixTokens) {
      Objects.requireNonNull(layer, "layer");
      if (layer.isBlank()) {
        throw new IllegalArgumentException("blank token layer name for " + describe());
      }
      if (prefixTokens < 0) {
        throw new IllegalArgumentException("prefix token count of layer '" + layer + "' must be 0 or more, got "
            + prefixTokens + " for " + describe());
      }
      this.prefixTokens.put(layer, prefixTokens);
      return this;
    }

    /**
     * The model input size ({@code height x width}, after resize and crop) used by the output
     * check of {@link #build()}. Default: the centre crop if set, else the resize if set (a square
     * image), else 224x224. It neither resizes images nor limits the sizes {@code extract} accepts.
     *
     * @throws IllegalArgumentException if a size is not positive
     */
    public Builder inputSize(int height, int width) {
      if (height < 1 || width < 1) {
        throw new IllegalArgumentException("input size must be positive, got " + height + "x" + width + " (HxW) for "
            + describe());
      }
      this.checkHeight = height;
      this.checkWidth = width;
      return this;
    }

    /**
     * Loads the model and checks its outputs with one forward pass on a zero image of the
     * {@linkplain #inputSize input size}.
     *
     * @throws IllegalStateException if no layer names were given, or a token layer is not one of
     *     them
     * @throws UncheckedIOException naming the file if it is missing or unreadable
     * @throws IllegalArgumentException naming the file if it is not a loadable TorchScript module,
     *     fails on the check input, or its outputs do not match the declared layers (count, dict
     *     keys, rank, empty maps, token grid)
     */
    public FeatureExtractor build() {
      if (layers == null) {
        throw new IllegalStateException("no layer names given for " + describe() + "; call layers(...)");
      }
      for (String layer : prefixTokens.keySet()) {
        if (!layers.contains(layer)) {
          throw new IllegalStateException("token layer '" + layer + "' is not one of the layers " + layers + " of "
              + describe());
        }
      }
      Preprocessing preprocessing = new Preprocessing(resize, crop, normalization);
      Map<String, Integer> tokens = Map.copyOf(prefixTokens);
      String idSuffix = " " + preprocessing + (prefixTokens.isEmpty() ? "" : " tokens" + new TreeMap<>(prefixTokens));
      int side = crop != Preprocessing.OFF ? crop : resize != Preprocessing.OFF ? resize : DEFAULT_CHECK_SIZE;
      int height = checkHeight > 0 ? checkHeight : side;
      int width = checkWidth > 0 ? checkWidth : side;
      TorchScriptExtractor extractor;
      if (modelFile != null) {
        String sha = ModelFiles.sha256(modelFile);
        String id = modelFile.getFileName() + ":" + sha + idSuffix;
        extractor = TorchScriptExtractor.load(modelFile, modelFile.toString(), id, layers, tokens, preprocessing, 0,
            device());
      } else {
        extractor = loadBundled(preprocessing, tokens, idSuffix);
      }
      extractor.checkOutputs(height, width);
      return extractor.describedBy(configuration());
    }

    /** The configuration {@link Backbones#fromConfiguration} rebuilds this backbone from. */
    private Map<String, String> configuration() {
      Map<String, String> c = new TreeMap<>();
      if (modelFile != null) {
        c.put(KIND, "torchscript");
        c.put(PATH, modelFile.toAbsolutePath().normalize().toString());
      } else {
        c.put(KIND, bundled == INCEPTION ? "inception" : "default");
      }
      c.put(LAYERS, String.join(",", layers));
      if (!prefixTokens.isEmpty()) {
        StringBuilder t = new StringBuilder();
        prefixTokens.forEach((k, v) -> t.append(t.length() == 0 ? "" : ",").append(k).append('=').append(v));
        c.put(TOKENS, t.toString());
      }
      if (resize != Preprocessing.OFF) {
        c.put(RESIZE, Integer.toString(resize));
      }
      if (crop != Preprocessing.OFF) {
        c.put(CROP, Integer.toString(crop));
      }
      if (normalization.equals(Normalization.NONE)) {
        c.put(NORMALIZE, "none");
      } else if (normalization.equals(Normalization.IMAGENET)) {
        c.put(NORMALIZE, "imagenet");
      } else if (normalization.equals(Normalization.HNE)) {
        c.put(NORMALIZE, "he");
      } else {
        c.put(NORMALIZE, "custom");
        c.put(MEAN, floats(normalization.mean()));
        c.put(STD, floats(normalization.std()));
      }
      if (checkHeight > 0) {
        c.put(INPUT_SIZE, checkHeight + "x" + checkWidth);
      }
      if (gpu >= 0) {
        c.put(DEVICE, "gpu:" + gpu);
      }
      return c;
    }

    private static String floats(float[] v) {
      StringBuilder b = new StringBuilder();
      for (float f : v) {
        b.append(b.length() == 0 ? "" : ",").append(f);
      }
      return b.toString();
    }

    private TorchScriptExtractor loadBundled(Preprocessing preprocessing, Map<String, Integer> tokens,
        String idSuffix) {
      Path dir = null;
      try {
        dir = Files.createTempDirectory("patchcore-backbone");
        Path file = dir.resolve(bundled.file());
        ModelFiles.copyResource(bundled.resource(), bundled.sha256(), file);
        // libtorch reads the whole module at load time; the copy is not needed afterwards
        return TorchScriptExtractor.load(file, "bundled " + bundled.file(),
            bundled.file() + ":" + bundled.sha256() + idSuffix, layers, tokens, preprocessing,
            bundled.minimumSide(), device());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create a temporary directory for the bundled model " + bundled.file(),
            e);
      } finally {
        ModelFiles.deleteQuietly(dir);
      }
    }

    private String describe() {
      return modelFile == null ? "the bundled model " + bundled.file() : "TorchScript model " + modelFile;
    }
  }
}
