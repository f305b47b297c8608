package io.patchcore.eval.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.patchcore.PatchCoreModel;
import io.patchcore.eval.data.DemoData;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --threads N} of {@code fit}, {@code score}, {@code evaluate} and {@code filter}: the same
 * memory bank, byte-identical CSV files and the same filter decisions for N = 1, 2 and 8.
 */
class CliThreadsTest {
  static final int[] THREADS = {1, 2, 8};

  @TempDir
  static Path tmp;

  static Path data;

  static String run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Cli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    assertThat(code).as("%s%n%s", String.join(" ", args), err).isEqualTo(Cli.OK);
    return out.toString();
  }

  static Path model(int threads) {
    return tmp.resolve("model-" + threads + ".patchcore");
  }

  @BeforeAll
  static void fitWithEachThreadCount() {
    data = tmp.resolve("data");
    try {
      DemoData.copyBundled(data);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    for (int n : THREADS) {
      run("fit", data.toString(), "--out", model(n).toString(), "--pretrain-dim", "96", "--target-dim", "96",
          "--coreset", "0.2", "--seed", "3", "--threads", String.valueOf(n));
    }
  }

  @Test
  void fit_sameMemoryBankForEveryThreadCount() throws IOException {
    float[] one;
    try (PatchCoreModel m = PatchCoreModel.load(model(1), null)) {
      one = m.memoryBank();
    }
    for (int n : THREADS) {
      try (PatchCoreModel m = PatchCoreModel.load(model(n), null)) {
        assertThat(m.memoryBank()).as("bank fitted with --threads %d", n).isEqualTo(one);
      }
    }
  }

  @Test
  void score_sameCsvBytesForEveryThreadCount() throws IOException {
    byte[] first = null;
    for (int n : THREADS) {
      Path csv = tmp.resolve("scores-" + n + ".csv");
      run("score", model(1).toString(), data.resolve("test").toString(), "--out", csv.toString(), "--threads",
          String.valueOf(n));
      byte[] bytes = Files.readAllBytes(csv);
      if (first == null) {
        first = bytes;
        assertThat(Files.readAllLines(csv)).hasSize(17);
      }
      assertThat(bytes).as("scores.csv with --threads %d", n).isEqualTo(first);
    }
  }

  @Test
  void evaluate_sameResultsAndScoresForEveryThreadCount() throws IOException {
    for (int n : THREADS) {
      run("evaluate", model(1).toString(), data.toString(), "--out", tmp.resolve("eval-" + n).toString(),
          "--top-k", "1", "--threads", String.valueOf(n));
    }
    for (String file : List.of("scores.csv", "results.csv")) {
      byte[] one = Files.readAllBytes(tmp.resolve("eval-1").resolve(file));
      for (int n : THREADS) {
        assertThat(Files.readAllBytes(tmp.resolve("eval-" + n).resolve(file))).as("%s, --threads %d", file, n)
            .isEqualTo(one);
      }
    }
  }

  @Test
  void filter_sameDecisionsForEveryThreadCount() throws IOException {
    List<String> first = null;
    for (int n : THREADS) {
      Path keep = tmp.resolve("keep-" + n);
      Path reject = tmp.resolve("reject-" + n);
      run("filter", model(1).toString(), data.resolve("test/syn").toString(), "--calibration",
          data.resolve("test/gt").toString(), "--fpr", "0.2", "--keep", keep.toString(), "--reject",
          reject.toString(), "--threads", String.valueOf(n));
      List<String> decisions = Stream.concat(listing(keep, "keep"), listing(reject, "reject")).sorted().toList();
      assertThat(decisions).hasSize(12);
      if (first == null) {
        first = decisions;
      }
      assertThat(decisions).as("--threads %d", n).isEqualTo(first);
    }
  }

  @Test
  void compute_sameCsvBytesForEveryBackEnd() throws IOException {
    byte[] first = null;
    for (String compute : List.of("auto", "jblas", "torch")) {
      Path csv = tmp.resolve("scores-" + compute + ".csv");
      run("score", model(1).toString(), data.resolve("test").toString(), "--out", csv.toString(), "--compute",
          compute);
      byte[] bytes = Files.readAllBytes(csv);
      if (first == null) {
        first = bytes;
      }
      assertThat(bytes).as("scores.csv with --compute %s", compute).isEqualTo(first);
    }
  }

  @Test
  void fit_sameMemoryBankWithEveryBackEnd() throws IOException {
    Path jblas = tmp.resolve("model-jblas.patchcore");
    run("fit", data.toString(), "--out", jblas.toString(), "--pretrain-dim", "96", "--target-dim", "96",
        "--coreset", "0.2", "--seed", "3", "--compute", "jblas");
    try (PatchCoreModel a = PatchCoreModel.load(model(1), null); PatchCoreModel b = PatchCoreModel.load(jblas, null)) {
      assertThat(b.memoryBank()).isEqualTo(a.memoryBank());
    }
  }

  @Test
  void compute_unknownIsAUsageErrorNamingTheValue() {
    StringWriter err = new StringWriter();
    int code = Cli.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "score",
        model(1).toString(), data.resolve("test").toString(), "--out", tmp.resolve("y.csv").toString(), "--compute",
        "quantum");
    assertThat(code).isEqualTo(Cli.USAGE);
    assertThat(err.toString()).contains("unknown compute back end 'quantum'").contains("jblas").contains("torch");
  }

  @Test
  void threads_zeroIsAUsageError() {
    StringWriter err = new StringWriter();
    int code = Cli.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "score",
        model(1).toString(), data.resolve("test").toString(), "--out", tmp.resolve("x.csv").toString(), "--threads",
        "0");
    assertThat(code).isEqualTo(Cli.USAGE);
    assertThat(err.toString()).contains("--threads must be >= 1, got 0");
  }

  static Stream<String> listing(Path dir, String what) {
    if (!Files.isDirectory(dir)) {
      return Stream.empty();
    }
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).map(p -> what + ":" + dir.relativize(p)).toList().stream();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
