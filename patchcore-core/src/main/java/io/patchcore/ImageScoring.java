package io.patchcore;

/** How patch scores become one image score. */
public enum ImageScoring {
  /** The largest patch score (the reference implementation). */
  MAX,
  /**
   * The paper's Eq. 7 (anomalib's default): the largest patch score times
   * {@code w = 1 - softmax(d)[0]}, where d are the Euclidean distances from the worst patch to its
   * nearest bank row m* and to the b - 1 bank rows nearest to m*. Set b with
   * {@link PatchCore.Builder#reweightingNeighbours(int)} (default 9).
   */
  REWEIGHTED,
  /**
   * Patch evidence fused with image-level evidence, for images whose patches each look plausible
   * while the whole does not. It fuses three components:
   *
   * <ul>
   *   <li>{@code patchMax}: the largest patch score ({@link #MAX});
   *   <li>{@code patchTopMean}: the mean of the highest 10% of the patch scores;
   *   <li>{@code global}: the mean Euclidean distance from the image's global descriptor to those
   *       of its 5 nearest training images (fewer if there are fewer). The descriptor holds, per
   *       layer, the per-channel mean and standard deviation of the feature map and the
   *       per-channel mean of each cell of a 3 x 3 grid over it, each block scaled to unit length:
   *       colour and texture statistics plus the coarse layout.
   * </ul>
   *
   * <p>The score is the weighted mean of the normalised components. Each component is
   * normalised as {@code (raw - median) / scale} with the median and
   * interquartile range (as {@link PatchCoreEnsemble} does) of its values on held-out training
   * images: at fit time, up to 100 training images chosen with the seed are scored leaving
   * themselves out (memory-bank rows taken from the image itself are skipped, and the image is not
   * its own global neighbour). The calibration is stored in the model file; a score never depends
   * on what else is scored. The memory bank is the one {@link #MAX} fits, so {@code patchMax} is
   * exactly the {@link #MAX} score. Needs at least 3 training images.
   */
  COMBINED
}
