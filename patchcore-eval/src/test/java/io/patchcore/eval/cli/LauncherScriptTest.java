package io.patchcore.eval.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code patchcore} launcher script, run on a stand-in {@code java} that prints what libtorch
 * prints: the NNPACK warning lines are dropped, every other byte of standard error passes (progress
 * bar segments too), and the exit code and arguments are those of the JVM.
 */
class LauncherScriptTest {
  @TempDir
  Path tmp;

  static final String NNPACK =
      "[W1203 04:22:11.123456789 NNPACK.cpp:56] Could not initialize NNPACK! Reason: Unsupported hardware.";

  @Test
  void dropsNnpackLinesAndKeepsEverythingElse() throws Exception {
    Path launcher = tmp.resolve("dist/patchcore");
    Files.createDirectories(launcher.getParent());
    Files.copy(Path.of("src/main/scripts/patchcore"), launcher);
    Path java = tmp.resolve("jdk/bin/java");
    Files.createDirectories(java.getParent());
    Files.writeString(java, String.join("\n",
        "#!/bin/sh",
        "printf 'extract   1/4\\rextract   2/4\\r' >&2",
        "echo '" + NNPACK + "' >&2",
        "echo 'a real warning about x.png' >&2",
        "echo '" + NNPACK + "' >&2",
        "printf 'extract   4/4' >&2",
        "echo \"args: $*\"",
        "echo \"tracking: $OPT_OUT_TRACKING\"",
        "exit 3", ""), StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));

    ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "score", "m.patchcore", "--out", "-");
    pb.environment().put("JAVA_HOME", tmp.resolve("jdk").toString());
    pb.environment().put("JAVA_OPTS", "-Xmx64m");
    pb.environment().remove("PATCHCORE_RAW_STDERR");
    Path out = tmp.resolve("out.txt");
    Path err = tmp.resolve("err.txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    // the filter may still be writing after the JVM stand-in exits
    for (int i = 0; i < 50 && !Files.readString(err).endsWith("4/4"); i++) {
      Thread.sleep(100);
    }

    assertThat(p.exitValue()).as("the JVM's exit code").isEqualTo(3);
    String stdout = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(stdout).contains("-Dai.djl.offline=true -Xmx64m -jar")
        .contains("patchcore.jar score m.patchcore --out -").contains("tracking: true");
    assertThat(Files.readString(err, StandardCharsets.UTF_8))
        .isEqualTo("extract   1/4\rextract   2/4\ra real warning about x.png\nextract   4/4");
  }
}
