package io.patchcore.eval.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.patchcore.eval.data.Sample;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportFilesTest {

  @TempDir Path tmp;

  @Test
  void writesScoresCsvOnItsOwnSortedByPath() throws IOException {
    Sample b = new Sample(tmp.resolve("b.png"), "g", OptionalInt.empty(), Optional.empty());
    Sample a = new Sample(tmp.resolve("a.png"), "g", OptionalInt.of(1), Optional.empty());
    Path file = tmp.resolve("only/scores.csv");
    ReportFiles.writeScoresCsv(file, List.of(ScoredSample.scored("d", b, 0.25),
        ScoredSample.failed("d", a, "a.png: broken")));
    assertThat(Files.readAllLines(file)).containsExactly("path,group,label,score,error",
        tmp.resolve("a.png") + ",g,1,,a.png: broken", tmp.resolve("b.png") + ",g,,0.25,");
  }

  @Test
  void writesASweepPlotOnItsOwn() throws IOException {
    Path png = tmp.resolve("sweep/auroc.png");
    ReportFiles.writeSweepPlot(png, "k", new double[] {1, 3, 9}, new double[] {0.6, 0.8, 0.7});
    BufferedImage img = ImageIO.read(png.toFile());
    assertThat(img.getWidth()).isEqualTo(Charts.WIDTH);
  }
}
