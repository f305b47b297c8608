package io.patchcore.internal.knn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.patchcore.testing.RandomData;
import java.util.Random;
import org.jblas.NativeBlas;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The pure-Java fallback of {@link Blas} against jblas's native sgemm. */
class BlasTest {
  /** The native BLAS runs here, unless the java-blas test execution asked for the Java kernel. */
  @Test
  void nativeBlasRunsHere() {
    assertThat(Blas.implementation()).isEqualTo(Boolean.getBoolean("patchcore.blas.java") ? "java" : "jblas");
  }

  @ParameterizedTest(name = "m={0} n={1} k={2}")
  @CsvSource({"1, 1, 1", "7, 3, 5", "130, 17, 64", "33, 40, 129"})
  void javaSgemm_equalsNativeWithinFloatRounding(int m, int n, int k) {
    Random rnd = new Random(m * 1000L + n * 10L + k);
    float[] a = RandomData.gaussian(rnd, m * k + 3);
    float[] b = RandomData.gaussian(rnd, n * k + 5);
    float[] want = new float[m * n + 2];
    float[] got = new float[m * n + 2];
    NativeBlas.sgemm('T', 'N', m, n, k, 1f, a, 3, k, b, 5, k, 0f, want, 2, m);
    Blas.javaSgemm('T', 'N', m, n, k, 1f, a, 3, k, b, 5, k, 0f, got, 2, m);
    for (int i = 0; i < want.length; i++) {
      assertThat((double) got[i]).as("entry %d", i).isCloseTo(want[i], org.assertj.core.data.Offset.offset(
          1e-5 * Math.sqrt(k) * 4));
    }
  }

  @Test
  void javaSgemm_otherFormsAreRefusedNamingThem() {
    assertThatThrownBy(() -> Blas.javaSgemm('N', 'N', 1, 1, 1, 1f, new float[1], 0, 1, new float[1], 0, 1, 0f,
        new float[1], 0, 1)).isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("('N', 'N')");
  }
}
