package io.patchcore.eval.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ConformalThresholdTest {

  @Test
  void threshold_isTheConformalOrderStatistic() {
    double[] cal = {5, 1, 4, 2, 3, 9, 8, 7, 6, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
    // n = 19, alpha = 0.1: rank ceil(20 * 0.9) = 18 -> the 18th smallest = 18
    assertThat(ConformalThreshold.threshold(cal, 0.1)).isEqualTo(18);
    assertThat(ConformalThreshold.threshold(cal, 0.5)).isEqualTo(10);
  }

  @Test
  void threshold_tooFewCalibrationImagesRejectsNothing() {
    assertThat(ConformalThreshold.threshold(new double[] {1, 2, 3}, 0.05)).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(ConformalThreshold.minimumCalibrationSize(0.05)).isEqualTo(19);
    double[] nineteen = new double[19];
    assertThat(ConformalThreshold.threshold(nineteen, 0.05)).isFinite();
  }

  @Test
  void threshold_badInput() {
    assertThatThrownBy(() -> ConformalThreshold.threshold(new double[] {1}, 0)).hasMessageContaining("got 0.0");
    assertThatThrownBy(() -> ConformalThreshold.threshold(new double[] {1}, 1.5)).hasMessageContaining("1.5");
    assertThatThrownBy(() -> ConformalThreshold.threshold(new double[0], 0.1)).hasMessageContaining("no calibration");
    assertThatThrownBy(() -> ConformalThreshold.threshold(new double[] {Double.NaN}, 0.1)).hasMessageContaining("NaN");
  }

  /**
   * The guarantee: over many seeded draws, the fraction of new real images (exchangeable with the
   * calibration set) that are rejected stays at most alpha, up to Monte-Carlo error, for several
   * score distributions and calibration sizes.
   */
  @Test
  void filter_rejectsAtMostAlphaOfRealImages() {
    double[] alphas = {0.05, 0.1, 0.2};
    int[] sizes = {19, 50, 200};
    for (double alpha : alphas) {
      for (int n : sizes) {
        for (int dist = 0; dist < 3; dist++) {
          long rejected = 0;
          long total = 0;
          for (int seed = 0; seed < 2000; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed * 7919L + n * 31L + dist);
            double[] cal = new double[n];
            for (int i = 0; i < n; i++) {
              cal[i] = draw(rnd, dist);
            }
            double t = ConformalThreshold.threshold(cal, alpha);
            for (int j = 0; j < 20; j++) {
              if (draw(rnd, dist) > t) {
                rejected++;
              }
              total++;
            }
          }
          double rate = (double) rejected / total;
          // 40,000 draws: 3 standard errors of a rate near 0.2 is about 0.006
          assertThat(rate).as("alpha %s, n %d, distribution %d", alpha, n, dist).isLessThanOrEqualTo(alpha + 0.006);
          // and it is not vacuous: close to alpha for large n and continuous scores (with heavy ties the
          // tied images at the threshold are kept, so the rate may be far below alpha)
          if (n == 200 && dist < 2) {
            assertThat(rate).isGreaterThan(alpha - 0.02);
          }
        }
      }
    }
  }

  private static double draw(SplittableRandom rnd, int dist) {
    switch (dist) {
      case 0:
        return rnd.nextDouble();
      case 1:
        return -Math.log(1 - rnd.nextDouble()) * 20; // exponential, like squared distances
      default:
        return Math.floor(rnd.nextDouble() * 5); // heavy ties
    }
  }
}
