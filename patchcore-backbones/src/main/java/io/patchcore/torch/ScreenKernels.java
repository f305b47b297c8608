package io.patchcore.torch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import io.patchcore.internal.torch.TorchRuntime;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The device kernels of the screened k-NN search ({@link ScreenedIndex}), as methods of a small
 * TorchScript module written here and loaded once per process.
 *
 * <p>Why TorchScript: DJL 0.36's PyTorch JNI maps only its first nine data types to libtorch
 * scalar types, so no bfloat16 tensor can be created or converted through the {@link NDArray}
 * API. Inside a TorchScript method the tensors may have any dtype; DJL only passes handles in and
 * out. The module has no parameters, so one instance serves every device. Dtype arguments are
 * libtorch {@code ScalarType} codes: {@link #FLOAT32} and {@link #BFLOAT16}.
 *
 * <p>Every kernel is exact except the matrix product: {@code amin}, the comparison
 * with float32 thresholds, {@code nonzero}, the gather and the conversions of bfloat16 values to
 * float32 (or of float32 values that are bfloat16 numbers to bfloat16) do no rounding. The only
 * floating-point arithmetic on the device is the product, whose error the index bounds.
 */
final class ScreenKernels {
  private static final Logger LOG = LoggerFactory.getLogger(ScreenKernels.class);

  /** libtorch {@code ScalarType::Float}. */
  static final long FLOAT32 = 6;
  /** libtorch {@code ScalarType::BFloat16}. */
  static final long BFLOAT16 = 15;

  /** TorchScript source of the module (serialised form: dtypes as integers). */
  static final String CODE = String.join("\n",
      "class KnnScreen(Module):",
      "  __parameters__ = []",
      "  __buffers__ = []",
      "  def cast(self: __torch__.KnnScreen, x: Tensor, dtype: int) -> Tensor:",
      "    return torch.to(x, dtype)",
      "  def alloc(self: __torch__.KnnScreen, like: Tensor, rows: int, cols: int, dtype: int) -> Tensor:",
      "    return torch.new_zeros(like, [rows, cols], dtype=dtype)",
      "  def fill(self: __torch__.KnnScreen, dst: Tensor, start: int, src: Tensor) -> None:",
      "    torch.copy_(torch.slice(dst, 0, start, start + torch.size(src, 0)), src)",
      "  def mm(self: __torch__.KnnScreen, a: Tensor, b: Tensor) -> Tensor:",
      "    return torch.mm(a, torch.t(b))",
      // z = a[start:end] b^T in b's dtype (a converted exactly) and the minimum of each group of g
      // consecutive columns
      "  def screen(self: __torch__.KnnScreen, a: Tensor, start: int, end: int, b: Tensor, g: int)"
          + " -> Tuple[Tensor, Tensor]:",
      "    z = torch.mm(torch.to(torch.slice(a, 0, start, end), b.dtype), torch.t(b))",
      "    return (z, torch.amin(torch.view(z, [torch.size(z, 0), -1, g]), [2]))",
      // the (row, group) pairs whose group minimum is <= t (one threshold per row), n x 2, and the
      // z of those groups, n x g, as float32
      "  def gather(self: __torch__.KnnScreen, z: Tensor, gm: Tensor, t: Tensor, g: int) -> Tuple[Tensor, Tensor]:",
      "    idx = torch.nonzero(torch.le(gm, t))",
      "    z3 = torch.view(z, [torch.size(z, 0), -1, g])",
      "    return (idx, torch.to(z3[torch.select(idx, 1, 0), torch.select(idx, 1, 1)], 6))",
      "");

  private static PtSymbolBlock module;
  private static Screening cpuChoice;

  private ScreenKernels() {}

  /** The module, loaded on first use and kept for the life of the process. */
  static synchronized PtSymbolBlock module() {
    if (module == null) {
      TorchRuntime.keepOffline();
      TorchRuntime.engine();
      // the module owns no tensors; its manager lives as long as the process
      PtNDManager owner = (PtNDManager) NDManager.newBaseManager(Device.cpu(), "PyTorch");
      try {
        module = JniUtils.loadModule(owner, new ByteArrayInputStream(archive()), true, false);
      } catch (IOException e) {
        owner.close();
        throw new UncheckedIOException(e);
      }
    }
    return module;
  }

  /** The TorchScript archive (a zip of the pickled module object and its source). */
  static byte[] archive() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      store(zip, "knn/version", "3\n".getBytes(StandardCharsets.US_ASCII));
      // pickle protocol 2 of an instance of __torch__.KnnScreen with no attributes:
      // PROTO 2, GLOBAL, BINPUT 0, EMPTY_TUPLE, NEWOBJ, EMPTY_DICT, MARK, SETITEMS, BUILD, BINPUT 1, STOP
      ByteArrayOutputStream data = new ByteArrayOutputStream();
      data.write(0x80);
      data.write(2);
      data.writeBytes("c__torch__\nKnnScreen\nq\u0000)\u0081}(ubq\u0001.".getBytes(StandardCharsets.ISO_8859_1));
      store(zip, "knn/data.pkl", data.toByteArray());
      store(zip, "knn/constants.pkl", new byte[] {(byte) 0x80, 2, ')', 'q', 0, '.'}); // the empty tuple
      store(zip, "knn/code/__torch__.py", CODE.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static void store(ZipOutputStream zip, String name, byte[] content) throws IOException {
    ZipEntry entry = new ZipEntry(name);
    entry.setMethod(ZipEntry.STORED);
    entry.setSize(content.length);
    CRC32 crc = new CRC32();
    crc.update(content);
    entry.setCrc(crc.getValue());
    zip.putNextEntry(entry);
    zip.write(content);
    zip.closeEntry();
  }

  /**
   * Runs a method with the graph executor's optimisation off: it would profile and re-specialise
   * the methods for every new shape (the gathered sizes change at every call), which costs more
   * than these few kernels. The setting is per thread; it is restored to DJL's default (on unless
   * {@code ai.djl.pytorch.graph_optimizer} is {@code false}), which DJL re-applies before every
   * forward of a model anyway when that property is set.
   */
  private static IValue run(String method, IValue... inputs) {
    PtSymbolBlock m = module();
    JniUtils.setGraphExecutorOptimize(false);
    try {
      return IValueUtils.runMethod(m, method, inputs);
    } finally {
      JniUtils.setGraphExecutorOptimize(!"false".equals(System.getProperty("ai.djl.pytorch.graph_optimizer")));
      for (IValue v : inputs) {
        v.close();
      }
    }
  }

  private static IValue of(NDArray array) {
    return IValue.from((PtNDArray) array);
  }

  /** {@code x} converted to {@code dtype}, a new tensor owned by libtorch, in {@code manager}. */
  static NDArray cast(NDManager manager, NDArray x, long dtype) {
    try (IValue out = run("cast", of(x), IValue.from(dtype))) {
      return out.toTensor((PtNDManager) manager);
    }
  }

  /** A zero {@code rows x cols} tensor of {@code dtype} on the device of {@code like}. */
  static NDArray alloc(NDManager manager, NDArray like, long rows, long cols, long dtype) {
    try (IValue out = run("alloc", of(like), IValue.from(rows), IValue.from(cols), IValue.from(dtype))) {
      return out.toTensor((PtNDManager) manager);
    }
  }

  /** Copies {@code src} (converted to the dtype of {@code dst}) into rows {@code start..} of {@code dst}. */
  static void fill(NDArray dst, long start, NDArray src) {
    run("fill", of(dst), IValue.from(start), of(src)).close();
  }

  /** {@code a b^T}. */
  static NDArray mm(NDManager manager, NDArray a, NDArray b) {
    try (IValue out = run("mm", of(a), of(b))) {
      return out.toTensor((PtNDManager) manager);
    }
  }

  /**
   * {@code z = a[start:end] b^T} in {@code b}'s dtype (the rows of {@code a} converted to it, exact
   * for the values the index uploads) and the minima of the groups of {@code g} consecutive columns
   * of {@code z} ({@code b} has a multiple of {@code g} rows).
   */
  static NDArray[] screen(NDManager manager, NDArray a, long start, long end, NDArray b, long g) {
    try (IValue out = run("screen", of(a), IValue.from(start), IValue.from(end), of(b), IValue.from(g))) {
      return tensors(manager, out);
    }
  }

  /**
   * The (row, group) pairs ({@code n x 2}, int64, row-major order) of the groups whose minimum in
   * {@code gm} is at most the row's threshold in {@code t}, and all {@code g} values of {@code z}
   * in each such group ({@code n x g}, float32).
   */
  static NDArray[] gather(NDManager manager, NDArray z, NDArray gm, NDArray t, long g) {
    try (IValue out = run("gather", of(z), of(gm), of(t), IValue.from(g))) {
      return tensors(manager, out);
    }
  }

  private static NDArray[] tensors(NDManager manager, IValue tuple) {
    IValue[] parts = tuple.toIValueTuple();
    NDArray[] result = new NDArray[parts.length];
    try {
      for (int i = 0; i < parts.length; i++) {
        result[i] = parts[i].toTensor((PtNDManager) manager);
      }
    } finally {
      for (IValue p : parts) {
        p.close();
      }
    }
    return result;
  }

  /**
   * The screening precision for libtorch on the CPU, chosen once per process from a short
   * calibration: a 256x1024 by 1024x1024 product (0.54 GFLOP), best of six after a warm-up, in
   * bfloat16 and in float32. bfloat16 wins if it is faster, on a CPU that lists bfloat16 dot-product
   * or matrix instructions ({@code amx_bf16}, {@code avx512_bf16}, Arm {@code bf16}), or at least
   * 25% faster on any other (where libtorch may emulate it). Logged at INFO.
   */
  static synchronized Screening cpuScreening() {
    if (cpuChoice == null) {
      cpuChoice = calibrate();
    }
    return cpuChoice;
  }

  private static Screening calibrate() {
    int n = 256;
    int d = 1024;
    int r = 1024;
    String flags = bf16CpuFlags();
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      NDArray a32 = m.create(pseudoRandom(n * d, 1), new Shape(n, d));
      NDArray b32 = m.create(pseudoRandom(r * d, 2), new Shape(r, d));
      NDArray a16 = cast(m, a32, BFLOAT16);
      NDArray b16 = cast(m, b32, BFLOAT16);
      long best16 = Long.MAX_VALUE;
      long best32 = Long.MAX_VALUE;
      for (int rep = 0; rep < 7; rep++) {
        long t0 = System.nanoTime();
        mm(m, a16, b16).close();
        long t1 = System.nanoTime();
        mm(m, a32, b32).close();
        long t2 = System.nanoTime();
        if (rep > 0) {
          best16 = Math.min(best16, t1 - t0);
          best32 = Math.min(best32, t2 - t1);
        }
      }
      boolean bf16 = flags.isEmpty() ? best16 * 4 < best32 * 3 : best16 < best32;
      Screening choice = bf16 ? Screening.BF16 : Screening.FLOAT32;
      LOG.info("libtorch k-NN search on the CPU screens in {}: a {} MFLOP product took {} ms in bfloat16, "
          + "{} ms in float32 (CPU bfloat16 flags: {})", bf16 ? "bfloat16" : "float32", 2L * n * d * r / 1_000_000,
          String.format("%.2f", best16 / 1e6), String.format("%.2f", best32 / 1e6),
          flags.isEmpty() ? "none" : flags);
      return choice;
    } catch (RuntimeException e) {
      LOG.info("libtorch k-NN search on the CPU screens in float32: the bfloat16 product failed ({})",
          e.toString());
      return Screening.FLOAT32;
    }
  }

  /** The bfloat16 instruction flags listed in {@code /proc/cpuinfo}, space separated; empty if none or unknown. */
  static String bf16CpuFlags() {
    try {
      Set<String> found = new TreeSet<>();
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("flags") || line.startsWith("Features")) {
          for (String f : line.substring(line.indexOf(':') + 1).trim().split("\\s+")) {
            if (f.equals("amx_bf16") || f.equals("avx512_bf16") || f.equals("bf16")) {
              found.add(f);
            }
          }
        }
      }
      return String.join(" ", found);
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  /** Deterministic values in [-1, 1) (the calibration does not touch libtorch's random state). */
  static float[] pseudoRandom(int n, long seed) {
    float[] v = new float[n];
    long s = seed * 0x9E3779B97F4A7C15L;
    for (int i = 0; i < n; i++) {
      s = s * 6364136223846793005L + 1442695040888963407L;
      v[i] = (float) ((s >>> 40) * 0x1p-23 - 1.0);
    }
    return v;
  }
}
