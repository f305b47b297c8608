package io.patchcore.eval.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.patchcore.eval.data.DemoData;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The small version of the larger-than-memory fit: {@code patchcore fit} in a JVM of
 * {@code -Xmx256m} on 96 images whose patch features take 300 MB (784 patches x 1024 dimensions
 * each) completes, streams the features to the feature cache, reports its peak heap, and leaves
 * the cache empty.
 */
class CliLowMemoryFitTest {
  @TempDir
  Path tmp;

  @Test
  void fitWithFeaturesLargerThanTheHeap() throws Exception {
    Path demo = tmp.resolve("demo");
    DemoData.copyBundled(demo);
    List<Path> tiles;
    try (Stream<Path> s = Files.walk(demo.resolve("train"))) {
      tiles = s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
    }
    Path train = tmp.resolve("images");
    Files.createDirectories(train);
    int n = 0;
    for (int variant = 0; n < 96; variant++) {
      for (Path tile : tiles) {
        if (n == 96) {
          break;
        }
        BufferedImage im = ImageIO.read(tile.toFile());
        ImageIO.write(variant(im, variant), "png", train.resolve(String.format("tile%03d.png", n++)).toFile());
      }
    }
    Path cache = tmp.resolve("cache");
    Files.createDirectories(cache);
    Path model = tmp.resolve("m.patchcore");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), Cli.class.getName(), "fit",
        train.toString(), "--out", model.toString(), "--coreset", "0.01", "--feature-cache",
        cache.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("OPT_OUT_TRACKING", "true");
    pb.environment().put("DJL_CACHE_DIR", tmp.resolve("djl").toString());
    Path out = tmp.resolve("out.txt");
    Path err = tmp.resolve("err.txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    assertThat(p.waitFor(600, TimeUnit.SECONDS)).as("the fit finished").isTrue();
    String stderr = Files.readString(err, StandardCharsets.UTF_8);
    String stdout = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(stderr).isZero();
    stderr.lines().filter(l -> l.contains("fit took") || l.contains("streaming")).forEach(System.out::println);
    assertThat(stderr).doesNotContain("OutOfMemoryError").contains("streaming them to")
        .containsPattern("peak Java heap \\d+ MB of \\d+ MB");
    assertThat(stdout).contains("fitted").contains("of 75264 patches");
    assertThat(model).exists();
    try (Stream<Path> s = Files.list(cache)) {
      assertThat(s.count()).as("files left in the feature cache").isZero();
    }
  }

  /** The tile scaled to 224 x 224, turned by quarter turns, mirrored for variants 4-7, marked beyond. */
  static BufferedImage variant(BufferedImage im, int v) {
    int w = im.getWidth();
    int h = im.getHeight();
    int size = Math.min(w, h);
    int outSize = 224; // 28 x 28 = 784 patches
    BufferedImage out = new BufferedImage(outSize, outSize, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < outSize; y++) {
      for (int x = 0; x < outSize; x++) {
        int sx = x * size / outSize;
        int sy = y * size / outSize;
        for (int r = 0; r < v % 4; r++) { // quarter turns
          int t = sx;
          sx = size - 1 - sy;
          sy = t;
        }
        if ((v / 4) % 2 == 1) {
          sx = size - 1 - sx;
        }
        out.setRGB(x, y, im.getRGB(sx, sy));
      }
    }
    if (v >= 8) {
      out.setRGB(v % size, v % size, 0xff00ff); // a distinct image
    }
    return out;
  }
}
