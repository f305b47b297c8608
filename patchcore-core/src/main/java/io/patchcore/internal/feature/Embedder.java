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
    int nLayers = layers.size();
    int gh = 0;
    int gw = 0;
    float[] concat = null;
    int width = nLayers * pretrainDim;
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
      float[] pooled = poolPatches(map, data, lh, lw);
      if (l == 0) {
        gh = lh;
        gw = lw;
        concat = new float[gh * gw * width];
      } else if (lh != gh || lw != gw) {
        pooled = Bilinear.resize(pooled, lh, lw, pretrainDim, gh, gw);
      }
      for (int r = 0; r < gh * gw; r++) {
        System.arraycopy(pooled, r * pretrainDim, concat, r * width + l * pretrainDim, pretrainDim);
      }
    }
    float[] out = aggregate.applyRows(concat, gh * gw);
    return new Embedding(gh, gw, targetDim, out);
  }

  /** Each patch of the layer flattened in (c,i,j) order and pooled to pretrainDim. */
  private float[] poolPatches(FeatureMap map, float[] data, int gh, int gw) {
    int len = map.channels() * patchSize * patchSize;
    AdaptivePool pool = new AdaptivePool(len, pretrainDim);
    float[] patch = new float[len];
    float[] out = new float[gh * gw * pretrainDim];
    for (int r = 0; r < gh; r++) {
      for (int q = 0; q < gw; q++) {
        Patches.extract(data, map.channels(), map.height(), map.width(), patchSize, stride, r, q, patch, 0);
        pool.apply(patch, 0, out, (r * gw + q) * pretrainDim);
      }
    }
    return out;
  }
}
