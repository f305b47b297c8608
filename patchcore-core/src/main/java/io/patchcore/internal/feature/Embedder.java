package io.patchcore.internal.feature;

import io.patchcore.PatchCore;
import io.patchcore.feature.FeatureMap;
import io.patchcore.feature.FeatureMaps;
import java.util.List;

/**
 * The feature pipeline of PatchCore after the backbone (patchcore-core/ALGORITHM.md, section 1): patchify each layer,
 * pool each flattened patch to {@code pretrainDim}, align deeper layers to the first layer's
 * patch grid by bilinear interpolation, concatenate and pool to {@code targetDim}.
 *
 * <p>The reference aligns the patches and then pools them; both steps are linear maps on
 * different axes (grid vs. feature), so pooling first gives the same values (up to float rounding)
 * while interpolating {@code pretrainDim} instead of {@code C*p*p} planes.
 */
public final class Embedder {
  private final List<String> layers;
  private final int patchSize;
  private final int stride;
  private final int pretrainDim;
  private final int targetDim;
  private final AdaptivePool aggregate;

  /**
   * Creates the pipeline of one configuration.
   *
   * @param layers the layers to use, in order; the first defines the patch grid (copied)
   * @param patchSize the patch size p
   * @param stride the patch stride
   * @param pretrainDim the dimension each layer's patch is pooled to
   * @param targetDim the final feature dimension
   * @throws IllegalArgumentException if {@code layers} is empty or a dimension is below 1
   */
  public Embedder(List<String> layers, int patchSize, int stride, int pretrainDim, int targetDim) {
    this.layers = List.copyOf(layers);
    this.patchSize = patchSize;
    this.stride = stride;
    this.pretrainDim = pretrainDim;
    this.targetDim = targetDim;
    this.aggregate = new AdaptivePool(layers.size() * pretrainDim, targetDim);
  }

  /**
   * Patch features of one image: {@code gridH*gridW} rows of {@code dim} floats.
   *
   * @param gridH the patch grid height
   * @param gridW the patch grid width
   * @param dim the feature dimension (row length)
   * @param data the rows in row-major grid order, {@code gridH * gridW * dim} values
   */
  public record Embedding(int gridH, int gridW, int dim, float[] data) {
    /**
     * The number of patches.
     *
     * @return {@code gridH * gridW}
     */
    public int rows() {
      return gridH * gridW;
    }
  }

  /**
   * The final feature dimension.
   *
   * @return the length of an embedding row
   */
  public int dimension() {
    return targetDim;
  }

  /**
   * The layers used, in order.
   *
   * @return the layer names (unmodifiable)
   */
  public List<String> layers() {
    return layers;
  }

  /**
   * Embeds the feature maps of one image into patch features on the first layer's patch grid.
   *
   * @param maps the feature maps; they must contain every configured layer
   * @return the patch features
   * @throws IllegalArgumentException if a layer is missing (the message names it and the available
   *     ones), a map holds a NaN or infinite value (the message names the map, the value and its
   *     flat index), or a map gives no patch
   */
  public Embedding embed(FeatureMaps maps) {
    return embed(maps, null);
  }

  /**
   * {@link #embed(FeatureMaps)} with the pooling split between the calling thread and one helper on
   * {@code executor} (the same values: each output is computed by one thread, in the same order).
   *
   * @param maps the feature maps; they must contain every configured layer
   * @param executor where the helper runs; null computes everything on the calling thread
   * @return the patch features
   * @throws IllegalArgumentException as {@link #embed(FeatureMaps)}
   */
  public Embedding embed(FeatureMaps maps, java.util.concurrent.Executor executor) {
    int nLayers = layers.size();
    int gh = 0;
    int gw = 0;
    float[] concat = null; // column-major: value (position r, column t) at t * positions + r
    int n = 0;
    for (int l = 0; l < nLayers; l++) {
      FeatureMap map = maps.layer(layers.get(l));
      float[] data = map.toArray();
      for (int i = 0; i < data.length; i++) {
        if (!Float.isFinite(data[i])) {
          throw new IllegalArgumentException("feature map '" + map.name() + "' has a non-finite value ("
              + data[i] + ") at flat index " + i);
        }
      }
      int lh = Patches.gridSize(map.height(), patchSize, stride);
      int lw = Patches.gridSize(map.width(), patchSize, stride);
      float[] pooled = poolPatches(map, data, lh, lw, executor); // pretrainDim x (lh * lw)
      if (l == 0) {
        gh = lh;
        gw = lw;
        n = gh * gw;
        concat = new float[nLayers * pretrainDim * n];
      } else if (lh != gh || lw != gw) {
        float[] rows = transpose(pooled, pretrainDim, lh * lw);
        pooled = transpose(Bilinear.resize(rows, lh, lw, pretrainDim, gh, gw), n, pretrainDim);
      }
      System.arraycopy(pooled, 0, concat, l * pretrainDim * n, pretrainDim * n);
    }
    float[] out = transpose(poolColumns(aggregate, concat, n, executor), targetDim, n);
    return new Embedding(gh, gw, targetDim, out);
  }

