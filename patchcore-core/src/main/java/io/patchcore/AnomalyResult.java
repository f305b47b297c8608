package io.patchcore;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of scoring one image.
 *
 * @param score the image score: for {@link ImageScoring#MAX} and {@link ImageScoring#REWEIGHTED}
 *     in squared-L2 units, for {@link ImageScoring#COMBINED} in normalised units (see there); never
 *     normalised over a batch, so comparable across calls
 * @param map the anomaly map at the resolution of the image the backbone saw, blurred
 * @param patchScores the patch scores on the patch grid (mean squared distance to the k nearest
 *     bank rows), before upsampling
 * @param explanation why the image got this score
 */
public record AnomalyResult(double score, AnomalyMap map, AnomalyMap patchScores, Explanation explanation) {
  /**
   * Checks that the parts are present.
   *
   * @param score the image score
   * @param map the anomaly map at the resolution of the image the backbone saw
   * @param patchScores the patch scores on the patch grid
   * @param explanation why the image got this score
   * @throws NullPointerException if a map or the explanation is null
   */
  public AnomalyResult {
    Objects.requireNonNull(map, "map");
    Objects.requireNonNull(patchScores, "patchScores");
    Objects.requireNonNull(explanation, "explanation");
  }

  /**
   * A result whose explanation holds only the worst patch of {@code patchScores}.
   *
   * @param score the image score
   * @param map the anomaly map at the resolution of the image the backbone saw
   * @param patchScores the patch scores on the patch grid
   * @throws NullPointerException if a map is null
   */
  public AnomalyResult(double score, AnomalyMap map, AnomalyMap patchScores) {
    this(score, map, patchScores, worstOnly(Objects.requireNonNull(patchScores, "patchScores")));
  }

  private static Explanation worstOnly(AnomalyMap patchScores) {
    int w = patchScores.width();
    float[] v = patchScores.toArray();
    int worst = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[worst]) {
        worst = i;
      }
    }
    return new Explanation(worst / w, worst % w, v.length == 0 ? Double.NaN : v[worst], Optional.empty(), List.of(),
        Map.of());
  }
}
