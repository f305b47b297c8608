package io.patchcore.eval.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.patchcore.eval.data.DemoData;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user sees on the console: the demo run as a separate process (as {@code patchcore demo}
 * runs) prints no libtorch, DJL or jblas noise; {@code --quiet} leaves results only; {@code --out -}
 * writes the CSV to standard output.
 */
class CliConsoleTest {
  @TempDir
  Path tmp;

  /** Lines of other libraries that must never reach a user's console. */
  static final List<String> NOISE = List.of("NNPACK", "CUDA driver version", "org.jblas", "ai.djl.",
      "Number of inter-op threads", "Found matching platform");

  record Result(int code, String stdout, String stderr) {}

  Result runProcess(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Cli.class.getName()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("OPT_OUT_TRACKING", "true");
    pb.environment().put("DJL_CACHE_DIR", tmp.resolve("djl").toString());
    Path out = tmp.resolve("stdout.txt");
    Path err = tmp.resolve("stderr.txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    assertThat(p.waitFor(150, TimeUnit.SECONDS)).as("the CLI finished").isTrue();
    return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  @Test
  void demo_printsOnlyOurOwnLines() throws Exception {
    Result r = runProcess("demo", "--out", tmp.resolve("demo").toString());
    assertThat(r.code()).as(r.stderr()).isZero();
    String all = r.stdout() + r.stderr();
    for (String noise : NOISE) {
      assertThat(all).as("console output of the demo").doesNotContain(noise);
    }
    assertThat(r.stdout()).contains("image AUROC");
  }

  @Test
  void quiet_printsResultsOnly() throws Exception {
    Path data = tmp.resolve("data");
    DemoData.copyBundled(data);
    Path model = tmp.resolve("m.patchcore");
    Result fit = runProcess("fit", data.toString(), "--out", model.toString(), "--pretrain-dim", "64",
        "--target-dim", "64", "--quiet");
    assertThat(fit.code()).as(fit.stderr()).isZero();
    assertThat(fit.stderr()).as("stderr with --quiet").isEmpty();
    assertThat(fit.stdout()).contains("fitted").doesNotContain("extract:");
  }

  @Test
  void generateCompletion_printsABashCompletionScript() {
    StringWriter out = new StringWriter();
    assertThat(Cli.run(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), "generate-completion"))
        .isZero();
    assertThat(out.toString()).contains("complete -F").contains("patchcore").contains("evaluate")
        .contains("--threads");
  }

  @Test
  void score_outDashWritesTheCsvToStandardOutput() throws IOException {
    Path data = tmp.resolve("data");
    DemoData.copyBundled(data);
    Path model = tmp.resolve("m.patchcore");
    assertThat(Cli.run(new PrintWriter(new StringWriter(), true), new PrintWriter(new StringWriter(), true), "fit",
        data.toString(), "--out", model.toString(), "--pretrain-dim", "64", "--target-dim", "64")).isZero();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    Path csv = tmp.resolve("s.csv");
    assertThat(Cli.run(new PrintWriter(out, true), new PrintWriter(err, true), "score", model.toString(),
        data.resolve("test").toString(), "--out", "-")).as(err.toString()).isZero();
    assertThat(Cli.run(new PrintWriter(new StringWriter(), true), new PrintWriter(new StringWriter(), true), "score",
        model.toString(), data.resolve("test").toString(), "--out", csv.toString())).isZero();
    assertThat(out.toString()).isEqualTo(Files.readString(csv, StandardCharsets.UTF_8));
    assertThat(out.toString()).startsWith("path,group,label,score,error");
    assertThat(err.toString()).contains("scored 16 of 16 images -> standard output");
  }
}
