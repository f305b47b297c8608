package io.patchcore.backbones;

import static org.assertj.core.api.Assertions.assertThat;

import io.patchcore.AnomalyResult;
import io.patchcore.PatchCore;
import io.patchcore.PatchCoreModel;
import io.patchcore.feature.FeatureExtractor;
import io.patchcore.feature.FeatureMaps;
import io.patchcore.knn.Compute;
import io.patchcore.knn.Computes;
import io.patchcore.sampling.Samplers;
import io.patchcore.testing.Busy;
import io.patchcore.torch.TorchCompute;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The whole scoring path under load: the backbone, the k-NN search with jblas and with libtorch,
 * and {@link PatchCoreModel#score}, called by 8 threads at once (each score itself searching in
 * parallel) beside 2 busy threads, give bit for bit what one thread gives. The backbone and the
 * models are new when the threads start, so first calls (native initialisation) race as well.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class ScoreStressTest {
  static final int THREADS = 8;
  static final int ROUNDS = 4;
  static final int TILE = 64;

  static List<BufferedImage> tiles() {
    BufferedImage ihc = TestImages.read("ihc.png");
    List<BufferedImage> out = new ArrayList<>();
    for (int y = 0; y + TILE <= ihc.getHeight(); y += 2 * TILE) {
      for (int x = 0; x + TILE <= ihc.getWidth(); x += 2 * TILE) {
        out.add(ihc.getSubimage(x, y, TILE, TILE));
      }
    }
    return out;
  }

  static PatchCoreModel fit(FeatureExtractor fe, Compute compute, List<BufferedImage> train) {
    return PatchCore.builder().backbone(fe).pretrainDimension(96).targetDimension(96)
        .sampler(Samplers.approximateGreedy(0.5)).seed(11).compute(compute).threads(3).build()
        .fit(train);
  }

  static boolean same(AnomalyResult a, AnomalyResult b) {
    return Double.compare(a.score(), b.score()) == 0 && Arrays.equals(a.map().toArray(), b.map().toArray())
        && Arrays.equals(a.patchScores().toArray(), b.patchScores().toArray());
  }

  @Test
  void backboneSearchAndScoreFromManyThreadsOnABusyCpuEqualTheSequentialRun() throws Exception {
    List<BufferedImage> images = tiles();
    assertThat(images).hasSize(16);
    List<BufferedImage> train = List.of(images.get(0), images.get(5), images.get(10));
    // the sequential reference, in a backbone and models of its own
    List<FeatureMaps> features = new ArrayList<>();
    List<AnomalyResult> jblas = new ArrayList<>();
    List<AnomalyResult> torch = new ArrayList<>();
    try (FeatureExtractor fe = Backbones.bundledDefault();
        PatchCoreModel mj = fit(fe, Computes.cpu(), train);
        PatchCoreModel mt = fit(fe, TorchCompute.cpu(), train)) {
      for (BufferedImage image : images) {
        features.add(fe.extract(image));
        jblas.add(mj.score(image));
        torch.add(mt.score(image));
      }
    }
    assertThat(jblas.stream().mapToDouble(AnomalyResult::score).distinct().count()).isGreaterThan(8);

    ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try (FeatureExtractor fe = Backbones.bundledDefault();
        PatchCoreModel mj = fit(fe, Computes.cpu(), train);
        PatchCoreModel mt = fit(fe, TorchCompute.cpu(), train);
        Busy busy = Busy.start(2)) {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int offset = t * 3;
        futures.add(pool.submit(() -> {
          go.await();
          for (int r = 0; r < ROUNDS; r++) {
            for (int i = 0; i < images.size(); i++) {
              int j = (offset + i) % images.size();
              BufferedImage image = images.get(j);
              // each thread starts with another of the three calls, so first uses meet
              for (int step = 0; step < 3; step++) {
                switch ((offset + step) % 3) {
                  case 0 -> {
                    if (!fe.extract(image).layers().equals(features.get(j).layers())) {
                      wrong.add("features of image " + j);
                    }
                  }
                  case 1 -> {
                    if (!same(mj.score(image), jblas.get(j))) {
                      wrong.add("jblas score of image " + j);
                    }
                  }
                  default -> {
                    if (!same(mt.score(image), torch.get(j))) {
                      wrong.add("libtorch score of image " + j);
                    }
                  }
                }
              }
            }
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(wrong).as("results that differ from the sequential run").isEmpty();
  }
}
