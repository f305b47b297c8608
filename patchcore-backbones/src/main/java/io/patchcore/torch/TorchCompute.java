package io.patchcore.torch;

import ai.djl.Device;
import io.patchcore.PatchCore;
import io.patchcore.internal.torch.TorchRuntime;
import io.patchcore.knn.Compute;
import io.patchcore.knn.Computes;

/**
 * {@link Compute} back ends on DJL's PyTorch engine (libtorch), an alternative to the default
 * {@link Computes#cpu() jblas} one. The k-NN search is exact (it equals a double-precision brute
 * force, ties to the lower index): a bfloat16 (or float32) product on the device screens the bank
 * with a rigorous error bound, and the few rows it cannot rule out are re-measured exactly in
 * double on the host. The greedy-coreset distance updates run on the device.
 *
 * <pre>{@code
 * PatchCore config = PatchCore.builder().backbone(backbone).compute(TorchCompute.gpu(0)).build();
 * }</pre>
 *
 * <p>The memory bank (in bfloat16, half its float32 size) or the coreset points are copied to the
 * device when a model is built or a coreset is sampled and released by
 * {@link io.patchcore.PatchCoreModel#close()} (or at the end of sampling). The caller's executor is
 * not used: libtorch parallelises each operation itself.
 * A GPU needs a CUDA build of libtorch on the class path (e.g. {@code pytorch-native-cu*});
 * DJL is put in offline mode with tracking off unless the application set those properties.
 */
public final class TorchCompute {

  static {
    TorchRuntime.keepOffline();
  }

  private static volatile DjlCompute cpu;

  private TorchCompute() {}

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
          TorchRuntime.engine();
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
    Device device = TorchRuntime.device(index, "TorchCompute.gpu(" + index + ")");
    return device.isGpu() ? new DjlCompute(device) : cpu();
  }

}
