package io.patchcore.eval.metrics;

/**
 * The threshold that maximises F1 and that F1, from {@link RankingMetrics#f1OptimalThreshold}.
 *
 * @param threshold the score threshold ({@code score >= threshold} is anomalous)
 * @param f1 the F1 score at that threshold
 */
public record F1Threshold(double threshold, double f1) {}
