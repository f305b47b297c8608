package io.patchcore;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Why an image got its score: where its worst patch is and which training patch it is closest to,
 * which training images it resembles as a whole, and (with {@link ImageScoring#COMBINED}) the
 * components its score is made of.
 *
 * <p>What a model can explain depends on what its file records: models fitted by this version
 * record where each memory-bank row comes from and a global descriptor of each training image;
 * models imported from the Python reference or saved by older versions do not, and then
 * {@link #nearestTrainingPatch()} is empty and {@link #nearestTrainingImages()} is an empty list.
 *
 * @param worstPatchRow the row of the highest-scoring patch on the patch grid
 * @param worstPatchColumn its column on the patch grid
 * @param worstPatchScore its score (the {@link ImageScoring#MAX} image score)
 * @param nearestTrainingPatch the memory-bank row nearest to the worst patch, located in its
 *     training image; empty if the model does not record where bank rows come from
 * @param nearestTrainingImages the training images whose global descriptors are nearest to this
 *     image's, nearest first; empty if the model records no descriptors
 * @param components the parts of a {@link ImageScoring#COMBINED} score by name ({@code "patchMax"},
 *     {@code "patchTopMean"}, {@code "global"}), in that order; empty for the other scorings
 */
public record Explanation(int worstPatchRow, int worstPatchColumn, double worstPatchScore,
    Optional<TrainingPatch> nearestTrainingPatch, List<TrainingImage> nearestTrainingImages,
    Map<String, Component> components) {

  /**
   * Checks and copies the parts.
   *
   * @param worstPatchRow the row of the highest-scoring patch, at least 0
   * @param worstPatchColumn its column, at least 0
   * @param worstPatchScore its score
   * @param nearestTrainingPatch the nearest training patch, or empty
   * @param nearestTrainingImages the nearest training images, nearest first (copied)
   * @param components the score components (copied, order kept)
   * @throws NullPointerException if a reference is null
   * @throws IllegalArgumentException if a grid position is negative
   */
  public Explanation {
    if (worstPatchRow < 0 || worstPatchColumn < 0) {
      throw new IllegalArgumentException("worst patch position must be >= 0, got (" + worstPatchRow + ", "
          + worstPatchColumn + ")");
    }
    Objects.requireNonNull(nearestTrainingPatch, "nearestTrainingPatch");
    nearestTrainingImages = List.copyOf(nearestTrainingImages);
    components = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(components));
  }

  /**
   * A memory-bank patch located in the training image it was taken from.
   *
   * @param image the training image's position in the training set, from 0
   * @param label the training image: its path for fits on files, otherwise {@code "image N"}
   * @param row the patch's row on that image's patch grid
   * @param column the patch's column on that image's patch grid
   * @param gridHeight the height of that image's patch grid
   * @param gridWidth the width of that image's patch grid
   * @param distance the squared L2 distance between the worst patch and this bank row (the worst
   *     patch's score when k = 1)
   */
  public record TrainingPatch(int image, String label, int row, int column, int gridHeight, int gridWidth,
      double distance) {
    /**
     * Checks the parts.
     *
     * @param image the training image's position, at least 0
     * @param label its label
     * @param row the patch row, in {@code [0, gridHeight)}
     * @param column the patch column, in {@code [0, gridWidth)}
     * @param gridHeight the grid height, at least 1
     * @param gridWidth the grid width, at least 1
     * @param distance the squared distance
     * @throws NullPointerException if {@code label} is null
     * @throws IllegalArgumentException if a position is outside the grid
     */
    public TrainingPatch {
      Objects.requireNonNull(label, "label");
      if (image < 0 || gridHeight < 1 || gridWidth < 1 || row < 0 || row >= gridHeight || column < 0
          || column >= gridWidth) {
        throw new IllegalArgumentException("training patch (" + row + ", " + column + ") of image " + image
            + " is not on a " + gridHeight + "x" + gridWidth + " grid");
      }
    }

    /**
     * The patch's centre in the training image, in pixels of an image of the given size (the
     * size the backbone saw, or the original size: the grid is mapped proportionally).
     *
     * @param imageHeight the image height in pixels
     * @param imageWidth the image width in pixels
     * @return {@code {y, x}} of the patch centre
     */
    public double[] centre(int imageHeight, int imageWidth) {
      return new double[] {(row + 0.5) * imageHeight / gridHeight, (column + 0.5) * imageWidth / gridWidth};
    }
  }

  /**
   * A training image near the scored one as a whole.
   *
   * @param image the training image's position in the training set, from 0
   * @param label the training image: its path for fits on files, otherwise {@code "image N"}
   * @param distance the Euclidean distance between the two images' global descriptors
   */
  public record TrainingImage(int image, String label, double distance) {
    /**
     * Checks the parts.
     *
     * @param image the position, at least 0
     * @param label the label
     * @param distance the distance
     * @throws NullPointerException if {@code label} is null
     */
    public TrainingImage {
      Objects.requireNonNull(label, "label");
    }
  }

  /**
   * One part of a {@link ImageScoring#COMBINED} score.
   *
   * @param raw the component's raw value
   * @param normalised {@code (raw - median) / scale}, with the median and scale of the component's
   *     values on held-out training images
   */
  public record Component(double raw, double normalised) {}
}
