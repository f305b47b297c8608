/**
 * TorchScript backbones for PatchCore, run on the CPU or a CUDA GPU with DJL's PyTorch engine: {@link
 * io.patchcore.backbones.Backbones} builds {@link io.patchcore.feature.FeatureExtractor}s from a user's
 * TorchScript file (CNN feature maps, or a vision transformer's tokens laid out on their patch
 * grid) or from the bundled MobileNetV2 and InceptionV3 ImageNet feature extractors, with
 * torchvision-equivalent preprocessing ({@link io.patchcore.backbones.Normalization}). A backbone's
 * settings are a value, {@link io.patchcore.backbones.BackboneSpec} (with its {@link
 * io.patchcore.backbones.PreprocessingSpec}), written as one line of text or as the configuration
 * map saved in model files, and read back from either.
 */
package io.patchcore.backbones;

import io.patchcore.PatchCore;
