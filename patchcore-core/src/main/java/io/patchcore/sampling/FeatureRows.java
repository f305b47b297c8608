package io.patchcore.sampling;

import java.util.Objects;

/**
 * A matrix of feature rows that a {@link Sampler} reads block by block, so that it need not be one
 * Java array: patch features of a large training set can live in a memory-mapped file (what
 * {@code PatchCore.fit} does when they exceed its memory budget) and exceed {@code 2^31} values.
 *
 * <p>Implementations must return the same values on every read and be safe for reads from several
 * threads at once.
 */
public interface FeatureRows {
  /**
   * The number of rows.
   *
   * @return at least 1
   */
  int rows();

  /**
   * The row length.
   *
   * @return at least 1
   */
  int dimension();

  /**
   * Copies rows {@code first .. first + count - 1}, row-major, into {@code dst} from {@code offset}.
   *
   * @param first the first row
   * @param count the number of rows
   * @param dst receives {@code count * dimension()} values
   * @param offset where the first value goes
   * @throws IndexOutOfBoundsException if the rows or the destination range are out of range
   */
  void read(int first, int count, float[] dst, int offset);

  /**
   * The rows of a row-major array (not copied).
   *
   * @param data {@code rows * dim} values, row-major
   * @param rows the number of rows, at least 1
   * @param dim the row length, at least 1
   * @return a view of {@code data}
   * @throws IllegalArgumentException if the shape does not match {@code data} (the message gives the
   *     shape and the length)
   */
  static FeatureRows of(float[] data, int rows, int dim) {
    Objects.requireNonNull(data, "features");
    if (rows < 1 || dim < 1 || (long) rows * dim != data.length) {
      throw new IllegalArgumentException("features of shape " + rows + "x" + dim + " need " + (long) rows * dim
          + " values, got " + data.length);
    }
    return new ArrayRows(data, rows, dim);
  }
}
