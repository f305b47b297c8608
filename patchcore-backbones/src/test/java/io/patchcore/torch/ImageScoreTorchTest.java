package io.patchcore.torch;

import io.patchcore.ImageScoreCases;
import org.junit.jupiter.api.Test;

/**
 * {@link io.patchcore.PatchCoreModel#imageScoreFeatures} on libtorch: the probe's bounds come from
 * the screening alone ({@link ScreenedIndex#upperBounds}); the image score must still equal the full
 * score bit for bit (see {@link ImageScoreCases}). Small blocks and chunks are covered by
 * {@link ScreenedIndexTest}.
 */
class ImageScoreTorchTest {
  @Test
  void bfloat16Screening() {
    ImageScoreCases.assertAll(ScreenedIndexTest.BF16, true, 2, 1, 16);
  }

  @Test
  void float32Screening() {
    ImageScoreCases.assertAll(ScreenedIndexTest.FP32, true, 2, 3);
  }

  @Test
  void probe_isBuiltOnFirstUse_andClosedWithTheModel() {
    ImageScoreCases.assertProbeLifecycle(ScreenedIndexTest.BF16);
  }

  @Test
  void smallBank() {
    ImageScoreCases.assertSmallBank(ScreenedIndexTest.BF16);
  }
}
