package io.patchcore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.patchcore.feature.FeatureExtractor;
import io.patchcore.feature.FeatureMap;
import io.patchcore.feature.FeatureMaps;
import io.patchcore.sampling.Samplers;
import io.patchcore.testing.Close;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ensembles: calibration on held-out training images, the combination rule, persistence. */
class PatchCoreEnsembleTest {
  @TempDir
  Path dir;

  /**
   * A backbone with one layer "a" (4 x 6 x 6) of seeded random features. The seed is pixel (0,0);
   * pixel (1,0) carries a defect strength per backbone (red byte for {@code channel} 16, green for
   * 8), in tenths, added to every channel of the top-left 2 x 2 patches. All features are
   * multiplied by {@code gain}, so squared distances scale with gain squared.
   */
  static class Fake implements FeatureExtractor {
    private final String id;
    private final long salt;
    private final float gain;
    private final int channel;
    private final int inputSize;

    Fake(String id, long salt, double gain, int channel, int inputSize) {
      this.id = id;
      this.salt = salt;
      this.gain = (float) gain;
      this.channel = channel;
      this.inputSize = inputSize;
    }

    static Fake small() {
      return new Fake("small", 1, 1, 16, 12);
    }

    static Fake big() {
      return new Fake("big", 2, Math.sqrt(1000), 8, 12);
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public java.util.Map<String, String> configuration() {
      return java.util.Map.of("kind", "fake-" + id);
    }

    @Override
    public List<String> layerNames() {
      return List.of("a");
    }

    @Override
    public FeatureMaps extract(BufferedImage image) {
      long seed = image.getRGB(0, 0) & 0xffffff;
      float defect = ((image.getRGB(1, 0) >> channel) & 0xff) / 10f;
      SplittableRandom r = new SplittableRandom(seed * 31 + salt);
      float[] a = new float[4 * 6 * 6];
      for (int c = 0; c < 4; c++) {
        for (int y = 0; y < 6; y++) {
          for (int x = 0; x < 6; x++) {
            double g = 0;
            for (int k = 0; k < 12; k++) {
              g += r.nextDouble();
            }
            float v = (float) (g - 6) + (y < 2 && x < 2 ? defect : 0);
            a[(c * 6 + y) * 6 + x] = gain * v;
          }
        }
      }
      return new FeatureMaps(inputSize, inputSize, List.of(new FeatureMap("a", 4, 6, 6, a)));
    }

    @Override
    public void close() {}
  }

  /** A 12 x 12 image with feature seed {@code seed} and defects (tenths) for red/green backbones. */
  static BufferedImage image(int seed, int redDefect, int greenDefect) {
    BufferedImage im = new BufferedImage(12, 12, BufferedImage.TYPE_INT_RGB);
    im.setRGB(0, 0, seed & 0xffffff);
    im.setRGB(1, 0, (redDefect << 16) | (greenDefect << 8));
    return im;
  }

  static List<BufferedImage> normals(int from, int count) {
    List<BufferedImage> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(image(from + i, 0, 0));
    }
    return out;
  }

  static PatchCore member(FeatureExtractor backbone) {
    return PatchCore.builder().backbone(backbone).patchSize(1).pretrainDimension(4).targetDimension(4)
        .sampler(Samplers.identity()).anomalyMapSigma(1).seed(3).threads(1).build();
  }

  static List<PatchCore> twoMembers() {
    return List.of(member(Fake.small()), member(Fake.big()));
  }

