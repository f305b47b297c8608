package io.patchcore.backbones;

import io.patchcore.feature.FeatureExtractor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;

/**
 * Everything that rebuilds a backbone of {@link Backbones}: which model, the names of its outputs,
 * its token layers, its {@link PreprocessingSpec preprocessing}, the input size of the build-time
 * output check and the device. Immutable; {@link #open()} builds the {@link FeatureExtractor}, whose
 * {@link FeatureExtractor#configuration() configuration()} is {@link #toConfiguration()}.
 *
 * <p>A spec has two equivalent forms, both read back to an equal spec: the configuration map saved in
 * model files ({@link #toConfiguration()}, {@link #fromConfiguration}) and one line of text for
 * people and command lines ({@link #toString()}, {@link #parse}). This class and {@link
 * PreprocessingSpec} are the only code that writes or reads them.
 *
 * <h2>Text form</h2>
 *
 * <p>The backbone, then comma-separated {@code key=value} items in any order, each key at most once;
 * whitespace around items and values is ignored:
 *
 * <pre>
 * default | inception | FILE   the bundled MobileNetV2, the bundled InceptionV3, or a TorchScript file
 *                              (a relative path is made absolute against the working directory)
 * layers=[A,B,...]             names of the model's outputs, in order; required for a file; for the
 *                              bundled models absent means their own layer names
 * tokens=[LAYER=N,...]         token layers of a vision transformer and their prefix token counts
 * resize=N  crop=N  normalize=none|imagenet|he|custom  mean=[R,G,B]  std=[R,G,B]
 *                              the preprocessing, as in {@link PreprocessingSpec}
 * inputSize=HxW                the input of the output check ({@link Backbones.Builder#inputSize})
 * device=cpu|gpu|gpu:N         where the model runs (gpu is gpu:0); absent: the CPU
 * </pre>
 *
 * <p>A value (the file, a list element) that contains {@code , [ ] "}, or leading or trailing
 * whitespace, is written in double quotes, inside which {@code \"} stands for a quote and {@code \\}
 * for a backslash; the file is also quoted if it contains {@code =}. Examples:
 *
 * <pre>
 * default
 * inception,resize=342,crop=299,normalize=imagenet,device=gpu:1
 * /models/wide_resnet50.pt,layers=[layer2,layer3],resize=256,crop=224,normalize=imagenet
 * /models/hoptimus0.pt,layers=[blocks.19,blocks.29],tokens=[blocks.19=5,blocks.29=5],resize=224,crop=224,normalize=custom,mean=[0.707223,0.578729,0.703617],std=[0.211883,0.230117,0.177517]
 * "/models/run 3, final/model.pt",layers=[0,1]
 * </pre>
 *
 * <p>{@link #toString()} writes the backbone (a file as its absolute path), then {@code layers}
 * unless they are a bundled model's own, {@code tokens} if any, the preprocessing items that are
 * set ({@code normalize=none} left out), {@code inputSize} if set and {@code device} for a GPU.
 *
 * <h2>Configuration map</h2>
 *
 * <p>The map of {@link FeatureExtractor#configuration()}, saved in model files: {@code kind}
 * ({@code default}, {@code inception} or {@code torchscript}), {@code path} (the absolute file, for
 * {@code torchscript}), {@code layers} (comma-separated, always written), {@code tokens}
 * ({@code layer=count,...}, if any), the {@linkplain PreprocessingSpec preprocessing entries}
 * ({@code normalize} always written), {@code inputSize} ({@code HxW}, if set) and {@code device}
 * ({@code gpu:N}, only for a GPU). {@link #fromConfiguration} also accepts {@code device=cpu} or
 * {@code gpu}, a map without {@code normalize} or (for the bundled models) without {@code layers},
 * and ignores an {@code id} entry (loading a model checks it). Layer names cannot contain commas.
 */
public final class BackboneSpec {

