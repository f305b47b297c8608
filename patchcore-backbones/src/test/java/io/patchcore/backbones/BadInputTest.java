package io.patchcore.backbones;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.patchcore.AnomalyResult;
import io.patchcore.PatchCore;
import io.patchcore.PatchCoreModel;
import io.patchcore.feature.FeatureExtractor;
import io.patchcore.internal.image.Images;
import io.patchcore.sampling.Samplers;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The corpus of {@code src/test/resources/bad-input} (see its README) through {@code
 * Images.read}, the bundled backbone and a fitted model: every decodable file scores, with the
 * RGB pixels PIL's {@code convert("RGB")} gives; every other file fails with an exception whose
 * message names the file and the cause.
 */
class BadInputTest {
  /** What scoring a file must give: a score, or an exception of a type with message fragments. */
  record Outcome(Class<? extends RuntimeException> error, String... fragments) {
    static Outcome scores() {
      return new Outcome(null);
    }
  }

  /** Every file of the corpus and its outcome; a file not listed here fails the batch test. */
  static final Map<String, Outcome> CASES = new LinkedHashMap<>();

  static {
    CASES.put("empty.png", new Outcome(UncheckedIOException.class, "empty image file (0 bytes)"));
    CASES.put("truncated.png", new Outcome(UncheckedIOException.class, "cannot decode image", "(png)"));
    CASES.put("truncated.jpg", new Outcome(UncheckedIOException.class, "corrupt or truncated image",
        "premature end of data"));
    CASES.put("text.png", new Outcome(UncheckedIOException.class, "not a recognised image format (45 bytes)"));
    CASES.put("bomb-30000x30000.png", new Outcome(UncheckedIOException.class, "30000x30000",
        "decompression-bomb guard"));
    CASES.put("one-pixel.png", new Outcome(IllegalArgumentException.class, "image 1x1 (WxH)",
        "smaller than the backbone's minimum input of 16x16"));
    CASES.put("png-named.jpg", Outcome.scores());
    CASES.put("grey16.png", Outcome.scores());
    CASES.put("rgb16.png", Outcome.scores());
    CASES.put("grey-alpha16.png", Outcome.scores());
    CASES.put("grey8.png", Outcome.scores());
    CASES.put("grey4.png", Outcome.scores());
    CASES.put("rgba.png", Outcome.scores());
    CASES.put("palette.png", Outcome.scores());
    CASES.put("cmyk.jpg", Outcome.scores());
  }

  static FeatureExtractor backbone;
  static PatchCoreModel model;

