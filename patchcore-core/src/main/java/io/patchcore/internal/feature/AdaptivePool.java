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

  public int inLength() {
    return inLength;
  }

  public int outLength() {
    return outLength;
  }

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

  /** Pools every row of a {@code rows x inLength} matrix. */
  public float[] applyRows(float[] in, int rows) {
    float[] out = new float[rows * outLength];
    for (int r = 0; r < rows; r++) {
      apply(in, r * inLength, out, r * outLength);
    }
    return out;
  }
}
