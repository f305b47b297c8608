package io.patchcore;

import java.util.Arrays;
import java.util.Objects;

/** An immutable {@code height x width} grid of float scores, row-major. */
public final class AnomalyMap {
  private final int height;
  private final int width;
  private final float[] values;

  /**
   * Creates a map from a copy of the given values.
   *
   * @param height the number of rows, at least 1
   * @param width the number of columns, at least 1
   * @param values {@code height * width} values, row-major (copied)
   * @throws NullPointerException if {@code values} is null
   * @throws IllegalArgumentException if {@code height} or {@code width} is below 1, or
   *     {@code values} does not hold exactly {@code height * width} values (the message names the
   *     size and the count)
   */
  public AnomalyMap(int height, int width, float[] values) {
    this(height, width, Objects.requireNonNull(values, "values").clone(), false);
  }

  private AnomalyMap(int height, int width, float[] values, boolean owned) {
    if (height < 1 || width < 1) {
      throw new IllegalArgumentException("anomaly map size must be positive, got " + height + "x" + width);
    }
    if ((long) height * width != values.length) {
      throw new IllegalArgumentException("anomaly map of " + height + "x" + width + " needs " + (long) height * width
          + " values, got " + values.length);
    }
    this.height = height;
    this.width = width;
    this.values = values;
  }

  static AnomalyMap wrap(int height, int width, float[] values) {
    return new AnomalyMap(height, width, values, true);
  }

  /**
   * The number of rows.
   *
   * @return the height, at least 1
   */
  public int height() {
    return height;
  }

  /**
   * The number of columns.
   *
   * @return the width, at least 1
   */
  public int width() {
    return width;
  }

  /**
   * The value at row {@code y}, column {@code x}.
   *
   * @param y the row, in {@code [0, height)}
   * @param x the column, in {@code [0, width)}
   * @return the value at {@code (y, x)}
   * @throws IndexOutOfBoundsException if {@code y} or {@code x} is outside the map
   */
  public float get(int y, int x) {
    Objects.checkIndex(y, height);
    Objects.checkIndex(x, width);
    return values[y * width + x];
  }

  /**
   * A copy of all values, row-major.
   *
   * @return a new array of {@code height * width} values; changing it does not change this map
   */
  public float[] toArray() {
    return values.clone();
  }

  /**
   * The largest value.
   *
   * @return the maximum over all values
   */
  public float max() {
    float m = Float.NEGATIVE_INFINITY;
    for (float v : values) {
      m = Math.max(m, v);
    }
    return m;
  }

  /**
   * The smallest value.
   *
   * @return the minimum over all values
   */
  public float min() {
    float m = Float.POSITIVE_INFINITY;
    for (float v : values) {
      m = Math.min(m, v);
    }
    return m;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AnomalyMap m && m.height == height && m.width == width && Arrays.equals(m.values, values);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * height + width) + Arrays.hashCode(values);
  }

  @Override
  public String toString() {
    return "AnomalyMap[" + height + "x" + width + ", min=" + min() + ", max=" + max() + "]";
  }
}
