package io.patchcore.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A minimal reader of NumPy {@code .npy} v1/v2 files (little endian, C order) for golden-vector
 * tests. Supports float32, float64, int32, int64 and uint8.
 */
public final class Npy {
  private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']+)'");
  private static final Pattern ORDER = Pattern.compile("'fortran_order':\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

  private final String dtype;
  private final int[] shape;
  private final ByteBuffer data;

  private Npy(String dtype, int[] shape, ByteBuffer data) {
    this.dtype = dtype;
    this.shape = shape;
    this.data = data;
  }

  /** Reads {@code /golden/NAME} from the test class path. */
  public static Npy golden(String name) {
    String resource = "/golden/" + name;
    try (InputStream in = Npy.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("golden vector missing from test resources: " + resource);
      }
      return parse(in.readAllBytes(), resource);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads the test class-path resource {@code resourcePath} (absolute, e.g. {@code "/dir/x.npy"}). */
  public static Npy read(String resourcePath) {
    try (InputStream in = Npy.class.getResourceAsStream(resourcePath)) {
      if (in == null) {
        throw new IllegalStateException("npy file missing from test resources: " + resourcePath);
      }
      return parse(in.readAllBytes(), resourcePath);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Npy parse(byte[] bytes, String what) {
    if (bytes.length < 10 || (bytes[0] & 0xff) != 0x93 || bytes[1] != 'N') {
      throw new IllegalArgumentException(what + " is not an .npy file");
    }
    int major = bytes[6];
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int headerLen;
    int offset;
    if (major == 1) {
      headerLen = Short.toUnsignedInt(b.getShort(8));
      offset = 10;
    } else {
      headerLen = b.getInt(8);
      offset = 12;
    }
    String header = new String(bytes, offset, headerLen, StandardCharsets.ISO_8859_1);
    Matcher d = DESCR.matcher(header);
    Matcher o = ORDER.matcher(header);
    Matcher s = SHAPE.matcher(header);
    if (!d.find() || !o.find() || !s.find()) {
      throw new IllegalArgumentException(what + ": cannot parse header " + header);
    }
    if (o.group(1).equals("True")) {
      throw new IllegalArgumentException(what + ": Fortran order is not supported");
    }
    int[] shape = Arrays.stream(s.group(1).split(",")).map(String::trim).filter(t -> !t.isEmpty())
        .mapToInt(Integer::parseInt).toArray();
    ByteBuffer data = ByteBuffer.wrap(bytes, offset + headerLen, bytes.length - offset - headerLen).slice()
        .order(ByteOrder.LITTLE_ENDIAN);
    return new Npy(d.group(1), shape, data);
  }

  public int[] shape() {
    return shape.clone();
  }

  public String dtype() {
    return dtype;
  }

  /** Number of elements. */
  public int size() {
    int n = 1;
    for (int s : shape) {
      n *= s;
    }
    return n;
  }

  public float[] floats() {
    int n = size();
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) number(i);
    }
    return out;
  }

  public double[] doubles() {
    int n = size();
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = number(i);
    }
    return out;
  }

  public int[] ints() {
    int n = size();
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = (int) number(i);
    }
    return out;
  }

  private double number(int i) {
    switch (dtype) {
      case "<f4":
        return data.getFloat(i * 4);
      case "<f8":
        return data.getDouble(i * 8);
      case "<i4":
        return data.getInt(i * 4);
      case "<i8":
        return data.getLong(i * 8);
      case "|u1":
        return Byte.toUnsignedInt(data.get(i));
      default:
        throw new IllegalArgumentException("unsupported dtype " + dtype);
    }
  }
}
