package io.patchcore.internal.feature;

/**
 * Patch extraction as {@code torch.nn.Unfold(kernel=p, stride=s, padding=(p-1)/2)}: zero padding,
 * patches in row-major grid order, each patch flattened in (c, i, j) order.
 */
public final class Patches {
  private Patches() {}

  public static int padding(int patchSize) {
    return (patchSize - 1) / 2;
  }

  /** Grid length along an axis of {@code size} pixels. */
  public static int gridSize(int size, int patchSize, int stride) {
    int n = Math.floorDiv(size + 2 * padding(patchSize) - patchSize, stride) + 1;
    if (n < 1) {
      throw new IllegalArgumentException("a feature map of size " + size + " gives no patch of size " + patchSize
          + " with stride " + stride);
    }
    return n;
  }

  /**
   * Copies the patch at grid position ({@code row}, {@code col}) of a CHW map into
   * {@code out[outOff .. outOff + c*p*p)}.
   */
  public static void extract(float[] map, int channels, int height, int width, int p, int stride, int row, int col,
      float[] out, int outOff) {
    int pad = padding(p);
    int y0 = row * stride - pad;
    int x0 = col * stride - pad;
    int o = outOff;
    for (int c = 0; c < channels; c++) {
      int plane = c * height * width;
      for (int i = 0; i < p; i++) {
        int y = y0 + i;
        if (y < 0 || y >= height) {
          for (int j = 0; j < p; j++) {
            out[o++] = 0f;
          }
          continue;
        }
        int rowOff = plane + y * width;
        for (int j = 0; j < p; j++) {
          int x = x0 + j;
          out[o++] = (x < 0 || x >= width) ? 0f : map[rowOff + x];
        }
      }
    }
  }

  /** All patches of a CHW map: {@code (gridH*gridW) x (C*p*p)}, row-major. */
  public static float[] patchify(float[] map, int channels, int height, int width, int p, int stride) {
    int gh = gridSize(height, p, stride);
    int gw = gridSize(width, p, stride);
    int len = channels * p * p;
    float[] out = new float[gh * gw * len];
    for (int r = 0; r < gh; r++) {
      for (int q = 0; q < gw; q++) {
        extract(map, channels, height, width, p, stride, r, q, out, (r * gw + q) * len);
      }
    }
    return out;
  }
}
