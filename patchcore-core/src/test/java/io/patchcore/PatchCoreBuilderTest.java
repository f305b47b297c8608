package io.patchcore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.patchcore.feature.FeatureExtractor;
import io.patchcore.feature.FeatureMap;
import io.patchcore.feature.FeatureMaps;
import io.patchcore.knn.Computes;
import io.patchcore.sampling.Samplers;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

/** One test per builder option and failure mode. */
class PatchCoreBuilderTest {

  /** A fake backbone with two layers. */
  static final class FakeBackbone implements FeatureExtractor {
    @Override
    public String id() {
      return "fake";
    }

    @Override
    public List<String> layerNames() {
      return List.of("a", "b");
    }

    @Override
    public FeatureMaps extract(BufferedImage image) {
      float[] a = new float[2 * image.getHeight() * image.getWidth()];
      for (int y = 0; y < image.getHeight(); y++) {
        for (int x = 0; x < image.getWidth(); x++) {
          int rgb = image.getRGB(x, y);
          a[y * image.getWidth() + x] = (rgb >> 16) & 0xff;
          a[image.getHeight() * image.getWidth() + y * image.getWidth() + x] = rgb & 0xff;
        }
      }
      return new FeatureMaps(image.getHeight(), image.getWidth(),
          List.of(new FeatureMap("a", 2, image.getHeight(), image.getWidth(), a),
              new FeatureMap("b", 1, 1, 1, new float[] {1})));
    }

    @Override
    public void close() {}
  }

  @Test
  void defaults_areTheReference() {
    PatchCore pc = PatchCore.builder().build();
    assertThat(pc.patchSize()).isEqualTo(3);
    assertThat(pc.patchStride()).isEqualTo(1);
    assertThat(pc.pretrainDimension()).isEqualTo(1024);
    assertThat(pc.targetDimension()).isEqualTo(1024);
    assertThat(pc.neighbours()).isEqualTo(1);
    assertThat(pc.imageScoring()).isEqualTo(ImageScoring.MAX);
    assertThat(pc.anomalyMapSigma()).isEqualTo(4.0);
    assertThat(pc.sampler().description()).startsWith("approx-greedy(p=0.1");
    assertThat(pc.seed()).isZero();
    assertThat(pc.layers()).isEmpty();
  }

  @Test
  void options_areKept() {
    PatchCore pc = PatchCore.builder().layers("b", "a").patchSize(5).patchStride(2).pretrainDimension(64)
        .targetDimension(32).sampler(Samplers.random(0.5)).neighbours(3).imageScoring(ImageScoring.REWEIGHTED)
        .reweightingNeighbours(4).anomalyMapSigma(0).seed(42).threads(2).progressListener((s, d, t) -> {})
        .compute(Computes.cpu()).build();
    assertThat(pc.layers()).containsExactly("b", "a");
    assertThat(pc.patchSize()).isEqualTo(5);
    assertThat(pc.patchStride()).isEqualTo(2);
    assertThat(pc.pretrainDimension()).isEqualTo(64);
    assertThat(pc.targetDimension()).isEqualTo(32);
    assertThat(pc.neighbours()).isEqualTo(3);
    assertThat(pc.reweightingNeighbours()).isEqualTo(4);
    assertThat(pc.anomalyMapSigma()).isZero();
    assertThat(pc.seed()).isEqualTo(42);
    assertThat(pc.toString()).contains("random(p=0.5)", "REWEIGHTED(b=4)", "seed=42");
  }

