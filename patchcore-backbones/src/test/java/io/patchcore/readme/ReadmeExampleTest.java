package io.patchcore.readme;

import static org.assertj.core.api.Assertions.assertThat;

import io.patchcore.AnomalyMap;
import io.patchcore.AnomalyResult;
import io.patchcore.ImageScoring;
import io.patchcore.PatchCore;
import io.patchcore.PatchCoreModel;
import io.patchcore.backbones.Backbones;
import io.patchcore.feature.FeatureExtractor;
import io.patchcore.sampling.Samplers;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * The library example of the project's {@code README.md}, compiled and run. It lives in a package
 * of its own so that it can use only the public API, as a user's code would; the second test fails
 * when README and this copy drift apart.
 */
class ReadmeExampleTest {
  private static final String BEGIN = "// README example: begin";
  private static final String END = "// README example: end";

  @Test
  void theExampleRunsAndPrintsTheModelsScore() throws Exception {
    BufferedImage tissue;
    try (InputStream in = ReadmeExampleTest.class.getResourceAsStream("/images/ihc.png")) {
      assertThat(in).as("test image /images/ihc.png").isNotNull();
      tissue = ImageIO.read(in);
    }
    List<BufferedImage> trainingImages = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      trainingImages.add(tissue.getSubimage(32 * i, 24 * i, 224, 224));
    }
    BufferedImage image = tissue.getSubimage(280, 280, 224, 224);

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      // README example: begin
      try (FeatureExtractor backbone = Backbones.bundledDefault()) {       // or Backbones.torchScript(path, "layer2", "layer3")
          PatchCore patchCore = PatchCore.builder()
              .backbone(backbone)
              .patchSize(3)                                   // odd, default 3
              .pretrainDimension(1024).targetDimension(1024)  // the reference's defaults
              .sampler(Samplers.approximateGreedy(0.10))      // or identity(), random(p), greedy(p)
              .neighbours(1)                                  // k, honoured (the reference ignores it)
              .imageScoring(ImageScoring.MAX)                 // or REWEIGHTED (paper Eq. 7) with reweightingNeighbours(b)
              .seed(42)
              .progressListener((stage, done, total) -> System.err.println(stage + " " + done + "/" + total))
              .build();
          try (PatchCoreModel model = patchCore.fit(trainingImages)) {   // Iterable<BufferedImage>; fitPaths(...) for files
              AnomalyResult r = model.score(image);           // raw image score + anomaly map (+ patch-score grid)
              double score = r.score();
              AnomalyMap map = r.map();                       // at the resolution of the image the backbone saw
              System.out.printf("score %.6f, map %dx%d%n", score, map.width(), map.height());
          }
      }
      // README example: end
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }

    String printed = out.toString(StandardCharsets.UTF_8);
    Matcher m = Pattern.compile("score (\\S+), map (\\d+)x(\\d+)").matcher(printed);
    assertThat(m.find()).as("the example's output: %s", printed).isTrue();
    double printedScore = Double.parseDouble(m.group(1));
    assertThat(err.toString(StandardCharsets.UTF_8)).as("progress lines").contains("/");

    // The same configuration, fitted again: the example printed this model's score of this image.
    try (FeatureExtractor backbone = Backbones.bundledDefault();
        PatchCoreModel model =
            PatchCore.builder()
                .backbone(backbone)
                .sampler(Samplers.approximateGreedy(0.10))
                .seed(42)
                .build()
                .fit(trainingImages)) {
      AnomalyResult r = model.score(image);
      assertThat(printedScore).isCloseTo(r.score(), org.assertj.core.data.Offset.offset(1e-6));
      assertThat(printedScore).isPositive();
      assertThat(Integer.parseInt(m.group(2))).isEqualTo(r.map().width());
      assertThat(Integer.parseInt(m.group(3))).isEqualTo(r.map().height());
      // an image of the training set scores lower than a held-out one
      assertThat(model.score(trainingImages.get(0)).score()).isLessThan(r.score());
    }
  }

  @Test
  void readmeShowsExactlyThisExample() throws IOException {
    Path readme = Path.of("..", "README.md");
    assertThat(readme).as("the project's README (tests run from the module folder)").exists();
    String text = Files.readString(readme, StandardCharsets.UTF_8);
    int section = text.indexOf("## Using the library");
    assertThat(section).as("README section 'Using the library'").isNotNegative();
    int start = text.indexOf("```java\n", section);
    int end = text.indexOf("```", start + 8);
    assertThat(start).as("a ```java block in that section").isPositive();
    String inReadme = normalise(text.substring(start + 8, end));

    Path self = Path.of("src", "test", "java", "io", "patchcore", "readme", "ReadmeExampleTest.java");
    String source = Files.readString(self, StandardCharsets.UTF_8);
    int b = source.indexOf(BEGIN + "\n");
    int e = source.indexOf(END, b + BEGIN.length() + 1);
    String inTest = normalise(source.substring(b + BEGIN.length() + 1, e));

    assertThat(inTest).as("README.md's example and this test's copy").isEqualTo(inReadme);
  }

  /** Drops the test's extra indentation so that README and test compare line by line. */
  private static String normalise(String block) {
    List<String> lines = block.lines().collect(Collectors.toList());
    while (!lines.isEmpty() && lines.get(lines.size() - 1).isBlank()) {
      lines.remove(lines.size() - 1);
    }
    int indent = Integer.MAX_VALUE;
    for (String line : lines) {
      if (!line.isBlank()) {
        indent = Math.min(indent, line.length() - line.stripLeading().length());
      }
    }
    int cut = indent == Integer.MAX_VALUE ? 0 : indent;
    return lines.stream()
        .map(l -> l.isBlank() ? "" : l.substring(cut).stripTrailing())
        .collect(Collectors.joining("\n"));
  }
}
