package io.patchcore.torch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.patchcore.knn.Compute;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Compute} on DJL's PyTorch engine, on the CPU (libtorch) or a GPU. Obtained through
 * {@link TorchCompute}.
 *
 * <p>k-NN ({@link ScreenedIndex}): the bank lives on the device in bfloat16 only, centred and
 * scaled; per block of queries and bank chunk one reduced-precision product screens every row
 * with a rigorous error bound, only the rows whose lower bound does not exceed the k-th smallest
 * upper bound come back to the host, and those are re-measured exactly in double, so the result
 * equals an exact double-precision search (ties to the lower index). The product runs in bfloat16
 * where a one-off calibration finds that faster on the CPU, otherwise in float32 (always on a GPU).
 *
 * <p>Coreset: the points live on the device in row chunks, each stored pre-multiplied by -2 (an
 * exact scaling), in the kernel's own {@link NDManager}; squared row norms are computed on the
 * host in double precision, exactly as the jblas back end does, and uploaded once. The distances
 * to the centre, the running minimum and its argmax are computed on the device; the host uploads
 * and downloads only the running vector (the contract updates the caller's array) and reads one
 * index per chunk. Every call works in a sub-manager closed before it returns, so no tensor
 * outlives a call.
 *
 * <p>The executor argument is not used: libtorch parallelises each operation itself.
 */
final class DjlCompute implements Compute {
  private static final Logger LOG = LoggerFactory.getLogger(DjlCompute.class);
  /** Largest device chunk of the stored matrix, in floats (also bounds one upload). */
  static final long MAX_CHUNK_FLOATS = 1 << 24;

  private final Device device;
  private final String name;
  /** Queries per product block. */
  private final int queryBlock;
  /** Bound on the floats of one block's distance matrix ({@code queryBlock x chunk rows}). */
  private final long scratchFloats;
  /** Bound on the floats of one stored chunk. */
  private final long chunkFloats;

  /** The k-NN screening precision, or null to choose it at the first index. */
  private volatile Screening screening;

  DjlCompute(Device device) {
    this(device, device.isGpu() ? 1024 : 128, device.isGpu() ? 1L << 26 : 1L << 21, MAX_CHUNK_FLOATS, null);
  }

  /** With explicit block sizes (tests use small ones to exercise several chunks). */
  DjlCompute(Device device, int queryBlock, long scratchFloats, long chunkFloats) {
    this(device, queryBlock, scratchFloats, chunkFloats, null);
  }

  /**
   * With explicit block sizes and k-NN screening precision ({@code null}: bfloat16 on a CPU where a
   * calibration finds it faster, float32 elsewhere; tests force each).
   */
  DjlCompute(Device device, int queryBlock, long scratchFloats, long chunkFloats, Screening screening) {
    this.device = Objects.requireNonNull(device, "device");
    this.name = device.isGpu() ? "torch-gpu" + device.getDeviceId() : "torch-cpu";
    this.queryBlock = queryBlock;
    this.scratchFloats = scratchFloats;
    this.chunkFloats = chunkFloats;
    this.screening = screening;
  }

  @Override
  public String name() {
    return name;
  }

  /** The device the tensors live on. */
  Device device() {
    return device;
  }

  @Override
  public NeighbourIndex neighbourIndex(float[] bank, int rows, int dim) {
    checkShape("bank", bank, rows, dim);
    return new ScreenedIndex(device, name, screening(), bank, rows, dim, queryBlock, scratchFloats, chunkFloats);
  }

  /**
   * The k-NN screening precision: float32 on a GPU (libtorch lets cuBLAS reduce bfloat16 products
   * in reduced precision, which would void the error bound), on the CPU bfloat16 when a one-off
   * calibration finds it faster ({@link ScreenKernels#cpuScreening()}).
   */
  Screening screening() {
    Screening s = screening;
    if (s == null) {
      if (device.isGpu()) {
        s = Screening.FLOAT32;
        LOG.info("libtorch k-NN search on {} screens in float32 (bfloat16-valued operands, exact in TF32)", name);
      } else {
        s = ScreenKernels.cpuScreening();
      }
      screening = s;
    }
    return s;
  }

  @Override
  public CoresetKernel coresetKernel(float[] points, int rows, int dim) {
    checkShape("points", points, rows, dim);
    return new Coreset(points, rows, dim);
  }

  @Override
  public String toString() {
    return "DjlCompute[" + name + "]";
  }

  static void checkShape(String what, float[] data, int rows, int dim) {
    Objects.requireNonNull(data, what);
    if (rows < 1 || dim < 1) {
      throw new IllegalArgumentException(what + " shape must be positive, got " + rows + "x" + dim);
    }
    if ((long) rows * dim != data.length) {
      throw new IllegalArgumentException(
          what + " of shape " + rows + "x" + dim + " needs " + (long) rows * dim + " values, got " + data.length);
    }
  }

  /** Squared L2 norm of rows {@code from..to-1}, accumulated in double, stored as float. */
  static float[] rowNorms(float[] data, int from, int to, int dim) {
    float[] norms = new float[to - from];
    for (int r = from; r < to; r++) {
      double s = 0;
      int off = r * dim;
      for (int j = 0; j < dim; j++) {
        double v = data[off + j];
        s += v * v;
      }
      norms[r - from] = (float) s;
    }
    return norms;
  }

  static ByteBuffer direct(long floats) {
    return ByteBuffer.allocateDirect(Math.toIntExact(floats * Float.BYTES)).order(ByteOrder.nativeOrder());
  }

  /**
   * A float32 tensor over {@code values[from..from+count)} built from {@code scratch} without an
   * extra copy on the CPU: the tensor aliases the scratch memory, which must stay untouched until
   * the tensor is closed.
   */
  static NDArray upload(NDManager manager, ByteBuffer scratch, int offsetFloats, float[] values, int from,
      int count, Shape shape) {
    ByteBuffer slice = scratch.slice(offsetFloats * Float.BYTES, count * Float.BYTES).order(ByteOrder.nativeOrder());
    slice.asFloatBuffer().put(values, from, count);
    return manager.create(slice, shape, DataType.FLOAT32);
  }

  /**
   * A {@code rows x dim} matrix on the device as row chunks, each stored times -2 with its
   * transpose view and the chunk's squared row norms ({@code 1 x m}).
   */
  final class DeviceMatrix {
    final int chunkRows;
    final List<NDArray> transposed = new ArrayList<>();
    final List<NDArray> norms = new ArrayList<>();

    DeviceMatrix(NDManager manager, float[] data, int rows, int dim, int chunkRows) {
      this.chunkRows = chunkRows;
      ByteBuffer scratch = direct((long) chunkRows * dim);
      try (NDArray minusTwo = manager.create(-2f)) {
        for (int start = 0; start < rows; start += chunkRows) {
          int m = Math.min(chunkRows, rows - start);
          // the scaled copy is owned by libtorch: the scratch buffer is reused for the next chunk
          try (NDArray raw = upload(manager, scratch, 0, data, start * dim, m * dim, new Shape(m, dim))) {
            NDArray scaled = raw.mul(minusTwo);
            transposed.add(scaled.transpose());
          }
          float[] n = rowNorms(data, start, start + m, dim);
          norms.add(manager.create(n, new Shape(1, m)));
        }
      }
    }

    int chunks() {
      return transposed.size();
    }

    int start(int chunk) {
      return chunk * chunkRows;
    }
  }

  /** Chunk rows for a matrix of row length {@code dim}, at most {@code maxRows}. */
  int chunkRows(int rows, int dim, long maxRows) {
    long byStorage = Math.max(1, chunkFloats / dim);
    return (int) Math.min(rows, Math.min(byStorage, Math.max(1, maxRows)));
  }

  final class Coreset implements CoresetKernel {
    private final float[] points;
    private final int rows;
    private final int dim;
    private final float[] norms;
    private final NDManager manager;
    private final DeviceMatrix matrix;
    private final ByteBuffer scratch;
    private boolean closed;

    Coreset(float[] points, int rows, int dim) {
      this.points = points;
      this.rows = rows;
      this.dim = dim;
      this.norms = rowNorms(points, 0, rows, dim);
      this.manager = NDManager.newBaseManager(device, "PyTorch");
      try {
        this.matrix = new DeviceMatrix(manager, points, rows, dim, chunkRows(rows, dim, Long.MAX_VALUE));
      } catch (RuntimeException | Error e) {
        manager.close();
        throw e;
      }
      this.scratch = direct((long) dim + 1 + matrix.chunkRows);
    }

    private void ensureOpen() {
      if (closed) {
        throw new IllegalStateException("coreset kernel (" + name + ", " + rows + "x" + dim + ") is closed");
      }
    }

    /**
     * Euclidean distances of chunk {@code c} to the centre ({@code 1 x m}), 0 at the centre itself;
     * {@code centreNorm} is the centre's squared norm as a {@code 1 x 1} tensor.
     */
    private NDArray chunkDistances(NDArray centreRow, NDArray centreNorm, int c, int centre) {
      int start = matrix.start(c);
      NDArray e;
      // (||p_i||^2 - 2 p_c.p_i) + ||p_c||^2 in float32, the jblas order of operations
      try (NDArray d = centreRow.matMul(matrix.transposed.get(c))) {
        d.addi(matrix.norms.get(c)).addi(centreNorm);
        try (NDArray clamped = d.clip(0f, Float.MAX_VALUE)) {
          e = clamped.sqrt();
        }
      }
      int m = (int) e.getShape().get(1);
      if (centre >= start && centre < start + m) {
        e.set(new NDIndex(0, centre - start), 0f); // exact, whatever the rounding of the expansion
      }
      return e;
    }

    /** Uploads the centre row (scratch floats 0..dim-1) and its squared norm (float dim). */
    private NDList centre(NDManager scope, int centre) {
      NDArray row = upload(scope, scratch, 0, points, centre * dim, dim, new Shape(1, dim));
      NDArray norm = upload(scope, scratch, dim, norms, centre, 1, new Shape(1, 1));
      return new NDList(row, norm);
    }

    @Override
    public void distances(int centre, float[] out, Executor executor) {
      Objects.checkIndex(centre, rows);
      ensureOpen();
      if (out.length < rows) {
        throw new IllegalArgumentException("output array needs " + rows + " entries, got " + out.length);
      }
      try (NDManager scope = manager.newSubManager()) {
        NDList ctr = centre(scope, centre);
        for (int c = 0; c < matrix.chunks(); c++) {
          try (NDArray d = chunkDistances(ctr.get(0), ctr.get(1), c, centre)) {
            int m = (int) d.getShape().get(1);
            d.toByteBuffer(true).asFloatBuffer().get(out, matrix.start(c), m);
          }
        }
      }
    }

    @Override
    public int update(int centre, float[] running, Executor executor) {
      Objects.checkIndex(centre, rows);
      ensureOpen();
      if (running.length < rows) {
        throw new IllegalArgumentException("running array needs " + rows + " entries, got " + running.length);
      }
      int best = -1;
      try (NDManager scope = manager.newSubManager()) {
        NDList ctr = centre(scope, centre);
        for (int c = 0; c < matrix.chunks(); c++) {
          int start = matrix.start(c);
          try (NDArray d = chunkDistances(ctr.get(0), ctr.get(1), c, centre)) {
            int m = (int) d.getShape().get(1);
            try (NDArray old = upload(scope, scratch, dim + 1, running, start, m, new Shape(1, m));
                NDArray updated = old.minimum(d);
                NDArray arg = updated.argMax()) {
              updated.toByteBuffer(true).asFloatBuffer().get(running, start, m);
              int local = start + (int) arg.toLongArray()[0];
              if (best < 0 || running[local] > running[best]) {
                best = local;
              }
            }
          }
        }
      }
      return best;
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        manager.close();
      }
    }
  }
}
