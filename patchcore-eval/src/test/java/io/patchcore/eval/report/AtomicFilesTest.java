package io.patchcore.eval.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

  @TempDir Path tmp;

  private List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void writesTheFileAndCreatesItsFolder() throws IOException {
    Path file = tmp.resolve("a/b/out.txt");
    AtomicFiles.write(file, out -> {
      out.write("hello".getBytes(StandardCharsets.UTF_8));
      out.close(); // allowed
    });
    assertThat(file).hasContent("hello");
    assertThat(names(file.getParent())).containsExactly("out.txt");
    AtomicFiles.write(file, out -> out.write("new".getBytes(StandardCharsets.UTF_8)));
    assertThat(file).hasContent("new");
    assertThat(names(file.getParent())).containsExactly("out.txt");
  }

  @Test
  void anIoFailureLeavesTheOldFileAndNoTemporaryFile() throws IOException {
    Path file = tmp.resolve("scores.csv");
    Files.writeString(file, "old");
    assertThatThrownBy(() -> AtomicFiles.write(file, out -> {
      out.write(new byte[100_000]);
      throw new IOException("disk full");
    })).isInstanceOf(IOException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("disk full");
    assertThat(file).hasContent("old");
    assertThat(names(tmp)).containsExactly("scores.csv");
  }

  @Test
  void aRuntimeFailurePropagatesAndLeavesNoFile() throws IOException {
    Path file = tmp.resolve("new.png");
    assertThatThrownBy(() -> AtomicFiles.write(file, out -> {
      out.write(1);
      throw new IllegalStateException("boom");
    })).isInstanceOf(IllegalStateException.class).hasMessage("boom");
    assertThat(names(tmp)).isEmpty();
  }

  @Test
  void aFolderInTheWayNamesTheFile() throws IOException {
    Path dir = tmp.resolve("report.html");
    Files.createDirectories(dir.resolve("inside"));
    assertThatThrownBy(() -> AtomicFiles.write(dir, out -> out.write(1)))
        .isInstanceOf(IOException.class).hasMessageContaining(dir.toString());
    assertThat(names(tmp)).containsExactly("report.html");
    assertThat(dir.resolve("inside")).isDirectory();
  }
}
