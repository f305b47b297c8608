package io.patchcore.internal.feature;

import io.patchcore.feature.FeatureMap;
import io.patchcore.feature.FeatureMaps;
import java.util.List;

/**
 * An image's global descriptor: for each layer, the per-channel mean and standard deviation of the
 * feature map over all positions, each of those blocks scaled to unit L2 norm (a zero block stays
 * zero), concatenated in layer order (mean block, then standard-deviation block). Every block
 * therefore weighs the same whatever its layer's scale. Sums are in double; the result is float.
 */
public final class GlobalDescriptor {
  private GlobalDescriptor() {}

  /**
   * The descriptor's length for layers of these channel counts.
   *
   * @param channels the channel count of each layer
   * @return {@code 2 * sum(channels)}
   */
  public static int dimension(int... channels) {
    int d = 0;
    for (int c : channels) {
      d += 2 * c;
    }
    return d;
  }

  /**
   * Describes one image.
   *
   * @param maps the image's feature maps
   * @param layers the layers to use, in order (each must be in {@code maps})
   * @return the descriptor, {@code 2 * sum(channels)} values
   * @throws IllegalArgumentException if a layer is missing
   */
  public static float[] describe(FeatureMaps maps, List<String> layers) {
    int total = 0;
    for (String l : layers) {
      total += 2 * maps.layer(l).channels();
    }
    float[] out = new float[total];
    int off = 0;
    for (String l : layers) {
      FeatureMap m = maps.layer(l);
      int c = m.channels();
      int hw = m.height() * m.width();
      float[] data = m.toArray();
      double[] mean = new double[c];
      double[] std = new double[c];
      for (int ch = 0; ch < c; ch++) {
        double s = 0;
        for (int i = ch * hw, end = i + hw; i < end; i++) {
          s += data[i];
        }
        double mu = s / hw;
        double v = 0;
        for (int i = ch * hw, end = i + hw; i < end; i++) {
          double d = data[i] - mu;
          v += d * d;
        }
        mean[ch] = mu;
        std[ch] = Math.sqrt(v / hw);
      }
      off = putUnit(mean, out, off);
      off = putUnit(std, out, off);
    }
    return out;
  }

  private static int putUnit(double[] block, float[] out, int off) {
    double n = 0;
    for (double v : block) {
      n += v * v;
    }
    double scale = n > 0 ? 1.0 / Math.sqrt(n) : 0.0;
    for (int i = 0; i < block.length; i++) {
      out[off + i] = (float) (block[i] * scale);
    }
    return off + block.length;
  }
}
