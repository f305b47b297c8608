package io.patchcore.internal.feature;

import static org.assertj.core.api.Assertions.assertThat;

import io.patchcore.feature.FeatureMap;
import io.patchcore.feature.FeatureMaps;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Embedder#embed} (vectorised across grid positions) equals the direct formulation bit for
 * bit: every patch extracted with {@link Patches#extract}, pooled with {@link AdaptivePool#apply},
 * deeper layers resized with {@link Bilinear#resize} and the concatenation pooled row by row.
 */
class EmbedderTest {
  /** The direct formulation: one patch at a time, position-major throughout. */
  static float[] reference(FeatureMaps maps, List<String> layers, int p, int stride, int pretrain, int target) {
    int gh = 0;
    int gw = 0;
    float[] concat = null;
    int width = layers.size() * pretrain;
    for (int l = 0; l < layers.size(); l++) {
      FeatureMap map = maps.layer(layers.get(l));
      int lh = Patches.gridSize(map.height(), p, stride);
      int lw = Patches.gridSize(map.width(), p, stride);
      AdaptivePool pool = new AdaptivePool(map.channels() * p * p, pretrain);
      float[] patch = new float[map.channels() * p * p];
      float[] pooled = new float[lh * lw * pretrain];
      for (int r = 0; r < lh; r++) {
        for (int q = 0; q < lw; q++) {
          Patches.extract(map.toArray(), map.channels(), map.height(), map.width(), p, stride, r, q, patch, 0);
          pool.apply(patch, 0, pooled, (r * lw + q) * pretrain);
        }
      }
      if (l == 0) {
        gh = lh;
        gw = lw;
        concat = new float[gh * gw * width];
      } else if (lh != gh || lw != gw) {
        pooled = Bilinear.resize(pooled, lh, lw, pretrain, gh, gw);
      }
      for (int r = 0; r < gh * gw; r++) {
        System.arraycopy(pooled, r * pretrain, concat, r * width + l * pretrain, pretrain);
      }
    }
    return new AdaptivePool(width, target).applyRows(concat, gh * gw);
  }

  static FeatureMap map(SplittableRandom r, String name, int c, int h, int w) {
    float[] v = new float[c * h * w];
    for (int i = 0; i < v.length; i++) {
      // exact zeros, negative zeros and +-2^60, which cancel exactly in some windows while a small
      // value added next to one of them is lost: the order of every sum shows in the result
      v[i] = switch (r.nextInt(8)) {
        case 0 -> 0f;
        case 1 -> -0f;
        case 2, 3 -> r.nextBoolean() ? 0x1p60f : -0x1p60f;
        default -> (float) r.nextGaussian();
      };
    }
    return new FeatureMap(name, c, h, w, v);
  }

  @Test
  void embed_equalsTheDirectFormulation_bitForBit() {
    check(null);
  }

  @Test
  void embedWithAHelper_equalsTheDirectFormulation_bitForBit() {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      check(pool);
    } finally {
      pool.shutdownNow();
    }
  }

  static void check(java.util.concurrent.Executor executor) {
    SplittableRandom r = new SplittableRandom(5);
    int cases = 0;
    for (int p : new int[] {1, 2, 3, 4}) {
      for (int stride : new int[] {1, 2, 3}) {
        for (int[] dims : new int[][] {{16, 8}, {7, 24}, {40, 40}}) {
          FeatureMaps maps = new FeatureMaps(64, 64, List.of(map(r, "a", 6, 11, 9), map(r, "b", 5, 6, 5),
              map(r, "c", 3, 11, 9)));
          List<String> layers = List.of("a", "b", "c");
          Embedder e = new Embedder(layers, p, stride, dims[0], dims[1]);
          Embedder.Embedding got = e.embed(maps, executor);
          float[] want = reference(maps, layers, p, stride, dims[0], dims[1]);
          assertThat(got.data()).as("p=%d stride=%d dims=%d->%d", p, stride, dims[0], dims[1]).hasSize(want.length);
          for (int i = 0; i < want.length; i++) {
            assertThat(Float.floatToRawIntBits(got.data()[i])).as("value %d, p=%d stride=%d dims=%d->%d", i, p,
                stride, dims[0], dims[1]).isEqualTo(Float.floatToRawIntBits(want[i]));
          }
          cases++;
        }
      }
    }
    assertThat(cases).isEqualTo(36);
  }
}
