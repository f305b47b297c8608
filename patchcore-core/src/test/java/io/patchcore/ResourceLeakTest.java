package io.patchcore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.management.UnixOperatingSystemMXBean;
import io.patchcore.feature.FeatureMap;
import io.patchcore.feature.FeatureMaps;
import io.patchcore.internal.image.Images;
import io.patchcore.sampling.Samplers;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No file handle outlives a call: the process's open descriptors are counted before and after
 * 1,000 model loads and 1,000 image reads, the failing ones included (a leak on an error path is
 * the usual kind). The count comes from {@code /proc/self/fd} on Linux, else from the JVM's Unix
 * operating-system bean; elsewhere the test fails rather than pass unchecked.
 */
class ResourceLeakTest {
  static final int CALLS = 1_000;
  /** Descriptors the JVM itself may open meanwhile (class loading, a jar, a GC log). */
  static final long SLACK = 4;
  static final Path FD = Path.of("/proc/self/fd");

  @TempDir
  Path dir;

  static long openDescriptors() throws IOException {
    if (Files.isDirectory(FD)) {
      try (Stream<Path> s = Files.list(FD)) {
        return s.count();
      }
    }
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof UnixOperatingSystemMXBean unix) {
      return unix.getOpenFileDescriptorCount();
    }
    throw new AssertionError("cannot count open file descriptors on this platform (no " + FD
        + ", no UnixOperatingSystemMXBean): the leak check cannot run here");
  }

  /** A small fitted model (no backbone: 3 images of 2-channel 6x6 feature maps). */
  static PatchCoreModel smallModel() {
    List<FeatureMaps> train = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      float[] a = new float[2 * 6 * 6];
      for (int j = 0; j < a.length; j++) {
        a[j] = (float) Math.sin(i * 31 + j);
      }
      train.add(new FeatureMaps(6, 6, List.of(new FeatureMap("a", 2, 6, 6, a))));
    }
    return PatchCore.builder().pretrainDimension(8).targetDimension(8).sampler(Samplers.identity()).threads(1)
        .build().fitFeatures(train);
  }

  /** Runs {@code body} CALLS times after a warm-up and returns the growth of open descriptors. */
  static long growth(ThrowingRunnable body) throws Exception {
    for (int i = 0; i < 20; i++) {
      body.run(i); // class loading, lazily opened jars and the like happen here
    }
    long before = openDescriptors();
    for (int i = 0; i < CALLS; i++) {
      body.run(i);
    }
    return openDescriptors() - before;
  }

  interface ThrowingRunnable {
    void run(int i) throws Exception;
  }

  @Test
  void modelLoadsDoNotLeakDescriptors() throws Exception {
    Path good = dir.resolve("model.pcm");
    try (PatchCoreModel m = smallModel()) {
      m.save(good);
    }
    byte[] bytes = Files.readAllBytes(good);
    Path corrupt = dir.resolve("corrupt.pcm"); // checksum fails at the very end
    byte[] flipped = bytes.clone();
    flipped[flipped.length - 10] ^= 0x55;
    Files.write(corrupt, flipped);
    Path truncated = dir.resolve("truncated.pcm");
    Files.write(truncated, Arrays.copyOf(bytes, bytes.length * 2 / 3));
    int[] loaded = new int[1];
    long growth = growth(i -> {
      try (PatchCoreModel m = PatchCoreModel.load(good, null)) {
        loaded[0] += m.bankSize() > 0 ? 1 : 0;
      }
      if (i % 4 == 0) {
        assertThatThrownBy(() -> PatchCoreModel.load(i % 8 == 0 ? corrupt : truncated, null))
            .isInstanceOf(IOException.class);
        assertThat(PatchCoreModel.backboneConfiguration(good)).isEmpty();
      }
    });
    assertThat(loaded[0]).isEqualTo(CALLS + 20);
    assertThat(growth).as("open descriptors gained over %d loads", CALLS).isLessThanOrEqualTo(SLACK);
  }

  @Test
  void imageReadsDoNotLeakDescriptors() throws Exception {
    BufferedImage img = new BufferedImage(24, 16, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 16; y++) {
      for (int x = 0; x < 24; x++) {
        img.setRGB(x, y, (x * 10) << 16 | (y * 15) << 8 | (x + y));
      }
    }
    Path png = dir.resolve("ok.png");
    Path jpeg = dir.resolve("ok.jpg");
    assertThat(ImageIO.write(img, "png", png.toFile())).isTrue();
    assertThat(ImageIO.write(img, "jpeg", jpeg.toFile())).isTrue();
    byte[] jpegBytes = Files.readAllBytes(jpeg);
    Path cut = Files.write(dir.resolve("cut.jpg"), Arrays.copyOf(jpegBytes, jpegBytes.length / 2));
    Path text = Files.writeString(dir.resolve("text.png"), "not an image\n");
    Path empty = Files.write(dir.resolve("empty.png"), new byte[0]);
    Path[] bad = {cut, text, empty};
    long growth = growth(i -> {
      assertThat(Images.read(i % 2 == 0 ? png : jpeg).getWidth()).isEqualTo(24);
      if (i % 5 == 0) {
        Path p = bad[(i / 5) % bad.length];
        assertThatThrownBy(() -> Images.read(p)).isInstanceOf(UncheckedIOException.class)
            .hasMessageContaining(p.toString());
        assertThatThrownBy(() -> Images.read(png, 10)).isInstanceOf(UncheckedIOException.class)
            .hasMessageContaining("limit of 10");
      }
    });
    assertThat(growth).as("open descriptors gained over %d reads", CALLS).isLessThanOrEqualTo(SLACK);
  }

  @Test
  void theCountSeesAnOpenFile() throws Exception {
    // the measure itself works: holding a file open raises the count
    Path f = Files.writeString(dir.resolve("held.txt"), "x");
    long before = openDescriptors();
    try (var in = Files.newInputStream(f)) {
      assertThat(openDescriptors()).isGreaterThan(before);
      assertThat(in.read()).isEqualTo('x');
    }
    assertThat(openDescriptors()).isLessThanOrEqualTo(before);
  }
}
