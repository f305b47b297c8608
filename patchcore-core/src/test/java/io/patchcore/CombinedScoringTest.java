package io.patchcore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.patchcore.feature.FeatureMap;
import io.patchcore.feature.FeatureMaps;
import io.patchcore.internal.feature.GlobalDescriptor;
import io.patchcore.sampling.Samplers;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link ImageScoring#COMBINED} and {@link Explanation}: the patch component is the MAX score bit
 * for bit, the global component catches images whose patches each look normal while the whole does
 * not, the calibration is held out and stored, and explanations point at the right training patch.
 */
class CombinedScoringTest {
  static final int C = 8;
  static final int H = 6;
  static final int W = 6;

  /** Patches of type A (channel 0 high) or B (channel 1 high), with a little noise. */
  static float[] patch(SplittableRandom r, boolean a) {
    float[] v = new float[C];
    for (int c = 0; c < C; c++) {
      v[c] = (float) (0.1 * r.nextGaussian());
    }
    v[a ? 0 : 1] += 3f;
    return v;
  }

  /** A normal image mixes A and B patches half and half; an anomaly has only A patches. */
  static FeatureMaps image(SplittableRandom r, boolean anomaly) {
    boolean[] types = new boolean[H * W];
    for (int i = 0; i < types.length; i++) {
      types[i] = anomaly || i % 2 == 0;
    }
    for (int i = types.length - 1; i > 0; i--) { // shuffle positions
      int j = r.nextInt(i + 1);
      boolean t = types[i];
      types[i] = types[j];
      types[j] = t;
    }
    float[] chw = new float[C * H * W];
    for (int p = 0; p < H * W; p++) {
      float[] v = patch(r, types[p]);
      for (int c = 0; c < C; c++) {
        chw[c * H * W + p] = v[c];
      }
    }
    return new FeatureMaps(H, W, List.of(new FeatureMap("f", C, H, W, chw)));
  }

