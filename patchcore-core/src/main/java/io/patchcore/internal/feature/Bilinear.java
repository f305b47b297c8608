package io.patchcore.internal.feature;

/**
 * Bilinear resize with {@code align_corners=False} and no antialiasing, computed in float32 like
 * {@code torch.nn.functional.interpolate}: source = max((dst + 0.5) * in/out - 0.5, 0), the upper
 * neighbour clamped at the edge.
 */
public final class Bilinear {
  private Bilinear() {}

  /**
   * Per output position along one axis: lower index, upper index, upper weight.
   *
   * @param lo the lower source index of each output position
   * @param hi the upper source index of each output position (clamped at the edge)
   * @param w1 the weight of the upper source index; the lower one has {@code 1 - w1}
   */
  public record Axis(int[] lo, int[] hi, float[] w1) {
    static Axis of(int nIn, int nOut) {
      float scale = (float) nIn / nOut;
      int[] lo = new int[nOut];
      int[] hi = new int[nOut];
      float[] w1 = new float[nOut];
      for (int o = 0; o < nOut; o++) {
        float src = Math.max((o + 0.5f) * scale - 0.5f, 0f);
        int i0 = (int) src;
        lo[o] = Math.min(i0, nIn - 1);
        hi[o] = Math.min(i0 + 1, nIn - 1);
        w1[o] = src - i0;
      }
      return new Axis(lo, hi, w1);
    }
  }

  /**
   * Resizes {@code features} interleaved planes: {@code src} is {@code (hIn*wIn) x features}
   * (position-major), the result {@code (hOut*wOut) x features}.
   *
   * @param src the source values, {@code hIn * wIn * features} of them
   * @param hIn the source height
   * @param wIn the source width
   * @param features the number of interleaved planes
   * @param hOut the result height
   * @param wOut the result width
   * @return a new array of {@code hOut * wOut * features} values, position-major
   * @throws IllegalArgumentException if {@code src} does not hold {@code hIn * wIn * features}
   *     values (the message gives the shape and the length)
   */
  public static float[] resize(float[] src, int hIn, int wIn, int features, int hOut, int wOut) {
    if ((long) hIn * wIn * features != src.length) {
      throw new IllegalArgumentException("source of " + hIn + "x" + wIn + "x" + features + " needs "
          + (long) hIn * wIn * features + " values, got " + src.length);
    }
    Axis ay = Axis.of(hIn, hOut);
    Axis ax = Axis.of(wIn, wOut);
    float[] out = new float[hOut * wOut * features];
    for (int y = 0; y < hOut; y++) {
      float l1y = ay.w1[y];
      float l0y = 1f - l1y;
      int r0 = ay.lo[y] * wIn;
      int r1 = ay.hi[y] * wIn;
      for (int x = 0; x < wOut; x++) {
        float l1x = ax.w1[x];
        float l0x = 1f - l1x;
        int p00 = (r0 + ax.lo[x]) * features;
        int p01 = (r0 + ax.hi[x]) * features;
        int p10 = (r1 + ax.lo[x]) * features;
        int p11 = (r1 + ax.hi[x]) * features;
        int o = (y * wOut + x) * features;
        for (int f = 0; f < features; f++) {
          out[o + f] = l0y * (l0x * src[p00 + f] + l1x * src[p01 + f]) + l1y * (l0x * src[p10 + f] + l1x * src[p11 + f]);
        }
      }
    }
    return out;
  }
}
