package io.patchcore.internal.feature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fit's feature store: heap or file, the same rows back; the file goes away. */
class FeatureStoreTest {
  @TempDir
  Path dir;

  static float[] rows(Random rnd, int n, int dim) {
    float[] a = new float[n * dim];
    for (int i = 0; i < a.length; i++) {
      a[i] = Float.intBitsToFloat(rnd.nextInt()); // every bit pattern, NaN and infinities too
    }
    return a;
  }

  long files() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    }
  }

  @Test
  void spillsPastTheBudget_andReadsBackEveryBit_acrossSegments() throws IOException {
    int dim = 7;
    Random rnd = new Random(1);
    float[][] parts = {rows(rnd, 3, dim), rows(rnd, 10, dim), rows(rnd, 1, dim), rows(rnd, 40, dim)};
    // budget: 12 rows; segments of 5 rows (140 bytes) so that reads cross segment ends
    try (FeatureStore heap = new FeatureStore(dim, Long.MAX_VALUE, dir);
        FeatureStore file = new FeatureStore(dim, 12L * dim * 4, dir, 5L * dim * 4 + 3)) {
      for (float[] p : parts) {
        heap.append(p);
        file.append(p);
      }
      assertThat(heap.spilled()).isFalse();
      assertThat(file.spilled()).isTrue();
      assertThat(files()).isEqualTo(1);
      assertThat(Files.size(file.file())).isEqualTo(54L * dim * 4);
      heap.finish();
      file.finish();
      assertThat(file.rows()).isEqualTo(54);
      float[] a = new float[54 * dim];
      float[] b = new float[54 * dim];
      heap.read(0, 54, a, 0);
      file.read(0, 54, b, 0);
      assertThat(b).usingElementComparator(FeatureStoreTest::bits).containsExactly(toObjects(a));
      // odd windows
      for (int first = 0; first < 54; first += 4) {
        int n = Math.min(9, 54 - first);
        float[] x = new float[n * dim + 3];
        float[] y = new float[n * dim + 3];
        heap.read(first, n, x, 3);
        file.read(first, n, y, 3);
        assertThat(y).usingElementComparator(FeatureStoreTest::bits).containsExactly(toObjects(x));
      }
      assertThat(file.toArray()).usingElementComparator(FeatureStoreTest::bits).containsExactly(toObjects(a));
      assertThatThrownBy(() -> file.read(50, 5, new float[5 * dim], 0))
          .isInstanceOf(IndexOutOfBoundsException.class);
    }
    assertThat(files()).as("the feature cache after close").isZero();
  }

  @Test
  void heapRowsLiveInChunks_andReadBackAcrossChunkBoundaries_onHeapAndAfterSpilling() throws IOException {
    int dim = 1000; // 1048 rows per 4 MB chunk
    Random rnd = new Random(2);
    int[] batches = {7, 1500, 1, 1040, 600};
    int total = 0;
    for (int b : batches) {
      total += b;
    }
    float[] all = new float[total * dim];
    for (int i = 0; i < all.length; i++) {
      all[i] = rnd.nextFloat();
    }
    for (long budget : new long[] {Long.MAX_VALUE, 2000L * dim * Float.BYTES}) {
      try (FeatureStore s = new FeatureStore(dim, budget, dir)) {
        int at = 0;
        for (int b : batches) {
          s.append(java.util.Arrays.copyOfRange(all, at * dim, (at + b) * dim));
          at += b;
        }
        s.finish();
        assertThat(s.spilled()).isEqualTo(budget != Long.MAX_VALUE);
        assertThat(s.toArray()).isEqualTo(all); // isEqualTo: O(n); containsExactly diffs in O(n^2)
        float[] part = new float[1100 * dim];
        s.read(1000, 1100, part, 0); // crosses the chunk boundary at row 1048 (and 2096)
        assertThat(part).isEqualTo(java.util.Arrays.copyOfRange(all, 1000 * dim, 2100 * dim));
      }
    }
  }

  @Test
  void budgetZero_everythingGoesToTheFile() throws IOException {
    try (FeatureStore s = new FeatureStore(4, 0, dir)) {
      s.append(new float[] {1, 2, 3, 4});
      assertThat(s.spilled()).isTrue();
      s.finish();
      float[] r = new float[4];
      s.read(0, 1, r, 0);
      assertThat(r).containsExactly(1, 2, 3, 4);
    }
    assertThat(files()).isZero();
  }

  @Test
  void refusesBadInput_withTheValues() {
    assertThatThrownBy(() -> new FeatureStore(0, 1, dir)).hasMessageContaining("0");
    assertThatThrownBy(() -> new FeatureStore(3, -5, dir)).hasMessageContaining("-5");
    try (FeatureStore s = new FeatureStore(3, 100, dir)) {
      assertThatThrownBy(() -> s.append(new float[4])).hasMessageContaining("4 values").hasMessageContaining("3");
      assertThatThrownBy(s::finish).hasMessageContaining("no patch features");
    }
  }

  @Test
  void aFileWhereTheDirectoryShouldBe_isNamedInTheError() throws IOException {
    Path notADir = Files.writeString(dir.resolve("plain.txt"), "x");
    try (FeatureStore s = new FeatureStore(2, 0, notADir)) {
      assertThatThrownBy(() -> s.append(new float[2])).hasMessageContaining("plain.txt");
    }
  }

  private static Float[] toObjects(float[] a) {
    Float[] o = new Float[a.length];
    for (int i = 0; i < a.length; i++) {
      o[i] = a[i];
    }
    return o;
  }

  private static int bits(Float x, Float y) {
    return Integer.compare(Float.floatToRawIntBits(x), Float.floatToRawIntBits(y));
  }
}
