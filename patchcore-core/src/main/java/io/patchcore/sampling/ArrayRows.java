package io.patchcore.sampling;

import java.util.Objects;

/** The rows of one row-major array ({@link FeatureRows#of}). */
final class ArrayRows implements FeatureRows {
  private final float[] data;
  private final int rows;
  private final int dim;

  ArrayRows(float[] data, int rows, int dim) {
    this.data = data;
    this.rows = rows;
    this.dim = dim;
  }

  @Override
  public int rows() {
    return rows;
  }

  @Override
  public int dimension() {
    return dim;
  }

  @Override
  public void read(int first, int count, float[] dst, int offset) {
    Objects.checkFromIndexSize(first, count, rows);
    System.arraycopy(data, first * dim, dst, offset, count * dim);
  }

  /** The array itself (a sampler that needs every row at once uses it without a copy). */
  float[] array() {
    return data;
  }
}
