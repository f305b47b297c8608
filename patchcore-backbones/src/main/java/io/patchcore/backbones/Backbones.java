package io.patchcore.backbones;

import io.patchcore.FeatureExtractor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Factories for {@link FeatureExtractor}s backed by TorchScript modules, run on the CPU with DJL's
 * PyTorch engine (no network access: DJL is put in offline mode with tracking off unless the
 * application set those properties itself).
 *
 * <p>A TorchScript backbone takes one float tensor {@code (1, 3, H, W)} of RGB values and returns a
 * tuple (or list) of 4-D feature maps {@code (1, C, h, w)}; the layer names given here name those
 * outputs by position. Before the model, each image goes through {@link Builder the configured
 * preprocessing}: conversion to RGB (grey replicated, alpha dropped), an optional resize of the
 * shorter side (PIL-exact antialiased bilinear, as torchvision's {@code Resize}), an optional
 * centre crop, division by 255 and an optional {@link Normalization}.
 *
 * <pre>{@code
 * try (FeatureExtractor backbone = Backbones.bundledDefault()) { ... }
 *
 * FeatureExtractor wrn = Backbones.torchScriptBuilder(Path.of("wide_resnet50.pt"))
 *     .layers("layer2", "layer3").resize(256).centerCrop(224).normalize(Normalization.IMAGENET)
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

  private Backbones() {}

  /**
   * Loads a TorchScript backbone with no preprocessing beyond RGB in [0, 1].
   *
   * @param modelFile a TorchScript module (saved with {@code torch.jit.save})
   * @param layerNames names of the module's outputs, in order; at least one
   * @throws UncheckedIOException naming the file if it is missing or unreadable
   * @throws IllegalArgumentException if the file is not a TorchScript module or the names are
   *     empty, blank or repeated
   */
  public static FeatureExtractor torchScript(Path modelFile, String... layerNames) {
    return torchScriptBuilder(modelFile).layers(layerNames).build();
  }

  /** Starts configuring a TorchScript backbone; {@link Builder#layers} must be called. */
  public static Builder torchScriptBuilder(Path modelFile) {
    return new Builder(Objects.requireNonNull(modelFile, "modelFile"), null);
  }

  /**
   * The bundled backbone: MobileNetV2 ImageNet features (an 8-bit-quantised third-party export,
   * not torchvision's WideResNet-50; see the PROVENANCE.md next to the model resource). Layers
   * {@code block_6_expand_relu} (192 channels, stride 8) and {@code block_10_expand_relu} (384
   * channels, stride 16). It expects RGB in [0, 1] (the scaling to [-1, 1] happens inside the
   * model) and even image sizes; by default no resize, crop or normalisation is applied.
   */
  public static FeatureExtractor bundledDefault() {
    return bundledDefaultBuilder().build();
  }

  /** Starts configuring the {@linkplain #bundledDefault() bundled backbone}, e.g. to add a resize. */
  public static Builder bundledDefaultBuilder() {
    return new Builder(null, BUNDLED_LAYERS);
  }

  /**
   * Options of a TorchScript backbone. Defaults: no resize, no crop, {@link Normalization#NONE}.
   * Not thread-safe; {@link #build()} may be called more than once.
   */
  public static final class Builder {
    private final Path modelFile; // null: the bundled model
    private List<String> layers;
    private int resize = Preprocessing.OFF;
    private int crop = Preprocessing.OFF;
    private Normalization normalization = Normalization.NONE;

    private Builder(Path modelFile, List<String> layers) {
      this.modelFile = modelFile;
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

    /** Normalises the [0, 1] RGB values before the model. */
    public Builder normalize(Normalization normalization) {
      this.normalization = Objects.requireNonNull(normalization, "normalization");
      return this;
    }

    /**
     * Loads the model.
     *
     * @throws IllegalStateException if no layer names were given
     * @throws UncheckedIOException naming the file if it is missing or unreadable
     * @throws IllegalArgumentException naming the file if it is not a loadable TorchScript module
     */
    public FeatureExtractor build() {
      if (layers == null) {
        throw new IllegalStateException("no layer names given for " + describe() + "; call layers(...)");
      }
      Preprocessing preprocessing = new Preprocessing(resize, crop, normalization);
      if (modelFile != null) {
        String sha = ModelFiles.sha256(modelFile);
        String id = modelFile.getFileName() + ":" + sha + " " + preprocessing;
        return TorchScriptExtractor.load(modelFile, modelFile.toString(), id, layers, preprocessing);
      }
      Path dir = null;
      try {
        dir = Files.createTempDirectory("patchcore-backbone");
        Path file = dir.resolve(BUNDLED_FILE);
        ModelFiles.copyResource(BUNDLED_RESOURCE, BUNDLED_SHA256, file);
        // libtorch reads the whole module at load time; the copy is not needed afterwards
        return TorchScriptExtractor.load(file, "bundled " + BUNDLED_FILE, BUNDLED_FILE + ":" + BUNDLED_SHA256 + " " + preprocessing,
            layers, preprocessing);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create a temporary directory for the bundled model " + BUNDLED_FILE, e);
      } finally {
        ModelFiles.deleteQuietly(dir);
      }
    }

    private String describe() {
      return modelFile == null ? "the bundled model " + BUNDLED_FILE : "TorchScript model " + modelFile;
    }
  }
}
