package io.patchcore.backbones;

import java.util.Arrays;
import java.util.Objects;

/**
 * Per-channel normalisation {@code (x - mean[c]) / std[c]} of RGB values in [0, 1], applied in
 * float32 like torchvision's {@code Normalize}. Immutable.
 */
public final class Normalization {
  /** No normalisation: the backbone sees RGB in [0, 1]. */
  public static final Normalization NONE = new Normalization("none", new float[] {0f, 0f, 0f}, new float[] {1f, 1f, 1f});

  /** ImageNet statistics: mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225). */
  public static final Normalization IMAGENET =
      new Normalization("imagenet", new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});

  /**
   * H&amp;E histopathology statistics: mean (0.6444, 0.4477, 0.6041), std (0.1820, 0.1836,
   * 0.1473).
   */
  public static final Normalization HNE =
      new Normalization("hne", new float[] {0.6444f, 0.4477f, 0.6041f}, new float[] {0.1820f, 0.1836f, 0.1473f});

  private final String name;
  private final float[] mean;
  private final float[] std;

  private Normalization(String name, float[] mean, float[] std) {
    this.name = name;
    this.mean = mean;
    this.std = std;
  }

  /**
   * Custom statistics, R G B order.
   *
   * @param mean the three channel means (copied)
   * @param std the three channel standard deviations, each positive (copied)
   * @return a normalisation with these statistics; equal to a named constant such as {@link
   *     #IMAGENET} when the values are the same
   * @throws NullPointerException if {@code mean} or {@code std} is null
   * @throws IllegalArgumentException unless both arrays have 3 finite values and every std is
   *     positive
   */
  public static Normalization of(float[] mean, float[] std) {
    Objects.requireNonNull(mean, "mean");
    Objects.requireNonNull(std, "std");
    if (mean.length != 3 || std.length != 3) {
      throw new IllegalArgumentException("normalisation needs 3 means and 3 stds (R, G, B), got mean "
          + Arrays.toString(mean) + " and std " + Arrays.toString(std));
    }
    for (int c = 0; c < 3; c++) {
      if (!Float.isFinite(mean[c]) || !Float.isFinite(std[c]) || std[c] <= 0f) {
        throw new IllegalArgumentException("normalisation needs finite means and positive finite stds, got mean "
            + Arrays.toString(mean) + " and std " + Arrays.toString(std));
      }
    }
    return new Normalization("custom", mean.clone(), std.clone());
  }

  /**
   * The means (R, G, B), a copy.
   *
   * @return a new array of the three channel means
   */
  public float[] mean() {
    return mean.clone();
  }

  /**
   * The standard deviations (R, G, B), a copy.
   *
   * @return a new array of the three channel standard deviations
   */
  public float[] std() {
    return std.clone();
  }

  float mean(int channel) {
    return mean[channel];
  }

  float std(int channel) {
    return std[channel];
  }

  boolean isNone() {
    return this == NONE;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Normalization n && Arrays.equals(n.mean, mean) && Arrays.equals(n.std, std);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
  }

  @Override
  public String toString() {
    return name.equals("custom") ? "Normalization[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]"
        : "Normalization[" + name + "]";
  }
}
