package io.patchcore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.patchcore.knn.Computes;
import org.junit.jupiter.api.Test;

/** {@link PatchCoreModel#imageScoreFeatures} on the CPU back end: see {@link ImageScoreCases}. */
class ImageScoreTest {
  @Test
  void imageScore_equalsTheFullScore_bitForBit() {
    ImageScoreCases.assertAll(Computes.cpu());
  }

  @Test
  void anyValidUpperBounds_giveTheSameScore() {
    ImageScoreCases.assertAll(ImageScoreCases.looseBounds(Computes.cpu()), false);
  }

  @Test
  void probe_isBuiltOnFirstUse_andClosedWithTheModel() {
    ImageScoreCases.assertProbeLifecycle(Computes.cpu());
  }

  @Test
  void smallBank_isSearchedInFull() {
    ImageScoreCases.assertSmallBank(Computes.cpu());
  }

  @Test
  void closedModel_refusesImageScores() {
    PatchCoreModel m = ImageScoreCases.config(Computes.cpu(), ImageScoring.MAX, 1).build()
        .fitFeatures(ImageScoreCases.training(1));
    var maps = ImageScoreCases.maps(ImageScoreCases.normalImage(new java.util.SplittableRandom(2)));
    assertThat(m.imageScoreFeatures(maps)).isFinite();
    m.close();
    assertThatThrownBy(() -> m.imageScoreFeatures(maps)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> m.imageScoreFeatures(null)).isInstanceOf(NullPointerException.class);
  }
}
