package io.patchcore.eval.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class IdxImagesTest {
  @TempDir
  Path dir;

  /** Writes PREFIX idx files: image i is filled with value 10*i, label i % classes. */
  public static void write(Path dir, String prefix, int count, int side, int classes, boolean gzipImages)
      throws IOException {
    ByteBuffer img = ByteBuffer.allocate(16 + count * side * side);
    img.putInt(2051).putInt(count).putInt(side).putInt(side);
    for (int i = 0; i < count; i++) {
      for (int p = 0; p < side * side; p++) {
        // a class-dependent pattern: stripes whose period depends on the label
        int label = i % classes;
        int x = p % side;
        img.put((byte) (((x / (label + 2)) % 2 == 0 ? 200 : 20) + (i % 7)));
      }
    }
    ByteBuffer lab = ByteBuffer.allocate(8 + count);
    lab.putInt(2049).putInt(count);
    for (int i = 0; i < count; i++) {
      lab.put((byte) (i % classes));
    }
    Files.createDirectories(dir);
    if (gzipImages) {
      try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve(prefix
          + "-images-idx3-ubyte.gz")))) {
        out.write(img.array());
      }
    } else {
      Files.write(dir.resolve(prefix + "-images-idx3-ubyte"), img.array());
    }
    Files.write(dir.resolve(prefix + "-labels-idx1-ubyte"), lab.array());
  }

  @Test
  void readsPlainAndGzipFiles_andUpscalesGreyToRgb() throws IOException {
    write(dir, "train", 12, 28, 3, true);
    write(dir, "t10k", 6, 28, 3, false);
    IdxImages train = IdxImages.read(dir, "train");
    IdxImages test = IdxImages.read(dir, "t10k");
    assertThat(train.count()).isEqualTo(12);
    assertThat(test.count()).isEqualTo(6);
    assertThat(train.label(5)).isEqualTo(2);
    var rgb = train.rgb(4, 224);
    assertThat(rgb.getWidth()).isEqualTo(224);
    int px = rgb.getRGB(100, 100);
    assertThat((px >> 16) & 255).isEqualTo(px & 255).isEqualTo((px >> 8) & 255);
    assertThat(train.rgb(4, 28).getRGB(0, 0) & 255).isEqualTo(200 + 4);
  }

  @Test
  void badFiles_areRefusedNamingTheFile() throws IOException {
    assertThatThrownBy(() -> IdxImages.read(dir, "train")).isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining("train-images-idx3-ubyte");
    write(dir, "train", 4, 28, 2, false);
    Path images = dir.resolve("train-images-idx3-ubyte");
    byte[] full = Files.readAllBytes(images);
    Files.write(images, java.util.Arrays.copyOf(full, full.length - 5));
    assertThatThrownBy(() -> IdxImages.read(dir, "train")).hasMessageContaining(images.toString())
        .hasMessageContaining("4 images of 28x28");
    full[3] = 1;
    Files.write(images, full);
    assertThatThrownBy(() -> IdxImages.read(dir, "train")).hasMessageContaining(images.toString())
        .hasMessageContaining("magic 2049");
    write(dir, "t10k", 4, 28, 2, false);
    Path labels = dir.resolve("t10k-labels-idx1-ubyte");
    Files.write(labels, java.util.Arrays.copyOf(Files.readAllBytes(labels), 10));
    assertThatThrownBy(() -> IdxImages.read(dir, "t10k")).hasMessageContaining(labels.toString())
        .hasMessageContaining("for the 4 images");
  }

  @Test
  void oneClassSplit_drawsDisjointSeededImagesOfTheRightClasses() throws IOException {
    write(dir, "train", 300, 4, 3, false);
    write(dir, "t10k", 90, 4, 3, false);
    IdxImages train = IdxImages.read(dir, "train");
    IdxImages test = IdxImages.read(dir, "t10k");
    OneClassSplit s = OneClassSplit.draw(train, test, 1, 20, 10, 15, 7, false);
    assertThat(s).isEqualTo(OneClassSplit.draw(train, test, 1, 20, 10, 15, 7, false));
    assertThat(s).isNotEqualTo(OneClassSplit.draw(train, test, 1, 20, 10, 15, 8, false));
    assertThat(s.trainIndices()).hasSize(20).allMatch(i -> train.label(i) == 1).doesNotHaveDuplicates();
    assertThat(s.normalIndices()).hasSize(10).allMatch(i -> test.label(i) == 1).doesNotHaveDuplicates();
    assertThat(s.anomalousIndices()).hasSize(15).allMatch(i -> test.label(i) != 1).doesNotHaveDuplicates();

    OneClassSplit v = OneClassSplit.draw(train, test, 1, 20, 10, 15, 7, true);
    Set<Integer> used = new HashSet<>(v.trainIndices());
    assertThat(v.normalIndices()).allMatch(i -> train.label(i) == 1).noneMatch(used::contains);
    assertThat(v.anomalousIndices()).allMatch(i -> train.label(i) != 1);
    Set<Integer> all = new HashSet<>(v.normalIndices());
    all.addAll(v.anomalousIndices());
    assertThat(all).hasSize(25);

    assertThatThrownBy(() -> OneClassSplit.draw(train, test, 1, 20, 40, 15, 7, false))
        .hasMessage("need 40 class 1 images in the test split, there are 30");
    assertThat(List.of(s.trainIndices().get(0))).isNotEmpty();
  }
}
