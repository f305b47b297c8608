package io.patchcore.eval.cli;

import io.patchcore.feature.FeatureExtractor;
import io.patchcore.backbones.Backbones;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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

  /** The backbone configuration these options describe (see {@link Backbones#fromConfiguration}). */
  Map<String, String> configuration() {
    Map<String, String> c = new LinkedHashMap<>();
    String kind = backbone.toLowerCase(Locale.ROOT);
    if (kind.equals("default") || kind.equals("inception")) {
      c.put("kind", kind);
    } else {
      c.put("kind", "torchscript");
      c.put("path", java.nio.file.Path.of(backbone).toAbsolutePath().normalize().toString());
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
      c.put("layers", String.join(",", names));
    }
    if (resize != null) {
      c.put("resize", resize.toString());
    }
    if (imageSize != null) {
      c.put("crop", imageSize.toString());
    }
    String norm = normalize.toLowerCase(Locale.ROOT);
    if (!Arrays.asList("none", "imagenet", "he").contains(norm)) {
      throw new IllegalArgumentException("--normalize must be none, imagenet or he, got '" + normalize + "'");
    }
    c.put("normalize", norm);
    String dev = device.toLowerCase(Locale.ROOT);
    if (!dev.equals("cpu") && !dev.equals("gpu")) {
      throw new IllegalArgumentException("--device must be cpu or gpu, got '" + device + "'");
    }
    c.put("device", dev);
    return c;
  }

}