  /** The model a spec runs. */
  public enum Kind {
    /** The bundled MobileNetV2 ({@link Backbones#bundledDefault()}). */
    DEFAULT("default"),
    /** The bundled InceptionV3 ({@link Backbones#inceptionV3()}). */
    INCEPTION("inception"),
    /** A user's TorchScript file ({@link Backbones#torchScriptBuilder}). */
    TORCHSCRIPT("torchscript");

    private final String key;

    Kind(String key) {
      this.key = key;
    }

    /**
     * The name of this kind in the configuration's {@code kind} entry (and, for bundled models, the text).
     *
     * @return {@code default}, {@code inception} or {@code torchscript}
     */
    public String key() {
      return key;
    }
  }

  /**
   * The model input size ({@code height x width}, after resize and crop) of the output check that
   * {@link #open()} runs; see {@link Backbones.Builder#inputSize}.
   *
   * @param height rows, at least 1
   * @param width columns, at least 1
   */
  public record InputSize(int height, int width) {
    /**
     * Checks the sizes.
     *
     * @param height rows, at least 1
     * @param width columns, at least 1
     * @throws IllegalArgumentException naming the size if a side is below 1
     */
    public InputSize {
      if (height < 1 || width < 1) {
        throw new IllegalArgumentException("input size must be positive, got " + height + "x" + width + " (HxW)");
      }
    }

    /** {@code HxW}, as in the text and the configuration. */
    @Override
    public String toString() {
      return height + "x" + width;
    }
  }

  static final String KIND = "kind";
  static final String PATH = "path";
  static final String LAYERS = "layers";
  static final String TOKENS = "tokens";
  static final String INPUT_SIZE = "inputSize";
  static final String DEVICE = "device";
  static final String ID = "id";
  /** The keys of the text form, in text order (the backbone itself has no key). */
  private static final List<String> TEXT_KEYS = textKeys();
  private static final Set<String> LIST_KEYS = listKeys();

  private static List<String> textKeys() {
    List<String> keys = new ArrayList<>(List.of(LAYERS, TOKENS));
    keys.addAll(PreprocessingSpec.KEYS);
    keys.addAll(List.of(INPUT_SIZE, DEVICE));
    return List.copyOf(keys);
  }

  private static Set<String> listKeys() {
    Set<String> keys = new HashSet<>(PreprocessingSpec.LIST_KEYS);
    keys.add(LAYERS);
    keys.add(TOKENS);
    return Set.copyOf(keys);
  }

  private final Kind kind;
  private final Path path; // null unless TORCHSCRIPT
  private final List<String> layers;
  private final Map<String, Integer> tokens; // in layer order
  private final PreprocessingSpec preprocessing;
  private final InputSize inputSize; // null: derived
  private final int gpu; // -1: the CPU

  /**
   * Checks and copies the parts; {@code path} is made absolute and normalised, {@code tokens} put in
   * layer order.
   *
   * @throws IllegalArgumentException naming the value if the layers are empty, blank, repeated or
   *     contain a comma, a token layer is not one of them or its count is negative, or the GPU
   *     index is negative
   */
  BackboneSpec(Kind kind, Path path, List<String> layers, Map<String, Integer> tokens, PreprocessingSpec preprocessing,
      InputSize inputSize, int gpu) {
    this.kind = Objects.requireNonNull(kind, "kind");
    if ((kind == Kind.TORCHSCRIPT) != (path != null)) {
      throw new IllegalArgumentException("a TorchScript backbone, and only that, has a path");
    }
    this.path = path == null ? null : path.toAbsolutePath().normalize();
    String describe = describe(kind, this.path);
    this.layers = checkLayers(Objects.requireNonNull(layers, "layers"), describe);
    Map<String, Integer> t = new LinkedHashMap<>();
    for (String layer : this.layers) {
      Integer count = tokens.get(layer);
      if (count != null) {
        t.put(layer, checkTokens(layer, count, describe));
      }
    }
    for (String layer : tokens.keySet()) {
      if (!t.containsKey(layer)) {
        throw new IllegalArgumentException("token layer '" + layer + "' is not one of the layers " + this.layers
            + " of " + describe);
      }
    }
    this.tokens = Collections.unmodifiableMap(t);
    this.preprocessing = Objects.requireNonNull(preprocessing, "preprocessing");
    this.inputSize = inputSize;
    this.gpu = checkGpu(gpu);
  }

