package io.patchcore.backbones;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.patchcore.feature.FeatureMap;
import io.patchcore.feature.FeatureMaps;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The output contract of a TorchScript backbone: checks what the module returned against the
 * declared layers and turns it into {@link FeatureMaps}.
 *
 * <p>A module returns a tuple or list of tensors, named by position, or a dict of tensors (DJL's
 * PyTorch engine gives each dict entry its key as the array name), selected by key. A layer is
 * either a map {@code (1, C, h, w)} or, when declared with prefix tokens, a vision transformer's
 * tokens {@code (1, T, C)}: the first {@code prefix} tokens (class and register tokens) are
 * dropped and the remaining {@code N = T - prefix} patch tokens, in row-major grid order, become a
 * map {@code (1, C, h, w)} with {@code h * w = N} (see {@link #tokenGrid}). Immutable.
 */
final class ModelOutputs {
  private final String source;
  private final List<String> layerNames;
  private final Map<String, Integer> prefixTokens;

  /**
   * @param source how errors name the model
   * @param layerNames the declared layers, in output order
   * @param prefixTokens the layers that are token outputs, with their prefix token counts
   */
  ModelOutputs(String source, List<String> layerNames, Map<String, Integer> prefixTokens) {
    this.source = source;
    this.layerNames = List.copyOf(layerNames);
    this.prefixTokens = Map.copyOf(prefixTokens);
  }

  /**
   * Converts the module's outputs for one {@code height x width} input.
   *
   * @throws IllegalArgumentException naming the model and the offending output if the outputs do
   *     not match the declared layers
   */
  FeatureMaps toFeatureMaps(NDList out, int height, int width) {
    List<NDArray> selected = select(out);
    List<FeatureMap> maps = new ArrayList<>(selected.size());
    for (int i = 0; i < selected.size(); i++) {
      maps.add(toMap(layerNames.get(i), selected.get(i), height, width));
    }
    return new FeatureMaps(height, width, maps);
  }

  /** The arrays of the declared layers, in declared order. */
  private List<NDArray> select(NDList out) {
    int named = 0;
    for (NDArray a : out) {
      if (a.getName() != null) {
        named++;
      }
    }
    if (named == 0) {
      if (out.size() != layerNames.size()) {
        throw new IllegalArgumentException("TorchScript model " + source + " returned " + out.size()
            + " output(s), but " + layerNames.size() + " layer name(s) were given " + layerNames
            + "; the names map to the model's outputs by position");
      }
      return out;
    }
    if (named != out.size()) {
      throw new IllegalArgumentException("TorchScript model " + source + " returned " + named
          + " dict entries mixed with " + (out.size() - named) + " unnamed tensor(s); return either a tuple of"
          + " tensors or one dict of tensors");
    }
    Map<String, NDArray> byKey = new LinkedHashMap<>();
    for (NDArray a : out) {
      byKey.put(a.getName(), a);
    }
    List<NDArray> selected = new ArrayList<>(layerNames.size());
    for (String layer : layerNames) {
      NDArray a = byKey.get(layer);
      if (a == null) {
        throw new IllegalArgumentException("TorchScript model " + source + " returned a dict with keys "
            + new TreeSet<>(byKey.keySet()) + ", which has no entry '" + layer
            + "'; for a dict output the layer names select entries by key");
      }
      selected.add(a);
    }
    return selected;
  }

  private FeatureMap toMap(String layer, NDArray a, int height, int width) {
    Shape s = a.getShape();
    Integer prefix = prefixTokens.get(layer);
    String what = "output '" + layer + "' of TorchScript model " + source;
    if (prefix == null) {
      if (s.dimension() != 4 || s.get(0) != 1) {
        throw new IllegalArgumentException(what + " has shape " + s + "; expected a 4-D map (1, C, H, W)"
            + (s.dimension() == 3 ? "; if these are a vision transformer's tokens (1, T, C), declare them with"
                + " tokens(\"" + layer + "\", prefixTokens)" : ""));
      }
      if (s.get(1) < 1 || s.get(2) < 1 || s.get(3) < 1) {
        throw new IllegalArgumentException(what + " has shape " + s + " for a " + height + "x" + width
            + " (HxW) input: an empty map; the input is too small for this model");
      }
      return FeatureMap.adopt(layer, Math.toIntExact(s.get(1)), Math.toIntExact(s.get(2)),
          Math.toIntExact(s.get(3)), floats(a));
    }
    if (s.dimension() != 3 || s.get(0) != 1) {
      throw new IllegalArgumentException(what + " has shape " + s + "; it was declared as tokens, so a 3-D output"
          + " (1, T, C) was expected");
    }
    long tokens = s.get(1);
    long channels = s.get(2);
    long patches = tokens - prefix;
    if (channels < 1 || patches < 1) {
      throw new IllegalArgumentException(what + " has shape " + s + ": " + tokens + " token(s) of " + channels
          + " channel(s), which leaves no patch tokens after the " + prefix + " declared prefix token(s)");
    }
    int n = Math.toIntExact(patches);
    int c = Math.toIntExact(channels);
    int[] grid = tokenGrid(n, height, width);
    if (grid == null) {
      throw new IllegalArgumentException(what + " has " + n + " patch tokens (" + tokens + " minus " + prefix
          + " prefix tokens) for a " + height + "x" + width + " (HxW) input: not a square number, and no patch"
          + " stride s gives a grid of (H/s) x (W/s) = " + n + " tokens; check the prefix token count");
    }
    float[] in = floats(a);
    float[] chw = new float[n * c];
    int skip = prefix * c;
    for (int k = 0; k < n; k++) {
      int row = skip + k * c;
      for (int ch = 0; ch < c; ch++) {
        chw[ch * n + k] = in[row + ch];
      }
    }
    return FeatureMap.adopt(layer, c, grid[0], grid[1], chw);
  }

  private static float[] floats(NDArray a) {
    NDArray f = a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false);
    return f.toFloatArray();
  }

  /**
   * The grid {@code {h, w}} of {@code n} patch tokens for a {@code height x width} input: the one
   * that a patch stride {@code s} gives, {@code h = floor(H / s)} and {@code w = floor(W / s)} (as a
   * ViT's patch embedding), else with {@code ceil} (a padded patch embedding), else, if {@code n}
   * is a square number, the square grid (a model that resizes internally); null if none fits. The
   * stride grid is unique when it exists: both sides shrink as {@code s} grows, so no two strides
   * give different grids of the same size.
   */
  static int[] tokenGrid(int n, int height, int width) {
    for (int round = 0; round < 2; round++) {
      for (int s = 1; s <= Math.max(height, width); s++) {
        long h = round == 0 ? height / s : ceilDiv(height, s);
        long w = round == 0 ? width / s : ceilDiv(width, s);
        long size = h * w;
        if (size == n && h > 0 && w > 0) {
          return new int[] {(int) h, (int) w};
        }
        if (size < n) {
          break;
        }
      }
    }
    int r = (int) Math.round(Math.sqrt(n));
    return (long) r * r == n ? new int[] {r, r} : null;
  }

  private static long ceilDiv(int a, int b) {
    return (a + (long) b - 1) / b;
  }
}
