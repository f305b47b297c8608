package io.patchcore.internal.interop;

import io.patchcore.ModelFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the vectors of a faiss {@code IndexFlatL2} as {@code faiss.write_index} stores it (native,
 * i.e. little-endian, byte order):
 *
 * <pre>
 * offset  bytes        content
 * 0       4            fourcc "IxF2" (IndexFlat with the L2 metric)
 * 4       4            int32 d, the vector dimension
 * 8       8            int64 ntotal, the number of vectors
 * 16      16           two int64 placeholders (faiss writes 1 &lt;&lt; 20)
 * 32      1            uint8 is_trained
 * 33      4            int32 metric type (1 = L2)
 * 37      8            uint64 number of floats that follow (ntotal * d)
 * 45      4*ntotal*d   the vectors, row-major float32
 * </pre>
 *
 * Every field and the file's length are checked before the vectors are allocated; other index
 * types are refused naming their fourcc.
 */
public final class FaissFlatIndex {
  /** The type code of {@code IndexFlatL2}, the first 4 bytes of its file. */
  public static final String FOURCC = "IxF2";
  /** Bytes before the vectors. */
  public static final int HEADER_BYTES = 45;
  private static final int METRIC_L2 = 1;
  private static final long MAX_FLOATS = Integer.MAX_VALUE - 8;
  private static final int CHUNK = 1 << 16;

  /**
   * The vectors, row-major {@code rows x dimension}.
   *
   * @param rows the number of vectors (faiss's {@code ntotal})
   * @param dimension the vector length (faiss's {@code d})
   * @param data {@code rows * dimension} finite floats, row-major
   */
  public record Vectors(int rows, int dimension, float[] data) {}

  private FaissFlatIndex() {}

  /**
   * Reads the index in {@code file}.
   *
   * @param file the index file, as {@code faiss.write_index} wrote it
   * @param expectedDimension the dimension the vectors must have, checked before they are read
   * @return the vectors
   * @throws ModelFormatException naming the file and the bad value: another index type (named by
   *     its type code), a bad header field, a size that does not match the header, a dimension
   *     other than {@code expectedDimension}, or a non-finite value
   * @throws IOException if the file cannot be read
   */
  public static Vectors read(Path file, int expectedDimension) throws IOException {
    String name = file.toString();
    long size = Files.size(file);
    try (InputStream in = Files.newInputStream(file)) {
      byte[] h = in.readNBytes(HEADER_BYTES);
      if (h.length < 4) {
        throw new ModelFormatException(name, "not a faiss index: " + size + " bytes, too short for its type code");
      }
      String fourcc = fourcc(h);
      if (!fourcc.equals("'" + FOURCC + "'")) {
        throw new ModelFormatException(name, "faiss index type " + fourcc + " is not supported: only IndexFlatL2 ('"
            + FOURCC + "'), the exact L2 index the reference saves, can be imported" + hint(fourcc));
      }
      if (h.length < HEADER_BYTES) {
        throw new ModelFormatException(name, "truncated: " + size + " bytes, too short for the " + HEADER_BYTES
            + "-byte IndexFlatL2 header");
      }
      ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
      int d = b.getInt(4);
      long ntotal = b.getLong(8);
      int trained = b.get(32) & 0xff;
      int metric = b.getInt(33);
      long count = b.getLong(37);
      if (d < 1) {
        throw new ModelFormatException(name, "vector dimension d = " + d + " must be at least 1");
      }
      if (ntotal < 1) {
        throw new ModelFormatException(name, "the index holds ntotal = " + ntotal + " vectors; an empty or negative"
            + " memory bank cannot be imported");
      }
      if (trained > 1) {
        throw new ModelFormatException(name, "is_trained flag is " + trained + ", expected 0 or 1");
      }
      if (metric != METRIC_L2) {
        throw new ModelFormatException(name, "metric type " + metric + " in an '" + FOURCC + "' index, expected "
            + METRIC_L2 + " (L2)");
      }
      if (ntotal > MAX_FLOATS / d) {
        throw new ModelFormatException(name, "memory bank of ntotal = " + ntotal + " x d = " + d
            + " floats exceeds the limit of " + MAX_FLOATS);
      }
      long floats = ntotal * d;
      if (count != floats) {
        throw new ModelFormatException(name, "the vector data declares " + Long.toUnsignedString(count)
            + " floats, but ntotal = " + ntotal + " x d = " + d + " needs " + floats);
      }
      long expectedSize = HEADER_BYTES + floats * Float.BYTES;
      if (size != expectedSize) {
        throw new ModelFormatException(name, "file size is " + size + " bytes, but " + ntotal + " vectors of d = "
            + d + " need " + expectedSize + (size < expectedSize ? " (truncated)" : " (trailing bytes)"));
      }
      if (d != expectedDimension) {
        throw new ModelFormatException(name, "vectors have d = " + d
            + ", but the parameters' target_embed_dimension is " + expectedDimension);
      }
      float[] data = new float[(int) floats];
      byte[] chunk = new byte[(int) Math.min(CHUNK, floats * Float.BYTES)];
      for (int off = 0; off < data.length; ) {
        int n = Math.min(chunk.length / Float.BYTES, data.length - off);
        int got = in.readNBytes(chunk, 0, n * Float.BYTES);
        if (got != n * Float.BYTES) {
          throw new ModelFormatException(name, "truncated: the vectors end after " + (HEADER_BYTES
              + (long) off * Float.BYTES + got) + " bytes, expected " + expectedSize);
        }
        ByteBuffer.wrap(chunk, 0, got).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data, off, n);
        off += n;
      }
      for (int i = 0; i < data.length; i++) {
        if (!Float.isFinite(data[i])) {
          throw new ModelFormatException(name, "vector " + (i / d) + " has a non-finite value (" + data[i]
              + ") at component " + (i % d));
        }
      }
      return new Vectors((int) ntotal, d, data);
    }
  }

  /** The type code quoted if it is printable ASCII, else its bytes in hex. */
  private static String fourcc(byte[] h) {
    boolean printable = true;
    for (int i = 0; i < 4; i++) {
      printable &= h[i] >= 0x20 && h[i] < 0x7f;
    }
    if (printable) {
      return "'" + new String(h, 0, 4, StandardCharsets.US_ASCII) + "'";
    }
    return String.format("0x%02x%02x%02x%02x", h[0], h[1], h[2], h[3]);
  }

  private static String hint(String fourcc) {
    switch (fourcc) {
      case "'IxFI'":
        return " (this is an inner-product IndexFlatIP)";
      case "'IxFl'":
        return " (this is an IndexFlat with another metric)";
      default:
        return fourcc.startsWith("'Iw") ? " (this is an IVF index, which is approximate)" : "";
    }
  }
}