  /**
   * The bundled MobileNetV2 with its own layers and no preprocessing, on the CPU.
   *
   * @return a spec of kind {@link Kind#DEFAULT} with the layers {@code block_6_expand_relu} and
   *     {@code block_10_expand_relu} (see {@link Backbones#bundledDefault()})
   */
  public static BackboneSpec bundledDefault() {
    return bundled(Kind.DEFAULT);
  }

  /**
   * The bundled InceptionV3 with its own layers and no preprocessing, on the CPU.
   *
   * @return a spec of kind {@link Kind#INCEPTION} with the layers {@code mixed2} and {@code mixed5}
   *     (see {@link Backbones#inceptionV3()})
   */
  public static BackboneSpec inceptionV3() {
    return bundled(Kind.INCEPTION);
  }

  private static BackboneSpec bundled(Kind kind) {
    return new BackboneSpec(kind, null, bundledLayers(kind), Map.of(), PreprocessingSpec.NONE, null, -1);
  }

  /**
   * A TorchScript file whose outputs are named {@code layers}, in order, with no preprocessing, on
   * the CPU.
   *
   * @param file the module; made absolute against the working directory (the file is not read
   *     here: {@link #open()} reads it)
   * @param layers the names of the module's outputs, in order; at least one (copied)
   * @return a spec of kind {@link Kind#TORCHSCRIPT}
   * @throws NullPointerException if {@code file} or {@code layers} is null
   * @throws IllegalArgumentException naming the value if the layers are empty, blank, repeated or
   *     contain a comma, or the path is empty
   */
  public static BackboneSpec torchScript(Path file, List<String> layers) {
    Objects.requireNonNull(file, "file");
    if (file.toString().isEmpty()) {
      throw new IllegalArgumentException("the TorchScript file path is empty");
    }
    return new BackboneSpec(Kind.TORCHSCRIPT, file, layers, Map.of(), PreprocessingSpec.NONE, null, -1);
  }

  /** The layers of a bundled model; null for a file. */
  static List<String> bundledLayers(Kind kind) {
    switch (kind) {
      case DEFAULT:
        return Backbones.BUNDLED_LAYERS;
      case INCEPTION:
        return Backbones.INCEPTION_LAYERS;
      default:
        return null;
    }
  }

  /** How messages name the model. */
  static String describe(Kind kind, Path path) {
    switch (kind) {
      case DEFAULT:
        return "the bundled model " + Backbones.BUNDLED_FILE;
      case INCEPTION:
        return "the bundled model " + Backbones.INCEPTION_FILE;
      default:
        return "TorchScript model " + path;
    }
  }

