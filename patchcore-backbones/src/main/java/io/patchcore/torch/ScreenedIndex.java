package io.patchcore.torch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.patchcore.internal.knn.SearchSteps;
import io.patchcore.knn.Compute;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Exact k-NN search on libtorch: a reduced-precision screening on the device with a rigorous
 * per-(query, row) error bound, then an exact re-ranking in double of the few rows the bound
 * cannot exclude ({@link SearchSteps#rerankExactly}). The result equals a double-precision brute
 * force: the same rows, ties to the lower index.
 *
 * <h2>Storage</h2>
 *
 * The bank is centred on {@code mu} (the mean of its finite rows, in double) and scaled by a power
 * of two {@code s} (exact) so that its largest centred row norm lies in [1/2, 1). Row {@code r}
 * becomes {@code b = s (m_r - mu)}, computed in double ({@code b^}) and rounded directly to
 * bfloat16 ({@code b~}). The device holds only bfloat16, one tensor per chunk of rows, each row
 * {@code [-2 b~, h1, h2]} ({@code dim + 2} columns) where {@code h1 + h2} is the double squared
 * norm {@code nb} of {@code b^} split into two bfloat16 numbers. Rows are stored in order of their
 * norm so that the per-chunk maxima used below are tight; the exact re-ranking reads the caller's
 * {@code float[]} bank. Rows holding NaN or an infinity are not stored: they are re-ranked for
 * every query.
 *
 * <h2>Screening</h2>
 *
 * A query becomes {@code a = s (q - mu)} ({@code a^} in double, squared norm {@code na}), rounded
 * to {@code p} significant bits ({@code a~}: 8 in {@link Screening#BF16}, 24 in float32 on the
 * CPU, 11 on a GPU) and extended by {@code [1, 1]}. One product per chunk gives
 * {@code z~ = h1 + h2 - 2 a~.b~}, and {@code d~ = na + z~} estimates {@code ||a - b||^2}: for any
 * {@code mu}, {@code ||q - m||^2 s^2 = ||a||^2 + ||b||^2 - 2 a.b} exactly, and the scaling does not
 * change the order.
 *
 * <h2>The bound</h2>
 *
 * Let {@code ea = a~ - a}, {@code eb = b~ - b} (real differences, bounded on the host from the
 * exactly known rounding errors {@code a~ - a^}), {@code u_acc = 2^-23} (one float32 ulp: any
 * faithful accumulation, also truncating tensor cores), {@code K = dim + 2}, {@code gamma_K =
 * K u_acc / (1 - K u_acc)}, {@code g = (dim + 4) 2^-52}, {@code u_o = 2^-8} for a bfloat16 output
 * and 0 for a float32 one. Then
 *
 * <pre>
 *   |d - d~| <= u_o |z~| + E,
 *   E = 3 g (na + nb) + rho + 2 (||ea|| ||b|| + ||a|| ||eb|| + ||ea|| ||eb||)
 *       + gamma_K (2 ||a~|| ||b~|| + |h1| + |h2|) + (2K + 2) 2^-126
 * </pre>
 *
 * <p>Proof sketch. (1) Input rounding: {@code a~.b~ - a.b = ea.b + a.eb + ea.eb}, so by
 * Cauchy-Schwarz {@code |2 a~.b~ - 2 a.b| <= 2 (||ea|| ||b|| + ||a|| ||eb|| + ||ea|| ||eb||)}; for
 * bfloat16 inputs {@code ||ea|| <= 2^-8 ||a||}, which gives the textbook {@code 2 (2u + u^2)
 * ||a|| ||b||}; the actual error norms are typically near {@code 0.4 u ||a||} (Gaussian or
 * uniform data), so using them makes the bound about 2.5 times tighter. (2) Accumulation: the
 * float32 sum of the K products (exact for bfloat16 times bfloat16, rounded otherwise) in any
 * order is within {@code gamma_K sum |terms| <= gamma_K (2 ||a~|| ||b~|| + |h1| + |h2|)} of the
 * exact sum (Higham, Accuracy and Stability, eq. 3.5). (3) Output: rounding to nearest bfloat16
 * moves the sum by at most {@code 2^-8 |z~|}. (4) Norms: {@code na} and {@code nb} are double
 * sums of squares of double differences, within {@code g/2} relative of the exact squared norms;
 * {@code rho = |nb - h1 - h2|} is known exactly. (5) Flushes: inputs below 2^-126 are flushed by
 * the host (and counted in {@code ea}, {@code eb}); a device that flushes denormal products,
 * partial sums or the output changes each by less than 2^-126. (6) The re-ranking compares the
 * double-evaluated {@code exactSquared}, within {@code (dim + 3) 2^-53 d <= g (na + nb)} of
 * {@code d}; the extra {@code 2 g (na + nb)} lets the bounds bracket that value too, so the
 * candidate set is exact for the double ranking as well.
 *
 * <p>The index multiplies {@code E} and {@code u_o} by {@link #SAFETY} = 1.5, adds
 * {@code 2^-45 (na + |z~|)} for the double evaluation of the bounds, and replaces the per-row
 * quantities ({@code nb, rho, ||b||, ||eb||, ||b~||, |h1| + |h2|}) by their maxima over the chunk,
 * which makes {@code E} one number per (query, chunk). With {@code lower = d~ - u|z~| - E} and
 * {@code upper = d~ + u|z~| + E}, both increasing in {@code z~}:
 *
 * <ul>
 *   <li>the device returns the product {@code z~} and the minimum of each group of {@link #GROUP}
 *       consecutive rows; the k smallest minima are z~ of k distinct rows, so merged with the
 *       running k smallest upper bounds (rows of earlier chunks) they give a valid running k-th
 *       smallest upper bound {@code U};
 *   <li>the host reads (on a GPU: the device gathers) the z~ of the groups whose minimum is at
 *       most {@code T}, where {@code lower(T) = U} (a float rounded up), keeps the rows with
 *       {@code lower <= U} as candidates and merges their upper bounds into the running k best;
 *   <li>after the last chunk the host keeps the candidates whose lower bound is at most the final
 *       {@code U} and re-ranks them exactly.
 * </ul>
 *
 * Exactness: at least k rows have {@code d <= upper <= U}, so the k-th smallest distance
 * {@code d_k <= U}. Every row with {@code d <= d_k} (ties at the k-th distance included) has
 * {@code lower <= d <= U}, at the time of its chunk as well (the running {@code U} only
 * decreases), so it is re-ranked; the re-ranking orders by exact distance, ties to the lower index.
 *
 * <p>Queries holding NaN or an infinity, or farther than 2^50 (scaled) from the centre, are
 * searched exhaustively on the host, as are queries whose candidate list outgrows
 * {@code max(4096, 4k)} (data far outside the bank's spread), which keeps memory bounded.
 */
final class ScreenedIndex implements Compute.NeighbourIndex {
  /** Factor on the rigorous bound: margin for hardware that rounds less well than assumed. */
  static final double SAFETY = 1.5;
  /** Unit of the float32 accumulation: one ulp (faithful rounding of any kind). */
  static final double ACC_UNIT = 0x1p-23;
  /** Unit roundoff of bfloat16 (8 significant bits, to nearest). */
  static final double BF16_UNIT = 0x1p-8;
  /** Squared scaled query norm above which the query is searched on the host. */
  static final double MAX_QUERY_NORM2 = 0x1p100;
  /** Floats of one host-to-device upload while the bank is stored. */
  static final int UPLOAD_FLOATS = 1 << 20;
  /** Query rows of a CPU product are a multiple of this (padded with zero rows). */
  static final int SHAPE_STEP = 16;

  /** {@code n} rounded up to a multiple of {@link #SHAPE_STEP}. */
  static int roundUp(int n) {
    return (n + SHAPE_STEP - 1) / SHAPE_STEP * SHAPE_STEP;
  }

  /** Largest query block on the CPU, for banks small enough to widen it. */
  static final int MAX_CPU_BLOCK = 1024;
  /** Candidates per query beyond which (and {@code 4k}) a query is searched exhaustively. */
  static final int CANDIDATE_CAP = 4096;
  /** Columns per group of the device minima; chunks are padded to a multiple. */
  static final int GROUP = 64;
  /** {@code h1} of a padding row: its {@code z~} is this, far above any real one (at most 2^52). */
  static final double PAD = 0x1p100;

  /** Queries screened and candidates re-ranked, process-wide (tests and benchmarks read them). */
  static final AtomicLong SCREENED_QUERIES = new AtomicLong();
  static final AtomicLong RERANKED_CANDIDATES = new AtomicLong();
  /** Queries searched exhaustively on the host because their candidates outgrew the cap. */
  static final AtomicLong EXHAUSTIVE_QUERIES = new AtomicLong();
  /** Queries for which the bound produced fewer than k candidates: must stay 0. */
  static final AtomicLong BOUND_FAILURES = new AtomicLong();

  private final String name;
  private final Screening screening;
  /** Significant bits of the uploaded queries. */
  private final int queryBits;
  /** Output unit roundoff with the safety factor and the double-evaluation slack. */
  private final double outputUnit;
  private final float[] bank;
  private final int rows;
  private final int dim;
  private final int cols;
  private final double[] mu;
  private final double scale;
  /** Device row position to bank row, finite rows only. */
  private final int[] order;
  /** Rows with a NaN or an infinity: re-ranked for every query. */
  private final int[] unscreened;
  private final NDManager manager;
  private final NDArray[] chunks;
  /** First device position of each chunk, and the total at the end. */
  private final int[] chunkStart;
  private final double[] nbMax;
  private final double[] rhoMax;
  private final double[] sbMax;
  private final double[] ebMax;
  private final double[] sbtMax;
  private final double[] hMax;
  /** Relative bound on the error of a norm computed in double. */
  private final double rel;
  /** {@code 3 g}. */
  private final double normSlack;
  private final double gammaK;
  private final double tau;
  private final int queryBlock;
  /** Whether tensors live in host memory (read in place) rather than on a GPU. */
  private final boolean onCpu;
  private final ConcurrentLinkedQueue<ByteBuffer> scratchPool = new ConcurrentLinkedQueue<>();
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private boolean closed; // guarded by lock

  ScreenedIndex(Device device, String name, Screening screening, float[] bank, int rows, int dim, int queryBlock,
      long scratchFloats, long chunkFloats) {
    this.name = name;
    this.screening = screening;
    this.queryBits = screening == Screening.BF16 ? 8 : device.isGpu() ? 11 : 24;
    this.outputUnit = (screening == Screening.BF16 ? SAFETY * BF16_UNIT : 0) + 0x1p-45;
    this.bank = bank;
    this.rows = rows;
    this.dim = dim;
    this.cols = dim + 2;
    this.onCpu = !device.isGpu();
    this.rel = (dim + 8) * 0x1p-52;
    this.normSlack = 3 * (dim + 4) * 0x1p-52;
    double ku = cols * ACC_UNIT;
    this.gammaK = ku < 0.5 ? ku / (1 - ku) : Double.POSITIVE_INFINITY;
    this.tau = (2.0 * cols + 2) * Rounding.MIN_NORMAL;

    // finite rows and their mean
    boolean[] finite = new boolean[rows];
    int nFinite = 0;
    this.mu = new double[dim];
    for (int r = 0; r < rows; r++) {
      boolean ok = true;
      for (int j = r * dim, end = j + dim; j < end; j++) {
        ok &= Float.isFinite(bank[j]);
      }
      if (ok) {
        finite[r] = true;
        nFinite++;
        for (int j = 0, off = r * dim; j < dim; j++) {
          mu[j] += bank[off + j];
        }
      }
    }
    for (int j = 0; j < dim && nFinite > 0; j++) {
      mu[j] /= nFinite;
    }
    // centred norms: the scale, and the storage order
    long[] keys = new long[nFinite];
    this.unscreened = new int[rows - nFinite];
    double maxNorm2 = 0;
    for (int r = 0, f = 0, u = 0; r < rows; r++) {
      if (!finite[r]) {
        unscreened[u++] = r;
        continue;
      }
      double n0 = 0;
      double n1 = 0;
      int off = r * dim;
      int j = 0;
      for (; j + 1 < dim; j += 2) {
        double c0 = (double) bank[off + j] - mu[j];
        double c1 = (double) bank[off + j + 1] - mu[j + 1];
        n0 += c0 * c0;
        n1 += c1 * c1;
      }
      if (j < dim) {
        double c0 = (double) bank[off + j] - mu[j];
        n0 += c0 * c0;
      }
      double n2 = n0 + n1;
      maxNorm2 = Math.max(maxNorm2, n2);
      // non-negative floats order like their bits; the row index breaks ties
      keys[f++] = ((long) Float.floatToIntBits((float) n2) << 32) | r;
    }
    double maxNorm = Math.sqrt(maxNorm2);
    this.scale = maxNorm > 0 ? Math.scalb(1.0, -(Math.getExponent(maxNorm) + 1)) : 1.0;
    Arrays.sort(keys);
    this.order = new int[nFinite];
    for (int p = 0; p < nFinite; p++) {
      order[p] = (int) keys[p];
    }

    // chunks of at most scratchFloats / queryBlock rows (one block's product) and chunkFloats
    // values, of balanced sizes
    long maxRows = Math.min(Math.max(1, scratchFloats / queryBlock), Math.max(1, chunkFloats / cols));
    int nChunks = (int) ((nFinite + maxRows - 1) / maxRows);
    int chunkRows = nChunks == 0 ? 1 : (nFinite + nChunks - 1) / nChunks;
    // a bank of one chunk takes more queries per product within the same scratch (fewer, larger
    // calls: each costs about a millisecond beyond its arithmetic on the CPU)
    long wider = Math.min(MAX_CPU_BLOCK, scratchFloats / chunkRows);
    this.queryBlock = onCpu && nChunks == 1 && wider >= 2L * queryBlock ? (int) wider : queryBlock;
    this.chunks = new NDArray[nChunks];
    this.chunkStart = new int[nChunks + 1];
    this.nbMax = new double[nChunks];
    this.rhoMax = new double[nChunks];
    this.sbMax = new double[nChunks];
    this.ebMax = new double[nChunks];
    this.sbtMax = new double[nChunks];
    this.hMax = new double[nChunks];
    for (int c = 0; c <= nChunks; c++) {
      chunkStart[c] = Math.min(nFinite, c * chunkRows);
    }
    this.manager = NDManager.newBaseManager(device, "PyTorch");
    try {
      store();
    } catch (RuntimeException | Error e) {
      manager.close();
      throw e;
    }
  }

  /** Uploads the bfloat16 chunks and records their maxima. */
  private void store() {
    if (chunks.length == 0) {
      return;
    }
    int pieceRows = Math.max(GROUP, Math.min(chunkStart[1], UPLOAD_FLOATS / cols));
    ByteBuffer buffer = ByteBuffer.allocateDirect(pieceRows * cols * Float.BYTES).order(ByteOrder.nativeOrder());
    float[] row = new float[cols];
    for (int c = 0; c < chunks.length; c++) {
      int m = chunkStart[c + 1] - chunkStart[c];
      try (NDManager tmp = manager.newSubManager()) {
        for (int from = 0; from < m; from += pieceRows) {
          int n = Math.min(pieceRows, m - from);
          FloatBuffer fb = buffer.asFloatBuffer();
          for (int i = 0; i < n; i++) {
            storeRow(c, order[chunkStart[c] + from + i], fb, row);
          }
          ByteBuffer slice = buffer.slice(0, n * cols * Float.BYTES).order(ByteOrder.nativeOrder());
          try (NDArray piece = tmp.create(slice, new Shape(n, cols), DataType.FLOAT32)) {
            if (chunks[c] == null) {
              chunks[c] = ScreenKernels.alloc(manager, piece, padded(m), cols, ScreenKernels.BFLOAT16);
            }
            ScreenKernels.fill(chunks[c], from, piece); // exact: the values are bfloat16 numbers
          }
        }
        int pad = padded(m) - m;
        if (pad > 0) { // rows of zeros with h1 = PAD: never a candidate, never a group's minimum
          FloatBuffer fb = buffer.asFloatBuffer();
          for (int i = 0; i < pad * cols; i++) {
            fb.put(i % cols == dim ? (float) PAD : 0f);
          }
          ByteBuffer slice = buffer.slice(0, pad * cols * Float.BYTES).order(ByteOrder.nativeOrder());
          try (NDArray piece = tmp.create(slice, new Shape(pad, cols), DataType.FLOAT32)) {
            ScreenKernels.fill(chunks[c], m, piece);
          }
        }
      }
    }
  }

  /** {@code m} rounded up to a multiple of {@link #GROUP}. */
  static int padded(int m) {
    return (m + GROUP - 1) / GROUP * GROUP;
  }

  /** Writes row {@code r} as {@code [-2 b~, h1, h2]} and updates the maxima of chunk {@code c}. */
  private void storeRow(int c, int r, FloatBuffer out, float[] row) {
    // two partial sums of each (any summation order is within the bound)
    double nb0 = 0;
    double nb1 = 0;
    double eb0 = 0;
    double eb1 = 0;
    double bt0 = 0;
    double bt1 = 0;
    int off = r * dim;
    for (int j = 0; j < dim; j += 2) {
      double bh = ((double) bank[off + j] - mu[j]) * scale;
      double bt = Rounding.bf16(bh);
      double e = bt - bh; // exact (Sterbenz, or bt = 0)
      nb0 += bh * bh;
      eb0 += e * e;
      bt0 += bt * bt;
      row[j] = (float) (-2 * bt);
      if (j + 1 < dim) {
        double bh1 = ((double) bank[off + j + 1] - mu[j + 1]) * scale;
        double bt1v = Rounding.bf16(bh1);
        double e1 = bt1v - bh1;
        nb1 += bh1 * bh1;
        eb1 += e1 * e1;
        bt1 += bt1v * bt1v;
        row[j + 1] = (float) (-2 * bt1v);
      }
    }
    double nb = nb0 + nb1;
    double eb2 = eb0 + eb1;
    double bt2 = bt0 + bt1;
    double h1 = Rounding.bf16(nb);
    double r1 = nb - h1; // exact
    double h2 = Rounding.bf16(r1);
    row[dim] = (float) h1;
    row[dim + 1] = (float) h2;
    out.put(row);
    double sb = Math.sqrt(nb) * (1 + rel);
    nbMax[c] = Math.max(nbMax[c], nb * (1 + rel));
    rhoMax[c] = Math.max(rhoMax[c], Math.abs(r1 - h2));
    sbMax[c] = Math.max(sbMax[c], sb);
    // ||b~ - b|| <= ||b~ - b^|| + ||b^ - b||, the latter at most 2^-53 ||b||
    ebMax[c] = Math.max(ebMax[c], (Math.sqrt(eb2) + 0x1p-52 * sb) * (1 + rel));
    sbtMax[c] = Math.max(sbtMax[c], Math.sqrt(bt2) * (1 + rel));
    hMax[c] = Math.max(hMax[c], Math.abs(h1) + Math.abs(h2));
  }

  @Override
  public int rows() {
    return rows;
  }

  @Override
  public int dimension() {
    return dim;
  }

  Screening screening() {
    return screening;
  }

  /**
   * Bytes of the bank on the device: bfloat16 rows of {@code dim + 2} columns (chunks padded to a
   * multiple of {@link #GROUP} rows), about half the bank's float32 size.
   */
  long deviceBytes() {
    long bytes = 0;
    for (int c = 0; c < chunks.length; c++) {
      bytes += (long) padded(chunkStart[c + 1] - chunkStart[c]) * cols * 2;
    }
    return bytes;
  }

  @Override
  public void search(float[] queries, int count, int k, float[] distances, int[] indices, Executor executor) {
    SearchSteps.checkSearch(rows, dim, queries, count, k, distances, indices);
    screen(queries, count, k, null, distances, indices);
  }

  /**
   * The bound of the screening: for each query the mean of its k smallest upper bounds
   * {@code upper(z~)} over distinct rows (the group minima of every chunk, merged), unscaled and
   * rounded up. On the CPU the rows holding those minima are also measured exactly (k distances of
   * distinct rows bound the k nearest), which is tight where the screening's error is large against
   * the distance (near-duplicates); the smaller bound is returned. Queries the screening cannot take,
   * and queries of a bank with fewer groups of rows than k, are searched exactly on the host.
   */
  @Override
  public void upperBounds(float[] queries, int count, int k, float[] bounds, Executor executor) {
    SearchSteps.checkBounds(rows, dim, queries, count, k, bounds);
    screen(queries, count, k, bounds, null, null);
  }

  /**
   * Screens the queries batch by batch under the read lock: with {@code bounds}, writes each
   * query's upper bound there; otherwise searches into {@code distances} and {@code indices}.
   */
  private void screen(float[] queries, int count, int k, float[] bounds, float[] distances, int[] indices) {
    lock.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException("neighbour index (" + name + ", " + rows + "x" + dim + ") is closed");
      }
      int batch = batch(k);
      ByteBuffer scratch = scratch(batch);
      try {
        Block block = new Block(k, batch, false);
        if (bounds != null) {
          block.boundsMode(bounds, queries);
        }
        for (int from = 0; from < count; from += batch) {
          block.search(scratch, queries, from, Math.min(count, from + batch), distances, indices);
        }
      } finally {
        scratchPool.add(scratch);
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Queries screened together: one block, or with float32 screening on the CPU up to eight
   * blocks, so that each bfloat16 chunk is widened to float32 once for all of them (the host state
   * of a batch stays within about 2^21 k-best entries).
   */
  private int batch(int k) {
    if (screening != Screening.FLOAT32 || !onCpu) {
      return queryBlock;
    }
    return queryBlock * (int) Math.max(1, Math.min(8, (1L << 21) / ((long) queryBlock * k)));
  }

  /** A pooled upload buffer for a batch ({@code batch x cols} query values, then one block's thresholds). */
  private ByteBuffer scratch(int batch) {
    int floats = batch * cols + queryBlock;
    ByteBuffer b = scratchPool.poll();
    return b != null && b.capacity() >= floats * Float.BYTES ? b
        : ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder());
  }

  /** The host state of one batch of queries (reused across the batches of a search). */
  private final class Block {
    final int k;
    final int size;
    final int cap;
    /** Per screened query: scaled squared norm, bounds on ||a||, ||ea||, ||a~||, query index. */
    final double[] na;
    final double[] sa;
    final double[] ea;
    final double[] sat;
    final int[] query;
    /** The k smallest upper bounds so far (ascending) and how many. */
    final double[] best;
    final int[] filled;
    final double[] merged;
    /** Bound E of the current chunk, and the k-th smallest upper bound known before its gather. */
    final double[] e;
    final double[] before;
    /** The gathered z~ of one query. */
    float[] gathered = new float[1024];
    /** The smallest group minima of one query, and how many. */
    final float[] small;
    int smallCount;
    final float[] thresholds;
    final int[][] candRow;
    final double[][] candLower;
    final int[] candCount;
    final boolean[] overflow;
    /** Test mode: every row comes back and only the largest share of the bound used is kept. */
    final boolean probe;
    double maxBoundUse;
    /** Query rows uploaded for the current batch (the screened ones, then zero rows). */
    int uploaded;
    /** Bounds mode ({@link #upperBounds}): receives each query's bound; nothing is gathered. */
    float[] bounds;
    /** Bounds mode on the CPU: the rows of the k smallest upper bounds seen, by query, and how many. */
    int[] boundRows;
    double[] boundUpper;
    int[] boundCount;
    float[] boundQueries;
    final int[] smallGroup;

    Block(int k, int size, boolean probe) {
      this.k = k;
      this.size = size;
      this.probe = probe;
      this.cap = Math.max(CANDIDATE_CAP, 4 * k);
      this.na = new double[size];
      this.sa = new double[size];
      this.ea = new double[size];
      this.sat = new double[size];
      this.e = new double[size];
      this.before = new double[size];
      this.query = new int[size];
      this.filled = new int[size];
      this.thresholds = new float[size];
      this.candRow = new int[size][];
      this.candLower = new double[size][];
      this.candCount = new int[size];
      this.overflow = new boolean[size];
      this.best = new double[size * k];
      this.merged = new double[k];
      this.small = new float[k];
      this.smallGroup = new int[k];
    }

    /** Switches this block to {@link #upperBounds}: bounds of {@code queries} go to {@code out}. */
    void boundsMode(float[] out, float[] queries) {
      bounds = out;
      boundQueries = queries;
      if (onCpu) {
        boundRows = new int[size * k];
        boundUpper = new double[size * k];
        boundCount = new int[size];
      }
    }

    /** The mean of query {@code q}'s k nearest distances, searched exhaustively on the host. */
    float exactMean(float[] queries, int q) {
      float[] d = new float[k];
      exhaustive(Arrays.copyOfRange(queries, q * dim, (q + 1) * dim), 0, k, d, new int[k]);
      return SearchSteps.mean(d, 0, k);
    }

    void search(ByteBuffer scratch, float[] queries, int from, int to, float[] distances, int[] indices) {
      FloatBuffer a = scratch.asFloatBuffer();
      int ns = 0;
      for (int q = from; q < to; q++) {
        if (prepare(queries, q, ns, a)) {
          if (boundCount != null) {
            boundCount[ns] = 0;
          }
          ns++;
        } else if (bounds != null) {
          bounds[q] = exactMean(queries, q);
        } else {
          exhaustive(queries, q, k, distances, indices);
        }
      }
      if (ns == 0) {
        return;
      }
      Arrays.fill(filled, 0, ns, 0);
      Arrays.fill(candCount, 0, ns, 0);
      Arrays.fill(overflow, 0, ns, false);
      // on the CPU the products take whole steps of SHAPE_STEP queries (zero rows, ignored), so that
      // libtorch meets few distinct shapes: each new one costs a kernel preparation
      uploaded = onCpu ? Math.min(size, roundUp(ns)) : ns;
      for (int i = ns * cols; i < uploaded * cols; i++) {
        a.put(i, 0f);
      }
      try (NDManager scope = manager.newSubManager()) {
        ByteBuffer aBytes = scratch.slice(0, uploaded * cols * Float.BYTES).order(ByteOrder.nativeOrder());
        try (NDArray aDev = scope.create(aBytes, new Shape(uploaded, cols), DataType.FLOAT32)) {
          for (int c = 0; c < chunks.length; c++) {
            // float32 screening: the chunk widened (exactly) once for the batch
            try (NDArray b = screening == Screening.FLOAT32
                ? ScreenKernels.cast(scope, chunks[c], ScreenKernels.FLOAT32) : null) {
              for (int lo = 0; lo < ns; lo += queryBlock) {
                screenChunk(scope, scratch, aDev, b != null ? b : chunks[c], c, lo, Math.min(ns, lo + queryBlock));
              }
            }
          }
        }
      }
      if (probe) {
        return;
      }
      if (bounds != null) {
        for (int s = 0; s < ns; s++) {
          bounds[query[s]] = boundOf(s);
        }
        return;
      }
      for (int s = 0; s < ns; s++) {
        finish(queries, s, distances, indices);
      }
      SCREENED_QUERIES.addAndGet(ns);
    }

    /**
     * Centres, scales and rounds query {@code q} into row {@code s} of the upload buffer; false if
     * it must be searched on the host.
     */
    boolean prepare(float[] queries, int q, int s, FloatBuffer out) {
      double n2 = 0;
      double e2 = 0;
      double t2 = 0;
      out.position(s * cols);
      for (int j = 0, off = q * dim; j < dim; j++) {
        double ah = ((double) queries[off + j] - mu[j]) * scale;
        double at = Rounding.round(ah, queryBits);
        double d = at - ah;
        n2 += ah * ah;
        e2 += d * d;
        t2 += at * at;
        out.put((float) at);
      }
      out.put(1f);
      out.put(1f);
      if (!(n2 <= MAX_QUERY_NORM2)) { // also NaN: a non-finite query value
        return false;
      }
      na[s] = n2;
      sa[s] = Math.sqrt(n2) * (1 + rel);
      ea[s] = (Math.sqrt(e2) + 0x1p-52 * sa[s]) * (1 + rel);
      sat[s] = Math.sqrt(t2) * (1 + rel);
      query[s] = q;
      return true;
    }

    /** The bound E of screened query {@code s} against chunk {@code c}, see the class comment. */
    double bound(int s, int c) {
      double e = normSlack * (na[s] + nbMax[c]) + rhoMax[c]
          + 2 * (ea[s] * sbMax[c] + sa[s] * ebMax[c] + ea[s] * ebMax[c])
          + gammaK * (2 * sat[s] * sbtMax[c] + hMax[c]) + tau;
      return SAFETY * e + 0x1p-45 * na[s];
    }

    /**
     * Screens chunk {@code c}: on the device its product and the minima of its groups of
     * {@link #GROUP} rows; here the k-th smallest upper bound {@code U} merging the k smallest
     * minima (they are z~ of distinct rows) and the threshold {@code T} with {@code lower(T) = U};
     * the z~ of the groups whose minimum is at most {@code T} (read in place on the CPU, gathered
     * on a GPU); the rows of those groups with {@code lower <= U} become candidates and their upper
     * bounds update the running k best.
     */
    void screenChunk(NDManager scope, ByteBuffer scratch, NDArray aDev, NDArray b, int c, int lo, int hi) {
      int m = chunkStart[c + 1] - chunkStart[c];
      int groups = padded(m) / GROUP;
      int kg = Math.min(k, groups);
      boolean bf16 = screening == Screening.BF16;
      int end = onCpu ? Math.min(uploaded, lo + roundUp(hi - lo)) : hi;
      NDArray[] screened = ScreenKernels.screen(scope, aDev, lo, end, b, GROUP);
      try (NDArray z = screened[0]; NDArray minima = screened[1]) {
        Reader gm = new Reader(minima.toByteBuffer(true), bf16);
        if (bounds != null) {
          Reader zr = onCpu ? new Reader(z.toByteBuffer(true), bf16) : null;
          for (int s = lo; s < hi; s++) {
            e[s] = bound(s, c);
            smallest(gm, (s - lo) * groups, groups, kg);
            merge(s, small, 0, smallCount);
            if (zr != null) { // the row of each smallest minimum, for an exact bound at the end
              for (int j = 0; j < smallCount; j++) {
                int first = smallGroup[j] * GROUP;
                int off = (s - lo) * groups * GROUP + first;
                int at = 0;
                for (int i = 1; i < GROUP && first + i < m; i++) {
                  if (zr.get(off + i) < zr.get(off + at)) {
                    at = i;
                  }
                }
                offerRow(s, upper(s, small[j]), order[chunkStart[c] + first + at]);
              }
            }
          }
          return;
        }
        for (int s = lo; s < hi; s++) {
          e[s] = bound(s, c);
          before[s] = probe ? Double.POSITIVE_INFINITY
              : kthMerged(s, smallest(gm, (s - lo) * groups, groups, kg), kg);
          thresholds[s] = threshold(s, before[s]);
        }
        if (onCpu) {
          Reader zr = new Reader(z.toByteBuffer(true), bf16);
          int width = groups * GROUP;
          for (int s = lo; s < hi; s++) {
            int n = 0;
            for (int g = 0, row = (s - lo) * groups; g < groups; g++) {
              if (gm.get(row + g) <= thresholds[s]) {
                n = take(s, c, m, g, zr, (s - lo) * width + g * GROUP, n);
              }
            }
            mergeGathered(s, n);
          }
        } else {
          gatherOnDevice(scope, scratch, z, minima, c, m, lo, hi);
        }
      }
    }

    /** The GPU path: the device returns the (query, group) pairs and z~ of the groups that pass. */
    private void gatherOnDevice(NDManager scope, ByteBuffer scratch, NDArray z, NDArray minima, int c, int m,
        int lo, int hi) {
      ByteBuffer tBytes = scratch.slice(size * cols * Float.BYTES, (hi - lo) * Float.BYTES)
          .order(ByteOrder.nativeOrder());
      tBytes.asFloatBuffer().put(thresholds, lo, hi - lo);
      long[] at;
      Reader values;
      try (NDArray t = scope.create(tBytes, new Shape(hi - lo, 1), DataType.FLOAT32)) {
        NDArray[] selected = ScreenKernels.gather(scope, z, minima, t, GROUP);
        try (NDArray ix = selected[0]; NDArray v = selected[1]) {
          at = ix.toLongArray();
          values = new Reader(ByteBuffer.wrap(toBytes(v.toFloatArray())).order(ByteOrder.nativeOrder()), false);
        }
      }
      int pairs = at.length / 2;
      for (int p = 0; p < pairs; ) {
        int s = lo + (int) at[2 * p];
        int n = 0;
        for (; p < pairs && lo + at[2 * p] == s; p++) { // the pairs are in row-major order
          n = take(s, c, m, (int) at[2 * p + 1], values, p * GROUP, n);
        }
        mergeGathered(s, n);
      }
    }

    /**
     * Takes the rows of group {@code g} of chunk {@code c} for query {@code s} (their z~ from
     * {@code z} at {@code off}): candidates if their lower bound is at most {@code before[s]}, and
     * their z~ into {@link #gathered} from position {@code n}; returns the new count.
     */
    private int take(int s, int c, int m, int g, Reader z, int off, int n) {
      int first = g * GROUP;
      for (int j = 0; j < GROUP && first + j < m; j++) {
        float zv = z.get(off + j);
        int row = order[chunkStart[c] + first + j];
        if (probe) {
          probe(s, row, zv);
          continue;
        }
        double lo = lower(s, zv);
        if (lo > before[s]) {
          continue; // neither a candidate nor among the k best: upper >= lower > U
        }
        if (!overflow[s]) {
          add(s, row, lo);
        }
        if (n == gathered.length) {
          gathered = Arrays.copyOf(gathered, 2 * n);
        }
        gathered[n++] = zv;
      }
      return n;
    }

    /** Merges the upper bounds of the k smallest of {@code gathered[0..n)} into the running best. */
    private void mergeGathered(int s, int n) {
      if (n > 0) {
        Arrays.sort(gathered, 0, n);
        merge(s, gathered, 0, Math.min(k, n));
      }
    }

    /**
     * The {@code kg} smallest of {@code gm[off..off+n)}, ascending, padding groups dropped; their
     * groups go to {@link #smallGroup}.
     */
    private float[] smallest(Reader gm, int off, int n, int kg) {
      int have = 0;
      for (int i = 0; i < n; i++) {
        float v = gm.get(off + i);
        if (v >= PAD / 2 || (have == kg && v >= small[kg - 1])) {
          continue;
        }
        int pos = have < kg ? have++ : kg - 1;
        while (pos > 0 && small[pos - 1] > v) {
          small[pos] = small[pos - 1];
          smallGroup[pos] = smallGroup[pos - 1];
          pos--;
        }
        small[pos] = v;
        smallGroup[pos] = i;
      }
      smallCount = have;
      return small;
    }

    /** Records the largest {@code |d - d~| / (uo |z~| + E)} (before the safety factor: at most 1/1.5). */
    void probe(int s, int row, float z) {
      double exact = SearchSteps.exactSquared(probeQueries, query[s] * dim, bank, row * dim, dim) * scale * scale;
      maxBoundUse = Math.max(maxBoundUse, Math.abs(exact - (na[s] + z)) / (outputUnit * Math.abs(z) + e[s]));
    }

    float[] probeQueries;

    /**
     * The mean of query {@code s}'s k smallest upper bounds, unscaled and rounded up (the scale is a
     * power of two; the slack covers the double sum); +Infinity if fewer than k rows were bounded.
     */
    float boundOf(int s) {
      double bound = Double.POSITIVE_INFINITY;
      if (filled[s] == k) {
        double sum = 0;
        for (int j = 0; j < k; j++) {
          sum += best[s * k + j];
        }
        bound = sum / k / scale / scale;
      }
      if (boundCount != null && boundCount[s] == k) { // k distinct rows measured exactly
        double sum = 0;
        for (int j = 0; j < k; j++) {
          sum += SearchSteps.exactSquared(boundQueries, query[s] * dim, bank, boundRows[s * k + j] * dim, dim);
        }
        bound = Math.min(bound, sum / k);
      }
      if (bound == Double.POSITIVE_INFINITY) { // fewer groups than k (a small bank): measure all rows
        return exactMean(boundQueries, query[s]);
      }
      return Rounding.floatUp(bound + 0x1p-40 * Math.abs(bound));
    }

    /** Keeps {@code row} among query {@code s}'s k rows of smallest upper bound (rows are distinct). */
    void offerRow(int s, double upper, int row) {
      int n = boundCount[s];
      int base = s * k;
      if (n == k && upper >= boundUpper[base + k - 1]) {
        return;
      }
      int pos = n < k ? n++ : k - 1;
      while (pos > 0 && boundUpper[base + pos - 1] > upper) {
        boundUpper[base + pos] = boundUpper[base + pos - 1];
        boundRows[base + pos] = boundRows[base + pos - 1];
        pos--;
      }
      boundUpper[base + pos] = upper;
      boundRows[base + pos] = row;
      boundCount[s] = n;
    }

    double upper(int s, double z) {
      return na[s] + z + outputUnit * Math.abs(z) + e[s];
    }

    double lower(int s, double z) {
      return na[s] + z - outputUnit * Math.abs(z) - e[s];
    }

    /** The running k-th smallest upper bound of query {@code s}, +Infinity before k rows. */
    double current(int s) {
      return filled[s] == k ? best[s * k + k - 1] : Double.POSITIVE_INFINITY;
    }

    /**
     * The k-th smallest of the running best and the upper bounds of the {@link #smallCount} z~ of
     * distinct rows in {@code top} (ascending), +Infinity if fewer than k.
     */
    double kthMerged(int s, float[] top, int kg) {
      int off = 0;
      int n = smallCount;
      int base = s * k;
      int have = filled[s];
      if (have + n < k) {
        return Double.POSITIVE_INFINITY;
      }
      int i = 0;
      int j = 0;
      double last = Double.NaN;
      for (int o = 0; o < k; o++) {
        if (j == n || (i < have && best[base + i] <= upper(s, top[off + j]))) {
          last = best[base + i++];
        } else {
          last = upper(s, top[off + j++]);
        }
      }
      return last;
    }

    /** Merges the upper bounds of {@code kc} z~ of distinct rows (ascending) into the best k. */
    void merge(int s, float[] top, int off, int kc) {
      int base = s * k;
      int n = filled[s];
      int i = 0;
      int j = 0;
      int o = 0;
      while (o < k && (i < n || j < kc)) {
        if (j == kc || (i < n && best[base + i] <= upper(s, top[off + j]))) {
          merged[o++] = best[base + i++];
        } else {
          merged[o++] = upper(s, top[off + j++]);
        }
      }
      System.arraycopy(merged, 0, best, base, o);
      filled[s] = o;
    }

    /**
     * A float {@code T} with {@code z~ <= T} for every {@code z~} whose lower bound is at most
     * {@code u}: the inverse of the increasing {@code z -> z - uo |z|} at {@code u - na + E},
     * widened for the double evaluation and rounded up.
     */
    float threshold(int s, double u) {
      if (u == Double.POSITIVE_INFINITY) {
        return Float.POSITIVE_INFINITY;
      }
      double w = u - na[s] + e[s];
      double t = w >= 0 ? w / (1 - outputUnit) : w / (1 + outputUnit);
      t += 0x1p-30 * (Math.abs(t) + na[s] + Math.abs(u) + e[s]);
      return Rounding.floatUp(t);
    }

    void add(int s, int row, double lowerBound) {
      int n = candCount[s];
      if (candRow[s] == null) {
        candRow[s] = new int[64];
        candLower[s] = new double[64];
      } else if (n == candRow[s].length) {
        double u = current(s);
        int kept = 0;
        for (int i = 0; i < n; i++) {
          if (candLower[s][i] <= u) {
            candRow[s][kept] = candRow[s][i];
            candLower[s][kept++] = candLower[s][i];
          }
        }
        n = kept;
        if (n > candRow[s].length / 2) {
          if (2 * candRow[s].length > cap) {
            overflow[s] = true;
            candCount[s] = 0;
            return;
          }
          candRow[s] = Arrays.copyOf(candRow[s], 2 * candRow[s].length);
          candLower[s] = Arrays.copyOf(candLower[s], 2 * candLower[s].length);
        }
      }
      candRow[s][n] = row;
      candLower[s][n] = lowerBound;
      candCount[s] = n + 1;
    }

    void finish(float[] queries, int s, float[] distances, int[] indices) {
      int q = query[s];
      if (overflow[s]) {
        EXHAUSTIVE_QUERIES.incrementAndGet();
        exhaustive(queries, q, k, distances, indices);
        return;
      }
      double u = current(s);
      int n = candCount[s];
      int[] list = new int[n + unscreened.length];
      int kept = 0;
      for (int i = 0; i < n; i++) {
        if (candLower[s][i] <= u) {
          list[kept++] = candRow[s][i];
        }
      }
      System.arraycopy(unscreened, 0, list, kept, unscreened.length);
      kept += unscreened.length;
      if (kept < k) {
        BOUND_FAILURES.incrementAndGet();
        exhaustive(queries, q, k, distances, indices);
        return;
      }
      RERANKED_CANDIDATES.addAndGet(kept);
      rerank(queries, q, list, kept, k, distances, indices);
    }
  }

  /** Reads float32 or bfloat16 values (widened exactly) from a native-order buffer. */
  static final class Reader {
    private final ByteBuffer bytes;
    private final boolean bf16;

    Reader(ByteBuffer bytes, boolean bf16) {
      this.bytes = bytes;
      this.bf16 = bf16;
    }

    float get(int i) {
      return bf16 ? Float.intBitsToFloat(bytes.getShort(2 * i) << 16) : bytes.getFloat(4 * i);
    }
  }

  private static byte[] toBytes(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.nativeOrder());
    b.asFloatBuffer().put(v);
    return b.array();
  }

  /**
   * Test hook: screens every row against every query and returns the largest share of the error
   * bound ({@code uo |z~| + E}, safety factor included) that the actual error
   * {@code |d - d~|} uses; the rigorous bound alone allows up to {@code 1 / SAFETY}.
   */
  double maxBoundUse(float[] queries, int count) {
    lock.readLock().lock();
    try {
      int batch = batch(1);
      ByteBuffer scratch = scratch(batch);
      Block block = new Block(1, batch, true);
      block.probeQueries = queries;
      float[] d = new float[count];
      int[] ix = new int[count];
      for (int from = 0; from < count; from += batch) {
        block.search(scratch, queries, from, Math.min(count, from + batch), d, ix);
      }
      return block.maxBoundUse;
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * {@link SearchSteps#rerankExactly} over the candidates; a long list is first cut to its k
   * smallest by (exact distance, index), which the sort would keep anyway.
   */
  private void rerank(float[] queries, int q, int[] list, int n, int k, float[] distances, int[] indices) {
    if (n > 64 + 4 * k || unscreened.length > 0) { // the cut also sorts NaN distances last
      n = nearest(queries, q, list, n, k);
    }
    SearchSteps.rerankExactly(queries, q * dim, bank, dim, list, 0, n, k, distances, indices, q * k);
  }

  /** Moves the k nearest of {@code list[0..n)} to its front (by exact distance, then index). */
  private int nearest(float[] queries, int q, int[] list, int n, int k) {
    double[] d = new double[k];
    int[] r = new int[k];
    int filled = 0;
    for (int i = 0; i < n; i++) {
      int row = list[i];
      double x = SearchSteps.exactSquared(queries, q * dim, bank, row * dim, dim);
      if (filled == k && !less(x, row, d[k - 1], r[k - 1])) {
        continue;
      }
      int pos = filled < k ? filled++ : k - 1;
      while (pos > 0 && less(x, row, d[pos - 1], r[pos - 1])) {
        d[pos] = d[pos - 1];
        r[pos] = r[pos - 1];
        pos--;
      }
      d[pos] = x;
      r[pos] = row;
    }
    System.arraycopy(r, 0, list, 0, k);
    return k;
  }

  private static boolean less(double d, int row, double otherD, int otherRow) {
    int c = Double.compare(d, otherD);
    return c < 0 || (c == 0 && row < otherRow);
  }

  /** Exact search of one query over every bank row, on the host. */
  private void exhaustive(float[] queries, int q, int k, float[] distances, int[] indices) {
    int[] all = new int[rows];
    for (int r = 0; r < rows; r++) {
      all[r] = r;
    }
    rerank(queries, q, all, rows, k, distances, indices);
  }

  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (!closed) {
        closed = true;
        manager.close();
        scratchPool.clear();
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  @Override
  public String toString() {
    return "ScreenedIndex[" + name + ", " + rows + "x" + dim + ", " + screening + "]";
  }
}
