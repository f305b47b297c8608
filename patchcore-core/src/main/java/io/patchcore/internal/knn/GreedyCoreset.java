package io.patchcore.internal.knn;

import io.patchcore.internal.Parallel;
import io.patchcore.knn.Compute;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * The portable greedy-coreset kernel (plain Java, no copy of the points).
 *
 * <p><b>Distances.</b> Every distance is computed one way, whichever path asks for it: the float32
 * sum of {@code (x_d - y_d)^2} over {@code d = 0 .. dim-1} in that order, then the float square
 * root. Java does not fuse or reorder float operations, so the value is the same bits whether the
 * loop runs over points or over centres; the loops are laid out so that the JIT vectorises across
 * pairs (never within one sum). The difference form has no cancellation, so a point's distance to
 * itself is exactly 0.
 *
 * <p><b>Lazy selection (exact).</b> A running distance only ever decreases as centres are added,
 * so a value computed against the first {@code t} centres is an upper bound on the value against
 * all of them. {@link #select} keeps every point in a max-heap ordered by (bound, lower index
 * first), each with the number of centres its bound has seen. The root is the next centre as soon
 * as its bound has seen every centre: no other point can be larger, or equal with a lower index.
 * Otherwise the bounds at the top of the heap are brought up to date against the centres they
 * have not seen, tile by tile of centres in selection order, each stopping early once it falls
 * behind the best point below them, and the top of the heap is restored. Points far from the
 * frontier are never measured again; no distance is measured twice. The selection, its order and
 * the distance at which every point was selected are those of the unpruned loop ({@link #update}),
 * bit for bit ({@code GreedyCoresetTest}); on real patch features it measures about a third of the
 * distances the unpruned loop does.
 *
 * <p><b>Threads.</b> With an executor, the points of one batch are split between the calling
 * thread and helpers that stay with the selection ({@link Team}); each point is written by one
 * thread only. The full passes ({@link #distances}, {@link #update}) run blocks of points in
 * parallel. Nothing is allocated inside the selection loop but one tile of centres per
 * {@value #TILE} selected points.
 *
 * <p>{@code -Dpatchcore.coreset.pruning=false} makes {@link #select} run the unpruned loop, for
 * benchmarks that compare the two.
 */
public final class GreedyCoreset implements Compute.CoresetKernel {
  /** Points per block of the full passes. */
  static final int BLOCK = 64;
  /** Centres per tile when a bound is brought up to date. */
  static final int TILE = 256;
  /** Pair-dimensions of pending work from which a batch is split between threads. */
  static final long PARALLEL_WORK = 1L << 21;
  /** Heap positions brought up to date together (the top three levels of the heap). */
  static final int BATCH = 7;

  private final float[] points;
  private final int rows;
  private final int dim;
  private final boolean lazy;
  private final long parallelWork;
  /** Distance evaluations of {@link #select}, over the life of this kernel. */
  private final AtomicLong evaluations = new AtomicLong();
  /** The points transposed and per-point sums, made by the first {@link #update}. */
  private float[][] transposed;
  private float[] sums;

  GreedyCoreset(float[] points, int rows, int dim) {
    this(points, rows, dim, !"false".equals(System.getProperty("patchcore.coreset.pruning")), PARALLEL_WORK);
  }

  /** With lazy selection switched on or off (tests compare the two). */
  GreedyCoreset(float[] points, int rows, int dim, boolean lazy) {
    this(points, rows, dim, lazy, PARALLEL_WORK);
  }

  /** With the least work (pair-dimensions) for which a batch is split between threads. */
  GreedyCoreset(float[] points, int rows, int dim, boolean lazy, long parallelWork) {
    this.parallelWork = parallelWork;
    this.points = points;
    this.rows = rows;
    this.dim = dim;
    this.lazy = lazy;
  }

  /** The one distance, for single pairs (the loops below compute the same bits). */
  float distance(int i, int j) {
    float acc = 0f;
    int a = i * dim;
    int b = j * dim;
    for (int d = 0; d < dim; d++) {
      float t = points[a + d] - points[b + d];
      acc += t * t;
    }
    return (float) Math.sqrt(acc);
  }

  /**
   * Distances of points {@code [from, to)} to {@code centre} into {@code out[at ..]}: the block is
   * transposed into scratch so that the sums run across points.
   */
  private void blockDistances(Scratch s, int centre, int from, int to, float[] out, int at) {
    float[][] t = s.rows;
    float[] acc = s.acc;
    int n = to - from;
    for (int b = 0; b < n; b++) {
      int src = (from + b) * dim;
      for (int d = 0; d < dim; d++) {
        t[d][b] = points[src + d];
      }
      acc[b] = 0f;
    }
    accumulate(t, points, centre * dim, acc, 0, n);
    for (int b = 0; b < n; b++) {
      out[at + b] = (float) Math.sqrt(acc[b]);
    }
  }

  /**
   * For {@code b} in {@code [from, to)}: {@code acc[b] += sum over d of (rows[d][b] - x[at + d])^2},
   * added in order of {@code d}. Four values of {@code d} per pass over {@code b} (the additions
   * stay in order, so the bits are those of one addition at a time); {@code rows[d]} and
   * {@code acc} are indexed alike so that the JIT vectorises the loop over {@code b}.
   */
  private static void accumulate(float[][] rows, float[] x, int at, float[] acc, int from, int to) {
    int dim = rows.length;
    int d = 0;
    for (; d + 4 <= dim; d += 4) {
      float[] r0 = rows[d];
      float[] r1 = rows[d + 1];
      float[] r2 = rows[d + 2];
      float[] r3 = rows[d + 3];
      float p0 = x[at + d];
      float p1 = x[at + d + 1];
      float p2 = x[at + d + 2];
      float p3 = x[at + d + 3];
      for (int b = from; b < to; b++) {
        float t0 = r0[b] - p0;
        float t1 = r1[b] - p1;
        float t2 = r2[b] - p2;
        float t3 = r3[b] - p3;
        acc[b] = (((acc[b] + t0 * t0) + t1 * t1) + t2 * t2) + t3 * t3;
      }
    }
    for (; d < dim; d++) {
      float[] r = rows[d];
      float p = x[at + d];
      for (int b = from; b < to; b++) {
        float t = r[b] - p;
        acc[b] += t * t;
      }
    }
  }

  /** Scratch of one group of a full pass: a block of points transposed, and its sums. */
  private static final class Scratch {
    final float[][] rows;
    final float[] acc = new float[BLOCK];

    Scratch(int dim) {
      rows = new float[dim][BLOCK];
    }
  }

  /** Groups of blocks handed to one parallel task. */
  private static final int GROUP = JblasCompute.CORESET_BLOCK / BLOCK;

  private int groups() {
    int blocks = (rows + BLOCK - 1) / BLOCK;
    return (blocks + GROUP - 1) / GROUP;
  }

  @Override
  public void distances(int centre, float[] out, Executor executor) {
    Objects.checkIndex(centre, rows);
    if (out.length < rows) {
      throw new IllegalArgumentException("out holds " + out.length + " values, " + rows + " needed");
    }
    Parallel.forEach(executor, groups(), Parallel.helpers(executor), g -> {
      Scratch s = new Scratch(dim);
      int to = (int) Math.min(rows, (long) (g + 1) * GROUP * BLOCK);
      for (int f = g * GROUP * BLOCK; f < to; f += BLOCK) {
        blockDistances(s, centre, f, Math.min(to, f + BLOCK), out, f);
      }
    });
  }

  /**
   * The unpruned update: every point is measured against the new centre. The first call makes a
   * transposed copy of the points (as much memory again), so that each update is one vectorised
   * pass over them; {@link #select} does not use this unless lazy selection is switched off.
   */
  @Override
  public int update(int centre, float[] running, Executor executor) {
    Objects.checkIndex(centre, rows);
    checkRunning(running);
    if (transposed == null) {
      float[][] t = new float[dim][rows];
      for (int i = 0; i < rows; i++) {
        for (int d = 0; d < dim; d++) {
          t[d][i] = points[i * dim + d];
        }
      }
      transposed = t;
      sums = new float[rows];
    }
    float[][] t = transposed;
    float[] acc = sums;
    int groups = groups();
    int[] bestIdx = new int[groups];
    Parallel.forEach(executor, groups, Parallel.helpers(executor), g -> {
      int from = g * GROUP * BLOCK;
      int to = (int) Math.min(rows, (long) (g + 1) * GROUP * BLOCK);
      java.util.Arrays.fill(acc, from, to, 0f);
      accumulate(t, points, centre * dim, acc, from, to);
      int best = from;
      float bestVal = Float.NEGATIVE_INFINITY;
      for (int i = from; i < to; i++) {
        float r = running[i];
        float v = (float) Math.sqrt(acc[i]);
        if (v < r) {
          r = v;
          running[i] = v;
        }
        if (r > bestVal) {
          bestVal = r;
          best = i;
        }
      }
      bestIdx[g] = best;
    });
    int best = bestIdx[0];
    for (int g = 1; g < groups; g++) {
      if (running[bestIdx[g]] > running[best]) {
        best = bestIdx[g];
      }
    }
    return best;
  }

  private void checkRunning(float[] running) {
    if (running.length != rows) {
      throw new IllegalArgumentException("running holds " + running.length + " values for " + rows + " points");
    }
  }

  @Override
  public int[] select(float[] running, int count, float[] radii, IntConsumer progress, Executor executor) {
    checkRunning(running);
    Compute.CoresetKernel.checkSelect(running, count, radii);
    if (!lazy) {
      return Compute.CoresetKernel.super.select(running, count, radii, progress, executor);
    }
    return new Lazy(running, count, executor).run(radii, progress);
  }

  /** The state of one lazy selection; every array is allocated before the loop starts. */
  private final class Lazy {
    /** Upper bounds: the running distance against the first {@code seen[i]} centres. */
    private final float[] bound;
    private final int[] seen;
    /** Max-heap of point indices. */
    private final int[] heap;
    /**
     * Centres so far, transposed in tiles: value {@code d} of centre {@code c} at {@code
     * [c / TILE][d][c % TILE]}, each tile's arrays allocated together when its first centre comes.
     */
    private final float[][][] centres;
    private final int count;
    /** Per group of refreshed points: sums of the tile being measured, members, evaluations. */
    private final float[][] accs;
    private final int[][] groupMembers;
    private final long[] measuredBy;
    private final int parallelism;
    private final Executor executor;
    /** Helper threads for the duration of one selection (null: this thread alone). */
    private Team team;
    /** Points being brought up to date together, and how (read by the groups of the batch). */
    private final int[] batch = new int[BATCH];
    private int batchMembers;
    private int batchFrontier;
    private int batchCentres;
    private int batchGroups;
    private final IntConsumer groupTask = this::refreshGroup;

    Lazy(float[] running, int count, Executor executor) {
      this.bound = running;
      this.count = count;
      this.seen = new int[rows];
      this.heap = new int[rows];
      this.centres = new float[(count + TILE - 1) / TILE][][];
      this.executor = executor;
      // helpers spin while they wait: never more threads (the caller's included) than the pool's
      // size or the processors
      this.parallelism = executor == null ? 1
          : Math.max(1, Math.min(BATCH, Math.min(Parallel.helpers(executor), Runtime.getRuntime().availableProcessors())));
      this.accs = new float[parallelism][TILE];
      this.groupMembers = new int[parallelism][BATCH];
      this.measuredBy = new long[parallelism];
      for (int i = 0; i < rows; i++) {
        heap[i] = i;
      }
      for (int h = rows / 2 - 1; h >= 0; h--) {
        siftDown(h);
      }
    }

    /** Whether point {@code a} with bound {@code va} comes before {@code b} (larger, or equal and lower). */
    private boolean before(int a, float va, int b) {
      float vb = bound[b];
      return va > vb || (va == vb && a < b);
    }

    private void siftDown(int h) {
      int p = heap[h];
      float v = bound[p];
      int half = rows >>> 1;
      while (h < half) {
        int c = 2 * h + 1;
        int child = heap[c];
        if (c + 1 < rows && before(heap[c + 1], bound[heap[c + 1]], child)) {
          c++;
          child = heap[c];
        }
        if (before(p, v, child)) {
          break;
        }
        heap[h] = child;
        h = c;
      }
      heap[h] = p;
    }

    int[] run(float[] radii, IntConsumer progress) {
      if (parallelism > 1) {
        team = Team.start(executor, parallelism - 1);
      }
      try {
        return loop(radii, progress);
      } finally {
        if (team != null) {
          team.stop();
        }
      }
    }

    private int[] loop(float[] radii, IntConsumer progress) {
      int[] selected = new int[count];
      int n = 0;
      while (n < count) {
        int top = heap[0];
        if (seen[top] == n) {
          selected[n] = top;
          if (radii != null) {
            radii[n] = bound[top];
          }
          int src = top * dim;
          float[][] tile = centres[n / TILE];
          if (tile == null) {
            tile = new float[dim][TILE];
            centres[n / TILE] = tile;
          }
          for (int d = 0; d < dim; d++) {
            tile[d][n % TILE] = points[src + d];
          }
          n++;
          bound[top] = 0f; // its distance to itself, computed, is exactly 0
          seen[top] = n;
          siftDown(0);
          if (progress != null) {
            progress.accept(n);
          }
          continue;
        }
        refreshTop(n);
      }
      for (long c : measuredBy) {
        evaluations.addAndGet(c);
      }
      return selected;
    }

    /**
     * Brings the bounds of the top {@code BATCH} heap positions up to date against centres {@code
     * seen[p] .. n-1}, tile by tile so that each tile is read into cache once for all of them; a
     * point stops once it falls behind the best point below those positions. Then the top of the
     * heap is restored, bottom up.
     */
    private void refreshTop(int n) {
      int limit = Math.min(BATCH, rows);
      int k = 0;
      long pending = 0;
      for (int h = 0; h < limit; h++) {
        int p = heap[h];
        if (seen[p] < n) {
          batch[k++] = p;
          pending += n - seen[p];
        }
      }
      int frontier = -1;
      for (int h = limit, end = Math.min(rows, 2 * limit + 1); h < end; h++) {
        int p = heap[h];
        if (frontier < 0 || before(p, bound[p], frontier)) {
          frontier = p;
        }
      }
      batchFrontier = frontier;
      batchMembers = k;
      batchCentres = n;
      // handing work to another thread costs about a microsecond: only for enough work
      batchGroups = team != null && pending * dim >= parallelWork ? Math.min(k, parallelism) : 1;
      if (batchGroups > 1) {
        team.run(batchGroups, groupTask);
      } else {
        refreshGroup(0);
      }
      for (int h = limit - 1; h >= 0; h--) {
        siftDown(h);
      }
    }

    /**
     * Brings batch members {@code g, g + groups, ..} up to date, tile by tile; each group has its
     * own sums and counter, and its members' bounds are written by this group only.
     */
    private void refreshGroup(int g) {
      int groups = batchGroups;
      int members = batchMembers;
      int frontier = batchFrontier;
      int n = batchCentres;
      int[] mine = groupMembers[g];
      int active = 0;
      int firstTile = Integer.MAX_VALUE;
      for (int q = g; q < members; q += groups) {
        mine[active++] = batch[q];
        firstTile = Math.min(firstTile, seen[batch[q]] / TILE);
      }
      float[] a = accs[g];
      long count = 0;
      for (int t = firstTile; active > 0 && t * TILE < n; t++) {
        int tileStart = t * TILE;
        int tileEnd = Math.min(n, tileStart + TILE);
        float[][] tile = centres[t];
        for (int q = 0; q < active; q++) {
          int p = mine[q];
          int j = seen[p];
          if (j >= tileEnd) {
            continue;
          }
          int from = j - tileStart;
          int to = tileEnd - tileStart;
          java.util.Arrays.fill(a, from, to, 0f);
          accumulate(tile, points, p * dim, a, from, to);
          float min = a[from];
          for (int b = from + 1; b < to; b++) {
            if (a[b] < min) {
              min = a[b];
            }
          }
          float dist = (float) Math.sqrt(min);
          if (dist < bound[p]) {
            bound[p] = dist;
          }
          count += tileEnd - j;
          seen[p] = tileEnd;
          if (frontier >= 0 && !before(p, bound[p], frontier)) {
            mine[q--] = mine[--active]; // this one is done
          }
        }
      }
      measuredBy[g] += count;
    }
  }

  /** Distance evaluations made by {@link #select} so far. */
  long evaluations() {
    return evaluations.get();
  }

  /**
   * Threads that stay with one selection and take parts of each batch as soon as it is posted:
   * batches last tens to hundreds of microseconds, less than it takes to wake a parked pool thread.
   * The helpers wait spinning (yielding now and then), so they are only started when the caller
   * gave an executor. The posting thread takes parts too, so every batch completes even if no
   * helper ever runs.
   */
  static final class Team {
    /** The batch being worked on (high 32 bits) and its next unclaimed part (low 32 bits). */
    private final AtomicLong state = new AtomicLong();
    private final AtomicInteger done = new AtomicInteger();
    private volatile int parts;
    private volatile IntConsumer work;
    private volatile boolean stopped;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    private Team() {}

    /** Starts up to {@code helpers} helper tasks on {@code executor}. */
    static Team start(Executor executor, int helpers) {
      Team team = new Team();
      for (int i = 0; i < helpers; i++) {
        try {
          executor.execute(team::help);
        } catch (RuntimeException rejected) {
          break; // the posting thread does the work alone
        }
      }
      return team;
    }

    private void help() {
      long last = state.get() >>> 32;
      int idle = 0;
      while (!stopped) {
        long batch = state.get() >>> 32;
        if (batch != last) {
          last = batch;
          claim(batch);
          idle = 0;
        } else if (++idle % 256 == 0) {
          Thread.yield();
        } else {
          Thread.onSpinWait();
        }
      }
    }

    /** Runs unclaimed parts of batch {@code batch} until none is left. */
    private void claim(long batch) {
      while (true) {
        long s = state.get();
        int part = (int) s;
        if (s >>> 32 != batch || part >= parts) {
          return;
        }
        if (!state.compareAndSet(s, s + 1)) {
          continue;
        }
        try {
          if (failure.get() == null) {
            work.accept(part);
          }
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        } finally {
          done.incrementAndGet();
        }
      }
    }

    /**
     * Runs {@code body} for parts {@code 0 .. count-1} and returns when all have run. The batch
     * fields the parts read are written before this call and so published by it.
     */
    void run(int count, IntConsumer body) {
      work = body;
      parts = count;
      done.set(0);
      long batch = (state.get() >>> 32) + 1;
      state.set(batch << 32); // publishes the batch: helpers read work and parts after this
      claim(batch);
      while (done.get() < count) {
        Thread.onSpinWait();
      }
      state.set(batch << 32 | Integer.MAX_VALUE); // closed: no late claim can take a part of the next
      Parallel.rethrow(failure.get());
    }

    void stop() {
      stopped = true;
    }
  }

  @Override
  public void close() {}
}