  @Test
  void patchSize_even() {
    assertThatThrownBy(() -> PatchCore.builder().patchSize(4)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got 4");
  }

  @Test
  void patchSize_zero() {
    assertThatThrownBy(() -> PatchCore.builder().patchSize(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got 0");
  }

  @Test
  void patchSize_setTwice() {
    assertThatThrownBy(() -> PatchCore.builder().patchSize(3).patchSize(5)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("patchSize");
  }

  @Test
  void patchStride_zero() {
    assertThatThrownBy(() -> PatchCore.builder().patchStride(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got 0");
  }

  @Test
  void patchStride_setTwice() {
    assertThatThrownBy(() -> PatchCore.builder().patchStride(1).patchStride(2))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void pretrainDimension_zero() {
    assertThatThrownBy(() -> PatchCore.builder().pretrainDimension(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got 0");
  }

  @Test
  void targetDimension_negative() {
    assertThatThrownBy(() -> PatchCore.builder().targetDimension(-3)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got -3");
  }

  @Test
  void neighbours_zero() {
    assertThatThrownBy(() -> PatchCore.builder().neighbours(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got 0");
  }

  @Test
  void neighbours_setTwice() {
    assertThatThrownBy(() -> PatchCore.builder().neighbours(1).neighbours(1)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void sampler_null() {
    assertThatThrownBy(() -> PatchCore.builder().sampler(null)).isInstanceOf(NullPointerException.class)
        .hasMessageContaining("sampler");
  }

  @Test
  void sampler_setTwice() {
    assertThatThrownBy(() -> PatchCore.builder().sampler(Samplers.identity()).sampler(Samplers.identity()))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("sampler");
  }

  @Test
  void reweightingNeighbours_zero() {
    assertThatThrownBy(() -> PatchCore.builder().reweightingNeighbours(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got 0");
  }

  @Test
  void reweightingNeighbours_withoutReweightedScoring() {
    assertThatThrownBy(() -> PatchCore.builder().reweightingNeighbours(5).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("REWEIGHTED");
  }

  @Test
  void imageScoring_setTwice() {
    assertThatThrownBy(() -> PatchCore.builder().imageScoring(ImageScoring.MAX).imageScoring(ImageScoring.MAX))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void anomalyMapSigma_negative() {
    assertThatThrownBy(() -> PatchCore.builder().anomalyMapSigma(-1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1");
  }

  @Test
  void anomalyMapSigma_nan() {
    assertThatThrownBy(() -> PatchCore.builder().anomalyMapSigma(Double.NaN))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
  }

  @Test
  void seed_setTwice() {
    assertThatThrownBy(() -> PatchCore.builder().seed(1).seed(2)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("seed");
  }

  @Test
  void threads_zero() {
    assertThatThrownBy(() -> PatchCore.builder().threads(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got 0");
  }

  @Test
  void threads_conflictsWithExecutor() {
    Executor direct = Runnable::run;
    assertThatThrownBy(() -> PatchCore.builder().executor(direct).threads(2)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("executor");
    assertThatThrownBy(() -> PatchCore.builder().threads(2).executor(direct)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("threads(2)");
  }

  @Test
  void layers_empty() {
    assertThatThrownBy(() -> PatchCore.builder().layers()).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void layers_duplicate() {
    assertThatThrownBy(() -> PatchCore.builder().layers("a", "a")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'a'");
  }

  @Test
  void layers_blank() {
    assertThatThrownBy(() -> PatchCore.builder().layers("a", " ")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void layers_notInBackbone() {
    assertThatThrownBy(() -> PatchCore.builder().backbone(new FakeBackbone()).layers("a", "zz").build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("'zz'").hasMessageContaining("[a, b]");
  }

  @Test
  void backbone_setTwice() {
    assertThatThrownBy(() -> PatchCore.builder().backbone(new FakeBackbone()).backbone(new FakeBackbone()))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("backbone");
  }

  @Test
  void progressListener_null() {
    assertThatThrownBy(() -> PatchCore.builder().progressListener(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void compute_setTwice() {
    assertThatThrownBy(() -> PatchCore.builder().compute(Computes.cpu()).compute(Computes.cpu()))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void fit_withoutBackbone() {
    assertThatThrownBy(() -> PatchCore.builder().build().fit(List.of(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB))))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("backbone");
  }

  @Test
  void fit_emptyTrainingSet() {
    assertThatThrownBy(() -> PatchCore.builder().backbone(new FakeBackbone()).build().fit(List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
  }

  @Test
  void fit_coresetSmallerThanK() {
    PatchCore pc = PatchCore.builder().backbone(new FakeBackbone()).layers("a").patchSize(1).pretrainDimension(2)
        .targetDimension(2).sampler(Samplers.random(0.1)).neighbours(5).build();
    assertThatThrownBy(() -> pc.fit(List.of(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("keeps 1 of 16").hasMessageContaining("k=5");
  }

  @Test
  void fit_nonFiniteFeatures() {
    float[] bad = {1, Float.NaN, 3, 4};
    FeatureMaps maps = new FeatureMaps(2, 2, List.of(new FeatureMap("x", 1, 2, 2, bad)));
    assertThatThrownBy(() -> PatchCore.builder().build().fitFeatures(List.of(maps)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN").hasMessageContaining("'x'");
  }

  @Test
  void fitAndScore_withBackboneProgressAndSeed() {
    long[] extracted = new long[1];
    PatchCore pc = PatchCore.builder().backbone(new FakeBackbone()).patchSize(1).pretrainDimension(3)
        .targetDimension(3).sampler(Samplers.approximateGreedy(0.5)).seed(9).threads(2)
        .progressListener((stage, done, total) -> {
          if (stage.equals("extract")) {
            extracted[0] = done;
          }
        }).build();
    java.util.Random rnd = new java.util.Random(1);
    List<BufferedImage> train = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      BufferedImage img = new BufferedImage(6, 4, BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < 4; y++) {
        for (int x = 0; x < 6; x++) {
          img.setRGB(x, y, rnd.nextInt(64) << 16 | rnd.nextInt(64));
        }
      }
      train.add(img);
    }
    PatchCoreModel a = pc.fit(train);
    PatchCoreModel b = pc.fit(train);
    assertThat(extracted[0]).isEqualTo(5);
    assertThat(a.candidateSize()).isEqualTo(5 * 24);
    assertThat(a.bankSize()).isEqualTo(60);
    assertThat(a.memoryBank()).containsExactly(b.memoryBank());
    BufferedImage odd = new BufferedImage(6, 4, BufferedImage.TYPE_INT_RGB);
    odd.setRGB(2, 2, 0xff00ff);
    AnomalyResult normal = a.score(train.get(0));
    AnomalyResult anomalous = a.score(odd);
    assertThat(anomalous.score()).isGreaterThan(normal.score());
    assertThat(anomalous.map().height()).isEqualTo(4);
    assertThat(anomalous.map().width()).isEqualTo(6);
    assertThat(a.scoreAll(List.of(train.get(0), odd))).extracting(AnomalyResult::score)
        .containsExactly(normal.score(), anomalous.score());
    a.close();
    assertThatThrownBy(() -> a.score(odd)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }
}