  @Test
  void calibration_isTheMedianAndIqrOfHeldOutTrainingScores() {
    List<BufferedImage> training = normals(100, 20);
    try (PatchCoreEnsemble e = PatchCoreEnsemble.fit(twoMembers(), training, 0.25, 7)) {
      List<Integer> held = e.calibrationImages();
      assertThat(held).hasSize(5).isSorted().doesNotHaveDuplicates().allMatch(i -> i >= 0 && i < 20);
      List<BufferedImage> rest = new ArrayList<>();
      List<BufferedImage> heldImages = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        (held.contains(i) ? heldImages : rest).add(training.get(i));
      }
      for (int m = 0; m < 2; m++) {
        PatchCoreModel model = e.members().get(m);
        // identity sampler: the bank is exactly the 15 remaining images' 36 patches each
        assertThat(model.bankSize()).isEqualTo(15 * 36);
        // a bank image finds itself (distance 0); a held-out image cannot
        assertThat(model.score(rest.get(0)).score()).isZero();
        // an independent fit on the remaining images gives the same held-out scores
        double[] scores = new double[5];
        try (PatchCoreModel alone = member(m == 0 ? Fake.small() : Fake.big()).fit(rest)) {
          for (int j = 0; j < 5; j++) {
            scores[j] = alone.score(heldImages.get(j)).score();
            assertThat(scores[j]).isPositive().isEqualTo(model.score(heldImages.get(j)).score());
          }
        }
        Arrays.sort(scores);
        // n = 5: the quartiles fall exactly on order statistics 1, 2 and 3
        assertThat(e.calibrations().get(m).median()).isEqualTo(scores[2]);
        assertThat(e.calibrations().get(m).scale()).isCloseTo(scores[3] - scores[1], within(1e-12 * scores[3]));
      }
      // the big member's raw scores are 1000 times the small one's in scale
      double ratio = e.calibrations().get(1).median() / e.calibrations().get(0).median();
      assertThat(ratio).isBetween(100.0, 10000.0);
    }
  }

  @Test
  void calibrationOf_quantilesAndFallbacks() {
    PatchCoreEnsemble.Calibration c = PatchCoreEnsemble.Calibration.of(new double[] {4, 1, 3, 2});
    assertThat(c.median()).isEqualTo(2.5);
    assertThat(c.scale()).isEqualTo(3.25 - 1.75); // numpy percentile 75 - 25 of [1, 2, 3, 4]
    // interquartile range 0: population standard deviation (mean 1.8, variance 2.56)
    c = PatchCoreEnsemble.Calibration.of(new double[] {1, 1, 5, 1, 1});
    assertThat(c.median()).isEqualTo(1);
    assertThat(c.scale()).isCloseTo(1.6, within(1e-12));
    // no spread at all: scale 1
    c = PatchCoreEnsemble.Calibration.of(new double[] {7});
    assertThat(c.median()).isEqualTo(7);
    assertThat(c.scale()).isEqualTo(1);
    assertThat(PatchCoreEnsemble.Calibration.of(new double[] {3, 3}).scale()).isEqualTo(1);
    assertThat(new PatchCoreEnsemble.Calibration(2, 4).normalise(10)).isEqualTo(2);
    assertThatThrownBy(() -> new PatchCoreEnsemble.Calibration(0, 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got 0.0");
    assertThatThrownBy(() -> new PatchCoreEnsemble.Calibration(Double.NaN, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
  }

  @Test
  void score_isTheMeanOfNormalisedMemberScores_andMapsLikewise() {
    try (PatchCoreEnsemble e = PatchCoreEnsemble.fit(twoMembers(), normals(100, 20), 0.25, 7)) {
      for (BufferedImage im : List.of(image(500, 0, 0), image(501, 30, 0), image(502, 0, 30))) {
        EnsembleResult r = e.score(im);
        assertThat(r.members()).hasSize(2);
        double sum = 0;
        double[] map = new double[12 * 12];
        for (int m = 0; m < 2; m++) {
          AnomalyResult raw = e.members().get(m).score(im);
          assertThat(r.members().get(m)).isEqualTo(raw);
          PatchCoreEnsemble.Calibration c = e.calibrations().get(m);
          double normalised = (raw.score() - c.median()) / c.scale();
          assertThat(r.normalisedScores().get(m)).isCloseTo(normalised, within(1e-12 * (1 + Math.abs(normalised))));
          sum += normalised;
          float[] v = raw.map().toArray();
          for (int p = 0; p < v.length; p++) {
            map[p] += ((double) v[p] - c.median()) / c.scale() / 2;
          }
        }
        assertThat(r.score()).isCloseTo(sum / 2, within(1e-12 * (1 + Math.abs(sum))));
        assertThat(r.map()).isPresent();
        assertThat(r.map().get().height()).isEqualTo(12);
        float[] got = r.map().get().toArray();
        double[] gotD = new double[got.length];
        for (int p = 0; p < got.length; p++) {
          gotD[p] = got[p];
        }
        Close.assertClose(gotD, map, 1e-5, 1e-6, "ensemble map");
      }
    }
  }

  @Test
  void score_doesNotDependOnWhatElseIsScored() throws Exception {
    BufferedImage probe = image(700, 15, 0);
    List<BufferedImage> others = new ArrayList<>(normals(800, 5));
    others.add(image(900, 80, 80));
    try (PatchCoreEnsemble a = PatchCoreEnsemble.fit(twoMembers(), normals(100, 20), 0.25, 7);
        PatchCoreEnsemble b = PatchCoreEnsemble.fit(twoMembers(), normals(100, 20), 0.25, 7)) {
      EnsembleResult alone = a.score(probe);
      for (BufferedImage o : others) {
        b.score(o);
      }
      EnsembleResult afterOthers = b.score(probe);
      assertThat(afterOthers.score()).isEqualTo(alone.score());
      assertThat(afterOthers.map()).isEqualTo(alone.map());
      assertThat(a.score(probe)).isEqualTo(alone);
      // concurrent scoring of a mixed batch gives the same value too
      ExecutorService pool = Executors.newFixedThreadPool(3);
      try {
        List<Future<Double>> futures = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
          BufferedImage im = i % 2 == 0 ? probe : others.get(i);
          futures.add(pool.submit(() -> a.score(im).score()));
        }
        for (int i = 0; i < 6; i += 2) {
          assertThat(futures.get(i).get()).isEqualTo(alone.score());
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void fit_isDeterministicPerSeed() {
    List<BufferedImage> training = normals(100, 30);
    BufferedImage probe = image(600, 10, 10);
    try (PatchCoreEnsemble a = PatchCoreEnsemble.fit(twoMembers(), training, 0.2, 11);
        PatchCoreEnsemble b = PatchCoreEnsemble.fit(twoMembers(), training, 0.2, 11)) {
      assertThat(a.calibrationImages()).hasSize(6).isEqualTo(b.calibrationImages());
      assertThat(a.calibrations()).isEqualTo(b.calibrations());
      assertThat(a.score(probe)).isEqualTo(b.score(probe));
    }
    Set<List<Integer>> draws = new HashSet<>();
    for (long seed = 0; seed < 4; seed++) {
      draws.add(Arrays.stream(PatchCoreEnsemble.drawCalibrationImages(30, 6, seed)).boxed().toList());
      assertThat(PatchCoreEnsemble.drawCalibrationImages(30, 6, seed))
          .isEqualTo(PatchCoreEnsemble.drawCalibrationImages(30, 6, seed));
    }
    assertThat(draws).hasSizeGreaterThan(1);
  }

  @Test
  void aMemberWith1000xLargerScores_doesNotDominate() {
    try (PatchCoreEnsemble e = PatchCoreEnsemble.fit(twoMembers(), normals(100, 40), 0.25, 5)) {
      List<BufferedImage> normal = normals(300, 10);
      BufferedImage both = image(400, 30, 30); // flagged by both members
      BufferedImage smallOnly = image(401, 60, 0); // strongly anomalous for the small member only
      BufferedImage bigOnly = image(402, 0, 20); // mildly anomalous for the big member only
      double worstNormal = normal.stream().mapToDouble(im -> e.score(im).score()).max().orElseThrow();
      assertThat(e.score(both).score()).isGreaterThan(worstNormal);
      assertThat(e.score(smallOnly).score()).isGreaterThan(worstNormal);
      assertThat(e.score(smallOnly).score()).isGreaterThan(e.score(bigOnly).score());
      assertThat(e.score(bigOnly).normalisedScores().get(1)).isGreaterThan(0);
      // without normalisation the big member decides: the mean of raw scores ranks them the other way
      assertThat(rawMean(e.score(bigOnly))).isGreaterThan(rawMean(e.score(smallOnly)));
      // and a normal image can outrank the strong small-only anomaly
      double worstNormalRaw = normal.stream().mapToDouble(im -> rawMean(e.score(im))).max().orElseThrow();
      assertThat(worstNormalRaw).isGreaterThan(rawMean(e.score(smallOnly)));
    }
  }

  private static double rawMean(EnsembleResult r) {
    return r.members().stream().mapToDouble(AnomalyResult::score).average().orElseThrow();
  }

  @Test
  void mapsOfDifferentSizes_giveNoEnsembleMap() {
    List<PatchCore> members = List.of(member(Fake.small()), member(new Fake("wide", 2, 1, 8, 24)));
    try (PatchCoreEnsemble e = PatchCoreEnsemble.fit(members, normals(100, 10), 0.2, 1)) {
      EnsembleResult r = e.score(image(5, 0, 0));
      assertThat(r.map()).isEmpty();
      assertThat(r.members().get(0).map().height()).isEqualTo(12);
      assertThat(r.members().get(1).map().height()).isEqualTo(24);
    }
  }

  @Test
  void score_path_readsTheFileOnce() throws IOException {
    Path png = dir.resolve("probe.png");
    BufferedImage probe = image(42, 20, 0);
    javax.imageio.ImageIO.write(probe, "png", png.toFile());
    try (PatchCoreEnsemble e = PatchCoreEnsemble.fit(twoMembers(), normals(100, 10), 0.2, 1)) {
      assertThat(e.score(png)).isEqualTo(e.score(probe));
      Path missing = dir.resolve("missing.png");
      assertThatThrownBy(() -> e.score(missing)).hasMessageContaining(missing.toString());
    }
  }

  @Test
  void fit_rejectsBadArguments() {
    List<BufferedImage> ten = normals(0, 10);
    assertThatThrownBy(() -> PatchCoreEnsemble.fit(List.of(), ten, 0.1, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one member");
    List<PatchCore> withNull = new ArrayList<>();
    withNull.add(member(Fake.small()));
    withNull.add(null);
    assertThatThrownBy(() -> PatchCoreEnsemble.fit(withNull, ten, 0.1, 0))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("member 1");
    PatchCore noBackbone = PatchCore.builder().build();
    assertThatThrownBy(() -> PatchCoreEnsemble.fit(List.of(member(Fake.small()), noBackbone), ten, 0.1, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("member 1 has no backbone");
    for (double f : new double[] {0, 1, -0.1, 1.5, Double.NaN}) {
      assertThatThrownBy(() -> PatchCoreEnsemble.fit(twoMembers(), ten, f, 0))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("calibrationFraction")
          .hasMessageContaining(String.valueOf(f));
    }
    assertThatThrownBy(() -> PatchCoreEnsemble.fit(twoMembers(), normals(0, 1), 0.1, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("of 1 training images holds out 1").hasMessageContaining("leaves 0");
    assertThatThrownBy(() -> PatchCoreEnsemble.fit(twoMembers(), List.of(), 0.1, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("of 0 training images");
    // floor(4 * 0.75) = 3 held out, 1 left: allowed
    try (PatchCoreEnsemble e = PatchCoreEnsemble.fit(twoMembers(), normals(0, 4), 0.75, 0)) {
      assertThat(e.calibrationImages()).hasSize(3);
      assertThat(e.members().get(0).bankSize()).isEqualTo(36);
    }
    // two images, any fraction below 1: one for calibration, one for the banks
    try (PatchCoreEnsemble e = PatchCoreEnsemble.fit(twoMembers(), normals(0, 2), 0.9, 0)) {
      assertThat(e.calibrationImages()).hasSize(1);
      assertThat(e.calibrations().get(0).scale()).isEqualTo(1);
    }
  }

  @Test
  void fit_failureNamesTheMember() {
    FeatureExtractor broken = new Fake("broken", 0, 1, 16, 12) {
      @Override
      public FeatureMaps extract(BufferedImage image) {
        throw new IllegalArgumentException("image too small: 12x12");
      }
    };
    assertThatThrownBy(() -> PatchCoreEnsemble.fit(List.of(member(Fake.small()), member(broken)), normals(0, 10),
        0.2, 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("member 1 (backbone 'broken')").hasMessageContaining("12x12");
  }

  @Test
  void closed_ensembleRefusesToScore() {
    PatchCoreEnsemble e = PatchCoreEnsemble.fit(twoMembers(), normals(0, 10), 0.2, 0);
    e.close();
    assertThatThrownBy(() -> e.score(image(1, 0, 0))).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> e.members().get(0).score(image(1, 0, 0))).isInstanceOf(IllegalStateException.class);
  }

  // ---------------------------------------------------------------- persistence

  @Test
  void saveLoad_roundTrip() throws IOException {
    Path file = dir.resolve("ensemble.pcens");
    BufferedImage probe = image(650, 20, 5);
    try (PatchCoreEnsemble e = PatchCoreEnsemble.fit(twoMembers(), normals(100, 20), 0.25, 9)) {
      e.save(file);
      assertThat(PatchCoreEnsemble.backboneConfigurations(file)).containsExactly(
          java.util.Map.of("id", "small", "kind", "fake-small"), java.util.Map.of("id", "big", "kind", "fake-big"));
      try (PatchCoreEnsemble back = PatchCoreEnsemble.load(file, List.of(Fake.small(), Fake.big()))) {
        assertThat(back.calibrations()).isEqualTo(e.calibrations());
        assertThat(back.calibrationImages()).isEqualTo(e.calibrationImages());
        assertThat(back.seed()).isEqualTo(9);
        assertThat(back.calibrationFraction()).isEqualTo(0.25);
        assertThat(back.trainingImages()).isEqualTo(20);
        assertThat(back.members().get(1).memoryBank()).isEqualTo(e.members().get(1).memoryBank());
        assertThat(back.score(probe)).isEqualTo(e.score(probe));
      }
    }
    assertThat(dirEntries()).containsExactly("ensemble.pcens");
  }

  /** The version-1 layout: prefix, header, the members' own model files back to back, checksum. */
  @Test
  void file_isTheVersion1Layout_withMemberModelFilesBackToBack() throws IOException {
    Path file = dir.resolve("ensemble.pcens");
    Instant created = Instant.parse("2025-01-01T00:00:00Z");
    try (PatchCoreEnsemble e = PatchCoreEnsemble.fit(twoMembers(), normals(100, 10), 0.2, 9)) {
      EnsembleFile.save(e, file, created, java.util.function.UnaryOperator.identity());
      byte[] f = Files.readAllBytes(file);
      ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
      assertThat(new String(f, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("PCENSMBL");
      assertThat(b.getInt(8)).isEqualTo(1);
      int h = b.getInt(12);
      String header = new String(f, 16, h, StandardCharsets.UTF_8);
      ByteArrayOutputStream members = new ByteArrayOutputStream();
      List<Integer> lengths = new ArrayList<>();
      for (PatchCoreModel m : e.members()) {
        int before = members.size();
        ModelFile.write(m, members, created);
        lengths.add(members.size() - before);
      }
      List<String> entries = new ArrayList<>();
      for (int m = 0; m < 2; m++) {
        String id = m == 0 ? "small" : "big";
        entries.add(String.join("\n",
            "    \"bytes\" : " + lengths.get(m) + ",",
            "    \"median\" : " + e.calibrations().get(m).median() + ",",
            "    \"scale\" : " + e.calibrations().get(m).scale() + ",",
            "    \"backbone\" : {",
            "      \"id\" : \"" + id + "\",",
            "      \"configuration\" : {",
            "        \"kind\" : \"fake-" + id + "\"",
            "      }",
            "    }"));
      }
      assertThat(header).isEqualTo(String.join("\n", "{",
          "  \"createdAt\" : \"2025-01-01T00:00:00Z\",",
          "  \"calibration\" : {",
          "    \"fraction\" : 0.2,",
          "    \"seed\" : 9,",
          "    \"trainingImages\" : 10,",
          "    \"heldOut\" : [ " + e.calibrationImages().get(0) + ", " + e.calibrationImages().get(1) + " ]",
          "  },",
          "  \"members\" : [ {",
          String.join("\n  }, {\n", entries),
          "  } ]",
          "}"));
      assertThat(Arrays.copyOfRange(f, 16 + h, f.length - 4)).isEqualTo(members.toByteArray());
      CRC32C crc = new CRC32C();
      crc.update(f, 0, f.length - 4);
      assertThat(Integer.toUnsignedLong(b.getInt(f.length - 4))).isEqualTo(crc.getValue());
    }
  }

  @Test
  void load_rejectsWrongBackbonesAndDamage() throws IOException {
    Path file = dir.resolve("ensemble.pcens");
    try (PatchCoreEnsemble e = PatchCoreEnsemble.fit(twoMembers(), normals(100, 10), 0.2, 9)) {
      e.save(file);
      Path single = dir.resolve("single.patchcore");
      e.members().get(0).save(single);
      assertThatThrownBy(() -> PatchCoreEnsemble.load(single, List.of(Fake.small())))
          .isInstanceOf(ModelFormatException.class).hasMessageContaining("single model file");
    }
    assertThatThrownBy(() -> PatchCoreModel.load(file, null)).isInstanceOf(ModelFormatException.class)
        .hasMessageContaining("not a PatchCore model file").hasMessageContaining("use PatchCoreEnsemble.load");
    assertThatThrownBy(() -> PatchCoreEnsemble.load(file, List.of(Fake.small())))
        .isInstanceOf(ModelFormatException.class).hasMessageContaining("2 members").hasMessageContaining("1 backbones");
    assertThatThrownBy(() -> PatchCoreEnsemble.load(file, List.of(Fake.big(), Fake.small())))
        .isInstanceOf(ModelFormatException.class).hasMessageContaining("member 0 was fitted with backbone 'small'")
        .hasMessageContaining("'big'");

    byte[] good = Files.readAllBytes(file);
    // a flipped byte in the last member's memory bank: that member's checksum fails
    byte[] bank = good.clone();
    bank[bank.length - 40] ^= 0x10;
    assertThat(loadBytes(bank)).contains("member 1").contains("checksum mismatch");
    // a flipped byte in the outer checksum
    byte[] crc = good.clone();
    crc[crc.length - 1] ^= 0x01;
    assertThat(loadBytes(crc)).contains("checksum mismatch").doesNotContain("member");
    // truncated
    assertThat(loadBytes(Arrays.copyOf(good, good.length - 100))).contains("truncated");
    // trailing garbage
    assertThat(loadBytes(Arrays.copyOf(good, good.length + 3))).contains("bytes");
    // another format version
    byte[] version = good.clone();
    version[8] = 2;
    assertThat(loadBytes(version)).contains("version 2");
    // a missing header field, with the file otherwise consistent
    String text = new String(good, java.nio.charset.StandardCharsets.ISO_8859_1);
    int at = text.indexOf("\"scale\"");
    byte[] renamed = good.clone();
    renamed[at + 5] = 'f';
    assertThat(loadBytes(renamed)).contains("members[0].scale must be a finite number, got nothing");
  }

  private String loadBytes(byte[] bytes) throws IOException {
    Path bad = dir.resolve("bad.pcens");
    Files.write(bad, bytes);
    try {
      PatchCoreEnsemble.load(bad, List.of(Fake.small(), Fake.big())).close();
    } catch (ModelFormatException expected) {
      assertThat(expected.file()).isEqualTo(bad.toString());
      return expected.getMessage();
    }
    throw new AssertionError("damaged file loaded");
  }

  @Test
  void save_failureKeepsThePreviousFile() throws IOException {
    Path file = dir.resolve("ensemble.pcens");
    try (PatchCoreEnsemble e = PatchCoreEnsemble.fit(twoMembers(), normals(100, 10), 0.2, 9)) {
      e.save(file);
      byte[] before = Files.readAllBytes(file);
      assertThatThrownBy(() -> EnsembleFile.save(e, file, Instant.EPOCH, out -> new FilterOutputStream(out) {
        private int written;

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          written += len;
          if (written > 2000) {
            throw new IOException("disk full");
          }
          out.write(b, off, len);
        }
      })).isInstanceOf(IOException.class).hasMessageContaining("disk full").hasMessageContaining(file.toString());
      assertThat(Files.readAllBytes(file)).isEqualTo(before);
      assertThat(dirEntries()).containsExactly("ensemble.pcens");
    }
  }

  private List<String> dirEntries() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
