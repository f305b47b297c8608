package io.patchcore.eval.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.patchcore.eval.data.IdxImagesTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code patchcore benchmark} end to end on small synthetic idx files with the bundled backbone. */
class BenchmarkCommandTest {
  @TempDir
  Path tmp;

  static List<Map<String, String>> csv(Path file) throws IOException {
    try (MappingIterator<Map<String, String>> it = new CsvMapper().readerForMapOf(String.class)
        .with(CsvSchema.emptySchema().withHeader()).readValues(file.toFile())) {
      return it.readAll();
    }
  }

  @Test
  void runsTheOneClassProtocol_andWritesTheTables() throws IOException {
    Path data = tmp.resolve("idx");
    IdxImagesTest.write(data, "train", 40, 28, 4, true);
    IdxImagesTest.write(data, "t10k", 24, 28, 4, false);
    Path out = tmp.resolve("out");
    CliTest.Run r = CliTest.run("benchmark", "mnist", "--data", data.toString(), "--classes", "0,2", "--train", "4",
        "--normal", "3", "--anomalous", "3", "--scoring", "max,reweighted,combined", "--threads", "1", "--out",
        out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("mnist class 0:", "mnist class 2:", "combined");

    List<Map<String, String>> summary = csv(out.resolve("summary.csv"));
    assertThat(summary).hasSize(2 * 5);
    assertThat(summary).extracting(m -> m.get("mode")).containsExactly("max", "reweighted", "combined",
        "patchTopMean", "global", "max", "reweighted", "combined", "patchTopMean", "global");
    for (Map<String, String> m : summary) {
      assertThat(Double.parseDouble(m.get("auroc"))).isBetween(0.0, 1.0);
      assertThat(Double.parseDouble(m.get("backbone_ms_per_image"))).isPositive();
    }
    List<Map<String, String>> scores = csv(out.resolve("scores.csv"));
    assertThat(scores).hasSize(2 * 6);
    for (Map<String, String> m : scores) {
      assertThat(m.get("image")).startsWith("t10k:");
      // default weights 0.25, 0, 1
      double z = 0.25 * Double.parseDouble(m.get("z_patchMax")) + 0 * Double.parseDouble(m.get("z_patchTopMean"))
          + Double.parseDouble(m.get("z_global"));
      assertThat(Double.parseDouble(m.get("combined"))).isCloseTo(z / 1.25, org.assertj.core.data.Offset.offset(1e-9));
      assertThat(Double.parseDouble(m.get("reweighted"))).isLessThanOrEqualTo(Double.parseDouble(m.get("max")));
      int label = Integer.parseInt(m.get("label"));
      String cls = m.get("task").substring("class ".length());
      assertThat(m.get("group").equals(cls)).isEqualTo(label == 0);
    }
    String md = Files.readString(out.resolve("benchmark.md"), StandardCharsets.UTF_8);
    assertThat(md).contains("| class 0 |", "| class 2 |", "| **mean** |", "3 normal + 3 anomalous");
  }

  @Test
  void badArguments_areUsageErrorsOrNameTheFile() {
    assertThat(CliTest.run("benchmark", "cifar", "--out", tmp.resolve("o").toString()).err())
        .contains("fashion-mnist, mnist or demo", "cifar");
    assertThat(CliTest.run("benchmark", "mnist", "--out", tmp.resolve("o").toString()).err())
        .contains("mnist needs --data");
    CliTest.Run missing = CliTest.run("benchmark", "mnist", "--data", tmp.resolve("nothing").toString(), "--out",
        tmp.resolve("o").toString());
    assertThat(missing.code()).isNotZero();
    assertThat(missing.err()).contains("train-images-idx3-ubyte");
    assertThat(CliTest.run("benchmark", "mnist", "--data", tmp.toString(), "--scoring", "best", "--out",
        tmp.resolve("o").toString()).err()).contains("max, reweighted or combined", "best");
  }
}
