package io.patchcore.eval;

import java.util.Objects;

/**
 * The metrics of one dataset of an {@link EvaluationReport} (one row of {@code results.csv}), or
 * their mean over the datasets. A metric that cannot be computed is {@code NaN}: the instance
 * metrics need scored images of both labels, the pixel metrics need masks and maps (see {@link
 * EvaluationReport}).
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

  /** Checks that the name is not null and the counts are consistent. */
  public DatasetResult {
    Objects.requireNonNull(dataset, "dataset");
    if (images < 0 || failed < 0 || failed > images) {
      throw new IllegalArgumentException("inconsistent counts for dataset " + dataset + ": "
          + failed + " failed of " + images + " images");
    }
  }
}
