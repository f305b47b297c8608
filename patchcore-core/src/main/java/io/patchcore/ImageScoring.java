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
  REWEIGHTED
}
