package io.patchcore.internal.knn;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Runs only in the {@code java-blas} surefire execution of this module (with
 * {@code -Dpatchcore.blas.java=true}), beside the k-NN and sampler tests: proves that they ran on
 * the pure-Java kernel. The default execution excludes it.
 */
class JavaBlasFallbackTest {
  @Test
  void thePureJavaKernelRuns() {
    assertThat(System.getProperty("patchcore.blas.java")).isEqualTo("true");
    assertThat(Blas.implementation()).isEqualTo("java");
  }
}
