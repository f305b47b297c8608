package io.patchcore.eval.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.patchcore.eval.data.DemoData;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/** The command line: usage errors and exit codes, and an end-to-end run on the bundled demo data. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliTest {
  @TempDir
  static Path tmp;

  static Path data;
  static Path model;

  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Cli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }

  @BeforeAll
  static void demoData() throws IOException {
    data = tmp.resolve("data");
    DemoData.copyBundled(data);
    model = tmp.resolve("model.patchcore");
  }

  @Test
  void noCommand_isAUsageError() {
    Run r = run();
    assertThat(r.code()).isEqualTo(Cli.USAGE);
    assertThat(r.err()).contains("a command is required");
  }

  @Test
  void unknownOption_isAUsageError() {
    assertThat(run("fit", data.toString(), "--out", "x", "--bogus").code()).isEqualTo(Cli.USAGE);
  }

  @Test
  void fit_missingOut_isAUsageError() {
    Run r = run("fit", data.toString());
    assertThat(r.code()).isEqualTo(Cli.USAGE);
    assertThat(r.err()).contains("--out");
  }

  @Test
  void fit_badValues_areUsageErrors() {
    assertThat(run("fit", data.toString(), "--out", tmp.resolve("m").toString(), "--coreset", "0").err())
        .contains("got 0.0");
    assertThat(run("fit", data.toString(), "--out", tmp.resolve("m").toString(), "--patch-size", "4").code())
        .isEqualTo(Cli.USAGE);
    assertThat(run("fit", data.toString(), "--out", tmp.resolve("m").toString(), "--sampler", "magic").code())
        .isEqualTo(Cli.USAGE);
    assertThat(run("fit", data.toString(), "--out", tmp.resolve("m").toString(), "--backbone", "x.pt").err())
        .contains("--layers is required");
    assertThat(Files.exists(tmp.resolve("m"))).isFalse();
  }

  @Test
  void fit_missingData_failsNamingTheFolder() {
    Path missing = tmp.resolve("no-such-folder");
    Run r = run("fit", missing.toString(), "--out", tmp.resolve("m2").toString());
    assertThat(r.code()).isEqualTo(Cli.FAILURE);
    assertThat(r.err()).contains(missing.toString());
    assertThat(r.err().strip().lines()).hasSize(1);
  }

  @Test
  void score_notAModel_failsNamingTheFile() throws IOException {
    Path junk = Files.writeString(tmp.resolve("junk.patchcore"), "hello");
    Run r = run("score", junk.toString(), data.resolve("test").toString(), "--out", tmp.resolve("s.csv").toString());
    assertThat(r.code()).isEqualTo(Cli.FAILURE);
    assertThat(r.err()).contains(junk.toString());
    assertThat(Files.exists(tmp.resolve("s.csv"))).isFalse();
  }

  @Test
  @Order(1)
  void fit_writesALoadableModel() throws IOException {
    Run r = run("fit", data.toString(), "--out", model.toString(), "--pretrain-dim", "128", "--target-dim", "128",
        "--coreset", "0.25", "--seed", "7");
    assertThat(r.code()).as(r.err()).isEqualTo(Cli.OK);
    assertThat(r.out()).contains("on 8 of 8 images");
    assertThat(io.patchcore.PatchCoreModel.backboneConfiguration(model)).containsEntry("kind", "default");
  }

  @Test
  void combinedScoring_fitsSavesAndScoresFromTheCommandLine() throws IOException {
    Path combined = tmp.resolve("combined.patchcore");
    Run fit = run("fit", data.toString(), "--out", combined.toString(), "--pretrain-dim", "64", "--target-dim", "64",
        "--coreset", "0.25", "--scoring", "combined", "--combined-weights", "1,0,1");
    assertThat(fit.code()).as(fit.err()).isEqualTo(Cli.OK);
    assertThat(fit.out()).contains("scoring=COMBINED");
    Path csv = tmp.resolve("combined.csv");
    Run score = run("score", combined.toString(), data.resolve("test").toString(), "--out", csv.toString());
    assertThat(score.code()).as(score.err()).isEqualTo(Cli.OK);
    List<String> lines = Files.readAllLines(csv);
    assertThat(lines).hasSize(1 + 16);
    for (String l : lines.subList(1, lines.size())) {
      String[] cells = l.split(",", -1);
      assertThat(Double.parseDouble(cells[3])).as(l).isFinite();
      assertThat(cells[4]).as("error column of " + l).isEmpty();
    }
    assertThat(run("fit", data.toString(), "--out", tmp.resolve("x.patchcore").toString(), "--combined-weights",
        "1,0,1").err()).contains("combinedWeights needs imageScoring(COMBINED)");
    assertThat(run("fit", data.toString(), "--out", tmp.resolve("x.patchcore").toString(), "--scoring", "combined",
        "--combined-weights", "1,0").err()).contains("--combined-weights needs 3 numbers");
  }

  @Test
  @Order(2)
  void evaluate_writesEveryOutput() throws IOException {
    Path out = tmp.resolve("eval");
    Run r = run("evaluate", model.toString(), data.toString(), "--out", out.toString(), "--top-k", "2");
    assertThat(r.code()).as(r.err()).isEqualTo(Cli.OK);
    assertThat(r.out()).contains("image AUROC");
    List<String> results = Files.readAllLines(out.resolve("results.csv"));
    assertThat(results.get(0)).isEqualTo("dataset,instance_auroc,full_pixel_auroc,anomaly_pixel_auroc,aupro,ap,fpr95");
    assertThat(results).hasSize(3); // the dataset and the mean
    List<String> scores = Files.readAllLines(out.resolve("scores.csv"));
    assertThat(scores.get(0)).isEqualTo("path,group,label,score,error");
    assertThat(scores).hasSize(1 + 16);
    JsonNode json = new ObjectMapper().readTree(out.resolve("scores.json").toFile());
    assertThat(json.size()).isGreaterThan(0);
    String html = Files.readString(out.resolve("report.html"));
    // each mapped image is explained, naming the training files by their paths (fit reads files)
    assertThat(html).contains("<html", "nearest memory-bank patch: training image <a href=\"file:",
        data.resolve("train").toString(), "nearest training images as a whole");
    try (Stream<Path> files = Files.walk(out)) {
      List<Path> pngs = files.filter(p -> p.toString().endsWith(".png")).toList();
      assertThat(pngs).isNotEmpty();
      for (Path png : pngs) {
        assertThat(ImageIO.read(png.toFile())).as(png.toString()).isNotNull();
      }
    }
  }

  @Test
  @Order(3)
  void score_someBadInputs_exitCode3AndErrorColumn() throws IOException {
    Path images = tmp.resolve("to-score");
    Files.createDirectories(images);
    Files.copy(data.resolve("test/gt").resolve(Files.list(data.resolve("test/gt")).sorted().findFirst().orElseThrow()
        .getFileName()), images.resolve("a.png"));
    Files.writeString(images.resolve("b.png"), "not an image");
    Path csv = tmp.resolve("scores.csv");
    Run r = run("score", model.toString(), images.toString(), "--out", csv.toString());
    assertThat(r.code()).isEqualTo(Cli.PARTIAL);
    List<String> rows = Files.readAllLines(csv, StandardCharsets.UTF_8);
    assertThat(rows).hasSize(3);
    String[] good = rows.get(1).split(",", -1);
    assertThat(good[0]).isEqualTo(images.resolve("a.png").toString());
    assertThat(Double.parseDouble(good[3])).isPositive();
    assertThat(good[4]).isEmpty();
    assertThat(rows.get(2)).contains("b.png").contains("not a recognised image format");
    assertThat(rows.get(2).split(",", -1)[3]).isEmpty();
  }

  @Test
  @Order(4)
  void filter_copiesWithoutTouchingInputs() throws IOException {
    Path keep = tmp.resolve("keep");
    Path reject = tmp.resolve("reject");
    long before = Files.walk(data).count();
    Run r = run("filter", model.toString(), data.resolve("test/syn").toString(), "--calibration",
        data.resolve("test/gt").toString(), "--fpr", "0.2", "--keep", keep.toString(), "--reject", reject.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(Cli.OK);
    assertThat(r.out()).contains("threshold", "kept", "rejected");
    assertThat(Files.walk(data).count()).isEqualTo(before);
    long copies = Stream.of(keep, reject).filter(Files::isDirectory).mapToLong(d -> {
      try (Stream<Path> s = Files.walk(d)) {
        return s.filter(Files::isRegularFile).count();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }).sum();
    assertThat(copies).isEqualTo(12);
    // a second run never overwrites: every image is reported, exit code 3
    Run again = run("filter", model.toString(), data.resolve("test/syn").toString(), "--calibration",
        data.resolve("test/gt").toString(), "--fpr", "0.2", "--keep", keep.toString(), "--reject", reject.toString());
    assertThat(again.code()).isEqualTo(Cli.PARTIAL);
  }

  @Test
  @Order(5)
  void filter_tooFewCalibrationImages() {
    Run r = run("filter", model.toString(), data.resolve("test/syn").toString(), "--calibration",
        data.resolve("test/gt").toString(), "--fpr", "0.01", "--keep", tmp.resolve("k2").toString(), "--reject",
        tmp.resolve("r2").toString());
    assertThat(r.code()).isEqualTo(Cli.FAILURE);
    assertThat(r.err()).contains("needs at least 99");
  }

  @Test
  @Order(6)
  void sweep_writesOneRowPerCombination() throws IOException {
    Path out = tmp.resolve("sweep");
    Run r = run("sweep", data.toString(), "--out", out.toString(), "--coreset", "0.1,0.5", "--patch-size", "1,3",
        "--neighbours", "1", "--pretrain-dim", "64", "--target-dim", "64");
    assertThat(r.code()).as(r.err()).isEqualTo(Cli.OK);
    List<String> rows = Files.readAllLines(out.resolve("sweep.csv"));
    assertThat(rows.get(0)).isEqualTo("coreset,patch_size,neighbours,bank_rows,instance_auroc,ap,fpr95");
    assertThat(rows).hasSize(5);
    assertThat(out.resolve("plots/sweep-coreset.png")).exists();
    assertThat(out.resolve("plots/sweep-patch_size.png")).exists();
    String html = Files.readString(out.resolve("report.html"));
    assertThat(html).contains("plots/sweep-coreset.png", "plots/sweep-patch_size.png")
        .doesNotContain("plots/sweep-neighbours.png");
  }

  @Test
  void fit_deviceGpuWithoutAGpuFallsBackToTheCpu() throws IOException {
    Path m = tmp.resolve("gpu.patchcore");
    Run r = run("fit", data.toString(), "--out", m.toString(), "--pretrain-dim", "32", "--target-dim", "32",
        "--device", "gpu");
    assertThat(r.code()).as(r.err()).isEqualTo(Cli.OK);
    assertThat(r.out()).contains("compute=torch-cpu");
    assertThat(io.patchcore.PatchCoreModel.backboneConfiguration(m)).containsEntry("device", "gpu:0");
    assertThat(run("fit", data.toString(), "--out", m.toString(), "--device", "tpu").code()).isEqualTo(Cli.USAGE);
  }

  @Test
  void demo_writesTheReport() {
    Path out = tmp.resolve("demo");
    Run r = run("demo", "--out", out.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(Cli.OK);
    assertThat(r.out()).contains("image AUROC", "v1_blur");
    assertThat(out.resolve("report.html")).exists();
    assertThat(out.resolve("model.patchcore")).exists();
  }

  @Test
  void importReference_missingFolder() {
    Path missing = tmp.resolve("no-reference");
    Run r = run("import-reference", missing.toString(), "--out", tmp.resolve("imported").toString());
    assertThat(r.code()).isEqualTo(Cli.FAILURE);
    assertThat(r.err()).contains(missing.toString());
  }
}
