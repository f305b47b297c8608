package io.patchcore.eval.report;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Objects;

/**
 * The metrics of one dataset of {@link EvaluationResults} (one row of {@code results.csv}), or
 * their mean over the datasets. A metric that cannot be computed is {@code NaN}: the instance
 * metrics need scored images of both labels, the pixel metrics need masks and maps (see {@link
 * EvaluationResults}).
 *
 * @param dataset the dataset's name, or {@code "mean"}
 * @param images the number of test images, failed ones included
 * @param failed the number of images that could not be scored
 * @param instanceAuroc image-level AUROC
 * @param fullPixelAuroc pixel AUROC over all labelled images
 * @param anomalyPixelAuroc pixel AUROC over the anomalous images only
 * @param aupro MVTec-style AUPRO up to FPR 0.3
 * @param averagePrecision image-level average precision
 * @param fpr95 image-level false positive rate at 95% true positive rate
 */
public record DatasetResult(
    String dataset, int images, int failed, double instanceAuroc, double fullPixelAuroc,
    double anomalyPixelAuroc, double aupro, double averagePrecision, double fpr95) {

  /**
   * Checks that the name is not null and the counts are consistent.
   *
   * @param dataset the dataset's name, or {@code "mean"}
   * @param images the number of test images, failed ones included
   * @param failed the number of images that could not be scored
   * @param instanceAuroc image-level AUROC
   * @param fullPixelAuroc pixel AUROC over all labelled images
   * @param anomalyPixelAuroc pixel AUROC over the anomalous images only
   * @param aupro AUPRO up to FPR 0.3
   * @param averagePrecision image-level average precision
   * @param fpr95 image-level FPR at 95% TPR
   * @throws IllegalArgumentException if a count is negative or more images failed than exist
   */
  public DatasetResult {
    Objects.requireNonNull(dataset, "dataset");
    checkArgument(images >= 0 && failed >= 0 && failed <= images,
        "inconsistent counts for dataset %s: %s failed of %s images", dataset, failed, images);
  }
}