  static Path corpus() {
    URL readme = BadInputTest.class.getResource("/bad-input/README.md");
    if (readme == null) {
      throw new IllegalStateException("test resource /bad-input/README.md is missing");
    }
    try {
      return Path.of(readme.toURI()).getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @BeforeAll
  static void fit() {
    backbone = Backbones.bundledDefault();
    BufferedImage ihc = TestImages.read("ihc.png");
    List<BufferedImage> train = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      train.add(ihc.getSubimage(64 * i, 96, 64, 64));
    }
    model = PatchCore.builder().backbone(backbone).pretrainDimension(64).targetDimension(64)
        .sampler(Samplers.identity()).seed(1).build().fit(train);
  }

  @AfterAll
  static void close() {
    if (model != null) {
      model.close();
    }
    if (backbone != null) {
      backbone.close();
    }
  }

  static void assertValid(AnomalyResult r, String name) {
    assertThat(r.score()).as("%s score", name).isFinite().isGreaterThanOrEqualTo(0);
    for (float v : r.map().toArray()) {
      assertThat(Float.isFinite(v)).as("%s map value %s", name, v).isTrue();
    }
  }

  @Test
  void everyCaseScoresOrFailsNamingTheFileAndCause() {
    Path dir = corpus();
    for (Map.Entry<String, Outcome> c : CASES.entrySet()) {
      Path file = dir.resolve(c.getKey());
      Outcome want = c.getValue();
      if (want.error() == null) {
        AnomalyResult r = model.score(file);
        assertValid(r, c.getKey());
        BufferedImage image = Images.read(file);
        assertThat(r.map().height()).as(c.getKey()).isEqualTo(image.getHeight());
        assertThat(r.map().width()).as(c.getKey()).isEqualTo(image.getWidth());
      } else {
        assertThatThrownBy(() -> model.score(file)).as(c.getKey())
            .isInstanceOf(want.error())
            .hasMessageContaining(file.toString())
            .satisfies(e -> {
              for (String f : want.fragments()) {
                assertThat(e.getMessage()).as(c.getKey()).contains(f);
              }
              assertThat(e.getMessage()).as(c.getKey()).doesNotContain("Traceback");
            });
      }
    }
  }

  @Test
  void decodableCasesGiveThePixelsOfPilConvertRgb() {
    // expected/<file>.rgb.png: PIL's Image.open(file).convert("RGB"), written by make_bad_input.py
    Path dir = corpus();
    int checked = 0;
    for (Map.Entry<String, Outcome> c : CASES.entrySet()) {
      Path expected = dir.resolve("expected").resolve(c.getKey() + ".rgb.png");
      if (c.getValue().error() != null && !c.getKey().equals("one-pixel.png")) {
        assertThat(expected).as("PIL cannot decode %s either", c.getKey()).doesNotExist();
        continue;
      }
      RgbImage got = RgbImage.of(Images.read(dir.resolve(c.getKey())));
      RgbImage want = RgbImage.of(Images.read(expected));
      assertThat(got.width).as(c.getKey()).isEqualTo(want.width);
      assertThat(got.height).as(c.getKey()).isEqualTo(want.height);
      for (int i = 0; i < want.pixels.length; i++) {
        if (got.pixels[i] != want.pixels[i]) {
          int p = i / 3;
          throw new AssertionError(c.getKey() + ": pixel (x=" + p % want.width + ", y=" + p / want.width
              + ") channel " + i % 3 + " is " + (got.pixels[i] & 0xff) + ", PIL gives " + (want.pixels[i] & 0xff));
        }
      }
      checked++;
    }
    assertThat(checked).isEqualTo(10);
  }

  @Test
  void sixteenBitGreyIsClippedNotScaled() {
    // the ramp 0, 2, 4 ... 2046: PIL keeps values up to 255 and clips the rest (the top byte would be 0..7)
    RgbImage rgb = RgbImage.of(Images.read(corpus().resolve("grey16.png")));
    assertThat(rgb.get(0, 5, 0)).isEqualTo(10);
    assertThat(rgb.get(3, 31, 1)).isEqualTo(254);
    assertThat(rgb.get(4, 0, 2)).isEqualTo(255);
    assertThat(rgb.get(31, 31, 0)).isEqualTo(255);
  }

  @Test
  void batchScoringProcessesEveryGoodFileAndReportsEveryBadOne() throws IOException {
    Path dir = corpus();
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().equals("README.md"))
          .sorted().toList();
    }
    Map<String, Double> scores = new TreeMap<>();
    Map<String, String> errors = new TreeMap<>();
    for (Path f : files) { // as a command-line tool would: one failure does not stop the batch
      try {
        scores.put(f.getFileName().toString(), model.score(f).score());
      } catch (RuntimeException e) {
        errors.put(f.getFileName().toString(), e.getMessage());
      }
    }
    TreeSet<String> good = new TreeSet<>();
    TreeSet<String> bad = new TreeSet<>();
    CASES.forEach((name, outcome) -> (outcome.error() == null ? good : bad).add(name));
    assertThat(scores.keySet()).as("scored").containsExactlyElementsOf(good);
    assertThat(errors.keySet()).as("reported").containsExactlyElementsOf(bad);
    errors.forEach((name, message) -> assertThat(message).as(name).contains(dir.resolve(name).toString()));
    scores.forEach((name, score) -> assertThat(score).as(name).isFinite());
    // the model still works after the failures
    assertValid(model.score(dir.resolve("grey8.png")), "grey8.png again");
  }

  @Test
  void bombIsRefusedBeforeDecoding() throws IOException {
    Path bomb = corpus().resolve("bomb-30000x30000.png");
    assertThat(Files.size(bomb)).isLessThan(100);
    // 900 megapixels would need 2.7 GB as RGB; this test JVM has 4 GB at most, so a decoder that
    // tried would fail with OutOfMemoryError or take seconds, not refuse at once
    long start = System.nanoTime();
    assertThatThrownBy(() -> Images.read(bomb)).isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("900000000 pixels");
    assertThat((System.nanoTime() - start) / 1e9).isLessThan(1.0);
  }
}
