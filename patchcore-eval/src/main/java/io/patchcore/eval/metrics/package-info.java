/**
 * Metrics and thresholds computed from anomaly scores, in double precision and without I/O.
 *
 * <p>{@link io.patchcore.eval.metrics.RankingMetrics} holds the image-level metrics (AUROC,
 * average precision, FPR at a TPR, the ROC curve, the F1-optimal threshold), all with the
 * arguments {@code (double[] scores, int[] labels)}; {@link
 * io.patchcore.eval.metrics.PixelMetrics} holds the pixel- and region-level metrics of anomaly
 * maps against masks (pixel AUROC, the PRO curve and AUPRO), all with the arguments {@code
 * (List<float[]> maps, List<byte[]> masks)}. Their results are compared with scikit-learn and the
 * MVTec evaluation code in the tests. {@link io.patchcore.eval.metrics.ConformalThreshold} turns
 * calibration scores into a rejection threshold with a guaranteed false-rejection rate.
 *
 * <p>Every public type here is meant for library users; the other types are package-private.
 */
package io.patchcore.eval.metrics;