  /**
   * Each patch of the layer flattened in (c,i,j) order and pooled to pretrainDim, as
   * {@link Patches#extract} then {@link AdaptivePool#apply} compute it, bit for bit: every window
   * is summed in double in the same order. The loops run over grid positions innermost (one output
   * value of every patch at a time, reading a zero-padded copy of the map), which the JIT
   * vectorises. The result is {@code pretrainDim x (gh * gw)}: output-major.
   */
  private float[] poolPatches(FeatureMap map, float[] data, int gh, int gw, java.util.concurrent.Executor executor) {
    int channels = map.channels();
    int h = map.height();
    int w = map.width();
    int p = patchSize;
    int pad = Patches.padding(p);
    int ph = Math.max((gh - 1) * stride + p, h + pad);
    int pw = Math.max((gw - 1) * stride + p, w + pad);
    float[] padded = new float[channels * ph * pw];
    for (int c = 0; c < channels; c++) {
      for (int y = 0; y < h; y++) {
        System.arraycopy(data, (c * h + y) * w, padded, (c * ph + y + pad) * pw + pad, w);
      }
    }
    int len = channels * p * p;
    AdaptivePool pool = new AdaptivePool(len, pretrainDim);
    int[] offset = new int[len];
    for (int c = 0, t = 0; c < channels; c++) {
      for (int i = 0; i < p; i++) {
        for (int j = 0; j < p; j++) {
          offset[t++] = (c * ph + i) * pw + j;
        }
      }
    }
    return pool(pool, padded, offset, gh, gw, stride * pw, stride, executor);
  }

  /**
   * {@link AdaptivePool#applyRows} of a column-major {@code rows x pool.inLength()} matrix, bit for
   * bit, vectorised across rows; the result is column-major too ({@code pool.outLength() x rows}).
   */
  static float[] poolColumns(AdaptivePool pool, float[] columns, int rows, java.util.concurrent.Executor executor) {
    int[] offset = new int[pool.inLength()];
    java.util.Arrays.setAll(offset, t -> t * rows);
    return pool(pool, columns, offset, 1, rows, 0, 1, executor);
  }

  /**
   * Pools the vectors of a {@code gh x gw} grid of positions, where input {@code t} of position
   * {@code (r, q)} is {@code src[r * rowStep + q * stride + offset[t]]}: each window summed in double
   * in input order and divided as {@link AdaptivePool#apply} does, one output for every position at a
   * time (positions innermost, which the JIT vectorises). The outputs are split in 8 ranges between
   * the caller and one helper of {@code executor}. The result is output-major,
   * {@code pool.outLength() x (gh * gw)}.
   */
  private static float[] pool(AdaptivePool pool, float[] src, int[] offset, int gh, int gw, int rowStep, int stride,
      java.util.concurrent.Executor executor) {
    int n = gh * gw;
    int outs = pool.outLength();
    float[] out = new float[outs * n];
    int blocks = Math.min(8, outs);
    io.patchcore.internal.Parallel.forEach(executor, blocks, 1, b -> {
      double[] acc = new double[n];
      for (int k = (int) ((long) b * outs / blocks), end = (int) ((long) (b + 1) * outs / blocks); k < end; k++) {
        java.util.Arrays.fill(acc, 0.0);
        int from = pool.windowStart(k);
        int to = pool.windowEnd(k);
        for (int t = from; t < to; t++) {
          for (int r = 0; r < gh; r++) {
            add(acc, r * gw, src, r * rowStep + offset[t], gw, stride);
          }
        }
        divide(acc, to - from, out, k * n);
      }
    });
    return out;
  }

  /** {@code out[at + i] = (float) (acc[i] / count)}, as {@link AdaptivePool#apply} divides. */
  private static void divide(double[] acc, int count, float[] out, int at) {
    double c = count;
    for (int i = 0; i < acc.length; i++) {
      out[at + i] = (float) (acc[i] / c);
    }
  }

  /** The transpose of a row-major {@code rows x cols} matrix, in tiles. */
  static float[] transpose(float[] a, int rows, int cols) {
    float[] t = new float[a.length];
    final int tile = 32;
    for (int r0 = 0; r0 < rows; r0 += tile) {
      int r1 = Math.min(rows, r0 + tile);
      for (int c0 = 0; c0 < cols; c0 += tile) {
        int c1 = Math.min(cols, c0 + tile);
        for (int r = r0; r < r1; r++) {
          for (int c = c0; c < c1; c++) {
            t[c * rows + r] = a[r * cols + c];
          }
        }
      }
    }
    return t;
  }

  /** {@code acc[at + q] += src[from + q * stride]} for q below n. */
  private static void add(double[] acc, int at, float[] src, int from, int n, int stride) {
    if (stride == 1) {
      for (int q = 0; q < n; q++) {
        acc[at + q] += src[from + q];
      }
    } else {
      for (int q = 0; q < n; q++) {
        acc[at + q] += src[from + q * stride];
      }
    }
  }
}
