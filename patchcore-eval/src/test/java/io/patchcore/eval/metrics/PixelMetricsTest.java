package io.patchcore.eval.metrics;

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

class PixelMetricsTest {
  private static final double TOL = 1e-9;

  /** Pixel AUROC over the golden image scores split into "images" gives their image AUROC. */
  @ParameterizedTest
  @CsvSource({
      "random,    0.6865763546798029",
      "ties,      0.8473198692400699",
      "separated, 1.0"})
  void pixelAurocOfSplitScoresMatchesSklearn(String tag, double auroc) {
    float[] scores = Npy.golden("metrics_" + tag + "_scores.npy").floats();
    int[] labels = Npy.golden("metrics_" + tag + "_labels.npy").ints();
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
    assertThat(PixelMetrics.pixelAuroc(maps, masks)).isCloseTo(auroc, within(TOL));
  }

  @Test
  void singleClassIsRejectedWithCounts() {
    assertThatThrownBy(() -> PixelMetrics.pixelAuroc(List.of(new float[] {1, 2}), List.of(new byte[2])))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 negative");
  }

  @Test
  void mismatchedLengthsAreRejectedWithBothLengths() {
    assertThatThrownBy(() -> PixelMetrics.pixelAuroc(List.of(new float[10]), List.of(new byte[9])))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("10").hasMessageContaining("9");
    assertThatThrownBy(() -> PixelMetrics.pixelAuroc(List.of(new float[10]), List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 maps").hasMessageContaining("0 masks");
  }

  @Test
  void nanPixelsAreRejected() {
    assertThatThrownBy(() -> PixelMetrics.pixelAuroc(List.of(new float[] {0, Float.NaN}),
        List.of(new byte[] {0, 1})))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maps[0][1] is NaN");
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
    double auc = PixelMetrics.pixelAuroc(maps, masks);
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

    assertThat(PixelMetrics.aupro(maps, masks, w, h)).isCloseTo(nt100, within(TOL));
    assertThat(PixelMetrics.aupro(maps, masks, w, h, 0.3, 100)).isCloseTo(nt100, within(TOL));
    assertThat(PixelMetrics.aupro(maps, masks, w, h, 0.3, numOk)).isCloseTo(ntAll, within(TOL));

    ProCurve curve = PixelMetrics.proCurve(maps, masks, w, h, 100);
    double[] fpr = Npy.golden(stem + "_curve_fpr.npy").doubles();
    double[] pro = Npy.golden(stem + "_curve_pro.npy").doubles();
    assertThat(curve.fpr()).containsExactly(fpr, within(1e-12));
    assertThat(curve.pro()).containsExactly(pro, within(1e-12));
    assertThat(curve.normalizedAuc(0.3)).isCloseTo(nt100, within(TOL));

    // Regions are 8-connected: 4-connectivity would split the corner-touching squares.
    int comps8 = 0;
    int comps4 = 0;
    for (byte[] m : masks) {
      comps8 += Regions.count(m, w, h, true);
      comps4 += Regions.count(m, w, h, false);
    }
    assertThat(comps8).isEqualTo(8);
    assertThat(comps4).isEqualTo(9);
    double four = PixelMetrics.proCurve(maps, masks, w, h, 100, false).normalizedAuc(0.3);
    assertThat(four).isCloseTo(wrong4, within(TOL));
    assertThat(Math.abs(PixelMetrics.aupro(maps, masks, w, h) - wrong4)).isGreaterThan(1e-4);
  }

  @Test
  void auproInputErrors() {
    List<float[]> maps = List.of(new float[4]);
    List<byte[]> noDefect = List.of(new byte[4]);
    assertThatThrownBy(() -> PixelMetrics.aupro(maps, noDefect, 2, 2))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 anomalous");
    assertThatThrownBy(() -> PixelMetrics.aupro(maps, List.of(new byte[] {1, 0, 0, 0}), 3, 2))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3x2");
    assertThatThrownBy(() -> PixelMetrics.aupro(maps, List.of(new byte[] {1, 0, 0, 0}), 2, 2, 0, 100))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 0.0");
    assertThatThrownBy(() -> PixelMetrics.aupro(List.of(new float[] {0, 0, 0, Float.NaN}),
        List.of(new byte[] {1, 0, 0, 0}), 2, 2))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maps[0][3] is NaN");
  }

  @Test
  void auproOfPerfectMapIsOne() {
    // Defect pixels score above every normal pixel: PRO is 1 at every threshold below the top.
    float[] m = {0.1f, 0.2f, 0.9f, 0.3f, 0.95f, 0.4f};
    byte[] g = {0, 0, 1, 0, 1, 0};
    assertThat(PixelMetrics.aupro(List.of(m), List.of(g), 3, 2, 1.0, 4)).isEqualTo(1.0);
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
}
