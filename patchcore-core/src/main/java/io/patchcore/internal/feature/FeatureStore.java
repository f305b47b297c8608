package io.patchcore.internal.feature;

import io.patchcore.sampling.FeatureRows;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Objects;

/**
 * The patch features of a fit, appended row by row: on the heap while they fit a memory budget,
 * then streamed to a temporary file that is memory-mapped for reading once {@link #finish()} is
 * called. Either way the rows read back are the values appended, bit for bit, so a sampler that
 * reads them through {@link FeatureRows} gives the same selection from both. The file may exceed
 * {@code 2^31} values (rows are addressed in {@code long} bytes, mapped in segments of whole rows);
 * {@link #close()} deletes it, and callers close the store on failure too.
 *
 * <p>Appending is single-threaded; after {@link #finish()} reads may come from any thread.
 */
public final class FeatureStore implements FeatureRows, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(FeatureStore.class.getName());
  /** Default size of one mapped segment (a multiple of the row size is used). */
  static final long SEGMENT_BYTES = 1L << 30;

  private final int dim;
  private final long budgetBytes;
  private final Path directory;
  private final long segmentBytes;
  /** Rows on the heap, in chunks of {@code rowsPerChunk} rows (no large contiguous array, no regrowth copy). */
  private java.util.List<float[]> chunks = new java.util.ArrayList<>();
  private final int rowsPerChunk;
  private long size; // floats appended
  private Path file;
  private FileChannel channel;
  private ByteBuffer writeBuffer;
  private MappedByteBuffer[] segments;
  private int rowsPerSegment;
  private boolean finished;
  private boolean closed;

  /**
   * A store for rows of {@code dim} values.
   *
   * @param dim the row length, at least 1
   * @param budgetBytes the most bytes of features kept on the heap; beyond it they go to a file
   * @param directory where the temporary file goes
   */
  public FeatureStore(int dim, long budgetBytes, Path directory) {
    this(dim, budgetBytes, directory, SEGMENT_BYTES);
  }

  FeatureStore(int dim, long budgetBytes, Path directory, long segmentBytes) {
    if (dim < 1) {
      throw new IllegalArgumentException("feature dimension must be >= 1, got " + dim);
    }
    if (budgetBytes < 0) {
      throw new IllegalArgumentException("feature memory budget must be >= 0 bytes, got " + budgetBytes);
    }
    this.dim = dim;
    this.budgetBytes = budgetBytes;
    this.directory = Objects.requireNonNull(directory, "feature cache directory");
    this.segmentBytes = segmentBytes;
    this.rowsPerChunk = Math.max(1, CHUNK_FLOATS / dim);
  }

  /** Floats in one heap chunk (4 MB), rounded down to whole rows. */
  static final int CHUNK_FLOATS = 1 << 20;

  /**
   * Appends whole rows.
   *
   * @param values a multiple of {@code dim} values (copied)
   * @throws UncheckedIOException if the file cannot be written (the message names it)
   */
  public void append(float[] values) {
    if (finished || closed) {
      throw new IllegalStateException("feature store is " + (closed ? "closed" : "finished"));
    }
    if (values.length % dim != 0) {
      throw new IllegalArgumentException(values.length + " values are not whole rows of " + dim);
    }
    long total = size + values.length;
    if (total / dim > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException("more than " + (Integer.MAX_VALUE - 8) + " patch rows");
    }
    if (channel == null && (total * Float.BYTES > budgetBytes || total > Integer.MAX_VALUE - 8)) {
      spill(total);
    }
    if (channel == null) {
      int chunkFloats = rowsPerChunk * dim;
      long at = size;
      int from = 0;
      while (from < values.length) {
        int c = (int) (at / chunkFloats);
        int inChunk = (int) (at - (long) c * chunkFloats);
        if (c == chunks.size()) {
          chunks.add(new float[chunkFloats]);
        }
        int n = Math.min(values.length - from, chunkFloats - inChunk);
        System.arraycopy(values, from, chunks.get(c), inChunk, n);
        from += n;
        at += n;
      }
    } else {
      write(values, values.length);
    }
    size = total;
  }

  private void spill(long total) {
    try {
      Files.createDirectories(directory);
      file = Files.createTempFile(directory, "patchcore-features-", ".f32");
      channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
      writeBuffer = ByteBuffer.allocateDirect(1 << 22).order(ByteOrder.LITTLE_ENDIAN);
      LOG.log(System.Logger.Level.INFO, "patch features pass the memory budget of {0} MB ({1} MB so far): "
          + "streaming them to {2}", budgetBytes >> 20, (total * Float.BYTES) >> 20, file);
      int chunkFloats = rowsPerChunk * dim;
      for (int c = 0; c < chunks.size(); c++) {
        write(chunks.get(c), (int) Math.min(chunkFloats, size - (long) c * chunkFloats));
      }
      chunks = new java.util.ArrayList<>();
    } catch (IOException e) {
      closeQuietly();
      throw new UncheckedIOException("cannot write the feature cache in " + directory + ": " + e.getMessage(), e);
    }
  }

  private void write(float[] values, int count) {
    try {
      FloatBuffer view = writeBuffer.clear().asFloatBuffer(); // the whole buffer, whatever the last write left
      int at = 0;
      while (at < count) {
        int n = Math.min(count - at, view.capacity());
        view.clear();
        view.put(values, at, n);
        writeBuffer.clear().limit(n * Float.BYTES);
        while (writeBuffer.hasRemaining()) {
          channel.write(writeBuffer);
        }
        at += n;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the feature cache " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Ends appending; maps the file for reading if the rows went to one.
   *
   * @throws IllegalStateException if no row was appended
   * @throws UncheckedIOException if the file cannot be mapped (the message names it)
   */
  public void finish() {
    if (finished) {
      return;
    }
    if (size == 0) {
      throw new IllegalStateException("no patch features were appended");
    }
    finished = true;
    if (channel == null) {
      return;
    }
    long rowBytes = (long) dim * Float.BYTES;
    rowsPerSegment = (int) Math.max(1, Math.min(Integer.MAX_VALUE / rowBytes, segmentBytes / rowBytes));
    int rows = rows();
    int n = (rows + rowsPerSegment - 1) / rowsPerSegment;
    segments = new MappedByteBuffer[n];
    try {
      channel.force(false);
      for (int s = 0; s < n; s++) {
        long first = (long) s * rowsPerSegment;
        long count = Math.min(rowsPerSegment, rows - first);
        segments[s] = channel.map(FileChannel.MapMode.READ_ONLY, first * rowBytes, count * rowBytes);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot map the feature cache " + file + ": " + e.getMessage(), e);
    }
  }

  /** Whether the rows went to a file. */
  public boolean spilled() {
    return channel != null;
  }

  /** The temporary file, or null while the rows are on the heap (or after close). */
  public Path file() {
    return file;
  }

  /** The bytes of features appended. */
  public long bytes() {
    return size * Float.BYTES;
  }

  @Override
  public int rows() {
    return (int) (size / dim);
  }

  @Override
  public int dimension() {
    return dim;
  }

  @Override
  public void read(int first, int count, float[] dst, int offset) {
    if (!finished || closed) {
      throw new IllegalStateException("feature store is " + (closed ? "closed" : "not finished"));
    }
    Objects.checkFromIndexSize(first, count, rows());
    Objects.checkFromIndexSize(offset, count * dim, dst.length);
    if (channel == null) {
      int r = first;
      int at = offset;
      while (r < first + count) {
        int c = r / rowsPerChunk;
        int inChunk = r - c * rowsPerChunk;
        int n = Math.min(first + count - r, rowsPerChunk - inChunk);
        System.arraycopy(chunks.get(c), inChunk * dim, dst, at, n * dim);
        r += n;
        at += n * dim;
      }
      return;
    }
    int r = first;
    int end = first + count;
    int at = offset;
    while (r < end) {
      int s = r / rowsPerSegment;
      int inSegment = r - s * rowsPerSegment;
      int n = Math.min(end - r, rowsPerSegment - inSegment);
      FloatBuffer view = segments[s].duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
      view.position(inSegment * dim);
      view.get(dst, at, n * dim);
      r += n;
      at += n * dim;
    }
  }

  /**
   * Every row in one new array.
   *
   * @return {@code rows() * dimension()} values
   * @throws IllegalStateException if they exceed the largest Java array (the message gives the size)
   */
  public float[] toArray() {
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException(size + " feature values do not fit one Java array");
    }
    float[] all = new float[(int) size];
    read(0, rows(), all, 0);
    return all;
  }

  /** Deletes the file, if any; the store is unusable afterwards. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    chunks = null;
    closeQuietly();
  }

  private void closeQuietly() {
    segments = null; // mapped memory is released when collected; the file can go now (POSIX)
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        LOG.log(System.Logger.Level.WARNING, "cannot close the feature cache {0}: {1}", file, e.getMessage());
      }
    }
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        file.toFile().deleteOnExit();
        LOG.log(System.Logger.Level.WARNING, "cannot delete the feature cache {0} now ({1}); it goes at exit", file,
            e.getMessage());
      }
    }
  }
}
