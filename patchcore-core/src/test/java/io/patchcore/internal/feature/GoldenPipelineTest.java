package io.patchcore.internal.feature;

import static io.patchcore.testing.Close.assertClose;
import static org.assertj.core.api.Assertions.assertThat;

import io.patchcore.feature.FeatureMap;
import io.patchcore.feature.FeatureMaps;
import io.patchcore.testing.Npy;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every stage of the feature pipeline against ../shared/golden (copied to test resources). */
class GoldenPipelineTest {

  /** Image b of a (B, C, H, W) array as CHW floats. */
  static float[] image(Npy npy, int b) {
    int[] s = npy.shape();
    int per = s[1] * s[2] * s[3];
    return Arrays.copyOfRange(npy.floats(), b * per, (b + 1) * per);
  }

  @ParameterizedTest(name = "patchify {0} p={1} s={2}")
  @CsvSource({
      "patchify_in_2x3x7x6.npy, 3, 1, patchify_out_p3_s1.npy",
      "patchify_in_2x3x7x6.npy, 5, 2, patchify_out_p5_s2.npy",
      "patchify_in_2x3x7x6.npy, 1, 1, patchify_out_p1_s1.npy",
      "patchify_in_1x2x8x10.npy, 5, 2, patchify_out_p5_s2_8x10.npy"})
  void patchify_matchesUnfoldBitExactly(String input, int p, int s, String output) {
    Npy in = Npy.golden(input);
    int[] shape = in.shape();
    float[] expected = Npy.golden(output).floats();
    int per = expected.length / shape[0];
    for (int b = 0; b < shape[0]; b++) {
      float[] got = Patches.patchify(image(in, b), shape[1], shape[2], shape[3], p, s);
      assertThat(got).containsExactly(Arrays.copyOfRange(expected, b * per, (b + 1) * per));
    }
  }

  @ParameterizedTest(name = "bilinear {0}")
  @CsvSource({"6x5_to_12x10, 6, 5, 12, 10", "4x4_to_7x7, 4, 4, 7, 7", "5x3_to_13x7, 5, 3, 13, 7"})
  void bilinear_singlePlane(String name, int hi, int wi, int ho, int wo) {
    float[] in = Npy.golden("bilinear_" + name + "_in.npy").floats();
    float[] expected = Npy.golden("bilinear_" + name + "_out.npy").floats();
    assertClose(Bilinear.resize(in, hi, wi, 1, ho, wo), expected, 2.5e-7, 0, name);
  }

  @ParameterizedTest(name = "align {0}")
  @CsvSource({"6x5_to_12x10, 6, 5, 12, 10", "4x4_to_7x7, 4, 4, 7, 7"})
  void align_deeperLayerPatchesToFirstGrid(String name, int h2, int w2, int h1, int w1) {
    Npy map = Npy.golden("align_" + name + "_map.npy");
    Npy patches = Npy.golden("align_" + name + "_patches.npy");
    float[] expected = Npy.golden("align_" + name + "_out.npy").floats();
    int[] s = patches.shape();
    int len = s[2] * s[3] * s[4];
    int[] ms = map.shape();
    for (int b = 0; b < s[0]; b++) {
      float[] mine = Patches.patchify(image(map, b), ms[1], ms[2], ms[3], 3, 1);
      float[] given = Arrays.copyOfRange(patches.floats(), b * h2 * w2 * len, (b + 1) * h2 * w2 * len);
      assertThat(mine).containsExactly(given);
      float[] aligned = Bilinear.resize(given, h2, w2, len, h1, w1);
      assertClose(aligned, Arrays.copyOfRange(expected, b * h1 * w1 * len, (b + 1) * h1 * w1 * len), 1e-6, 0,
          name + " image " + b);
    }
  }

  @ParameterizedTest(name = "adaptive_avg_pool1d {0} -> {1}")
  @CsvSource({"72, 20", "144, 20", "40, 12", "10, 4", "5, 8", "1728, 256", "3456, 256", "512, 256"})
  void adaptivePool_nonDivisibleLengths(int lin, int dout) {
    Npy in = Npy.golden("aap1d_" + lin + "_to_" + dout + "_in.npy");
    float[] expected = Npy.golden("aap1d_" + lin + "_to_" + dout + "_out.npy").floats();
    float[] got = new AdaptivePool(lin, dout).applyRows(in.floats(), in.shape()[0]);
    assertClose(got, expected, 1e-6, 1e-6, lin + "->" + dout);
  }

  @Test
  void aggregator_oddTargetStraddlesLayerBoundary() {
    float[] pre = Npy.golden("e2e_p3_s1_preprocessed.npy").floats();
    float[] expected = Npy.golden("aggregator_2x20_to_13_out.npy").floats();
    assertClose(new AdaptivePool(40, 13).applyRows(pre, 240), expected, 1e-6, 0, "aggregator 40->13");
  }

