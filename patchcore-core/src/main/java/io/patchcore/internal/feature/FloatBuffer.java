package io.patchcore.internal.feature;

import java.util.Arrays;

/** A growable float array (no boxing). */
public final class FloatBuffer {
  private float[] data = new float[1 << 16];
  private int size;

  /**
   * Appends values at the end.
   *
   * @param values the values to append (copied)
   * @throws IllegalStateException if the buffer would exceed {@code Integer.MAX_VALUE - 8} floats
   */
  public void append(float[] values) {
    ensure((long) size + values.length);
    System.arraycopy(values, 0, data, size, values.length);
    size += values.length;
  }

  private void ensure(long capacity) {
    if (capacity > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException("memory bank exceeds " + (Integer.MAX_VALUE - 8)
          + " floats; use fewer images, a coarser stride or a smaller target dimension");
    }
    if (capacity > data.length) {
      long grown = Math.max(capacity, Math.min((long) data.length * 2, Integer.MAX_VALUE - 8));
      data = Arrays.copyOf(data, (int) grown);
    }
  }

  /**
   * The number of values appended so far.
   *
   * @return the size
   */
  public int size() {
    return size;
  }

  /**
   * The values appended so far.
   *
   * @return an array of exactly {@link #size()} values: the internal array itself when it is full,
   *     otherwise a copy
   */
  public float[] toArray() {
    return data.length == size ? data : Arrays.copyOf(data, size);
  }
}
