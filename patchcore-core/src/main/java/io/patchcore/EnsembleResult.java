package io.patchcore;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of scoring one image with a {@link PatchCoreEnsemble}.
 *
 * @param score the ensemble score: the mean of {@code normalisedScores} (dimensionless; 0 is a
 *     typical held-out normal image, 1 is one spread of the normal scores above it)
 * @param map the mean of the members' anomaly maps, each normalised with its member's image-score
 *     calibration; empty when the members' maps differ in size (backbones that see the image at
 *     different resolutions), since their pixels do not correspond
 * @param members each member's raw result, in member order
 * @param normalisedScores each member's normalised image score, in member order
 */
public record EnsembleResult(double score, Optional<AnomalyMap> map, List<AnomalyResult> members,
    List<Double> normalisedScores) {
  /**
   * Copies the lists; throws {@link IllegalArgumentException} if they are empty or differ in length.
   *
   * @param score the ensemble score, the mean of {@code normalisedScores}
   * @param map the mean normalised anomaly map, or empty when the members' maps differ in size
   * @param members each member's raw result, in member order (copied)
   * @param normalisedScores each member's normalised image score, in member order (copied)
   * @throws NullPointerException if {@code map}, {@code members} or {@code normalisedScores} is
   *     null, or a list holds null
   * @throws IllegalArgumentException if {@code members} is empty or the lists differ in length (the
   *     message gives both sizes)
   */
  public EnsembleResult {
    Objects.requireNonNull(map, "map");
    members = List.copyOf(Objects.requireNonNull(members, "members"));
    normalisedScores = List.copyOf(Objects.requireNonNull(normalisedScores, "normalisedScores"));
    if (members.isEmpty() || members.size() != normalisedScores.size()) {
      throw new IllegalArgumentException("an ensemble result needs one normalised score per member result, got "
          + members.size() + " results and " + normalisedScores.size() + " scores");
    }
  }
}
