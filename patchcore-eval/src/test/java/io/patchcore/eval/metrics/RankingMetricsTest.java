package io.patchcore.eval.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.patchcore.testing.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RankingMetricsTest {
  private static final double TOL = 1e-9;

  // Golden values from /work/shared/golden/manifest.json (sklearn), also stored in *_expected.npy.
  @ParameterizedTest
  @CsvSource({
      "random,    0.6865763546798029, 0.6225847546953691, 0.8017241379310345",
      "ties,      0.8473198692400699, 0.7987184379842625, 0.50920245398773",
      "separated, 1.0,                1.0,                0.0"})
  void imageMetricsMatchSklearn(String tag, double auroc, double ap, double fpr95) {
    double[] scores = goldenScores(tag);
    int[] labels = Npy.golden("metrics_" + tag + "_labels.npy").ints();
    double[] expected = Npy.golden("metrics_" + tag + "_expected.npy").doubles();
    assertThat(expected).containsExactly(new double[] {auroc, ap, fpr95}, within(1e-15));

    assertThat(RankingMetrics.auroc(scores, labels)).isCloseTo(auroc, within(TOL));
    assertThat(RankingMetrics.averagePrecision(scores, labels)).isCloseTo(ap, within(TOL));
    assertThat(RankingMetrics.fprAtTpr(scores, labels, 0.95)).isCloseTo(fpr95, within(TOL));
  }

  @Test
  void rocCurveIsSklearnRocCurveWithoutDroppedPoints() {
    // sklearn: roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], drop_intermediate=False)
    RocCurve c = RankingMetrics.rocCurve(new double[] {0.1, 0.4, 0.35, 0.8}, new int[] {0, 0, 1, 1});
    assertThat(c.thresholds()).containsExactly(Double.POSITIVE_INFINITY, 0.8, 0.4, 0.35, 0.1);
    assertThat(c.fpr()).containsExactly(0, 0, 0.5, 0.5, 1);
    assertThat(c.tpr()).containsExactly(0, 0.5, 0.5, 1, 1);
    assertThat(RankingMetrics.auroc(new double[] {0.1, 0.4, 0.35, 0.8}, new int[] {0, 0, 1, 1}))
        .isEqualTo(0.75);
    assertThat(RankingMetrics.averagePrecision(new double[] {0.1, 0.4, 0.35, 0.8},
        new int[] {0, 0, 1, 1})).isCloseTo(5.0 / 6.0, within(1e-15));
  }

  @Test
  void rocCurveOnGoldenTiesHasOnePointPerDistinctScore() {
    double[] scores = goldenScores("ties");
    int[] labels = Npy.golden("metrics_ties_labels.npy").ints();
    RocCurve c = RankingMetrics.rocCurve(scores, labels);
    assertThat(c.thresholds()).hasSize(6); // 5 distinct scores + the leading +inf
    assertThat(c.fpr()[5]).isEqualTo(1.0);
    assertThat(c.tpr()[5]).isEqualTo(1.0);
    // Trapezoid over the curve reproduces the AUROC.
    double area = 0;
    for (int i = 1; i < 6; i++) {
      area += (c.fpr()[i] - c.fpr()[i - 1]) * (c.tpr()[i] + c.tpr()[i - 1]) / 2;
    }
    assertThat(area).isCloseTo(0.8473198692400699, within(TOL));
  }

  @Test
  void tiedScoresCountHalf() {
    assertThat(RankingMetrics.auroc(new double[] {1, 1}, new int[] {0, 1})).isEqualTo(0.5);
    assertThat(RankingMetrics.auroc(new double[] {0.0, -0.0, 1}, new int[] {0, 1, 1}))
        .isEqualTo(0.75);
    assertThat(RankingMetrics.auroc(new double[] {1, 0}, new int[] {0, 1})).isEqualTo(0.0);
  }

  @Test
  void f1OptimalThreshold() {
    // thresholds 0.8 -> F1 2/3, 0.4 -> 1/2, 0.35 -> 4/5, 0.1 -> 2/3
    F1Threshold f =
        RankingMetrics.f1OptimalThreshold(new double[] {0.1, 0.4, 0.35, 0.8}, new int[] {0, 0, 1, 1});
    assertThat(f.threshold()).isEqualTo(0.35);
    assertThat(f.f1()).isCloseTo(0.8, within(1e-15));
    // Ties: F1 is 2/3 at 0.9 (tp 1, fp 0) and at 0.5 (tp 2, fp 2); the lower threshold wins.
    F1Threshold tie = RankingMetrics.f1OptimalThreshold(
        new double[] {0.9f, 0.5f, 0.5f, 0.5f}, new int[] {1, 1, 0, 0});
    assertThat(tie.f1()).isCloseTo(2.0 / 3.0, within(1e-15));
    assertThat(tie.threshold()).isEqualTo(0.5);
    // Perfect separation gives F1 1 at the lowest positive score.
    float[] s = Npy.golden("metrics_separated_scores.npy").floats();
    int[] y = Npy.golden("metrics_separated_labels.npy").ints();
    float minPositive = Float.MAX_VALUE;
    for (int i = 0; i < s.length; i++) {
      if (y[i] == 1) {
        minPositive = Math.min(minPositive, s[i]);
      }
    }
    F1Threshold sep = RankingMetrics.f1OptimalThreshold(goldenScores("separated"), y);
    assertThat(sep.f1()).isEqualTo(1.0);
    assertThat(sep.threshold()).isEqualTo((double) minPositive);
  }

  @Test
  void fprAtTprEdges() {
    double[] s = {0.1, 0.4, 0.35, 0.8};
    int[] y = {0, 0, 1, 1};
    assertThat(RankingMetrics.fprAtTpr(s, y, 0.0)).isEqualTo(0.0);
    assertThat(RankingMetrics.fprAtTpr(s, y, 0.5)).isEqualTo(0.0);
    assertThat(RankingMetrics.fprAtTpr(s, y, 1.0)).isEqualTo(0.5);
    assertThatThrownBy(() -> RankingMetrics.fprAtTpr(s, y, 1.5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1.5");
  }

  @Test
  void singleClassIsRejectedWithCounts() {
    assertThatThrownBy(() -> RankingMetrics.auroc(new double[] {0.1, 0.2, 0.3}, new int[] {0, 0, 0}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0 positive").hasMessageContaining("3 negative");
    assertThatThrownBy(() -> RankingMetrics.auroc(new double[] {0.1f, 0.2f}, new int[] {1, 1}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2 positive").hasMessageContaining("0 negative");
    assertThatThrownBy(() -> RankingMetrics.averagePrecision(new double[] {0.1}, new int[] {0}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 positive");
    // AP is defined without negatives (sklearn gives 1).
    assertThat(RankingMetrics.averagePrecision(new double[] {0.1, 0.5}, new int[] {1, 1}))
        .isEqualTo(1.0);
  }

  @Test
  void mismatchedLengthsAreRejectedWithBothLengths() {
    assertThatThrownBy(() -> RankingMetrics.auroc(new double[200], new int[199]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("200").hasMessageContaining("199");
  }

  @Test
  void nanScoresAndBadLabelsAreRejected() {
    assertThatThrownBy(() -> RankingMetrics.auroc(new double[] {0.1, Double.NaN}, new int[] {0, 1}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scores[1] is NaN");
    assertThatThrownBy(() -> RankingMetrics.averagePrecision(new double[] {Float.NaN}, new int[] {1}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scores[0] is NaN");
    assertThatThrownBy(() -> RankingMetrics.auroc(new double[] {0.1, 0.2}, new int[] {0, 2}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("labels[1] is 2");
  }

  /** The golden float32 scores, widened to double (exact), as every caller does. */
  static double[] goldenScores(String tag) {
    float[] f = Npy.golden("metrics_" + tag + "_scores.npy").floats();
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }
}
