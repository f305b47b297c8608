package io.patchcore.feature;

import java.util.Arrays;
import java.util.Objects;

/**
 * One named feature map of one image: {@code channels x height x width} floats in CHW (row-major)
 * order. Immutable: the array passed in is copied, and {@link #toArray()} returns a copy.
 */
public final class FeatureMap {
  private final String name;
  private final int channels;
  private final int height;
  private final int width;
  private final float[] data;

  /**
   * Creates a feature map.
   *
   * @param name the layer name, not blank
   * @param channels number of channels, at least 1
   * @param height map height, at least 1
   * @param width map width, at least 1
   * @param data {@code channels * height * width} values in CHW order (copied)
   * @throws NullPointerException if {@code name} or {@code data} is null
   * @throws IllegalArgumentException if the name is blank, a size is not positive or the array
   *     length does not match (the message names the map and gives its shape)
   */
  public FeatureMap(String name, int channels, int height, int width, float[] data) {
    this(name, channels, height, width, Objects.requireNonNull(data, "data").clone(), true);
  }

  private FeatureMap(String name, int channels, int height, int width, float[] data, boolean owned) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("feature map name is blank");
    }
    if (channels < 1 || height < 1 || width < 1) {
      throw new IllegalArgumentException(
          "feature map '" + name + "' has a non-positive shape: " + channels + "x" + height + "x" + width);
    }
    long expected = (long) channels * height * width;
    if (expected != data.length) {
      throw new IllegalArgumentException("feature map '" + name + "' of shape " + channels + "x" + height + "x"
          + width + " needs " + expected + " values, got " + data.length);
    }
    this.name = name;
    this.channels = channels;
    this.height = height;
    this.width = width;
    this.data = data;
  }

  /** Wraps {@code data} without copying; the caller must not modify it afterwards. */
  static FeatureMap wrap(String name, int channels, int height, int width, float[] data) {
    return new FeatureMap(name, channels, height, width, data, true);
  }

  /**
   * Creates a feature map that takes ownership of {@code data} (no copy); for extractors that
   * have just allocated the array and never touch it again.
   *
   * @param name the layer name, not blank
   * @param channels number of channels, at least 1
   * @param height map height, at least 1
   * @param width map width, at least 1
   * @param data {@code channels * height * width} values in CHW order (not copied; must not be
   *     modified afterwards)
   * @return the feature map
   * @throws NullPointerException if {@code name} or {@code data} is null
   * @throws IllegalArgumentException if the name is blank, a size is not positive or the array
   *     length does not match (the message names the map and gives its shape)
   */
  public static FeatureMap adopt(String name, int channels, int height, int width, float[] data) {
    return wrap(name, channels, height, width, Objects.requireNonNull(data, "data"));
  }

  /**
   * The layer name.
   *
   * @return the name, not blank
   */
  public String name() {
    return name;
  }

  /**
   * The number of channels.
   *
   * @return C, at least 1
   */
  public int channels() {
    return channels;
  }

  /**
   * The map height.
   *
   * @return H, at least 1
   */
  public int height() {
    return height;
  }

  /**
   * The map width.
   *
   * @return W, at least 1
   */
  public int width() {
    return width;
  }

  /**
   * The value at channel {@code c}, row {@code y}, column {@code x}.
   *
   * @param c the channel, in {@code [0, channels)}
   * @param y the row, in {@code [0, height)}
   * @param x the column, in {@code [0, width)}
   * @return the value at {@code (c, y, x)}
   * @throws IndexOutOfBoundsException if an index is outside the map
   */
  public float get(int c, int y, int x) {
    Objects.checkIndex(c, channels);
    Objects.checkIndex(y, height);
    Objects.checkIndex(x, width);
    return data[(c * height + y) * width + x];
  }

  /**
   * A copy of the values in CHW order.
   *
   * @return a new array of {@code channels * height * width} values
   */
  public float[] toArray() {
    return data.clone();
  }

  /** Direct access for the pipeline; never exposed. */
  float[] data() {
    return data;
  }

  /** Index of the first value that is NaN or infinite, or -1. */
  int firstNonFinite() {
    for (int i = 0; i < data.length; i++) {
      if (!Float.isFinite(data[i])) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public String toString() {
    return "FeatureMap[" + name + ", " + channels + "x" + height + "x" + width + "]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FeatureMap m && m.name.equals(name) && m.channels == channels && m.height == height
        && m.width == width && Arrays.equals(m.data, data);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, channels, height, width) * 31 + Arrays.hashCode(data);
  }
}