  /**
   * Checks layer names: at least one, none null, blank, repeated or containing a comma (the
   * configuration holds them comma-separated).
   *
   * @return an unmodifiable copy
   * @throws IllegalArgumentException naming the bad name and {@code describe}
   */
  static List<String> checkLayers(List<String> layers, String describe) {
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("at least one layer name is needed for " + describe);
    }
    Set<String> seen = new HashSet<>();
    for (String name : layers) {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("blank layer name in " + layers + " for " + describe);
      }
      if (name.contains(",")) {
        throw new IllegalArgumentException("layer name '" + name + "' contains a comma, which a saved backbone "
            + "configuration cannot hold, for " + describe);
      }
      if (!seen.add(name)) {
        throw new IllegalArgumentException("layer name '" + name + "' given twice for " + describe);
      }
    }
    return List.copyOf(layers);
  }

  /**
   * Checks a token layer's name and prefix token count.
   *
   * @return {@code prefixTokens}
   * @throws IllegalArgumentException naming the bad value and {@code describe}
   */
  static int checkTokens(String layer, int prefixTokens, String describe) {
    Objects.requireNonNull(layer, "layer");
    if (layer.isBlank()) {
      throw new IllegalArgumentException("blank token layer name for " + describe);
    }
    if (prefixTokens < 0) {
      throw new IllegalArgumentException("prefix token count of layer '" + layer + "' must be 0 or more, got "
          + prefixTokens + " for " + describe);
    }
    return prefixTokens;
  }

  /**
   * Checks a GPU index ({@code -1}, the CPU, is not one).
   *
   * @throws IllegalArgumentException naming the index if it is negative
   */
  static int checkGpu(int index) {
    if (index < -1) {
      throw new IllegalArgumentException("GPU index must be non-negative, got " + index);
    }
    return index;
  }

  // ---------------------------------------------------------------- reading

  /**
   * Reads the text form (see the class description). A file is not read here: {@link #open()}
   * reads it.
   *
   * @param text the text form, such as {@code default} or {@code
   *     /models/wide_resnet50.pt,layers=[layer2,layer3],resize=256,crop=224,normalize=imagenet}
   * @return the spec {@code text} describes
   * @throws NullPointerException if {@code text} is null
   * @throws IllegalArgumentException naming the text and the bad item or value
   */
  public static BackboneSpec parse(String text) {
    Objects.requireNonNull(text, "text");
    try {
      List<SpecText.Item> items = SpecText.items(text);
      if (items.isEmpty()) {
        throw new IllegalArgumentException("the backbone (default, inception or a TorchScript file) is missing");
      }
      SpecText.Item first = items.get(0);
      if (first.key() != null) {
        throw new IllegalArgumentException("the text must start with the backbone (default, inception or a "
            + "TorchScript file), got '" + first.key() + "=" + first.value() + "' (quote a file name that contains"
            + " '=')");
      }
      Map<String, String> entries = SpecText.entries(items.subList(1, items.size()), LIST_KEYS);
      List<String> unknown = new ArrayList<>(entries.keySet());
      unknown.removeAll(TEXT_KEYS);
      if (!unknown.isEmpty()) {
        throw new IllegalArgumentException("unknown key(s) " + unknown + " (known: " + String.join(", ", TEXT_KEYS)
            + ")");
      }
      String backbone = first.value();
      if (backbone.equals(Kind.DEFAULT.key()) || backbone.equals(Kind.INCEPTION.key())) {
        entries.put(KIND, backbone);
      } else {
        entries.put(KIND, Kind.TORCHSCRIPT.key());
        entries.put(PATH, backbone);
      }
      return read(entries);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("backbone '" + text + "': " + e.getMessage(), e);
    }
  }

  /**
   * Reads a backbone configuration (see the class description), such as {@link
   * FeatureExtractor#configuration()} of a backbone from {@link Backbones} or the one saved in a
   * model file.
   *
   * @param configuration the entries; not modified
   * @return the spec the entries describe
   * @throws NullPointerException if {@code configuration} is null
   * @throws IllegalArgumentException naming the key and value that are missing or invalid, or the
   *     keys that are unknown
   */
  public static BackboneSpec fromConfiguration(Map<String, String> configuration) {
    Map<String, String> entries = new HashMap<>(Objects.requireNonNull(configuration, "configuration"));
    entries.remove(ID);
    try {
      return read(entries);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("backbone configuration: " + e.getMessage(), e);
    }
  }

  /** Reads configuration entries (modified). */
  private static BackboneSpec read(Map<String, String> entries) {
    String kindValue = entries.remove(KIND);
    Kind kind = null;
    for (Kind k : Kind.values()) {
      if (k.key().equals(kindValue)) {
        kind = k;
      }
    }
    if (kind == null) {
      throw new IllegalArgumentException("'" + KIND + "' must be default, inception or torchscript, got "
          + (kindValue == null ? "nothing" : "'" + kindValue + "'"));
    }
    Path path = null;
    if (kind == Kind.TORCHSCRIPT) {
      String p = entries.remove(PATH);
      if (p == null || p.isEmpty()) {
        throw new IllegalArgumentException("'" + PATH + "' " + (p == null ? "is missing" : "is empty")
            + ": a torchscript backbone needs its file");
      }
      path = Path.of(p);
    }
    String layerValue = entries.remove(LAYERS);
    List<String> layers;
    if (layerValue != null) {
      layers = List.of(layerValue.split(",", -1));
    } else if (kind == Kind.TORCHSCRIPT) {
      throw new IllegalArgumentException("'" + LAYERS + "' is missing: a TorchScript backbone needs the names of its "
          + "outputs");
    } else {
      layers = bundledLayers(kind);
    }
    Map<String, Integer> tokens = new LinkedHashMap<>();
    String tokenValue = entries.remove(TOKENS);
    if (tokenValue != null) {
      for (String t : tokenValue.split(",", -1)) {
        int eq = t.lastIndexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("'" + TOKENS + "' must be layer=count,..., got '" + t + "' in '"
              + tokenValue + "'");
        }
        String layer = t.substring(0, eq);
        if (tokens.put(layer, PreprocessingSpec.integer(TOKENS, t.substring(eq + 1), 0)) != null) {
          throw new IllegalArgumentException("'" + TOKENS + "' names layer '" + layer + "' twice");
        }
      }
    }
    PreprocessingSpec preprocessing = PreprocessingSpec.take(entries);
    InputSize inputSize = null;
    String size = entries.remove(INPUT_SIZE);
    if (size != null) {
      String[] hw = size.split("x", -1);
      if (hw.length != 2) {
        throw new IllegalArgumentException("'" + INPUT_SIZE + "' must be HxW, got '" + size + "'");
      }
      inputSize = new InputSize(PreprocessingSpec.integer(INPUT_SIZE, hw[0], 1),
          PreprocessingSpec.integer(INPUT_SIZE, hw[1], 1));
    }
    String device = entries.remove(DEVICE);
    int gpu = device == null ? -1 : gpuIndex(device);
    if (!entries.isEmpty()) {
      throw new IllegalArgumentException("unknown key(s) " + new TreeMap<>(entries).keySet());
    }
    return new BackboneSpec(kind, path, layers, tokens, preprocessing, inputSize, gpu);
  }

  /** -1 for {@code cpu}, N for {@code gpu:N}, 0 for {@code gpu}. */
  private static int gpuIndex(String device) {
    if (device.equals("cpu")) {
      return -1;
    }
    if (device.equals("gpu")) {
      return 0;
    }
    if (device.startsWith("gpu:")) {
      return PreprocessingSpec.integer(DEVICE, device.substring(4), 0);
    }
    throw new IllegalArgumentException("'" + DEVICE + "' must be cpu, gpu or gpu:N, got '" + device + "'");
  }

  // ---------------------------------------------------------------- accessors and withers

  /**
   * Which model.
   *
   * @return the kind of model
   */
  public Kind kind() {
    return kind;
  }

  /**
   * The TorchScript file, absolute and normalised; empty for a bundled model.
   *
   * @return the file, present exactly for {@link Kind#TORCHSCRIPT}
   */
  public Optional<Path> path() {
    return Optional.ofNullable(path);
  }

  /**
   * The names of the model's outputs, in order; unmodifiable.
   *
   * @return at least one name, none blank, repeated or containing a comma
   */
  public List<String> layers() {
    return layers;
  }

  /**
   * The token layers (vision transformer outputs {@code (1, T, C)}) and their prefix token counts,
   * in layer order; unmodifiable, empty if every layer is a 4-D map. See {@link
   * Backbones.Builder#tokens}.
   *
   * @return the prefix token count (0 or more) of each token layer, keyed by layer name
   */
  public Map<String, Integer> tokens() {
    return tokens;
  }

  /**
   * The image preprocessing.
   *
   * @return the resize, crop and normalisation applied before the model
   */
  public PreprocessingSpec preprocessing() {
    return preprocessing;
  }

  /**
   * The input size of the output check; empty when it follows from the preprocessing (the crop,
   * else the resize, else 224x224).
   *
   * @return the input size if one was set, else empty
   */
  public Optional<InputSize> inputSize() {
    return Optional.ofNullable(inputSize);
  }

  /**
   * The CUDA device index the model runs on; empty for the CPU.
   *
   * @return the GPU index, 0 or more, or empty for the CPU
   */
  public OptionalInt gpu() {
    return gpu < 0 ? OptionalInt.empty() : OptionalInt.of(gpu);
  }

  /**
   * {@code cpu} or {@code gpu:N}, as in the text.
   *
   * @return {@code cpu} for the CPU, else {@code gpu:} followed by {@link #gpu()}'s index
   */
  public String device() {
    return gpu < 0 ? "cpu" : "gpu:" + gpu;
  }

  /**
   * This spec with other output names.
   *
   * @param layers the names of the model's outputs, in order; at least one (copied)
   * @return a new spec, equal to this one but for the layers
   * @throws NullPointerException if {@code layers} is null
   * @throws IllegalArgumentException naming the value if the names are empty, blank, repeated or
   *     contain a comma, or a token layer is not among them
   */
  public BackboneSpec withLayers(List<String> layers) {
    return new BackboneSpec(kind, path, layers, tokens, preprocessing, inputSize, gpu);
  }

  /**
   * This spec with {@code prefixTokens} (layer to prefix token count) as its token layers, replacing
   * any it had; an empty map makes every layer a 4-D map.
   *
   * @param prefixTokens each token layer's prefix token count, keyed by layer name (copied; put in
   *     layer order)
   * @return a new spec, equal to this one but for the token layers
   * @throws NullPointerException if {@code prefixTokens} is null
   * @throws IllegalArgumentException naming the value if a layer is not one of {@link #layers()} or
   *     a count is negative
   */
  public BackboneSpec withTokens(Map<String, Integer> prefixTokens) {
    return new BackboneSpec(kind, path, layers, Objects.requireNonNull(prefixTokens, "prefixTokens"), preprocessing,
        inputSize, gpu);
  }

  /**
   * This spec with {@code preprocessing} instead of its own.
   *
   * @param preprocessing the new image preprocessing
   * @return a new spec, equal to this one but for the preprocessing
   * @throws NullPointerException if {@code preprocessing} is null
   */
  public BackboneSpec withPreprocessing(PreprocessingSpec preprocessing) {
    return new BackboneSpec(kind, path, layers, tokens, preprocessing, inputSize, gpu);
  }

  /**
   * This spec with an output check on {@code height x width} inputs.
   *
   * @param height the rows of the check input, at least 1
   * @param width the columns of the check input, at least 1
   * @return a new spec, equal to this one but for the input size
   * @throws IllegalArgumentException naming the size if a side is below 1
   */
  public BackboneSpec withInputSize(int height, int width) {
    return new BackboneSpec(kind, path, layers, tokens, preprocessing, new InputSize(height, width), gpu);
  }

  /**
   * This spec on {@code device}: {@code cpu}, {@code gpu} (GPU 0) or {@code gpu:N} (any case).
   *
   * @param device the device; surrounding whitespace is ignored
   * @return a new spec, equal to this one but for the device
   * @throws NullPointerException if {@code device} is null
   * @throws IllegalArgumentException naming the value if it is none of these ({@code N} not an
   *     integer of at least 0 included)
   */
  public BackboneSpec withDevice(String device) {
    int index = gpuIndex(Objects.requireNonNull(device, "device").strip().toLowerCase(Locale.ROOT));
    return new BackboneSpec(kind, path, layers, tokens, preprocessing, inputSize, index);
  }

  /**
   * This spec on CUDA device {@code index}; see {@link Backbones.Builder#gpu}.
   *
   * @param index the CUDA device index, 0 or more (not checked against the visible GPUs here:
   *     {@link #open()} does that)
   * @return a new spec, equal to this one but for the device
   * @throws IllegalArgumentException naming the index if it is negative
   */
  public BackboneSpec withGpu(int index) {
    if (index < 0) {
      throw new IllegalArgumentException("GPU index must be non-negative, got " + index);
    }
    return new BackboneSpec(kind, path, layers, tokens, preprocessing, inputSize, index);
  }

  // ---------------------------------------------------------------- writing and opening

  /**
   * The configuration map (see the class description), equal to {@link
   * FeatureExtractor#configuration()} of the backbone {@link #open()} builds; {@link
   * #fromConfiguration} reads it back to an equal spec.
   *
   * @return an unmodifiable map sorted by key
   */
  public Map<String, String> toConfiguration() {
    Map<String, String> c = new TreeMap<>();
    c.put(KIND, kind.key());
    if (path != null) {
      c.put(PATH, path.toString());
    }
    c.put(LAYERS, String.join(",", layers));
    if (!tokens.isEmpty()) {
      c.put(TOKENS, tokenText());
    }
    c.putAll(preprocessing.toConfiguration());
    if (inputSize != null) {
      c.put(INPUT_SIZE, inputSize.toString());
    }
    if (gpu >= 0) {
      c.put(DEVICE, device());
    }
    return Collections.unmodifiableMap(c);
  }

  private String tokenText() {
    StringBuilder t = new StringBuilder();
    tokens.forEach((k, v) -> t.append(t.length() == 0 ? "" : ",").append(k).append('=').append(v));
    return t.toString();
  }

  /** The text form, which {@link #parse} reads back to an equal spec (see the class description). */
  @Override
  public String toString() {
    List<String> items = new ArrayList<>();
    items.add(path == null ? kind.key() : SpecText.bare(path.toString()));
    if (!layers.equals(bundledLayers(kind))) {
      items.add(LAYERS + "=" + SpecText.list(String.join(",", layers)));
    }
    if (!tokens.isEmpty()) {
      items.add(TOKENS + "=" + SpecText.list(tokenText()));
    }
    for (String item : preprocessing.textItems()) {
      if (!item.equals(PreprocessingSpec.NORMALIZE + "=none")) {
        items.add(item);
      }
    }
    if (inputSize != null) {
      items.add(INPUT_SIZE + "=" + inputSize);
    }
    if (gpu >= 0) {
      items.add(DEVICE + "=" + device());
    }
    return String.join(",", items);
  }

  /**
   * Builds the backbone: {@link Backbones#open(BackboneSpec) Backbones.open(this)}.
   *
   * @return a new backbone whose {@link FeatureExtractor#configuration()} is {@link
   *     #toConfiguration()}; close it to free native memory
   * @throws java.io.UncheckedIOException naming the file if it is missing or unreadable, or, for a
   *     bundled model, if it cannot be copied to a temporary file
   * @throws IllegalArgumentException naming the model if it cannot be loaded or its outputs do not
   *     match the layers (see {@link Backbones.Builder#build()}), or if GPUs are visible but
   *     {@link #gpu()} is not one of them
   * @throws IllegalStateException if a bundled model's resource is missing from the class path or
   *     corrupt, or, for a GPU, the PyTorch engine cannot be loaded
   */
  public FeatureExtractor open() {
    return Backbones.open(this);
  }

  /** Equal when every part is equal (token layers compared as a map). */
  @Override
  public boolean equals(Object o) {
    return o instanceof BackboneSpec s && s.kind == kind && Objects.equals(s.path, path) && s.layers.equals(layers)
        && s.tokens.equals(tokens) && s.preprocessing.equals(preprocessing) && Objects.equals(s.inputSize, inputSize)
        && s.gpu == gpu;
  }

  /** A hash consistent with {@link #equals}. */
  @Override
  public int hashCode() {
    return Objects.hash(kind, path, layers, tokens, preprocessing, inputSize, gpu);
  }
}
