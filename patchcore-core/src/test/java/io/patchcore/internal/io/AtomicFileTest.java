package io.patchcore.internal.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one atomic writer: complete new file or the old one, never a temporary file left behind. */
class AtomicFileTest {
  @TempDir
  Path dir;

  private List<String> names(Path folder) throws IOException {
    try (Stream<Path> s = Files.list(folder)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static IoConsumer<OutputStream> text(String s) {
    return out -> out.write(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void writesAndReplaces_leavingOnlyTheFile() throws IOException {
    Path file = dir.resolve("out.txt");
    AtomicFile.write(file, "text", text("hello"));
    assertThat(file).hasContent("hello");
    AtomicFile.write(file, "text", text("new"));
    assertThat(file).hasContent("new");
    assertThat(names(dir)).containsExactly("out.txt");
  }

  @Test
  void aLargeBodyArrivesWhole() throws IOException {
    Path file = dir.resolve("big.bin");
    byte[] data = new byte[1_000_003];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 31);
    }
    AtomicFile.write(file, "data", out -> {
      out.write(data, 0, 10);
      out.write(data[10]);
      out.write(data, 11, data.length - 11);
    });
    assertThat(Files.readAllBytes(file)).isEqualTo(data);
  }

  @Test
  void theBodyMayCloseItsStream_butNotWriteAfterwards() throws IOException {
    Path file = dir.resolve("closed.txt");
    AtomicFile.write(file, "text", out -> {
      out.write("abc".getBytes(StandardCharsets.UTF_8));
      out.close();
      out.close();
      out.flush();
    });
    assertThat(file).hasContent("abc");
    assertThatThrownBy(() -> AtomicFile.write(file, "text", out -> {
      out.close();
      out.write(1);
    })).isInstanceOf(IOException.class).hasMessageContaining("stream closed");
    assertThat(file).hasContent("abc");
    assertThat(names(dir)).containsExactly("closed.txt");
  }

  @Test
  void anIoFailure_keepsTheOldFile_removesTheTemporaryFile_andNamesBoth() throws IOException {
    Path file = dir.resolve("scores.csv");
    Files.writeString(file, "old");
    assertThatThrownBy(() -> AtomicFile.write(file, "scores", out -> {
      out.write(new byte[200_000]);
      throw new IOException("disk full");
    })).isInstanceOf(IOException.class)
        .hasMessageStartingWith("cannot save scores to " + file)
        .hasMessageContaining("disk full");
    assertThat(file).hasContent("old");
    assertThat(names(dir)).containsExactly("scores.csv");

    Path fresh = dir.resolve("fresh.csv");
    assertThatThrownBy(() -> AtomicFile.write(fresh, "scores", out -> {
      throw new IOException("no");
    })).isInstanceOf(IOException.class);
    assertThat(names(dir)).containsExactly("scores.csv");
  }

  @Test
  void aRuntimeFailurePropagatesUnchanged_andLeavesNothing() throws IOException {
    Path file = dir.resolve("chart.png");
    IllegalStateException boom = new IllegalStateException("boom");
    assertThatThrownBy(() -> AtomicFile.write(file, "chart", out -> {
      out.write(1);
      throw boom;
    })).isSameAs(boom);
    assertThat(names(dir)).isEmpty();
  }

  @Test
  void aMissingFolder_orAFolderInTheWay_namesTheFile() throws IOException {
    Path missing = dir.resolve("no/such/folder/x.txt");
    assertThatThrownBy(() -> AtomicFile.write(missing, "text", text("x"))).isInstanceOf(IOException.class)
        .hasMessageContaining(missing.toString());
    assertThat(names(dir)).isEmpty();

    Path folder = dir.resolve("report.html");
    Files.createDirectories(folder.resolve("inside"));
    assertThatThrownBy(() -> AtomicFile.write(folder, "report", text("x"))).isInstanceOf(IOException.class)
        .hasMessageContaining(folder.toString());
    assertThat(folder.resolve("inside")).isDirectory();
    assertThat(names(dir)).containsExactly("report.html");
  }
}
