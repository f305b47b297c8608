package io.patchcore.eval.data;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One image of a dataset, as found by {@link Datasets}.
 *
 * @param path the image file
 * @param group the image's group, a {@code /}-separated folder path such as {@code syn/v1.3_sample}
 *     or {@code good} (see {@link Datasets} for how each layout forms it); used to break results
 *     down, never to decide the label
 * @param label {@code 0} for a normal (real, good) image, {@code 1} for an anomalous (synthetic,
 *     defective) one, empty when unknown (a plain folder of images)
 * @param mask the ground-truth mask of an anomalous image, where the layout has masks; empty for
 *     normal images (whose mask is all zeros) and for layouts without masks
 */
public record Sample(Path path, String group, OptionalInt label, Optional<Path> mask) {

  /**
   * Checks that no component is null and that a known label is 0 or 1.
   *
   * @param path the image file
   * @param group the image's group
   * @param label 0, 1 or empty
   * @param mask the ground-truth mask, or empty
   * @throws IllegalArgumentException if the label is not 0 or 1
   */
  public Sample {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(mask, "mask");
    if (label.isPresent() && label.getAsInt() != 0 && label.getAsInt() != 1) {
      throw new IllegalArgumentException(
          "label of " + path + " must be 0 or 1, got " + label.getAsInt());
    }
  }
}
