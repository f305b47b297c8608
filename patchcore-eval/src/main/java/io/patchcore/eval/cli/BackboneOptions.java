package io.patchcore.eval.cli;

import io.patchcore.backbones.BackboneSpec;
import io.patchcore.backbones.PreprocessingSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/** The backbone options shared by {@code fit} and {@code sweep}. */
final class BackboneOptions {
  @Option(names = "--backbone", paramLabel = "default|inception|PATH.pt",
      description = "The bundled MobileNetV2 (default), the bundled InceptionV3, or a TorchScript file.")
  String backbone = "default";

  @Option(names = "--layers", paramLabel = "A,B", split = ",",
      description = "Layers to use, in order (default: all of the backbone's). For a TorchScript file: its "
          + "outputs by position (0,1), or names for all its outputs in order (layer2,layer3).")
  List<String> layers;

  @Option(names = "--resize", paramLabel = "PX", description = "Resize the shorter side to PX first (PIL bilinear).")
  Integer resize;

  @Option(names = "--image-size", paramLabel = "PX", description = "Centre-crop PX x PX (after --resize).")
  Integer imageSize;

  @Option(names = "--normalize", paramLabel = "none|imagenet|he",
      description = "Channel normalisation before the backbone (default: ${DEFAULT-VALUE}).")
  String normalize = "none";

  @Option(names = "--device", paramLabel = "cpu|gpu", description = "Where the backbone runs (default: ${DEFAULT-VALUE}).")
  String device = "cpu";

  /**
   * The backbone these options describe.
   *
   * @throws IllegalArgumentException naming the option and the bad value
   */
  BackboneSpec spec() {
    String kind = backbone.toLowerCase(Locale.ROOT);
    BackboneSpec s;
    if (kind.equals("default")) {
      s = BackboneSpec.bundledDefault();
    } else if (kind.equals("inception")) {
      s = BackboneSpec.inceptionV3();
    } else {
      if (layers == null || layers.isEmpty()) {
        throw new IllegalArgumentException("--layers is required with a TorchScript backbone (" + backbone
            + "): name its outputs by position, e.g. --layers 0,1");
      }
      List<String> names = new ArrayList<>();
      if (layers.stream().allMatch(l -> l.matches("\\d+"))) {
        // outputs named by position: declare 0..max so the chosen ones exist
        int outputs = 0;
        for (String l : layers) {
          outputs = Math.max(outputs, Integer.parseInt(l) + 1);
        }
        for (int i = 0; i < outputs; i++) {
          names.add(Integer.toString(i));
        }
      } else {
        // names given to the module's outputs, in order (e.g. layer2,layer3)
        names.addAll(layers);
      }
      s = BackboneSpec.torchScript(Path.of(backbone), names);
    }
    String norm = normalize.toLowerCase(Locale.ROOT);
    if (!List.of("none", "imagenet", "he").contains(norm)) {
      throw new IllegalArgumentException("--normalize must be none, imagenet or he, got '" + normalize + "'");
    }
    PreprocessingSpec p = PreprocessingSpec.NONE.withNormalization(PreprocessingSpec.normalization(norm));
    try {
      if (resize != null) {
        p = p.withResize(resize);
      }
      if (imageSize != null) {
        p = p.withCrop(imageSize);
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--resize / --image-size: " + e.getMessage(), e);
    }
    String dev = device.toLowerCase(Locale.ROOT);
    if (!dev.equals("cpu") && !dev.equals("gpu")) {
      throw new IllegalArgumentException("--device must be cpu or gpu, got '" + device + "'");
    }
    return s.withPreprocessing(p).withDevice(dev);
  }
}
