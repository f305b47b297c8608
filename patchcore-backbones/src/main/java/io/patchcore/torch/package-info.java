/**
 * {@link io.patchcore.torch.TorchCompute}: the libtorch implementation of the k-NN and coreset
 * kernels, on the CPU or a CUDA GPU. Its search screens in bfloat16 (or float32) with a rigorous
 * per-query error bound and re-ranks every row the bound cannot exclude exactly in double, so it
 * returns what a double-precision brute force returns (ties to the lower index).
 */
package io.patchcore.torch;
