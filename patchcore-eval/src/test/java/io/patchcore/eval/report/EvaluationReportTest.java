package io.patchcore.eval.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.patchcore.AnomalyMap;
import io.patchcore.AnomalyResult;
import io.patchcore.eval.data.Sample;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvaluationReportTest {

  private static final int W = 64;
  private static final int H = 48;

  @TempDir Path tmp;

  /** Writes an RGB image with a gradient. */
  private static Path image(Path file, int seed) throws IOException {
    Files.createDirectories(file.getParent());
    BufferedImage image = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < H; y++) {
      for (int x = 0; x < W; x++) {
        image.setRGB(x, y, ((x * 4 + seed * 20) & 0xff) << 16 | (y * 5) << 8 | 0x80);
      }
    }
    ImageIO.write(image, "png", file.toFile());
    return file;
  }

  /** Writes a grey mask, white in the rectangle {@code [x0, x0 + 16) x [y0, y0 + 12)}. */
  private static Path mask(Path file, int x0, int y0) throws IOException {
    Files.createDirectories(file.getParent());
    BufferedImage m = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = y0; y < y0 + 12; y++) {
      for (int x = x0; x < x0 + 16; x++) {
        m.getRaster().setSample(x, y, 0, 255);
      }
    }
    ImageIO.write(m, "png", file.toFile());
    return file;
  }

  /** A map that is {@code base} everywhere and {@code base + 1} in the given rectangle. */
  private static AnomalyResult result(double score, float base, int x0, int y0) {
    float[] v = new float[W * H];
    for (int y = 0; y < H; y++) {
      for (int x = 0; x < W; x++) {
        boolean in = x0 >= 0 && x >= x0 && x < x0 + 16 && y >= y0 && y < y0 + 12;
        v[y * W + x] = base + (in ? 1f : 0f) + 0.001f * x;
      }
    }
    AnomalyMap map = new AnomalyMap(H, W, v);
    return new AnomalyResult(score, map, new AnomalyMap(1, 1, new float[] {base}));
  }

  private record Fixture(List<ScoredSample> samples, Path odd, Path failed) {}

  private Fixture fixture() throws IOException {
    Path root = tmp.resolve("data");
    List<ScoredSample> list = new ArrayList<>();
    // dataset 1: MVTec-like, masks for the anomalous images
    for (int i = 0; i < 3; i++) {
      Path p = image(root.resolve("bottle/test/good/" + i + ".png"), i);
      list.add(ScoredSample.scored("bottle", new Sample(p, "good", OptionalInt.of(0),
          Optional.empty()), result(1.0 + 0.1 * i, 0f, -1, -1)));
    }
    Path odd = null;
    for (int i = 0; i < 3; i++) {
      String name = i == 1 ? "a<&>b.png" : i + ".png";
      Path p = image(root.resolve("bottle/test/crack/" + name), 5 + i);
      Path m = mask(root.resolve("bottle/ground_truth/crack/" + i + "_mask.png"), 8 * i, 4 * i);
      if (i == 1) {
        odd = p;
      }
      list.add(ScoredSample.scored("bottle", new Sample(p, "crack", OptionalInt.of(1),
          Optional.of(m)), result(2.0 + 0.1 * i, 0f, 8 * i, 4 * i)));
    }
    // dataset 2: unlabelled, scores only, and one failure with awkward characters
    Path u1 = image(root.resolve("plain/x/u1.png"), 1);
    list.add(ScoredSample.scored("plain & <odd>", new Sample(u1, "x", OptionalInt.empty(),
        Optional.empty()), 0.5));
    Path u2 = root.resolve("plain/x/u2,\"broken\".png");
    Files.writeString(u2, "not an image");
    list.add(ScoredSample.failed("plain & <odd>", new Sample(u2, "x", OptionalInt.empty(),
        Optional.empty()), u2 + ": not a decodable image,\n<&> \"quoted\""));
    return new Fixture(list, odd, u2);
  }

  @Test
  void writesEveryFileAndTheyParseBack() throws IOException {
    Fixture f = fixture();
    EvaluationReport report = EvaluationReport.builder(f.samples())
        .title("Report <b>&</b>")
        .topK(2)
        .sweep("coreset ratio", new double[] {0.01, 0.1, 0.25}, new double[] {0.7, 0.9, Double.NaN})
        .build();
    Path out = tmp.resolve("out");
    List<Path> files = report.write(out);

    assertThat(files).last().isEqualTo(out.resolve("report.html"));
    for (Path p : files) {
      assertThat(p).isRegularFile();
    }
    try (Stream<Path> all = Files.walk(out)) {
      List<Path> onDisk = all.filter(Files::isRegularFile).sorted().toList();
      assertThat(onDisk).containsExactlyInAnyOrderElementsOf(files);
      assertThat(onDisk).noneMatch(p -> p.getFileName().toString().startsWith("."));
    }

    // scores.csv
    String csv = Files.readString(out.resolve("scores.csv"), StandardCharsets.UTF_8);
    assertThat(csv.lines().findFirst()).contains("path,group,label,score,error");
    List<Map<String, String>> rows = readCsv(out.resolve("scores.csv"));
    assertThat(rows).hasSize(f.samples().size());
    List<String> paths = rows.stream().map(r -> r.get("path")).toList();
    assertThat(paths).isSorted();
    Map<String, String> failedRow = rows.stream()
        .filter(r -> r.get("path").equals(f.failed().toString())).findFirst().orElseThrow();
    assertThat(failedRow.get("score")).isEmpty();
    assertThat(failedRow.get("label")).isEmpty();
    assertThat(failedRow.get("error")).isEqualTo(f.failed() + ": not a decodable image,\n<&> \"quoted\"");
    Map<String, String> oddRow = rows.stream()
        .filter(r -> r.get("path").equals(f.odd().toString())).findFirst().orElseThrow();
    assertThat(oddRow).containsEntry("group", "crack").containsEntry("label", "1")
        .containsEntry("error", "");
    assertThat(Double.parseDouble(oddRow.get("score"))).isEqualTo(2.1);

    // scores.json
    JsonNode json = new ObjectMapper().readTree(out.resolve("scores.json").toFile());
    List<String> keys = new ArrayList<>();
    json.fieldNames().forEachRemaining(keys::add);
    assertThat(keys).isEqualTo(paths);
    JsonNode odd = json.get(f.odd().toString());
    assertThat(odd.get("dataset").asText()).isEqualTo("bottle");
    assertThat(odd.get("group").asText()).isEqualTo("crack");
    assertThat(odd.get("label").asInt()).isEqualTo(1);
    assertThat(odd.get("score").asDouble()).isEqualTo(2.1);
    // bottle scores span 1.0 .. 2.2
    assertThat(odd.get("normalized_score").asDouble()).isCloseTo(1.1 / 1.2, within(1e-12));
    assertThat(odd.get("error").isNull()).isTrue();
    JsonNode bad = json.get(f.failed().toString());
    assertThat(bad.get("score").isNull()).isTrue();
    assertThat(bad.get("normalized_score").isNull()).isTrue();
    assertThat(bad.get("label").isNull()).isTrue();
    assertThat(bad.get("error").asText()).contains("not a decodable image");
    // a dataset whose scored images all score the same normalises to 0
    assertThat(json.get(rows.get(rows.size() - 2).get("path")).get("normalized_score").asDouble())
        .isEqualTo(0.0);

    // results.csv
    assertThat(Files.readString(out.resolve("results.csv")).lines().findFirst())
        .contains("dataset,instance_auroc,full_pixel_auroc,anomaly_pixel_auroc,aupro,ap,fpr95");
    List<Map<String, String>> results = readCsv(out.resolve("results.csv"));
    assertThat(results).extracting(r -> r.get("dataset"))
        .containsExactly("bottle", "plain & <odd>", "mean");
    Map<String, String> bottle = results.get(0);
    assertThat(Double.parseDouble(bottle.get("instance_auroc"))).isEqualTo(1.0);
    assertThat(Double.parseDouble(bottle.get("ap"))).isEqualTo(1.0);
    assertThat(Double.parseDouble(bottle.get("fpr95"))).isEqualTo(0.0);
    // the maps are the masks plus a small ramp: pixel-perfect
    assertThat(Double.parseDouble(bottle.get("full_pixel_auroc"))).isEqualTo(1.0);
    assertThat(Double.parseDouble(bottle.get("anomaly_pixel_auroc"))).isEqualTo(1.0);
    assertThat(Double.parseDouble(bottle.get("aupro"))).isCloseTo(1.0, within(1e-9));
    Map<String, String> plain = results.get(1);
    for (String c : List.of("instance_auroc", "full_pixel_auroc", "anomaly_pixel_auroc", "aupro",
        "ap", "fpr95")) {
      assertThat(plain.get(c)).as(c).isEmpty();
      assertThat(results.get(2).get(c)).as(c).isEqualTo(bottle.get(c));
    }
    assertThat(report.results().datasets().get(0).images()).isEqualTo(6);
    assertThat(report.results().datasets().get(1).failed()).isEqualTo(1);

    // PNGs
    AnomalyMap map = f.samples().get(0).map().orElseThrow();
    Path maps = out.resolve("maps/bottle");
    for (String name : List.of("top-01.png", "top-02.png")) {
      BufferedImage img = ImageIO.read(maps.resolve(name).toFile());
      assertThat(img.getHeight()).isEqualTo(MapImages.TITLE + MapImages.PANEL);
      assertThat(img.getWidth()).as(name).isEqualTo(MapImages.compositeWidth(map, 3));
    }
    for (String name : List.of("bottom-01.png", "bottom-02.png")) {
      BufferedImage img = ImageIO.read(maps.resolve(name).toFile());
      assertThat(img.getHeight()).isEqualTo(MapImages.TITLE + MapImages.PANEL);
      assertThat(img.getWidth()).as(name).isEqualTo(MapImages.compositeWidth(map, 2));
    }
    assertThat(MapImages.compositeWidth(map, 2)).isEqualTo(2 * 341 + MapImages.GAP);
    assertThat(maps.resolve("top-03.png")).doesNotExist();
    assertThat(maps.resolve("bottom-03.png")).doesNotExist();
    for (String plot : List.of("plots/roc.png", "plots/sweep.png", "plots/scores-bottle.png",
        "plots/scores-plain____odd_.png")) {
      BufferedImage img = ImageIO.read(out.resolve(plot).toFile());
      assertThat(img).as(plot).isNotNull();
      assertThat(img.getWidth()).isEqualTo(Charts.WIDTH);
      assertThat(img.getHeight()).isEqualTo(Charts.HEIGHT);
    }
    for (Path p : files) {
      if (p.toString().endsWith(".png")) {
        assertThat(ImageIO.read(p.toFile())).as(p.toString()).isNotNull();
      }
    }

    // report.html
    String html = Files.readString(out.resolve("report.html"), StandardCharsets.UTF_8);
    for (Path p : files) {
      String rel = out.relativize(p).toString().replace('\\', '/');
      if (!rel.equals("report.html")) {
        assertThat(html).contains("href=\"" + rel + "\"");
      }
      if (rel.endsWith(".png")) {
        assertThat(html).contains("src=\"" + rel + "\"");
      }
    }
    assertThat(html).contains("a&lt;&amp;&gt;b.png").doesNotContain("a<&>b.png");
    assertThat(html).contains("<title>Report &lt;b&gt;&amp;&lt;/b&gt;</title>");
    assertThat(html).contains("plain &amp; &lt;odd&gt;").doesNotContain("<odd>");
    assertThat(html).contains("u2,&quot;broken&quot;.png");
  }

  @Test
  void reportShowsEachMappedImagesExplanation() throws IOException {
    Path root = tmp.resolve("x");
    Path trainingImage = image(root.resolve("train/t<1>.png"), 3);
    List<ScoredSample> list = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Path p = image(root.resolve("img" + i + ".png"), i);
      AnomalyResult plain = result(i, 0f, -1, -1);
      io.patchcore.Explanation why = new io.patchcore.Explanation(2, 5, 0.75 + i,
          Optional.of(new io.patchcore.Explanation.TrainingPatch(7, trainingImage.toString(), 1, 4, 28, 28, 0.75 + i)),
          List.of(new io.patchcore.Explanation.TrainingImage(3, "image 3 & <b>", 0.5),
              new io.patchcore.Explanation.TrainingImage(7, trainingImage.toString(), 0.625)),
          Map.of("global", new io.patchcore.Explanation.Component(0.5, 2.25)));
      list.add(ScoredSample.scored("d", new Sample(p, i < 2 ? "gt" : "syn", OptionalInt.of(i < 2 ? 0 : 1),
          Optional.empty()), new AnomalyResult(plain.score(), plain.map(), plain.patchScores(), why)));
    }
    EvaluationReport.builder(list).topK(1).build().write(tmp.resolve("o"));
    String html = Files.readString(tmp.resolve("o/report.html"), StandardCharsets.UTF_8);
    assertThat(html).contains("worst patch at grid (2, 5), score 3.7500", "nearest memory-bank patch: training image",
        "at grid (1, 4) of 28x28", "href=\"" + trainingImage.toAbsolutePath().toUri(),
        "image 3 &amp; &lt;b&gt;", "global 0.5000 &rarr; 2.2500", "t&lt;1&gt;.png").doesNotContain("<b>&");
    // two figures (top 1, bottom 1), each explained
    assertThat(html.split("class=\"why\"", -1)).hasSize(3);
  }

  @Test
  void fixedThresholdAndNoMapsGiveNoMapImagesAndEmptyPixelMetrics() throws IOException {
    Path root = tmp.resolve("d");
    List<ScoredSample> list = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Path p = image(root.resolve("img" + i + ".png"), i);
      list.add(ScoredSample.scored("d", new Sample(p, i < 2 ? "gt" : "syn", OptionalInt.of(i < 2
          ? 0 : 1), Optional.empty()), i));
    }
    EvaluationReport report = EvaluationReport.builder(list).threshold(1.5).build();
    List<Path> files = report.write(tmp.resolve("o"));
    assertThat(files).extracting(p -> tmp.resolve("o").relativize(p).toString())
        .containsExactly("scores.csv", "scores.json", "results.csv", "plots/roc.png",
            "plots/scores-d.png", "report.html");
    DatasetResult r = report.results().datasets().get(0);
    assertThat(r.instanceAuroc()).isEqualTo(1.0);
    assertThat(r.fullPixelAuroc()).isNaN();
    assertThat(r.aupro()).isNaN();
    assertThat(report.results().mean().instanceAuroc()).isEqualTo(1.0);
  }

  @Test
  void rejectsDuplicatePathsAndInconsistentSamples() {
    Sample s = new Sample(tmp.resolve("a.png"), "g", OptionalInt.of(0), Optional.empty());
    List<ScoredSample> twice = List.of(ScoredSample.scored("x", s, 1.0),
        ScoredSample.scored("y", s, 2.0));
    assertThatThrownBy(() -> EvaluationReport.builder(twice).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(tmp.resolve("a.png").toString()).hasMessageContaining("twice");
    assertThatThrownBy(() -> ScoredSample.scored("x", s, Double.NaN))
        .hasMessageContaining("a.png").hasMessageContaining("NaN");
    assertThatThrownBy(() -> ScoredSample.failed("x", s, " "))
        .hasMessageContaining("a.png");
    assertThatThrownBy(() -> EvaluationReport.builder(List.of())
        .sweep("k", new double[] {1, 2}, new double[] {0.5}))
        .hasMessageContaining("k").hasMessageContaining("2 values");
    assertThatThrownBy(() -> EvaluationReport.builder(List.of())
        .sweep("k", new double[] {1}, new double[] {1.5}))
        .hasMessageContaining("1.5");
  }

  @Test
  void missingImageOfATopMapNamesTheFileAndLeavesNoPartialFile() throws IOException {
    Path gone = tmp.resolve("gone.png");
    Sample s = new Sample(gone, "g", OptionalInt.of(0), Optional.empty());
    EvaluationReport report = EvaluationReport.builder(List.of(
        ScoredSample.scored("d", s, result(1.0, 0f, -1, -1)))).build();
    Path out = tmp.resolve("o2");
    assertThatThrownBy(() -> report.write(out)).isInstanceOf(IOException.class)
        .hasMessageContaining(gone.toString());
    try (Stream<Path> all = Files.walk(out)) {
      assertThat(all.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
          .doesNotContain("top-01.png", "report.html")
          .noneMatch(n -> n.startsWith("."));
    }
  }

  private static List<Map<String, String>> readCsv(Path file) throws IOException {
    CsvMapper mapper = new CsvMapper();
    List<Map<String, String>> rows = new ArrayList<>();
    try (MappingIterator<Map<String, String>> it = mapper.readerForMapOf(String.class)
        .with(CsvSchema.emptySchema().withHeader()).readValues(file.toFile())) {
      Iterator<Map<String, String>> i = it;
      while (i.hasNext()) {
        rows.add(i.next());
      }
    }
    return rows;
  }
}
