package io.patchcore.eval.data;

import java.util.List;
import java.util.Objects;

/**
 * An immutable dataset: training images (all normal) and labelled test images, each list sorted by
 * path string. Build one with {@link Datasets}.
 *
 * @param name the dataset's name, by default its root folder's name
 * @param train the training images, unmodifiable
 * @param test the test images, unmodifiable
 */
public record Dataset(String name, List<Sample> train, List<Sample> test) {

  /**
   * Checks for nulls and copies both lists into unmodifiable ones.
   *
   * @param name the dataset's name
   * @param train the training images
   * @param test the test images
   */
  public Dataset {
    Objects.requireNonNull(name, "name");
    train = List.copyOf(train);
    test = List.copyOf(test);
  }

  /**
   * A seeded random subsample of both lists, each list kept in its order: {@link
   * Datasets#subsample(List, double, long)} applied to the training and to the test images, each
   * with a fresh generator from {@code seed}. A fraction of {@code 1.0} keeps a list whole.
   *
   * @param trainFraction the fraction of training images to keep, in (0, 1]
   * @param testFraction the fraction of test images to keep, in (0, 1]
   * @param seed the seed of the random selection
   * @return the subsampled dataset, with the same name
   * @throws IllegalArgumentException if a fraction is outside (0, 1]
   */
  public Dataset subsample(double trainFraction, double testFraction, long seed) {
    return new Dataset(name,
        Datasets.subsample(train, trainFraction, seed),
        Datasets.subsample(test, testFraction, seed));
  }

  /**
   * A seeded random subsample of both lists, each list kept in its order: {@link
   * Datasets#subsample(List, int, long)} applied to the training and to the test images, each with
   * a fresh generator from {@code seed}. A count at least the list's size keeps it whole.
   *
   * @param trainCount how many training images to keep at most, not negative
   * @param testCount how many test images to keep at most, not negative
   * @param seed the seed of the random selection
   * @return the subsampled dataset, with the same name
   * @throws IllegalArgumentException if a count is negative
   */
  public Dataset subsample(int trainCount, int testCount, long seed) {
    return new Dataset(name,
        Datasets.subsample(train, trainCount, seed),
        Datasets.subsample(test, testCount, seed));
  }
}
