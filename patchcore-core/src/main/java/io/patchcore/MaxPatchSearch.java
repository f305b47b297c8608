package io.patchcore;

import io.patchcore.internal.knn.SearchSteps;
import io.patchcore.knn.Compute;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Finds an image's largest patch score (the mean distance of a patch to its k nearest bank rows)
 * without searching every patch against the whole bank, and exactly: the patch, its score and its
 * neighbours equal those of the full search bit for bit.
 *
 * <p>Every patch is first bounded against a fixed sample of the bank (the probe,
 * {@link Compute.NeighbourIndex#upperBounds}): the distance to any k bank rows bounds the distance
 * to the k nearest from above, so the probe gives each patch an upper bound on its score. Patches are then searched against the whole bank in order of falling
 * bound: the largest exact score found so far is a lower bound on the image's, and every patch
 * whose upper bound (widened by {@link #MARGIN} for the rounding of both searches) lies below it
 * cannot be the largest and is never searched. On a normal image most patches lie close to the
 * bank, so a few percent of them are searched in full.
 *
 * <p>The probe index is built on first use and holds a copy of {@link #probeRows} bank rows (2,240
 * of a 78,400-row bank, 3%). Thread-safe.
 */
final class MaxPatchSearch implements AutoCloseable {
  /** Banks with fewer rows are searched in full: the probe would not pay for itself. */
  static final int MIN_BANK_ROWS = 16_384;
  /** Relative widening of the upper bounds: far above the 1e-6 error the search contract allows. */
  static final double MARGIN = 1e-4;
  /**
   * Patches searched in full first, to establish the lower bound: on the 200 Fashion-MNIST test
   * images (bank 78,400 rows) 48 leave a second pass for a quarter of the images; a full pass costs
   * about as much for 8 queries as for 48 (reading the bank dominates).
   */
  static final int FIRST_BLOCK = 48;
  /** Seed of the probe sample (fixed: the result never depends on it, only the speed). */
  private static final long PROBE_SEED = 0x5eed_1dea_2026L;

  /** Patches searched in full and patches seen, process-wide (tests and benchmarks read them). */
  static final AtomicLong SEARCHED = new AtomicLong();
  static final AtomicLong PATCHES = new AtomicLong();
  private final Compute compute;
  private final float[] bank;
  private final int rows;
  private final int dim;
  private final int probeRows;
  private final Object lock = new Object();
  private Compute.NeighbourIndex probe;
  private boolean closed;

  /** The largest patch score of one image. */
  record Max(int patch, float score, int[] neighbours) {}

  MaxPatchSearch(Compute compute, float[] bank, int rows, int dim) {
    this.compute = compute;
    this.bank = bank;
    this.rows = rows;
    this.dim = dim;
    this.probeRows = rows < MIN_BANK_ROWS ? 0 : probeRows(rows);
  }

  /**
   * The probe size for a bank of {@code rows} rows: {@code 8 sqrt(rows)}, at least 2,048 and at
   * most an eighth of the bank. A larger probe bounds more tightly but costs more for every patch:
   * on 50 Fashion-MNIST images (bank 78,400 rows), a probe of 2,048 rows left 60 of an image's 784
   * patches to search in full (the first 48 included), 4,096 rows left 51 and was slower overall.
   */
  static int probeRows(int rows) {
    return Math.min(rows / 8, Math.max(2048, (int) Math.round(8 * Math.sqrt(rows))));
  }

  /** Whether the probe is used (a large enough bank). */
  boolean pruning() {
    return probeRows > 0;
  }

  /**
   * The largest patch score of {@code n} patches, the lowest-numbered patch with it and its
   * {@code k} nearest bank rows, as the full search of all patches against {@code full} gives them.
   */
  Max search(Compute.NeighbourIndex full, float[] patches, int n, int k, Executor executor) {
    if (!pruning()) {
      return searchAll(full, patches, n, k, executor);
    }
    Compute.NeighbourIndex p = probe();
    float[] upper = new float[n];
    p.upperBounds(patches, n, k, upper, executor);
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> upper[a] != upper[b] ? Float.compare(upper[b], upper[a]) : Integer.compare(a, b));
    int first = Math.min(n, FIRST_BLOCK);
    int[] block = new int[first];
    for (int j = 0; j < first; j++) {
      block[j] = order[j];
    }
    Best best = new Best(k);
    best.offer(full, patches, block, executor);
    int[] rest = new int[n - first];
    int m = 0;
    for (int j = first; j < n; j++) {
      int i = order[j];
      if (!(upper[i] * (1 + MARGIN) < best.score)) { // also NaN: never dropped
        rest[m++] = i;
      }
    }
    best.offer(full, patches, Arrays.copyOf(rest, m), executor);
    SEARCHED.addAndGet(first + m);
    PATCHES.addAndGet(n);
    return new Max(best.patch, best.score, best.neighbours);
  }

  private static Max searchAll(Compute.NeighbourIndex full, float[] patches, int n, int k, Executor executor) {
    Best best = new Best(k);
    int[] all = new int[n];
    Arrays.setAll(all, i -> i);
    best.offer(full, patches, all, executor);
    return new Max(best.patch, best.score, best.neighbours);
  }

  /** The largest score among the patches searched so far, ties to the lower patch. */
  private static final class Best {
    final int k;
    int patch = -1;
    float score = Float.NEGATIVE_INFINITY;
    int[] neighbours;

    Best(int k) {
      this.k = k;
    }

    void offer(Compute.NeighbourIndex full, float[] patches, int[] which, Executor executor) {
      if (which.length == 0) {
        return;
      }
      int dim = full.dimension();
      float[] q = new float[which.length * dim];
      for (int j = 0; j < which.length; j++) {
        System.arraycopy(patches, which[j] * dim, q, j * dim, dim);
      }
      float[] d = new float[which.length * k];
      int[] idx = new int[which.length * k];
      full.search(q, which.length, k, d, idx, executor);
      for (int j = 0; j < which.length; j++) {
        float s = SearchSteps.mean(d, j * k, k);
        if (s > score || (s == score && which[j] < patch)) {
          score = s;
          patch = which[j];
          neighbours = Arrays.copyOfRange(idx, j * k, j * k + k);
        }
      }
    }
  }

  private Compute.NeighbourIndex probe() {
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("model is closed");
      }
      if (probe == null) {
        probe = compute.neighbourIndex(sample(), probeRows, dim);
      }
      return probe;
    }
  }

  /** A copy of {@link #probeRows} bank rows drawn without replacement, in bank order. */
  private float[] sample() {
    int[] picked = new SplittableRandom(PROBE_SEED).ints(0, rows).distinct().limit(probeRows).sorted().toArray();
    float[] out = new float[probeRows * dim];
    for (int j = 0; j < probeRows; j++) {
      System.arraycopy(bank, picked[j] * dim, out, j * dim, dim);
    }
    return out;
  }

  /** Whether the probe index is built and not closed (tests). */
  boolean probeOpen() {
    synchronized (lock) {
      return probe != null;
    }
  }

  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      if (probe != null) {
        probe.close();
        probe = null;
      }
    }
  }
}
