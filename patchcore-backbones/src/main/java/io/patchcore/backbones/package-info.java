/**
 * TorchScript backbones for PatchCore, run on the CPU with DJL's PyTorch engine: {@link
 * io.patchcore.backbones.Backbones} builds {@link io.patchcore.FeatureExtractor}s from a user's
 * TorchScript file (CNN feature maps, or a vision transformer's tokens laid out on their patch
 * grid) or from the bundled MobileNetV2 and InceptionV3 ImageNet feature extractors, with
 * torchvision-equivalent preprocessing ({@link io.patchcore.backbones.Normalization}).
 */
package io.patchcore.backbones;
