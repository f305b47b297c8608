package io.patchcore.eval.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoDataTest {

  @TempDir Path tmp;

  private static int[] pixels(BufferedImage image) {
    int[] rgb = image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0,
        image.getWidth());
    for (int i = 0; i < rgb.length; i++) {
      rgb[i] &= 0xffffff;
    }
    return rgb;
  }

  private static int[] pixels(Path file) throws IOException {
    BufferedImage image = ImageIO.read(file.toFile());
    assertThat(image).as(file.toString()).isNotNull();
    assertThat(image.getWidth()).isEqualTo(DemoData.TILE);
    assertThat(image.getHeight()).isEqualTo(DemoData.TILE);
    return pixels(image);
  }

  private static int[] bundledPixels(String name) throws IOException {
    try (InputStream in = DemoData.class.getResourceAsStream(DemoData.BUNDLED + name)) {
      assertThat(in).as("bundled " + name).isNotNull();
      return pixels(ImageIO.read(in));
    }
  }

  private static Path bundledRoot() throws URISyntaxException {
    URL url = DemoData.class.getResource(DemoData.BUNDLED + "README.md");
    assertThat(url).isNotNull();
    return Path.of(url.toURI()).getParent();
  }

  @Test
  void regenerationReproducesTheBundledCopyPixelForPixel() throws IOException {
    List<Path> files = DemoData.generate(tmp.resolve("demo"), DemoData.DEFAULT_SEED);
    List<String> names = DemoData.files();
    assertThat(files).hasSize(names.size());
    for (int i = 0; i < names.size(); i++) {
      assertThat(files.get(i)).isEqualTo(tmp.resolve("demo").resolve(names.get(i)));
      assertThat(pixels(files.get(i))).as(names.get(i)).isEqualTo(bundledPixels(names.get(i)));
    }
  }

  @Test
  void theBundledFolderHoldsExactlyTheGeneratedImagesAndIsSmall()
      throws IOException, URISyntaxException {
    Path root = bundledRoot();
    try (Stream<Path> s = Files.walk(root)) {
      List<Path> all = s.filter(Files::isRegularFile).toList();
      Set<String> images = all.stream().map(p -> root.relativize(p).toString().replace('\\', '/'))
          .filter(n -> !n.equals("README.md")).collect(Collectors.toSet());
      assertThat(images).isEqualTo(new HashSet<>(DemoData.files()));
      long bytes = 0;
      for (Path p : all) {
        bytes += Files.size(p);
      }
      assertThat(bytes).isLessThan(1_500_000L);
    }
  }

  @Test
  void datasetDiscoveryFindsTheLayoutAndGroups() throws IOException {
    Path root = tmp.resolve("copy");
    DemoData.copyBundled(root);
    Dataset d = Datasets.realSynthetic(root);
    assertThat(d.name()).isEqualTo("copy");
    assertThat(d.train()).hasSize(8).allMatch(s -> s.group().equals("gt")
        && s.label().getAsInt() == 0);
    assertThat(d.test()).hasSize(16);
    assertThat(d.test().stream().map(Sample::group).collect(Collectors.toSet()))
        .containsExactlyInAnyOrder("gt", "syn/v1_blur", "syn/v2_stain", "syn/v3_texture");
    assertThat(d.test()).allMatch(s -> s.label().getAsInt() == (s.group().equals("gt") ? 0 : 1));
    for (String g : List.of("syn/v1_blur", "syn/v2_stain", "syn/v3_texture")) {
      assertThat(d.test().stream().filter(s -> s.group().equals(g))).hasSize(4);
    }
  }

  @Test
  void realTrainAndTestTilesDoNotOverlap() throws IOException {
    Path root = tmp.resolve("copy");
    DemoData.copyBundled(root);
    Dataset d = Datasets.realSynthetic(root);
    Set<Integer> trainHashes = new HashSet<>();
    for (Sample s : d.train()) {
      trainHashes.add(Arrays.hashCode(pixels(s.path())));
    }
    for (Sample s : d.test()) {
      assertThat(trainHashes).doesNotContain(Arrays.hashCode(pixels(s.path())));
    }
  }

  @Test
  void theSeedChangesOnlyTheRandomGroups() throws IOException {
    DemoData.generate(tmp.resolve("a"), 1);
    DemoData.generate(tmp.resolve("b"), 2);
    DemoData.generate(tmp.resolve("c"), 1);
    for (String name : DemoData.files()) {
      int[] a = pixels(tmp.resolve("a").resolve(name));
      int[] b = pixels(tmp.resolve("b").resolve(name));
      assertThat(pixels(tmp.resolve("c").resolve(name))).as(name).isEqualTo(a);
      if (name.contains("v2_stain") || name.contains("v3_texture")) {
        assertThat(b).as(name).isNotEqualTo(a);
      } else {
        assertThat(b).as(name).isEqualTo(a);
      }
    }
  }
}
