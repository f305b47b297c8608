package io.patchcore.backbones;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.patchcore.AnomalyResult;
import io.patchcore.PatchCore;
import io.patchcore.PatchCoreModel;
import io.patchcore.feature.FeatureExtractor;
import io.patchcore.sampling.Samplers;
import io.patchcore.torch.TorchCompute;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Scores 2,000 small images through the bundled backbone and a model searched with the libtorch
 * back end, and checks that the process's resident memory (native included) stays flat once warm.
 */
class NativeMemoryTest {
  static final Path STATUS = Path.of("/proc/self/status");
  static final int WARM_UP = 200;
  static final int IMAGES = 2_000;
  static final long MAX_GROWTH_KB = 64 * 1024;
  /** Bound on the growth over the last 1,200 images (a leak of one input tensor per image: 48 kB each). */
  static final long MAX_LATE_GROWTH_KB = 16 * 1024;

  /**
   * Resident set size in kB after a GC (which frees collectable direct buffers): the least of ten
   * readings over a second, because G1 returns the freed Java heap to the OS concurrently.
   */
  static long rssKb() throws IOException, InterruptedException {
    System.gc();
    long min = Long.MAX_VALUE;
    for (int i = 0; i < 10; i++) {
      Thread.sleep(100);
      min = Math.min(min, readRssKb());
    }
    return min;
  }

  static long readRssKb() throws IOException {
    for (String line : Files.readAllLines(STATUS)) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS line in " + STATUS);
  }

  static List<BufferedImage> crops(BufferedImage image, int step) {
    List<BufferedImage> out = new ArrayList<>();
    for (int y = 0; y + 64 <= image.getHeight(); y += step) {
      for (int x = 0; x + 64 <= image.getWidth(); x += step) {
        out.add(image.getSubimage(x, y, 64, 64));
      }
    }
    return out;
  }

  @Test
  void scoring2000ImagesDoesNotGrowNativeMemory() throws Exception {
    assumeTrue(Files.isReadable(STATUS), "needs Linux /proc/self/status");
    List<BufferedImage> train = crops(TestImages.read("ihc.png"), 96); // 25 crops
    List<BufferedImage> test = new ArrayList<>(crops(TestImages.read("ihc.png"), 40));
    test.addAll(crops(TestImages.read("brick.png"), 40));
    try (FeatureExtractor backbone = Backbones.bundledDefault();
        PatchCoreModel model = PatchCore.builder().backbone(backbone).pretrainDimension(256).targetDimension(256)
            .sampler(Samplers.approximateGreedy(0.25)).compute(TorchCompute.cpu()).threads(1).build()
            .fit(train)) {
      long start = System.nanoTime();
      double checksum = 0;
      long warm = 0;
      List<Long> samples = new ArrayList<>();
      for (int i = 0; i < IMAGES; i++) {
        AnomalyResult r = model.score(test.get(i % test.size()));
        checksum += r.score();
        if (i + 1 == WARM_UP) {
          warm = rssKb();
        }
        if ((i + 1) % 400 == 0) {
          samples.add(rssKb());
        }
      }
      long end = rssKb();
      long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() / 1024;
      double seconds = (System.nanoTime() - start) / 1e9;
      long late = end - samples.get(1);
      System.out.printf("NativeMemoryTest: %d images of 64x64 (bank %dx%d, %s) in %.1f s; VmRSS after %d: %d kB, "
          + "after every 400: %s kB, at end: %d kB (Java heap committed %d kB); growth %+d kB (limit %d kB), "
          + "over the last %d images %+d kB (limit %d kB); checksum %.3f%n", IMAGES, model.bankSize(),
          model.dimension(), model.configuration(), seconds, WARM_UP, warm, samples, end, heap, end - warm,
          MAX_GROWTH_KB, IMAGES - 800, late, MAX_LATE_GROWTH_KB, checksum);
      assertThat(checksum).isPositive();
      assertThat(end - warm).as("VmRSS growth in kB from image %d to %d", WARM_UP, IMAGES)
          .isLessThan(MAX_GROWTH_KB);
      assertThat(late).as("VmRSS growth in kB from image 800 to %d", IMAGES).isLessThan(MAX_LATE_GROWTH_KB);
    }
  }
}
