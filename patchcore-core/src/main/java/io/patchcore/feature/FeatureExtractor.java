package io.patchcore.feature;

import io.patchcore.PatchCoreModel;
import io.patchcore.internal.image.Images;
import java.awt.image.BufferedImage;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A backbone: turns an image into named feature maps. Implementations that hold native resources
 * release them in {@link #close()}; they must be safe to call from several threads.
 *
 * <p>{@code patchcore-backbones} provides TorchScript implementations; tests and users with their
 * own feature source implement this directly.
 */
public interface FeatureExtractor extends AutoCloseable {

  /**
   * A stable identity of this backbone (for example the model file name and its SHA-256), recorded
   * in fitted models so a model is never scored with a different backbone.
   *
   * @return the backbone's id
   */
  String id();

  /**
   * How to recreate this backbone (for example its kind, model path, layer names and
   * preprocessing), as plain strings. Saved in model files so tools can rebuild the backbone a
   * model was fitted with; see {@code PatchCoreModel.backboneConfiguration(Path)}. Empty by default.
   *
   * @return the configuration as key-value strings
   */
  default Map<String, String> configuration() {
    return Map.of();
  }

  /**
   * The names of the layers {@link #extract} returns, in order.
   *
   * @return the layer names
   */
  List<String> layerNames();

  /**
   * Preprocesses {@code image} as configured and returns its feature maps.
   *
   * @param image the image
   * @return the feature maps of the image, one per layer of {@link #layerNames()}
   * @throws IllegalArgumentException if the image cannot be used (too small, wrong type)
   * @throws IllegalStateException if the extractor was closed
   */
  FeatureMaps extract(BufferedImage image);

  /**
   * Reads the image at {@code path} and extracts its features.
   *
   * @param path the image file (PNG, JPEG and whatever ImageIO decodes)
   * @return the feature maps of the image
   * @throws UncheckedIOException naming the file when it cannot be read or decoded
   * @throws IllegalArgumentException if the image cannot be used (too small, wrong type), or the
   *     system property {@code patchcore.maxImagePixels} is not a positive integer
   * @throws IllegalStateException if the extractor was closed
   */
  default FeatureMaps extract(Path path) {
    return extract(Images.read(path));
  }

  /**
   * Extracts several images; implementations may batch them.
   *
   * @param images the images
   * @return the feature maps of each image, in order
   * @throws IllegalArgumentException if an image cannot be used
   * @throws IllegalStateException if the extractor was closed
   */
  default List<FeatureMaps> extractAll(List<BufferedImage> images) {
    List<FeatureMaps> out = new ArrayList<>(images.size());
    for (BufferedImage image : images) {
      out.add(extract(image));
    }
    return out;
  }

  /** Releases native resources; further calls to {@link #extract} fail. Never throws. */
  @Override
  void close();
}
