package io.patchcore.internal.feature;

/**
 * 1-D adaptive average pooling as {@code F.adaptive_avg_pool1d}: output k averages input indices
 * {@code floor(k*L/D) .. ceil((k+1)*L/D) - 1}; windows overlap when L is not a multiple of D and
 * repeat elements when D > L. Sums are accumulated in double.
 */
public final class AdaptivePool {
  private final int inLength;
  private final int outLength;
  private final int[] start;
  private final int[] end;

  /**
   * Precomputes the pooling windows.
   *
   * @param inLength the input length L, at least 1
   * @param outLength the output length D, at least 1
   * @throws IllegalArgumentException if a length is below 1 (the message gives both)
   */
  public AdaptivePool(int inLength, int outLength) {
    if (inLength < 1 || outLength < 1) {
      throw new IllegalArgumentException("pool lengths must be positive, got " + inLength + " -> " + outLength);
    }
    this.inLength = inLength;
    this.outLength = outLength;
    this.start = new int[outLength];
    this.end = new int[outLength];
    for (int k = 0; k < outLength; k++) {
      start[k] = (int) ((long) k * inLength / outLength);
      end[k] = (int) (((long) (k + 1) * inLength + outLength - 1) / outLength);
    }
  }

  /**
   * The input length.
   *
   * @return L
   */
  public int inLength() {
    return inLength;
  }

  /**
   * The output length.
   *
   * @return D
   */
  public int outLength() {
    return outLength;
  }

  /**
   * The first input index of output {@code k}'s window.
   *
   * @param k the output index
   * @return {@code floor(k L / D)}
   */
  public int windowStart(int k) {
    return start[k];
  }

  /**
   * One past the last input index of output {@code k}'s window.
   *
   * @param k the output index
   * @return {@code ceil((k + 1) L / D)}
   */
  public int windowEnd(int k) {
    return end[k];
  }

  /**
   * Pools one vector of {@code inLength} values.
   *
   * @param in holds the input at {@code in[inOff .. inOff + inLength)}
   * @param inOff where the input starts in {@code in}
   * @param out receives the {@code outLength} averages at {@code out[outOff ..)}
   * @param outOff where the output starts in {@code out}
   */
  public void apply(float[] in, int inOff, float[] out, int outOff) {
    for (int k = 0; k < outLength; k++) {
      double s = 0;
      int e = inOff + end[k];
      for (int i = inOff + start[k]; i < e; i++) {
        s += in[i];
      }
      out[outOff + k] = (float) (s / (end[k] - start[k]));
    }
  }

  /**
   * Pools every row of a {@code rows x inLength} matrix.
   *
   * @param in the matrix, row-major
   * @param rows the number of rows
   * @return a new {@code rows x outLength} matrix, row-major
   */
  public float[] applyRows(float[] in, int rows) {
    float[] out = new float[rows * outLength];
    for (int r = 0; r < rows; r++) {
      apply(in, r * inLength, out, r * outLength);
    }
    return out;
  }
}
