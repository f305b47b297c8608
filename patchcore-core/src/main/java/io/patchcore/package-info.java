/**
 * PatchCore's API: {@link io.patchcore.PatchCore} (an immutable configuration and its builder),
 * {@link io.patchcore.PatchCoreModel} (a fitted, immutable, thread-safe model that scores images and
 * is saved to and loaded from versioned files), the results {@link io.patchcore.AnomalyResult} and
 * {@link io.patchcore.AnomalyMap}, {@link io.patchcore.ImageScoring}, ensembles and the import of
 * models saved by the Python reference.
 *
 * <p>Concepts live in sub-packages: {@code feature} (the backbone SPI), {@code sampling} (memory-bank
 * samplers), {@code knn} (the compute back ends of the hot kernels). Packages under
 * {@code io.patchcore.internal} are implementation details: public only so that the library's own
 * modules can share them, not supported for users, and free to change in any release.
 */
package io.patchcore;
