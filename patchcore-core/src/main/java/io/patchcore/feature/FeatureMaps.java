package io.patchcore.feature;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The feature maps a backbone produced for one image, in the backbone's layer order, plus the size
 * of the image the backbone saw (anomaly maps are produced at that resolution). Immutable.
 */
public final class FeatureMaps {
  private final int inputHeight;
  private final int inputWidth;
  private final List<FeatureMap> layers;

  /**
   * Creates the feature maps of one image.
   *
   * @param inputHeight height of the (preprocessed) image the maps were computed from
   * @param inputWidth width of that image
   * @param layers at least one map, names unique (copied)
   * @throws NullPointerException if {@code layers} is null or holds null
   * @throws IllegalArgumentException if the input size is not positive, {@code layers} is empty or
   *     a layer name repeats (the message names it)
   */
  public FeatureMaps(int inputHeight, int inputWidth, List<FeatureMap> layers) {
    if (inputHeight < 1 || inputWidth < 1) {
      throw new IllegalArgumentException("input size must be positive, got " + inputHeight + "x" + inputWidth);
    }
    Objects.requireNonNull(layers, "layers");
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("at least one feature map is needed");
    }
    List<String> seen = new ArrayList<>();
    for (FeatureMap m : layers) {
      Objects.requireNonNull(m, "feature map");
      if (seen.contains(m.name())) {
        throw new IllegalArgumentException("duplicate layer name '" + m.name() + "'");
      }
      seen.add(m.name());
    }
    this.inputHeight = inputHeight;
    this.inputWidth = inputWidth;
    this.layers = List.copyOf(layers);
  }

  /**
   * Height of the image the backbone saw.
   *
   * @return the input height, at least 1
   */
  public int inputHeight() {
    return inputHeight;
  }

  /**
   * Width of the image the backbone saw.
   *
   * @return the input width, at least 1
   */
  public int inputWidth() {
    return inputWidth;
  }

  /**
   * All maps in backbone order.
   *
   * @return the maps (unmodifiable)
   */
  public List<FeatureMap> layers() {
    return layers;
  }

  /**
   * The layer names in backbone order.
   *
   * @return the names (unmodifiable)
   */
  public List<String> layerNames() {
    return layers.stream().map(FeatureMap::name).toList();
  }

  /**
   * The map called {@code name}.
   *
   * @param name the layer name
   * @return the map with that name
   * @throws IllegalArgumentException naming the missing layer and the available ones
   */
  public FeatureMap layer(String name) {
    for (FeatureMap m : layers) {
      if (m.name().equals(name)) {
        return m;
      }
    }
    throw new IllegalArgumentException("no layer '" + name + "' in feature maps with layers " + layerNames());
  }

  @Override
  public String toString() {
    return "FeatureMaps[" + inputHeight + "x" + inputWidth + ", " + layers + "]";
  }
}