  static List<FeatureMaps> images(long seed, int n) {
    SplittableRandom r = new SplittableRandom(seed);
    List<FeatureMaps> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(image(r, false));
    }
    return out;
  }

  static PatchCore.Builder config(ImageScoring scoring) {
    return PatchCore.builder().patchSize(1).pretrainDimension(C).targetDimension(C).anomalyMapSigma(0)
        .sampler(Samplers.approximateGreedy(0.5, 4, 1)).seed(7).threads(1).imageScoring(scoring);
  }

  @Test
  void patchComponent_isTheMaxScoreBitForBit_andTheScoreIsTheMeanOfNormalisedParts() {
    List<FeatureMaps> train = images(1, 20);
    try (PatchCoreModel max = config(ImageScoring.MAX).build().fitFeatures(train);
        PatchCoreModel combined = config(ImageScoring.COMBINED).build().fitFeatures(train)) {
      assertThat(combined.memoryBank()).containsExactly(max.memoryBank());
      for (FeatureMaps test : images(2, 5)) {
        AnomalyResult a = max.scoreFeatures(test);
        AnomalyResult b = combined.scoreFeatures(test);
        Explanation.Component patchMax = b.explanation().components().get("patchMax");
        assertThat(patchMax.raw()).isEqualTo(a.score());
        assertThat(b.patchScores()).isEqualTo(a.patchScores());
        assertThat(b.explanation().components()).containsOnlyKeys("patchMax", "patchTopMean", "global");
        CombinedScoring.Weights w = combined.combined().weights();
        Map<String, Explanation.Component> parts = b.explanation().components();
        double mean = (w.patchMax() * parts.get("patchMax").normalised()
            + w.patchTopMean() * parts.get("patchTopMean").normalised()
            + w.global() * parts.get("global").normalised()) / (w.patchMax() + w.patchTopMean() + w.global());
        assertThat(b.score()).isCloseTo(mean, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(a.explanation().components()).isEmpty();
      }
    }
  }

  @Test
  void globalComponent_catchesAnImageWhosePatchesEachLookNormal() {
    List<FeatureMaps> train = images(3, 20);
    SplittableRandom r = new SplittableRandom(4);
    List<FeatureMaps> normals = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      normals.add(image(r, false));
    }
    FeatureMaps anomaly = image(r, true);
    try (PatchCoreModel max = config(ImageScoring.MAX).build().fitFeatures(train);
        PatchCoreModel combined = config(ImageScoring.COMBINED).build().fitFeatures(train)) {
      double worstNormalMax = normals.stream().mapToDouble(m -> max.scoreFeatures(m).score()).max().orElseThrow();
      double worstNormalCombined =
          normals.stream().mapToDouble(m -> combined.scoreFeatures(m).score()).max().orElseThrow();
      assertThat(max.scoreFeatures(anomaly).score()).as("MAX cannot tell").isLessThan(worstNormalMax);
      AnomalyResult a = combined.scoreFeatures(anomaly);
      assertThat(a.score()).as("COMBINED can").isGreaterThan(worstNormalCombined + 1);
      assertThat(a.explanation().components().get("global").normalised()).isGreaterThan(10);
    }
  }

  @Test
  void calibration_isHeldOutDeterministicAndSaved() throws IOException {
    List<FeatureMaps> train = images(5, 12);
    PatchCore c = PatchCore.builder().patchSize(1).pretrainDimension(C).targetDimension(C).anomalyMapSigma(0)
        .sampler(Samplers.identity()).threads(1).imageScoring(ImageScoring.COMBINED).build();
    try (PatchCoreModel a = c.fitFeatures(train); PatchCoreModel b = c.fitFeatures(train)) {
      assertThat(a.combined()).isEqualTo(b.combined());
      assertThat(a.combined().calibrationImages()).isEqualTo(12);
      // held out: a training image scored normally finds itself (patch distance 0); its calibration
      // score left itself out, so the calibration median of patchMax is well above 0
      assertThat(a.scoreFeatures(train.get(0)).explanation().components().get("patchMax").raw()).isZero();
      assertThat(a.combined().patchMax().median()).isGreaterThan(0.01);
      assertThat(a.combined().global().median()).isGreaterThan(0);
      byte[] file = ModelFileTest.bytesOf(a);
      assertThat(ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getInt(8)).isEqualTo(2);
      try (PatchCoreModel loaded = ModelFile.read(file, "combined", null)) {
        assertThat(loaded.combined()).isEqualTo(a.combined());
        assertThat(loaded.configuration().imageScoring()).isEqualTo(ImageScoring.COMBINED);
        for (FeatureMaps test : images(6, 3)) {
          AnomalyResult x = a.scoreFeatures(test);
          AnomalyResult y = loaded.scoreFeatures(test);
          assertThat(y.score()).isEqualTo(x.score());
          assertThat(y.explanation()).isEqualTo(x.explanation());
        }
      }
    }
  }

  @Test
  void leaveOneOut_skipsTheImagesOwnRows_evenWhenItHoldsManyBankRows() {
    // identity sampler: each image holds all 36 of its rows; k = 3 and a small first try force the
    // exhaustive fallback for some patches, which must agree with a plain loop
    List<FeatureMaps> train = images(8, 4);
    try (PatchCoreModel m = PatchCore.builder().patchSize(1).pretrainDimension(C).targetDimension(C)
        .anomalyMapSigma(0).sampler(Samplers.identity()).neighbours(3).threads(1).imageScoring(ImageScoring.COMBINED)
        .build().fitFeatures(train)) {
      float[] bank = m.bank();
      Provenance p = m.provenance();
      int[] starts = {0, 36, 72, 108, 144};
      io.patchcore.sampling.FeatureRows rows = io.patchcore.sampling.FeatureRows.of(bank, 144, C);
      for (int[] tries : new int[][] {{16, 256}, {0, 2}, {}}) {
      Calibrator cal = new Calibrator(m, rows, starts, tries);
      for (int image = 0; image < 4; image++) {
        float[] got = cal.leaveOneOutPatchScores(image, null);
        for (int q = 0; q < 36; q++) {
          double[] d = new double[144];
          for (int row = 0; row < 144; row++) {
            d[row] = p.imageOf(row) == image ? Double.POSITIVE_INFINITY
                : (float) io.patchcore.internal.knn.SearchSteps.exactSquared(bank, (starts[image] + q) * C, bank,
                    row * C, C);
          }
          Arrays.sort(d);
          float expected = (float) ((d[0] + d[1] + d[2]) / 3);
          assertThat((double) got[q]).as("tries %s image %d patch %d", Arrays.toString(tries), image, q)
              .isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-5 * Math.max(1, expected)));
        }
      }
      }
    }
  }

  @Test
  void weights_areValidatedStoredAndUsed() throws IOException {
    assertThatThrownBy(() -> PatchCore.builder().combinedWeights(1, 1, 1).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("needs imageScoring(COMBINED), got MAX");
    assertThatThrownBy(() -> PatchCore.builder().combinedWeights(1, -1, 1)).hasMessageContaining("-1.0");
    assertThatThrownBy(() -> PatchCore.builder().combinedWeights(0, 0, 0)).hasMessageContaining("all be 0");
    assertThatThrownBy(() -> PatchCore.builder().combinedWeights(1, Double.NaN, 1)).hasMessageContaining("NaN");
    assertThat(config(ImageScoring.COMBINED).combinedWeights(1, 0, 0.5).build().toString())
        .contains("scoring=COMBINED(weights=1.0,0.0,0.5)");
    assertThat(config(ImageScoring.COMBINED).build().toString()).contains("scoring=COMBINED(weights=0.25,0.0,1.0)");
    List<FeatureMaps> train = images(13, 6);
    try (PatchCoreModel d = config(ImageScoring.COMBINED).build().fitFeatures(train);
        PatchCoreModel patchOnly = config(ImageScoring.COMBINED).combinedWeights(1, 0, 0).build().fitFeatures(train)) {
      assertThat(d.combined().weights()).isEqualTo(CombinedScoring.DEFAULT_WEIGHTS);
      assertThat(patchOnly.combined().weights()).isEqualTo(new CombinedScoring.Weights(1, 0, 0));
      FeatureMaps test = images(14, 1).get(0);
      AnomalyResult r = patchOnly.scoreFeatures(test);
      assertThat(r.score()).isEqualTo(r.explanation().components().get("patchMax").normalised());
      try (PatchCoreModel loaded = ModelFile.read(ModelFileTest.bytesOf(patchOnly), "w", null)) {
        assertThat(loaded.combined().weights()).isEqualTo(new CombinedScoring.Weights(1, 0, 0));
        assertThat(loaded.scoreFeatures(test).score()).isEqualTo(r.score());
      }
    }
  }

  @Test
  void nearest_isAscendingWithTiesToTheLowerIndex_andSkipsExcluded() {
    double inf = Double.POSITIVE_INFINITY;
    assertThat(Provenance.nearest(new double[] {3, 1, inf, 1, 0.5, 1}, 3)).containsExactly(4, 1, 3);
    assertThat(Provenance.nearest(new double[] {inf, 2}, 5)).containsExactly(1);
    assertThat(Provenance.nearest(new double[] {2, 2, 2}, 2)).containsExactly(0, 1);
    assertThat(Provenance.meanOfNearest(new double[] {4, inf, 1, 2}, 2)).isEqualTo(1.5);
  }

  @Test
  void combined_needsThreeTrainingImages() {
    assertThatThrownBy(() -> config(ImageScoring.COMBINED).build().fitFeatures(images(9, 2)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 3 training images").hasMessageEndingWith("got 2");
  }

  @Test
  void explanation_pointsAtTheTrainingPatch_andTheNearestTrainingImages() throws IOException {
    List<FeatureMaps> train = images(10, 6);
    try (PatchCoreModel m = PatchCore.builder().patchSize(1).pretrainDimension(C).targetDimension(C)
        .anomalyMapSigma(0).sampler(Samplers.identity()).threads(1).build().fitFeatures(train)) {
      // a copy of training image 4 with one patch replaced by a far-away vector: the worst patch is
      // that one; every other patch is its own nearest bank row
      FeatureMaps source = train.get(4);
      float[] chw = source.layer("f").toArray();
      int row = 2;
      int col = 3;
      for (int c = 0; c < C; c++) {
        chw[c * H * W + row * W + col] = c == 5 ? 9f : 0f;
      }
      FeatureMaps test = new FeatureMaps(H, W, List.of(new FeatureMap("f", C, H, W, chw)));
      Explanation e = m.scoreFeatures(test).explanation();
      assertThat(e.worstPatchRow()).isEqualTo(row);
      assertThat(e.worstPatchColumn()).isEqualTo(col);
      assertThat(e.nearestTrainingPatch()).isPresent();
      assertThat(e.nearestTrainingImages()).hasSize(3);
      assertThat(e.nearestTrainingPatch().orElseThrow().distance()).isEqualTo(e.worstPatchScore());

      // an unchanged training image: its worst patch's nearest bank row is that very patch, at 0
      Explanation self = m.scoreFeatures(train.get(2)).explanation();
      Explanation.TrainingPatch tp = self.nearestTrainingPatch().orElseThrow();
      assertThat(tp.image()).isEqualTo(2);
      assertThat(tp.label()).isEqualTo("image 2");
      assertThat(new int[] {tp.row(), tp.column()}).containsExactly(self.worstPatchRow(), self.worstPatchColumn());
      assertThat(tp.distance()).isZero();
      assertThat(tp.gridHeight()).isEqualTo(H);
      assertThat(self.nearestTrainingImages().get(0).distance()).isZero();
      assertThat(self.nearestTrainingImages().get(0).image()).isEqualTo(2);
      try (PatchCoreModel loaded = ModelFile.read(ModelFileTest.bytesOf(m), "m", null)) {
        assertThat(loaded.scoreFeatures(test).explanation()).isEqualTo(e);
      }
    }
  }

  @Test
  void modelsWithoutProvenance_explainOnlyTheWorstPatch() throws IOException {
    try (PatchCoreModel v1 = ModelFileTest.tinyV1();
        PatchCoreModel loaded = ModelFile.read(ModelFileTest.bytesOf(v1), "v1", null)) {
      FeatureMaps maps = new FeatureMaps(5, 5, List.of(new FeatureMap("f", 8, 5, 5, new float[200])));
      Explanation e = loaded.scoreFeatures(maps).explanation();
      assertThat(e.nearestTrainingPatch()).isEmpty();
      assertThat(e.nearestTrainingImages()).isEmpty();
      assertThat(e.components()).isEmpty();
    }
  }

  @Test
  void damagedProvenance_isRejectedNamingTheValue() throws IOException {
    byte[] f;
    try (PatchCoreModel m = config(ImageScoring.COMBINED).build().fitFeatures(images(11, 4))) {
      f = ModelFileTest.bytesOf(m);
    }
    String h = ModelFileTest.headerText(f);
    int headerEnd = 16 + ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).getInt(12);
    int bankRows = Integer.parseInt(h.replaceAll("(?s).*\"rows\" : (\\d+).*", "$1"));
    // first origin (image of bank row 0) -> 99
    byte[] badOrigin = f.clone();
    ByteBuffer.wrap(badOrigin).order(ByteOrder.LITTLE_ENDIAN).putInt(headerEnd + bankRows * C * 4, 99);
    assertThat(ModelFileTest.messageOf(ModelFileTest.withChecksum(badOrigin), null))
        .contains("memory-bank row 0 comes from training image 99");
    // a calibration scale of 0
    String zero = h.replaceFirst("(\"patchMax\" : \\{\\s*\"median\" : [^,]+,\\s*\"scale\" : )[^\\s}]+", "$10.0");
    assertThat(zero).isNotEqualTo(h);
    assertThat(ModelFileTest.messageOf(ModelFileTest.withHeader(f, zero, true), null)).contains("scale", "0.0");
    // negative weight
    String negative = h.replaceFirst("(\"weights\" : \\{\\s*\"patchMax\" : )[^,]+", "$1-1.0");
    assertThat(negative).isNotEqualTo(h);
    assertThat(ModelFileTest.messageOf(ModelFileTest.withHeader(f, negative, true), null)).contains("patchMax", "-1.0");
    // an unknown descriptor
    String descriptor = h.replaceFirst("\"descriptor\" : \"[^\"]+\"", "\"descriptor\" : \"median\"");
    assertThat(descriptor).isNotEqualTo(h);
    assertThat(ModelFileTest.messageOf(ModelFileTest.withHeader(f, descriptor, true), null))
        .contains("'provenance.descriptor'", "median");
    // COMBINED without its calibration
    String noCombined = h.replace("\"combined\"", "\"combinedX\"");
    assertThat(ModelFileTest.messageOf(ModelFileTest.withHeader(f, noCombined, true), null)).contains("'combined'");
    assertThat(h.getBytes(StandardCharsets.UTF_8).length).isLessThan(4000);
  }

  @Test
  void labelledAndPathFits_nameTheTrainingImages() {
    // feature maps through a backbone that ignores the image: labels come from the items
    List<FeatureMaps> maps = images(12, 4);
    io.patchcore.feature.FeatureExtractor bb = new io.patchcore.feature.FeatureExtractor() {
      @Override
      public FeatureMaps extract(java.awt.image.BufferedImage image) {
        return maps.get(image.getWidth() - 1);
      }

      @Override
      public String id() {
        return "fake";
      }

      @Override
      public List<String> layerNames() {
        return List.of("f");
      }

      @Override
      public Map<String, String> configuration() {
        return Map.of();
      }

      @Override
      public void close() {}
    };
    List<PatchCore.LabelledImage> items = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      items.add(new PatchCore.LabelledImage("tiles/t" + i + ".png",
          new java.awt.image.BufferedImage(i + 1, 1, java.awt.image.BufferedImage.TYPE_INT_RGB)));
    }
    try (PatchCoreModel m = PatchCore.builder().backbone(bb).patchSize(1).pretrainDimension(C).targetDimension(C)
        .sampler(Samplers.identity()).threads(1).build().fitLabelled(items)) {
      Explanation e = m.scoreFeatures(maps.get(3)).explanation();
      assertThat(e.nearestTrainingPatch().orElseThrow().label()).isEqualTo("tiles/t3.png");
      assertThat(e.nearestTrainingImages().get(0).label()).isEqualTo("tiles/t3.png");
    }
    assertThatThrownBy(() -> new PatchCore.LabelledImage(" ", new java.awt.image.BufferedImage(1, 1, 1)))
        .hasMessageContaining("blank");
  }

  @Test
  void globalDescriptor_isUnitBlocksOfMeanAndStd() {
    float[] chw = {1, 1, 1, 1, /* channel 1 */ 0, 2, 0, 2};
    FeatureMaps maps = new FeatureMaps(2, 2, List.of(new FeatureMap("f", 2, 2, 2, chw)));
    float[] d = GlobalDescriptor.parse("mean,std").describe(maps, List.of("f"));
    // means (1, 1) -> (0.7071, 0.7071); stds (0, 1) -> (0, 1)
    assertThat(d).containsExactly(new float[] {0.70710677f, 0.70710677f, 0f, 1f},
        org.assertj.core.data.Offset.offset(1e-6f));
    // grid2 on a 2x2 map: each cell is one position -> (1, 0), (1, 2), (1, 0), (1, 2), unit
    float[] g = GlobalDescriptor.parse("mean,grid2").describe(maps, List.of("f"));
    float r = 0.70710677f;
    assertThat(g).containsExactly(new float[] {r, r, 1, 0, 0.4472136f, 0.8944272f, 1, 0, 0.4472136f, 0.8944272f},
        org.assertj.core.data.Offset.offset(1e-6f));
    // grid3 on a 2x2 map: cells never empty
    assertThat(GlobalDescriptor.parse("mean,grid3").describe(maps, List.of("f"))).hasSize(2 + 9 * 2);
    assertThatThrownBy(() -> GlobalDescriptor.parse("std,mean")).hasMessageContaining("'std,mean'");
    assertThatThrownBy(() -> GlobalDescriptor.parse("mean,grid4,grid2")).hasMessageContaining("grid2");
    assertThatThrownBy(() -> GlobalDescriptor.parse("mean,grid17")).hasMessageContaining("grid17");
  }
}
