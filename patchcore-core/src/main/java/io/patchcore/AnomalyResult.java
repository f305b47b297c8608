package io.patchcore;

import java.util.Objects;

/**
 * The result of scoring one image.
 *
 * @param score the raw image score (squared-L2 units; not normalised, comparable across calls)
 * @param map the anomaly map at the resolution of the image the backbone saw, blurred
 * @param patchScores the patch scores on the patch grid (mean squared distance to the k nearest
 *     bank rows), before upsampling
 */
public record AnomalyResult(double score, AnomalyMap map, AnomalyMap patchScores) {
  /**
   * Checks that the maps are present.
   *
   * @param score the raw image score
   * @param map the anomaly map at the resolution of the image the backbone saw
   * @param patchScores the patch scores on the patch grid
   * @throws NullPointerException if {@code map} or {@code patchScores} is null
   */
  public AnomalyResult {
    Objects.requireNonNull(map, "map");
    Objects.requireNonNull(patchScores, "patchScores");
  }
}
