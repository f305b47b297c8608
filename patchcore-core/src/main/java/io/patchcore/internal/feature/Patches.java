package io.patchcore.internal.feature;

/**
 * Patch extraction as {@code torch.nn.Unfold(kernel=p, stride=s, padding=(p-1)/2)}: zero padding,
 * patches in row-major grid order, each patch flattened in (c, i, j) order.
 */
public final class Patches {
  private Patches() {}

  /**
   * The zero padding on each side, {@code (p - 1) / 2}.
   *
   * @param patchSize the patch size p
   * @return the padding in pixels
   */
  public static int padding(int patchSize) {
    return (patchSize - 1) / 2;
  }

  /**
   * Grid length along an axis of {@code size} pixels.
   *
   * @param size the map length along the axis
   * @param patchSize the patch size p
   * @param stride the patch stride
   * @return the number of patch positions along the axis, at least 1
   * @throws IllegalArgumentException if the axis gives no patch (the message names the size, patch
   *     size and stride)
   */
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
   * {@code out[outOff .. outOff + c*p*p)}. Positions outside the map (the padding) are 0.
   *
   * @param map the {@code channels x height x width} values in CHW order
   * @param channels the number of channels C
   * @param height the map height
   * @param width the map width
   * @param p the patch size
   * @param stride the patch stride
   * @param row the patch's grid row
   * @param col the patch's grid column
   * @param out receives the patch, flattened in (c, i, j) order
   * @param outOff where the patch starts in {@code out}
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

  /**
   * All patches of a CHW map: {@code (gridH*gridW) x (C*p*p)}, row-major.
   *
   * @param map the {@code channels x height x width} values in CHW order
   * @param channels the number of channels C
   * @param height the map height
   * @param width the map width
   * @param p the patch size
   * @param stride the patch stride
   * @return a new array of one flattened patch per grid position, in row-major grid order
   * @throws IllegalArgumentException if the map gives no patch along an axis
   */
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
