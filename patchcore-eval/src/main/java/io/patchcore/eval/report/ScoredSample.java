package io.patchcore.eval.report;

import static com.google.common.base.Preconditions.checkArgument;

import io.patchcore.AnomalyMap;
import io.patchcore.AnomalyResult;
import io.patchcore.Explanation;
import io.patchcore.eval.data.Sample;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * One test image of an evaluation, with its raw score (and, optionally, its anomaly map) or the
 * error that kept it from being scored. Build one with {@link #scored(String, Sample,
 * AnomalyResult)}, {@link #scored(String, Sample, double)} or {@link #failed(String, Sample,
 * String)}.
 *
 * @param dataset the name of the dataset the image belongs to (the rows of {@code results.csv})
 * @param sample the image: path, group, label (may be unknown) and mask (may be absent)
 * @param score the raw image score; empty exactly when {@code error} is present
 * @param map the anomaly map, needed for pixel metrics and map images; empty when not kept
 * @param error why the image could not be scored; empty for a scored image
 * @param explanation why the image got its score (shown in {@code report.html}); empty when not
 *     kept or for a failed image
 */
public record ScoredSample(
    String dataset, Sample sample, OptionalDouble score, Optional<AnomalyMap> map,
    Optional<String> error, Optional<Explanation> explanation) {

  /**
   * Checks for nulls, that exactly one of score and error is present, that a score is finite, that
   * an error is not blank and that a failed image has no map.
   *
   * @param dataset the dataset's name
   * @param sample the image
   * @param score the raw score, or empty for a failed image
   * @param map the anomaly map, or empty
   * @param error why the image failed, or empty for a scored image
   * @param explanation why the image got its score, or empty
   * @throws IllegalArgumentException if one of the checks fails; the message names the image
   */
  public ScoredSample {
    Objects.requireNonNull(explanation, "explanation");
    checkArgument(error.isEmpty() || explanation.isEmpty(), "failed sample %s cannot have an explanation",
        sample == null ? null : sample.path());
    Objects.requireNonNull(dataset, "dataset");
    Objects.requireNonNull(sample, "sample");
    Objects.requireNonNull(score, "score");
    Objects.requireNonNull(map, "map");
    Objects.requireNonNull(error, "error");
    checkArgument(score.isPresent() != error.isPresent(),
        "scored sample %s needs exactly one of a score and an error, got %s", sample.path(),
        score.isPresent() ? "both" : "neither");
    checkArgument(score.isEmpty() || Double.isFinite(score.getAsDouble()),
        "score of %s must be finite, got %s", sample.path(), score.orElse(Double.NaN));
    checkArgument(error.isEmpty() || !error.get().isBlank(), "error message of %s is blank",
        sample.path());
    checkArgument(error.isEmpty() || map.isEmpty(), "failed sample %s cannot have a map",
        sample.path());
  }

  /**
   * A scored image or a failure without an explanation (the form before explanations existed).
   *
   * @param dataset the dataset's name
   * @param sample the image
   * @param score the raw score, or empty for a failed image
   * @param map the anomaly map, or empty
   * @param error why the image failed, or empty for a scored image
   * @throws IllegalArgumentException if one of the record's checks fails
   */
  public ScoredSample(String dataset, Sample sample, OptionalDouble score, Optional<AnomalyMap> map,
      Optional<String> error) {
    this(dataset, sample, score, map, error, Optional.empty());
  }

  /**
   * A scored image whose anomaly map is kept (4 bytes a pixel, about 200 KB for a 224x224 map;
   * use {@link #scored(String, Sample, double)} when neither pixel metrics nor map images are
   * wanted for many images).
   *
   * @param dataset the dataset's name
   * @param sample the image
   * @param result the model's result; its score and its full-resolution {@link
   *     AnomalyResult#map()} are kept
   * @return the scored sample
   */
  public static ScoredSample scored(String dataset, Sample sample, AnomalyResult result) {
    Objects.requireNonNull(result, "result");
    return new ScoredSample(dataset, sample, OptionalDouble.of(result.score()),
        Optional.of(result.map()), Optional.empty(), Optional.of(result.explanation()));
  }

  /**
   * A scored image without a map but with its explanation (a few hundred bytes).
   *
   * @param dataset the dataset's name
   * @param sample the image
   * @param result the model's result; its score and explanation are kept
   * @return the scored sample
   */
  public static ScoredSample scoredWithoutMap(String dataset, Sample sample, AnomalyResult result) {
    Objects.requireNonNull(result, "result");
    return new ScoredSample(dataset, sample, OptionalDouble.of(result.score()), Optional.empty(),
        Optional.empty(), Optional.of(result.explanation()));
  }

  /**
   * A scored image without a map (no pixel metrics, no map image).
   *
   * @param dataset the dataset's name
   * @param sample the image
   * @param score the raw score, finite
   * @return the scored sample
   */
  public static ScoredSample scored(String dataset, Sample sample, double score) {
    return new ScoredSample(dataset, sample, OptionalDouble.of(score), Optional.empty(),
        Optional.empty());
  }

  /**
   * An image that could not be scored.
   *
   * @param dataset the dataset's name
   * @param sample the image
   * @param error why, such as the message of the exception (it should name the file)
   * @return the failed sample
   */
  public static ScoredSample failed(String dataset, Sample sample, String error) {
    return new ScoredSample(dataset, sample, OptionalDouble.empty(), Optional.empty(),
        Optional.of(Objects.requireNonNull(error, "error")));
  }

  /**
   * The image file.
   *
   * @return {@code sample().path()}
   */
  public Path path() {
    return sample.path();
  }

  /**
   * Whether the image was scored.
   *
   * @return true when it has a score, false when it has an error
   */
  public boolean isScored() {
    return score.isPresent();
  }
}
