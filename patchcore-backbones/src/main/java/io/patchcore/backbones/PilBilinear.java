package io.patchcore.backbones;

import io.patchcore.internal.feature.Bilinear;

/**
 * Bilinear resizing that reproduces PIL's {@code Image.resize(size, BILINEAR)} on 8-bit RGB
 * exactly, as torchvision's {@code Resize} uses it on PIL images.
 *
 * <p>The resize is separable: a horizontal pass, then a vertical pass, each skipped when that
 * dimension does not change. Each output sample {@code o} has centre {@code c = (o + 0.5) * scale}
 * (scale = in/out) and a triangle filter of support {@code s = max(scale, 1)} (so shrinking is
 * antialiased). Its taps are the inputs in {@code [(int)(c - s + 0.5), (int)(c + s + 0.5))},
 * clipped to the image, with weights {@code tri((x - c + 0.5) / s)}, normalised to sum 1 and then
 * rounded (half away from zero) to fixed point with 22 fractional bits. The accumulator starts at
 * 2^21 (rounding), and the result is shifted right by 22 and clipped to 0..255 after each pass, so
 * the intermediate image is 8-bit too.
 */
final class PilBilinear {
  private static final int PRECISION_BITS = 22;

  private PilBilinear() {}

  /** Resizes {@code in} to {@code outWidth x outHeight}. */
  static RgbImage resize(RgbImage in, int outWidth, int outHeight) {
    if (outWidth < 1 || outHeight < 1) {
      throw new IllegalArgumentException("target size must be positive, got " + outWidth + "x" + outHeight + " (WxH)");
    }
    RgbImage img = in;
    if (outWidth != img.width) {
      img = horizontal(img, outWidth);
    }
    if (outHeight != img.height) {
      img = vertical(img, outHeight);
    }
    return img;
  }

  /** Taps of one pass: for output {@code o}, inputs {@code first[o] .. first[o]+count[o]-1}. */
  private static final class Taps {
    final int[] first;
    final int[] count;
    final int[][] weights;

    Taps(int inSize, int outSize) {
      first = new int[outSize];
      count = new int[outSize];
      weights = new int[outSize][];
      double scale = (double) inSize / outSize;
      double filterScale = Math.max(scale, 1.0);
      double support = filterScale; // the triangle filter has support 1
      double inverse = 1.0 / filterScale;
      for (int o = 0; o < outSize; o++) {
        double centre = (o + 0.5) * scale;
        int lo = Math.max((int) (centre - support + 0.5), 0);
        int hi = Math.min((int) (centre + support + 0.5), inSize);
        int n = hi - lo;
        double[] w = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
          w[i] = triangle((i + lo - centre + 0.5) * inverse);
          sum += w[i];
        }
        int[] k = new int[n];
        for (int i = 0; i < n; i++) {
          double v = sum != 0.0 ? w[i] / sum : w[i];
          k[i] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS)) : (int) (0.5 + v * (1 << PRECISION_BITS));
        }
        first[o] = lo;
        count[o] = n;
        weights[o] = k;
      }
    }
  }

  private static double triangle(double x) {
    double a = Math.abs(x);
    return a < 1.0 ? 1.0 - a : 0.0;
  }

  private static byte clip(int acc) {
    int v = acc >> PRECISION_BITS;
    return (byte) (v < 0 ? 0 : Math.min(v, 255));
  }

  private static RgbImage horizontal(RgbImage in, int outWidth) {
    Taps taps = new Taps(in.width, outWidth);
    byte[] src = in.pixels;
    byte[] out = new byte[in.height * outWidth * 3];
    int half = 1 << (PRECISION_BITS - 1);
    for (int y = 0; y < in.height; y++) {
      int rowIn = y * in.width * 3;
      int o = y * outWidth * 3;
      for (int x = 0; x < outWidth; x++) {
        int[] k = taps.weights[x];
        int p = rowIn + taps.first[x] * 3;
        int r = half;
        int g = half;
        int b = half;
        for (int i = 0; i < taps.count[x]; i++, p += 3) {
          r += (src[p] & 0xff) * k[i];
          g += (src[p + 1] & 0xff) * k[i];
          b += (src[p + 2] & 0xff) * k[i];
        }
        out[o++] = clip(r);
        out[o++] = clip(g);
        out[o++] = clip(b);
      }
    }
    return new RgbImage(outWidth, in.height, out);
  }

  private static RgbImage vertical(RgbImage in, int outHeight) {
    Taps taps = new Taps(in.height, outHeight);
    byte[] src = in.pixels;
    int rowLen = in.width * 3;
    byte[] out = new byte[outHeight * rowLen];
    int half = 1 << (PRECISION_BITS - 1);
    int[] acc = new int[rowLen];
    for (int y = 0; y < outHeight; y++) {
      java.util.Arrays.fill(acc, half);
      int[] k = taps.weights[y];
      for (int i = 0; i < taps.count[y]; i++) {
        int p = (taps.first[y] + i) * rowLen;
        int ki = k[i];
        for (int j = 0; j < rowLen; j++) {
          acc[j] += (src[p + j] & 0xff) * ki;
        }
      }
      int o = y * rowLen;
      for (int j = 0; j < rowLen; j++) {
        out[o + j] = clip(acc[j]);
      }
    }
    return new RgbImage(in.width, outHeight, out);
  }
}
