package io.patchcore.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DemoTest {
  @Test
  void demo_separatesTissueFromBrick() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    double auroc = Demo.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertThat(auroc).isEqualTo(1.0);
    assertThat(text).contains("memory bank: 1568 of 6272 patches", "image AUROC (brick = out of distribution): 1.0000");
    assertThat(text.lines().filter(l -> l.startsWith("ihc tile") || l.startsWith("brick tile"))).hasSize(8);
  }
}
