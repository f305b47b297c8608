package io.patchcore.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import io.patchcore.knn.Compute;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Native memory of the screened k-NN index, read from the process's resident set size as in
 * {@code io.patchcore.backbones.NativeMemoryTest}: an index holds about half its bank's float32
 * size (bfloat16 only), and building, searching and closing many indexes does not grow the
 * process (resident size less the committed Java heap, which G1 grows and shrinks at will).
 */
class ScreenedIndexMemoryTest {
  static final Path STATUS = Path.of("/proc/self/status");

  /** VmRSS in kB after a GC: the least of ten readings over a second (G1 returns heap concurrently). */
  static long rssKb() throws IOException, InterruptedException {
    System.gc();
    long min = Long.MAX_VALUE;
    for (int i = 0; i < 10; i++) {
      Thread.sleep(100);
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith("VmRSS:")) {
          min = Math.min(min, Long.parseLong(line.replaceAll("[^0-9]", "")));
        }
      }
    }
    return min;
  }

  /** {@link #rssKb()} less the committed Java heap. */
  static long nativeKb() throws IOException, InterruptedException {
    long rss = rssKb();
    return rss - ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() / 1024;
  }

  static float[] gaussian(Random rnd, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) rnd.nextGaussian();
    }
    return a;
  }

  /**
   * Three indexes of a 120,000 x 256 bank open at once (after one of the same size was built,
   * searched and closed, so that the allocator already holds the transient buffers): each adds
   * about 60% of the float32 bank to the process (bfloat16 storage plus allocator slack), where a
   * float32 copy, as the former search kept, adds about 120%.
   */
  @Test
  void indexHoldsAboutHalfTheFloat32Bank() throws Exception {
    assumeTrue(Files.isReadable(STATUS), "needs Linux /proc/self/status");
    int rows = 120_000;
    int dim = 256;
    long float32Kb = (long) rows * dim * Float.BYTES / 1024;
    float[] bank = gaussian(new Random(1), rows * dim);
    float[] q = gaussian(new Random(2), 64 * dim);
    for (Screening screening : Screening.values()) {
      Compute compute = new DjlCompute(Device.cpu(), 128, 1L << 21, DjlCompute.MAX_CHUNK_FLOATS, screening);
      try (Compute.NeighbourIndex warm = compute.neighbourIndex(bank, rows, dim)) {
        warm.search(q, 64, 5, new float[64 * 5], new int[64 * 5], null);
      }
      long before = rssKb();
      List<Compute.NeighbourIndex> open = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          open.add(compute.neighbourIndex(bank, rows, dim));
          open.get(i).search(q, 64, 5, new float[64 * 5], new int[64 * 5], null);
        }
        long each = (rssKb() - before) / 3;
        long device = ((ScreenedIndex) open.get(0)).deviceBytes() / 1024;
        System.out.printf("ScreenedIndexMemoryTest: %s index of %dx%d: bfloat16 storage %d kB, process growth %d kB "
            + "per index; float32 bank %d kB%n", screening, rows, dim, device, each, float32Kb);
        // dim + 2 columns, chunks padded to 64 rows
        assertThat(device).isLessThanOrEqualTo(float32Kb / 2 * (dim + 2) / dim + 8 * 64 * (dim + 2) * 2 / 1024);
        assertThat(each).as("kB per %s index of a %d kB float32 bank", screening, float32Kb)
            .isLessThan(float32Kb * 3 / 4);
      } finally {
        open.forEach(Compute.NeighbourIndex::close);
      }
    }
  }

  @Test
  void buildingSearchingAndClosingManyIndexesDoesNotGrowTheProcess() throws Exception {
    assumeTrue(Files.isReadable(STATUS), "needs Linux /proc/self/status");
    int rows = 20_000;
    int dim = 64; // 2.6 MB of bfloat16 per index
    float[] bank = gaussian(new Random(3), rows * dim);
    float[] q = gaussian(new Random(4), 100 * dim);
    float[] d = new float[100 * 5];
    int[] ix = new int[100 * 5];
    Compute[] computes = {ScreenedIndexTest.BF16, ScreenedIndexTest.FP32};
    // RSS minus the committed heap also moves when committed heap pages first become resident, a
    // one-off; a leak grows in every stretch. So: two stretches of 60 indexes after a warm-up of
    // 120, and the smaller growth must stay far below what a leak of one index each would give.
    long[] at = new long[3];
    for (int i = 0; i < 240; i++) {
      try (Compute.NeighbourIndex index = computes[i % 2].neighbourIndex(bank, rows, dim)) {
        index.search(q, 100, 5, d, ix, null);
      }
      if (i == 119 || i == 179 || i == 239) {
        at[(i - 119) / 60] = nativeKb();
      }
    }
    long first = at[1] - at[0];
    long second = at[2] - at[1];
    System.out.printf("ScreenedIndexMemoryTest: native memory after 120, 180, 240 indexes: %d, %d, %d kB%n", at[0],
        at[1], at[2]);
    assertThat(Math.min(first, second))
        .as("native growth in kB over 60 indexes of 2.6 MB each (a leak of one index each: 156 MB); stretches %d "
            + "and %d kB", first, second)
        .isLessThan(32 * 1024);
  }
}
