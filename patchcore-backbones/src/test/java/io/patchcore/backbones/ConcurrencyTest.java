package io.patchcore.backbones;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.patchcore.AnomalyResult;
import io.patchcore.PatchCore;
import io.patchcore.PatchCoreModel;
import io.patchcore.feature.FeatureExtractor;
import io.patchcore.knn.Compute;
import io.patchcore.knn.Computes;
import io.patchcore.sampling.Samplers;
import io.patchcore.torch.TorchCompute;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link PatchCoreModel#score} from several threads: the same results as one thread, bit for bit;
 * closing the backbone or the model while others score makes their calls fail with an {@link
 * IllegalStateException}, never a hang or a crash of the JVM (which would fail the test run).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ConcurrencyTest {
  static final int THREADS = 8;
  static final int TILE = 64;
  /** Bound on each wait for the worker threads. */
  static final long WAIT_SECONDS = 90;

  static FeatureExtractor backbone;
  static PatchCoreModel model;
  /** The 64 tiles of 64x64 of ihc.png (512x512). */
  static List<BufferedImage> images;
  static List<AnomalyResult> sequential;

  @BeforeAll
  static void setUp() {
    BufferedImage ihc = TestImages.read("ihc.png");
    images = new ArrayList<>();
    for (int y = 0; y + TILE <= ihc.getHeight(); y += TILE) {
      for (int x = 0; x + TILE <= ihc.getWidth(); x += TILE) {
        images.add(ihc.getSubimage(x, y, TILE, TILE));
      }
    }
    assertThat(images).hasSize(64);
    backbone = Backbones.bundledDefault();
    model = fit(backbone, Computes.cpu());
    sequential = new ArrayList<>();
    for (BufferedImage image : images) {
      sequential.add(model.score(image));
    }
  }

  @AfterAll
  static void tearDown() {
    if (model != null) {
      model.close();
    }
    if (backbone != null) {
      backbone.close();
    }
  }

  static PatchCoreModel fit(FeatureExtractor fe, Compute compute) {
    return PatchCore.builder().backbone(fe).pretrainDimension(64).targetDimension(64)
        .sampler(Samplers.approximateGreedy(0.5)).seed(3).compute(compute).build()
        .fit(List.of(images.get(0), images.get(9), images.get(18), images.get(27)));
  }

  static void assertSame(AnomalyResult got, AnomalyResult want, String what) {
    assertThat(got.score()).as("%s score", what).isEqualTo(want.score());
    assertThat(Arrays.equals(got.map().toArray(), want.map().toArray())).as("%s map", what).isTrue();
    assertThat(Arrays.equals(got.patchScores().toArray(), want.patchScores().toArray()))
        .as("%s patch scores", what).isTrue();
  }

  @Test
  void eightThreadsGiveTheSequentialResults() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<AnomalyResult[]>> futures = new ArrayList<>();
      CountDownLatch start = new CountDownLatch(1);
      for (int t = 0; t < THREADS; t++) {
        int offset = t * 8; // every thread scores all 64 images, each from another starting point
        futures.add(pool.submit(() -> {
          start.await();
          AnomalyResult[] out = new AnomalyResult[images.size()];
          for (int i = 0; i < images.size(); i++) {
            int j = (offset + i) % images.size();
            out[j] = model.score(images.get(j));
          }
          return out;
        }));
      }
      start.countDown();
      for (int t = 0; t < THREADS; t++) {
        AnomalyResult[] got = futures.get(t).get(WAIT_SECONDS, TimeUnit.SECONDS);
        for (int i = 0; i < images.size(); i++) {
          assertSame(got[i], sequential.get(i), "thread " + t + ", image " + i);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    // the scores differ between images (so equality above is not trivially true)
    assertThat(sequential.stream().mapToDouble(AnomalyResult::score).distinct().count()).isGreaterThan(32);
  }

  /** What one worker saw: scores that matched the sequential run, then the failure that stopped it. */
  record Run(int scored, RuntimeException failure) {}

  /**
   * Starts THREADS workers that score the tiles round and round until a call fails, each result
   * checked against {@code reference}; calls {@code close} once {@code before} scores are done in
   * all, and returns what each worker saw.
   */
  static List<Run> scoreWhileClosing(PatchCoreModel m, List<AnomalyResult> reference, Runnable close, int before)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      AtomicInteger done = new AtomicInteger();
      CountDownLatch enough = new CountDownLatch(1);
      List<Future<Run>> futures = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int offset = t * 8;
        futures.add(pool.submit(() -> {
          for (int i = 0; i < 100_000; i++) {
            int j = (offset + i) % images.size();
            AnomalyResult r;
            try {
              r = m.score(images.get(j));
            } catch (RuntimeException e) {
              return new Run(i, e);
            }
            assertSame(r, reference.get(j), "image " + j + " before the close");
            if (done.incrementAndGet() >= before) {
              enough.countDown();
            }
          }
          return new Run(100_000, null);
        }));
      }
      assertThat(enough.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("%d scores before the close", before).isTrue();
      close.run();
      List<Run> runs = new ArrayList<>();
      for (Future<Run> f : futures) {
        runs.add(f.get(WAIT_SECONDS, TimeUnit.SECONDS));
      }
      return runs;
    } finally {
      pool.shutdownNow();
      assertThat(pool.awaitTermination(WAIT_SECONDS, TimeUnit.SECONDS)).as("workers ended").isTrue();
    }
  }

  @Test
  void closingTheBackboneWhileScoringFailsTheOtherCallsCleanly() throws Exception {
    FeatureExtractor fe = Backbones.bundledDefault();
    try (PatchCoreModel m = fit(fe, Computes.cpu())) {
      List<Run> runs = scoreWhileClosing(m, sequential, fe::close, 24);
      for (Run r : runs) {
        assertThat(r.failure()).as("every worker stops").isNotNull();
        assertThat(r.failure()).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("bundled mobilenet_v2_imagenet_features.pt is closed");
      }
      assertThat(runs.stream().mapToInt(Run::scored).sum()).isGreaterThanOrEqualTo(24 - THREADS);
      assertThatThrownBy(() -> m.score(images.get(0))).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("is closed");
    } finally {
      fe.close();
    }
  }

  @Test
  void closingTheModelWhileScoringFailsTheOtherCallsCleanly() throws Exception {
    // the jblas index holds nothing native; the libtorch one frees a tensor, so its close must
    // wait for searches in flight
    for (Compute compute : List.of(Computes.cpu(), TorchCompute.cpu())) {
      PatchCoreModel m = fit(backbone, compute);
      List<AnomalyResult> reference = new ArrayList<>();
      for (BufferedImage image : images) {
        reference.add(m.score(image));
      }
      List<Run> runs = scoreWhileClosing(m, reference, m::close, 24);
      for (Run r : runs) {
        assertThat(r.failure()).as("%s: every worker stops", compute.name()).isNotNull();
        assertThat(r.failure()).as(compute.name()).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("closed");
      }
      assertThatThrownBy(() -> m.score(images.get(0))).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("model is closed");
      m.close(); // idempotent
    }
    // the shared backbone is untouched by closing models
    assertSame(model.score(images.get(5)), sequential.get(5), "after the closes");
  }
}
