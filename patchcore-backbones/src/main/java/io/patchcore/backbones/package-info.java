/**
 * TorchScript backbones for PatchCore, run on the CPU with DJL's PyTorch engine: {@link
 * io.patchcore.backbones.Backbones} builds {@link io.patchcore.FeatureExtractor}s from a user's
 * TorchScript file or from the bundled MobileNetV2 ImageNet feature extractor, with
 * torchvision-equivalent preprocessing ({@link io.patchcore.backbones.Normalization}).
 */
package io.patchcore.backbones;
