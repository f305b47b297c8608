package io.patchcore.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.patchcore.testing.Npy;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MetricsTest {
  private static final double TOL = 1e-9;

  // Golden values from /work/shared/golden/manifest.json (sklearn), also stored in *_expected.npy.
  @ParameterizedTest
  @CsvSource({
      "random,    0.6865763546798029, 0.6225847546953691, 0.8017241379310345",
      "ties,      0.8473198692400699, 0.7987184379842625, 0.50920245398773",
      "separated, 1.0,                1.0,                0.0"})
  void imageMetricsMatchSklearn(String tag, double auroc, double ap, double fpr95) {
    float[] scores = Npy.golden("metrics_" + tag + "_scores.npy").floats();
    int[] labels = Npy.golden("metrics_" + tag + "_labels.npy").ints();
    double[] expected = Npy.golden("metrics_" + tag + "_expected.npy").doubles();
    assertThat(expected).containsExactly(new double[] {auroc, ap, fpr95}, within(1e-15));

    assertThat(Metrics.auroc(scores, labels)).isCloseTo(auroc, within(TOL));
    assertThat(Metrics.averagePrecision(scores, labels)).isCloseTo(ap, within(TOL));
    assertThat(Metrics.fprAtTpr(scores, labels, 0.95)).isCloseTo(fpr95, within(TOL));

    // The other overloads agree exactly.
    double[] d = toDouble(scores);
    boolean[] b = toBoolean(labels);
    assertThat(Metrics.auroc(d, labels)).isEqualTo(Metrics.auroc(scores, labels));
    assertThat(Metrics.auroc(d, b)).isEqualTo(Metrics.auroc(scores, labels));
    assertThat(Metrics.auroc(scores, b)).isEqualTo(Metrics.auroc(scores, labels));
    assertThat(Metrics.averagePrecision(d, b)).isEqualTo(Metrics.averagePrecision(scores, labels));
    assertThat(Metrics.fprAtTpr(d, b, 0.95)).isEqualTo(Metrics.fprAtTpr(scores, labels, 0.95));

    // Pixel AUROC over the same values split into "images" gives the same number.
    List<float[]> maps = new ArrayList<>();
    List<byte[]> masks = new ArrayList<>();
    for (int from = 0; from < scores.length; from += 7) {
      int to = Math.min(scores.length, from + 7);
      float[] m = new float[to - from];
      byte[] g = new byte[to - from];
      for (int i = from; i < to; i++) {
        m[i - from] = scores[i];
        g[i - from] = (byte) (labels[i] == 1 ? 255 : 0);
      }
      maps.add(m);
      masks.add(g);
    }
    assertThat(Metrics.pixelAuroc(maps, masks)).isCloseTo(auroc, within(TOL));
  }

  @Test
  void rocCurveIsSklearnRocCurveWithoutDroppedPoints() {
    // sklearn: roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], drop_intermediate=False)
    Metrics.RocCurve c = Metrics.rocCurve(new double[] {0.1, 0.4, 0.35, 0.8}, new int[] {0, 0, 1, 1});
    assertThat(c.thresholds()).containsExactly(Double.POSITIVE_INFINITY, 0.8, 0.4, 0.35, 0.1);
    assertThat(c.fpr()).containsExactly(0, 0, 0.5, 0.5, 1);
    assertThat(c.tpr()).containsExactly(0, 0.5, 0.5, 1, 1);
    assertThat(Metrics.auroc(new double[] {0.1, 0.4, 0.35, 0.8}, new int[] {0, 0, 1, 1}))
        .isEqualTo(0.75);
    assertThat(Metrics.averagePrecision(new double[] {0.1, 0.4, 0.35, 0.8}, new int[] {0, 0, 1, 1}))
        .isCloseTo(5.0 / 6.0, within(1e-15));
  }

  @Test
  void rocCurveOnGoldenTiesHasOnePointPerDistinctScore() {
    float[] scores = Npy.golden("metrics_ties_scores.npy").floats();
    int[] labels = Npy.golden("metrics_ties_labels.npy").ints();
    Metrics.RocCurve c = Metrics.rocCurve(scores, labels);
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
    assertThat(Metrics.auroc(new double[] {1, 1}, new int[] {0, 1})).isEqualTo(0.5);
    assertThat(Metrics.auroc(new double[] {0.0, -0.0, 1}, new int[] {0, 1, 1})).isEqualTo(0.75);
    assertThat(Metrics.auroc(new double[] {1, 0}, new int[] {0, 1})).isEqualTo(0.0);
  }

  @Test
  void f1OptimalThreshold() {
    // thresholds 0.8 -> F1 2/3, 0.4 -> 1/2, 0.35 -> 4/5, 0.1 -> 2/3
    Metrics.F1Threshold f =
        Metrics.f1OptimalThreshold(new double[] {0.1, 0.4, 0.35, 0.8}, new int[] {0, 0, 1, 1});
    assertThat(f.threshold()).isEqualTo(0.35);
    assertThat(f.f1()).isCloseTo(0.8, within(1e-15));
    // Ties: F1 is 2/3 at 0.9 (tp 1, fp 0) and at 0.5 (tp 2, fp 2); the lower threshold wins.
    Metrics.F1Threshold tie = Metrics.f1OptimalThreshold(
        new float[] {0.9f, 0.5f, 0.5f, 0.5f}, new boolean[] {true, true, false, false});
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
    Metrics.F1Threshold sep = Metrics.f1OptimalThreshold(s, y);
    assertThat(sep.f1()).isEqualTo(1.0);
    assertThat(sep.threshold()).isEqualTo((double) minPositive);
  }

  @Test
  void fprAtTprEdges() {
    double[] s = {0.1, 0.4, 0.35, 0.8};
    int[] y = {0, 0, 1, 1};
    assertThat(Metrics.fprAtTpr(s, y, 0.0)).isEqualTo(0.0);
    assertThat(Metrics.fprAtTpr(s, y, 0.5)).isEqualTo(0.0);
    assertThat(Metrics.fprAtTpr(s, y, 1.0)).isEqualTo(0.5);
    assertThatThrownBy(() -> Metrics.fprAtTpr(s, y, 1.5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1.5");
  }

  @Test
  void singleClassIsRejectedWithCounts() {
    assertThatThrownBy(() -> Metrics.auroc(new double[] {0.1, 0.2, 0.3}, new int[] {0, 0, 0}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0 positive").hasMessageContaining("3 negative");
    assertThatThrownBy(() -> Metrics.auroc(new float[] {0.1f, 0.2f}, new boolean[] {true, true}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2 positive").hasMessageContaining("0 negative");
    assertThatThrownBy(() -> Metrics.averagePrecision(new double[] {0.1}, new int[] {0}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 positive");
    assertThatThrownBy(() -> Metrics.pixelAuroc(List.of(new float[] {1, 2}), List.of(new byte[2])))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 negative");
    // AP is defined without negatives (sklearn gives 1).
    assertThat(Metrics.averagePrecision(new double[] {0.1, 0.5}, new int[] {1, 1})).isEqualTo(1.0);
  }

  @Test
  void mismatchedLengthsAreRejectedWithBothLengths() {
    assertThatThrownBy(() -> Metrics.auroc(new double[200], new int[199]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("200").hasMessageContaining("199");
    assertThatThrownBy(() -> Metrics.pixelAuroc(List.of(new float[10]), List.of(new byte[9])))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("10").hasMessageContaining("9");
    assertThatThrownBy(() -> Metrics.pixelAuroc(List.of(new float[10]), List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 maps").hasMessageContaining("0 masks");
  }

  @Test
  void nanScoresAndBadLabelsAreRejected() {
    assertThatThrownBy(() -> Metrics.auroc(new double[] {0.1, Double.NaN}, new int[] {0, 1}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scores[1] is NaN");
    assertThatThrownBy(() -> Metrics.averagePrecision(new float[] {Float.NaN}, new int[] {1}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scores[0] is NaN");
    assertThatThrownBy(() -> Metrics.pixelAuroc(List.of(new float[] {0, Float.NaN}),
        List.of(new byte[] {0, 1})))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maps[0][1] is NaN");
    assertThatThrownBy(() -> Metrics.auroc(new double[] {0.1, 0.2}, new int[] {0, 2}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("labels[1] is 2");
  }

  @Test
  void pixelAurocHandlesMillionsOfPixels() {
    // 100 maps of 224x224 (5,017,600 pixels). Normal pixels ~ U(0,1), anomalous ~ U(0.5,1.5):
    // P(anomalous > normal) = 7/8.
    Random r = new Random(7);
    List<float[]> maps = new ArrayList<>();
    List<byte[]> masks = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      float[] m = new float[224 * 224];
      byte[] g = new byte[224 * 224];
      for (int p = 0; p < m.length; p++) {
        boolean anomalous = r.nextInt(10) == 0;
        g[p] = (byte) (anomalous ? 1 : 0);
        m[p] = r.nextFloat() + (anomalous ? 0.5f : 0f);
      }
      maps.add(m);
      masks.add(g);
    }
    long t0 = System.nanoTime();
    double auc = Metrics.pixelAuroc(maps, masks);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(auc).isCloseTo(0.875, within(3e-3));
    assertThat(ms).as("pixel AUROC of 5M pixels took %d ms", ms).isLessThan(20_000);
  }

  // ---------------------------------------------------------------------------------------------
  // AUPRO: values from the manifest (identical to anomalib's aupro_reference.py)
  // ---------------------------------------------------------------------------------------------

  @ParameterizedTest
  @CsvSource({
      "A_4defect_continuous,   15571, 0.9071683944628123, 0.9111884107827011, 0.9120971609824893",
      "B_4defect_2normal_ties, 23763, 0.8996332748248209, 0.9040907945602683, 0.9046188094897744"})
  void auproMatchesReference(String tag, int numOk, double nt100, double ntAll, double wrong4) {
    String stem = "aupro_" + tag;
    Npy mapsNpy = Npy.golden(stem + "_maps.npy");
    int[] shape = mapsNpy.shape();
    int h = shape[1];
    int w = shape[2];
    List<float[]> maps = split(mapsNpy.floats(), shape[0], w * h);
    List<byte[]> masks = new ArrayList<>();
    int[] g = Npy.golden(stem + "_masks.npy").ints();
    int ok = 0;
    for (int i = 0; i < shape[0]; i++) {
      byte[] m = new byte[w * h];
      for (int p = 0; p < m.length; p++) {
        m[p] = (byte) g[i * m.length + p];
        ok += m[p] == 0 ? 1 : 0;
      }
      masks.add(m);
    }
    assertThat(ok).isEqualTo(numOk);

    assertThat(Metrics.aupro(maps, masks, w, h)).isCloseTo(nt100, within(TOL));
    assertThat(Metrics.aupro(maps, masks, w, h, 0.3, 100)).isCloseTo(nt100, within(TOL));
    assertThat(Metrics.aupro(maps, masks, w, h, 0.3, numOk)).isCloseTo(ntAll, within(TOL));

    Metrics.ProCurve curve = Metrics.proCurve(maps, masks, w, h, 100);
    double[] fpr = Npy.golden(stem + "_curve_fpr.npy").doubles();
    double[] pro = Npy.golden(stem + "_curve_pro.npy").doubles();
    assertThat(curve.fpr()).containsExactly(fpr, within(1e-12));
    assertThat(curve.pro()).containsExactly(pro, within(1e-12));
    assertThat(curve.normalizedAuc(0.3)).isCloseTo(nt100, within(TOL));

    // Regions are 8-connected: 4-connectivity would split the corner-touching squares.
    int comps8 = 0;
    int comps4 = 0;
    for (byte[] m : masks) {
      comps8 += Metrics.countComponents(m, w, h, true);
      comps4 += Metrics.countComponents(m, w, h, false);
    }
    assertThat(comps8).isEqualTo(8);
    assertThat(comps4).isEqualTo(9);
    double four = Metrics.proCurve(maps, masks, w, h, 100, false).normalizedAuc(0.3);
    assertThat(four).isCloseTo(wrong4, within(TOL));
    assertThat(Math.abs(Metrics.aupro(maps, masks, w, h) - wrong4)).isGreaterThan(1e-4);
  }

  @Test
  void auproInputErrors() {
    List<float[]> maps = List.of(new float[4]);
    List<byte[]> noDefect = List.of(new byte[4]);
    assertThatThrownBy(() -> Metrics.aupro(maps, noDefect, 2, 2))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 anomalous");
    assertThatThrownBy(() -> Metrics.aupro(maps, List.of(new byte[] {1, 0, 0, 0}), 3, 2))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3x2");
    assertThatThrownBy(() -> Metrics.aupro(maps, List.of(new byte[] {1, 0, 0, 0}), 2, 2, 0, 100))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 0.0");
    assertThatThrownBy(() -> Metrics.aupro(List.of(new float[] {0, 0, 0, Float.NaN}),
        List.of(new byte[] {1, 0, 0, 0}), 2, 2))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maps[0][3] is NaN");
  }

  @Test
  void auproOfPerfectMapIsOne() {
    // Defect pixels score above every normal pixel: PRO is 1 at every threshold below the top.
    float[] m = {0.1f, 0.2f, 0.9f, 0.3f, 0.95f, 0.4f};
    byte[] g = {0, 0, 1, 0, 1, 0};
    assertThat(Metrics.aupro(List.of(m), List.of(g), 3, 2, 1.0, 4)).isEqualTo(1.0);
  }

  private static List<float[]> split(float[] all, int n, int size) {
    List<float[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] m = new float[size];
      System.arraycopy(all, i * size, m, 0, size);
      out.add(m);
    }
    return out;
  }

  private static double[] toDouble(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i];
    }
    return d;
  }

  private static boolean[] toBoolean(int[] v) {
    boolean[] b = new boolean[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = v[i] == 1;
    }
    return b;
  }
}
