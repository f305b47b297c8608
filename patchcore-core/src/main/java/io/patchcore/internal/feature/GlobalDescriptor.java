package io.patchcore.internal.feature;

import io.patchcore.feature.FeatureMap;
import io.patchcore.feature.FeatureMaps;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An image's global descriptor, as a spec such as {@code "mean,std,grid2"} defines it. For each
 * layer, in order: the per-channel mean over all positions ({@code mean}, always), the per-channel
 * standard deviation ({@code std}, optional), and for each {@code gridN} the per-channel mean of
 * each cell of an N x N grid over the map (row-major cells; cell {@code (gy, gx)} covers rows
 * {@code floor(gy*h/N) .. max(floor((gy+1)*h/N), floor(gy*h/N)+1)} clipped to the map, likewise
 * columns). Every block (one statistic of one layer, or one cell) is scaled to unit L2 norm (a
 * zero block stays zero), so every block weighs the same whatever its layer's scale. Sums are in
 * double; the result is float. Immutable.
 */
public final class GlobalDescriptor {
  /** The spec new fits use. */
  public static final String DEFAULT_SPEC = "mean,std,grid3";

  private static final int MAX_GRID = 16;

  private final boolean std;
  private final int[] grids;
  private final String spec;

  private GlobalDescriptor(boolean std, int[] grids, String spec) {
    this.std = std;
    this.grids = grids;
    this.spec = spec;
  }

  /**
   * Parses a spec: comma-separated, {@code mean} first, then optionally {@code std}, then
   * {@code gridN} with N in [1, 16], increasing.
   *
   * @param spec the spec
   * @return the descriptor
   * @throws IllegalArgumentException naming the spec if it is not of that form
   */
  public static GlobalDescriptor parse(String spec) {
    String[] parts = spec.split(",", -1);
    if (parts.length == 0 || !parts[0].equals("mean")) {
      throw new IllegalArgumentException("global descriptor '" + spec + "' must start with 'mean'");
    }
    boolean std = false;
    List<Integer> grids = new ArrayList<>();
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i];
      if (p.equals("std") && i == 1) {
        std = true;
      } else if (p.matches("grid[1-9][0-9]?") && Integer.parseInt(p.substring(4)) <= MAX_GRID
          && (grids.isEmpty() || Integer.parseInt(p.substring(4)) > grids.get(grids.size() - 1))) {
        grids.add(Integer.parseInt(p.substring(4)));
      } else {
        throw new IllegalArgumentException("global descriptor '" + spec + "': '" + p + "' is not std (second) or "
            + "gridN (N in 1.." + MAX_GRID + ", increasing)");
      }
    }
    return new GlobalDescriptor(std, grids.stream().mapToInt(Integer::intValue).toArray(), spec);
  }

  /**
   * The spec this descriptor was parsed from.
   *
   * @return the spec
   */
  public String spec() {
    return spec;
  }

  /**
   * Describes one image.
   *
   * @param maps the image's feature maps
   * @param layers the layers to use, in order (each must be in {@code maps})
   * @return the descriptor
   * @throws IllegalArgumentException if a layer is missing
   */
  public float[] describe(FeatureMaps maps, List<String> layers) {
    int cells = 1 + (std ? 1 : 0);
    for (int g : grids) {
      cells += g * g;
    }
    int total = 0;
    for (String l : layers) {
      total += cells * maps.layer(l).channels();
    }
    float[] out = new float[total];
    int off = 0;
    for (String l : layers) {
      FeatureMap m = maps.layer(l);
      int c = m.channels();
      int h = m.height();
      int w = m.width();
      int hw = h * w;
      float[] data = m.toArray();
      double[] mean = new double[c];
      double[] dev = new double[c];
      for (int ch = 0; ch < c; ch++) {
        double s = 0;
        for (int i = ch * hw, end = i + hw; i < end; i++) {
          s += data[i];
        }
        double mu = s / hw;
        mean[ch] = mu;
        if (std) {
          double v = 0;
          for (int i = ch * hw, end = i + hw; i < end; i++) {
            double d = data[i] - mu;
            v += d * d;
          }
          dev[ch] = Math.sqrt(v / hw);
        }
      }
      off = putUnit(mean, out, off);
      if (std) {
        off = putUnit(dev, out, off);
      }
      double[] cell = new double[c];
      for (int g : grids) {
        for (int gy = 0; gy < g; gy++) {
          int y0 = Math.min(h - 1, gy * h / g);
          int y1 = Math.min(h, Math.max((gy + 1) * h / g, y0 + 1));
          for (int gx = 0; gx < g; gx++) {
            int x0 = Math.min(w - 1, gx * w / g);
            int x1 = Math.min(w, Math.max((gx + 1) * w / g, x0 + 1));
            for (int ch = 0; ch < c; ch++) {
              double s = 0;
              for (int y = y0; y < y1; y++) {
                for (int x = x0, i = ch * hw + y * w + x0; x < x1; x++, i++) {
                  s += data[i];
                }
              }
              cell[ch] = s / ((y1 - y0) * (x1 - x0));
            }
            off = putUnit(cell, out, off);
          }
        }
      }
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

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "GlobalDescriptor[%s]", spec);
  }
}
