package io.patchcore.torch;

import io.patchcore.knn.Compute;
import io.patchcore.knn.ComputeProvider;

/**
 * Offers {@link TorchCompute#cpu()} to {@link io.patchcore.knn.Computes#defaultCompute()} through
 * {@link java.util.ServiceLoader}: with patchcore-backbones on the class path, the libtorch back end
 * is the default because it is the faster exact search.
 */
public final class TorchComputeProvider implements ComputeProvider {
  /** For {@link java.util.ServiceLoader}. */
  public TorchComputeProvider() {}

  @Override
  public String name() {
    return "torch";
  }

  @Override
  public int priority() {
    return 10;
  }

  @Override
  public Compute create() {
    return TorchCompute.cpu();
  }
}
