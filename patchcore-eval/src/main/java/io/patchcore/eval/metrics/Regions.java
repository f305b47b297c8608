package io.patchcore.eval.metrics;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;

/**
 * Connected components ("regions") of the anomalous pixels of row-major masks of one size, by
 * breadth-first flood fill; 8-connected as the MVTec evaluation, or 4-connected for comparison.
 * One instance reuses its buffers over the masks of a data set; not thread-safe.
 */
final class Regions {
  private final int width;
  private final int height;
  private final boolean eightConnected;
  private final boolean[] seen;
  private final int[] queue;

  Regions(int width, int height, boolean eightConnected) {
    this.width = width;
    this.height = height;
    this.eightConnected = eightConnected;
    this.seen = new boolean[width * height];
    this.queue = new int[width * height];
  }

  /** The number of regions of one mask; package-private for tests. */
  static int count(byte[] mask, int width, int height, boolean eightConnected) {
    checkArgument(mask.length == width * height, "mask has %s pixels; expected %sx%s",
        mask.length, width, height);
    Regions r = new Regions(width, height, eightConnected);
    int n = 0;
    for (int p = 0; p < mask.length; p++) {
      if (mask[p] != 0 && !r.seen(p)) {
        r.fill(mask, p);
        n++;
      }
    }
    return n;
  }

  /** Forgets the pixels seen, before the next mask. */
  void reset() {
    Arrays.fill(seen, false);
  }

  /** Whether pixel {@code p} belongs to a region filled since the last {@link #reset()}. */
  boolean seen(int p) {
    return seen[p];
  }

  /** Pixel index {@code q} of the region filled last, {@code 0 <= q < size}. */
  int pixel(int q) {
    return queue[q];
  }

  /**
   * Marks the region of {@code start} in {@code mask} as seen; its pixel indices are then
   * {@link #pixel}{@code (0 .. size - 1)}.
   *
   * @return the region's size
   */
  int fill(byte[] mask, int start) {
    int head = 0;
    int tail = 0;
    queue[tail++] = start;
    seen[start] = true;
    while (head < tail) {
      int p = queue[head++];
      int y = p / width;
      int x = p - y * width;
      for (int dy = -1; dy <= 1; dy++) {
        int ny = y + dy;
        if (ny < 0 || ny >= height) {
          continue;
        }
        for (int dx = -1; dx <= 1; dx++) {
          int nx = x + dx;
          if (nx < 0 || nx >= width || (dx == 0 && dy == 0)
              || (!eightConnected && dx != 0 && dy != 0)) {
            continue;
          }
          int q = ny * width + nx;
          if (mask[q] != 0 && !seen[q]) {
            seen[q] = true;
            queue[tail++] = q;
          }
        }
      }
    }
    return tail;
  }
}
