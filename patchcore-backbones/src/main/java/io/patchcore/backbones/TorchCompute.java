package io.patchcore.backbones;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import io.patchcore.Compute;
import io.patchcore.Computes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Compute} back ends on DJL's PyTorch engine (libtorch), an alternative to the default
 * {@link Computes#cpu() jblas} one with the same results up to exact ties: k-NN candidates are
 * found with float32 GEMM and {@code topK} on the device, then re-measured exactly in double on the
 * host; the greedy-coreset distance updates run on the device.
 *
 * <pre>{@code
 * PatchCore config = PatchCore.builder().backbone(backbone).compute(TorchCompute.gpu(0)).build();
 * }</pre>
 *
 * <p>The memory bank (or the coreset points) is copied to the device when a model is built or a
 * coreset is sampled and released by {@link io.patchcore.PatchCoreModel#close()} (or at the end
 * of sampling). The caller's executor is not used: libtorch parallelises each operation itself.
 * A GPU needs a CUDA build of libtorch on the class path (e.g. {@code pytorch-native-cu*});
 * DJL is put in offline mode with tracking off unless the application set those properties.
 */
public final class TorchCompute {
  private static final Logger LOG = LoggerFactory.getLogger(TorchCompute.class);
  private static final String ENGINE = "PyTorch";

  static {
    // no network at run time, as for the backbones (DJL reads both as system properties too)
    setIfAbsent("ai.djl.offline", "true");
    setIfAbsent("OPT_OUT_TRACKING", "true");
  }

  private static volatile DjlCompute cpu;

  private TorchCompute() {}

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null && System.getenv(key) == null) {
      System.setProperty(key, value);
    }
  }

  /**
   * The libtorch CPU back end (name {@code "torch-cpu"}).
   *
   * @throws IllegalStateException if the PyTorch engine cannot be loaded
   */
  public static Compute cpu() {
    DjlCompute c = cpu;
    if (c == null) {
      synchronized (TorchCompute.class) {
        c = cpu;
        if (c == null) {
          engine();
          c = new DjlCompute(Device.cpu());
          cpu = c;
        }
      }
    }
    return c;
  }

  /**
   * The back end on CUDA device {@code index} (name {@code "torch-gpu<index>"}). When libtorch sees
   * no GPU at all (no CUDA build of libtorch, no driver or no device), logs a warning and returns
   * {@link #cpu()} instead.
   *
   * @throws IllegalArgumentException if {@code index} is negative, or GPUs are visible but none
   *     with that index
   * @throws IllegalStateException if the PyTorch engine cannot be loaded
   */
  public static Compute gpu(int index) {
    if (index < 0) {
      throw new IllegalArgumentException("GPU index must be non-negative, got " + index);
    }
    Device device = device(index, "TorchCompute.gpu(" + index + ")");
    return device.isGpu() ? new DjlCompute(device) : cpu();
  }

  /**
   * CUDA device {@code index}, or the CPU with a logged warning when libtorch sees no GPU;
   * {@code index < 0} means the CPU.
   *
   * @throws IllegalArgumentException if GPUs are visible but {@code index} is not one of them
   */
  static Device device(int index, String what) {
    if (index < 0) {
      return Device.cpu();
    }
    int count = engine().getGpuCount();
    if (count == 0) {
      LOG.warn("no GPU visible to the PyTorch engine; {} falls back to the CPU", what);
      return Device.cpu();
    }
    if (index >= count) {
      throw new IllegalArgumentException("GPU index " + index + " is out of range: " + count + " GPU(s) visible");
    }
    return Device.gpu(index);
  }

  private static Engine engine() {
    try {
      return Engine.getEngine(ENGINE);
    } catch (EngineException | IllegalArgumentException e) {
      throw new IllegalStateException("the DJL " + ENGINE + " engine cannot be loaded: " + e.getMessage(), e);
    }
  }
}