  @ParameterizedTest(name = "embed end to end p={0} s={1}")
  @CsvSource({"3, 1, p3_s1, 12, 10, 6, 5", "5, 2, p5_s2, 6, 5, 3, 3"})
  void embed_endToEnd(int p, int s, String tag, int g1h, int g1w, int g2h, int g2w) {
    Npy l1 = Npy.golden("e2e_layer1_map.npy");
    Npy l2 = Npy.golden("e2e_layer2_map.npy");
    float[] l1Patches = Npy.golden("e2e_" + tag + "_layer1_patches.npy").floats();
    float[] l2Patches = Npy.golden("e2e_" + tag + "_layer2_patches.npy").floats();
    float[] l2Aligned = Npy.golden("e2e_" + tag + "_layer2_aligned.npy").floats();
    float[] preprocessed = Npy.golden("e2e_" + tag + "_preprocessed.npy").floats();
    float[] features = Npy.golden("e2e_" + tag + "_features.npy").floats();
    Embedder embedder = new Embedder(List.of("l1", "l2"), p, s, 20, 12);
    int n1 = g1h * g1w;
    int len1 = 8 * p * p;
    int len2 = 16 * p * p;
    AdaptivePool pool1 = new AdaptivePool(len1, 20);
    AdaptivePool pool2 = new AdaptivePool(len2, 20);
    for (int b = 0; b < 2; b++) {
      // reference order, stage by stage: patchify, align the deeper layer, pool each layer
      float[] p1 = Patches.patchify(image(l1, b), 8, 12, 10, p, s);
      float[] p2 = Patches.patchify(image(l2, b), 16, 6, 5, p, s);
      assertThat(p1).containsExactly(Arrays.copyOfRange(l1Patches, b * n1 * len1, (b + 1) * n1 * len1));
      assertThat(p2).containsExactly(Arrays.copyOfRange(l2Patches, b * g2h * g2w * len2, (b + 1) * g2h * g2w * len2));
      float[] aligned = Bilinear.resize(p2, g2h, g2w, len2, g1h, g1w);
      assertClose(aligned, Arrays.copyOfRange(l2Aligned, b * n1 * len2, (b + 1) * n1 * len2), 1e-6, 0, "aligned");
      float[] pre1 = pool1.applyRows(p1, n1);
      float[] pre2 = pool2.applyRows(aligned, n1);
      for (int r = 0; r < n1; r++) {
        int row = b * n1 + r;
        assertClose(Arrays.copyOfRange(pre1, r * 20, r * 20 + 20),
            Arrays.copyOfRange(preprocessed, row * 40, row * 40 + 20), 1e-5, 1e-5, "preprocessed layer 1 row " + row);
        assertClose(Arrays.copyOfRange(pre2, r * 20, r * 20 + 20),
            Arrays.copyOfRange(preprocessed, row * 40 + 20, row * 40 + 40), 1e-5, 1e-5, "preprocessed layer 2 row " + row);
      }
      // the fused pipeline (pool before align) gives the same features
      FeatureMaps maps = new FeatureMaps(48, 40, List.of(
          new FeatureMap("l1", 8, 12, 10, image(l1, b)), new FeatureMap("l2", 16, 6, 5, image(l2, b))));
      Embedder.Embedding emb = embedder.embed(maps);
      assertThat(emb.gridH()).isEqualTo(g1h);
      assertThat(emb.gridW()).isEqualTo(g1w);
      assertClose(emb.data(), Arrays.copyOfRange(features, b * n1 * 12, (b + 1) * n1 * 12), 1e-5, 1e-5,
          "features image " + b);
    }
  }

  @ParameterizedTest(name = "anomaly map {0}")
  @CsvSource({"28x28_to_224x224, 28, 28, 224, 224", "14x10_to_112x80, 14, 10, 112, 80"})
  void anomalyMap_upsampleThenGaussian(String name, int h, int w, int ho, int wo) {
    float[] scores = Npy.golden("amap_" + name + "_scores.npy").floats();
    float[] upsampled = Npy.golden("amap_" + name + "_upsampled.npy").floats();
    float[] smoothed = Npy.golden("amap_" + name + "_smoothed.npy").floats();
    float[] up = Bilinear.resize(scores, h, w, 1, ho, wo);
    assertClose(up, upsampled, 1e-6, 1e-6, "upsampled");
    assertClose(new Gaussian(4, 4).blur(up, ho, wo), smoothed, 1e-5, 1e-5, "smoothed");
    // the bit-exact recipe: compare on the golden upsampled input
    assertClose(new Gaussian(4, 4).blur(upsampled, ho, wo), smoothed, 1e-7, 1e-6, "smoothed from golden input");
  }
}
