/**
 * The backbone SPI: a {@link io.patchcore.feature.FeatureExtractor} turns an image into named
 * {@link io.patchcore.feature.FeatureMap}s ({@link io.patchcore.feature.FeatureMaps}). The
 * {@code patchcore-backbones} module implements it with TorchScript models; any other source of
 * CHW float maps can implement it too.
 */
package io.patchcore.feature;
