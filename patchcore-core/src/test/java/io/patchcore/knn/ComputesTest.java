package io.patchcore.knn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Without another provider on the class path (core alone), the default back end is jblas. */
class ComputesTest {
  @Test
  void defaultCompute_coreAloneIsJblas() {
    assertThat(Computes.defaultCompute()).isSameAs(Computes.cpu());
    assertThat(Computes.named(" AUTO ")).isSameAs(Computes.cpu());
    assertThat(Computes.named("jblas").name()).isEqualTo("jblas");
  }

  @Test
  void named_unknownIsRefusedWithTheKnownNames() {
    assertThatThrownBy(() -> Computes.named("torch")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown compute back end 'torch'; known: auto, jblas");
  }
}
