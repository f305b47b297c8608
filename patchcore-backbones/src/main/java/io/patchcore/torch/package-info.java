/**
 * {@link io.patchcore.torch.TorchCompute}: the libtorch implementation of the k-NN and coreset
 * kernels, on the CPU or a CUDA GPU, returning exactly what the jblas back end returns.
 */
package io.patchcore.torch;
