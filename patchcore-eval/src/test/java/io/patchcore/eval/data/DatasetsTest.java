package io.patchcore.eval.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DatasetsTest {

  @TempDir Path tmp;

  /** Writes a small RGB image with a gradient, in the format ImageIO names {@code format}. */
  private static Path image(Path file, String format) throws IOException {
    Files.createDirectories(file.getParent());
    BufferedImage image = new BufferedImage(8, 6, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 6; y++) {
      for (int x = 0; x < 8; x++) {
        image.setRGB(x, y, (x * 30) << 16 | (y * 40) << 8 | 0x80);
      }
    }
    if (!ImageIO.write(image, format, file.toFile())) {
      throw new IOException("no ImageIO writer for " + format);
    }
    return file;
  }

  private static Path png(Path file) throws IOException {
    return image(file, "png");
  }

  private static List<String> relative(Path root, List<Sample> samples) {
    return samples.stream().map(s -> root.relativize(s.path()).toString().replace('\\', '/')).toList();
  }

  private Path realSyntheticTree() throws IOException {
    Path root = tmp.resolve("hne");
    png(root.resolve("train/gt/b.png"));
    png(root.resolve("train/gt/a.PNG"));
    png(root.resolve("train/gt/deep/c.png"));
    png(root.resolve("test/gt/x.png"));
    png(root.resolve("test/gt/sub/y.png"));
    png(root.resolve("test/syn/v1.3_sample/s1.png"));
    image(root.resolve("test/syn/v2/s2.jpg"), "jpeg");
    png(root.resolve("test/syn/s0.png"));
    png(root.resolve("test/other/ignored.png"));
    png(root.resolve("test/gt/._x.png"));
    png(root.resolve("test/gt/.hidden/z.png"));
    Files.writeString(root.resolve("test/gt/notes.txt"), "not an image");
    return root;
  }

  @Test
  void realSyntheticFindsLabelsAndGroupsInSortedOrder() throws IOException {
    Path root = realSyntheticTree();
    Dataset data = Datasets.realSynthetic(root);

    assertThat(data.name()).isEqualTo("hne");
    assertThat(relative(root, data.train()))
        .containsExactly("train/gt/a.PNG", "train/gt/b.png", "train/gt/deep/c.png");
    assertThat(data.train()).extracting(Sample::group).containsExactly("gt", "gt", "gt/deep");
    assertThat(data.train()).allSatisfy(s -> assertThat(s.label()).hasValue(0));

    assertThat(relative(root, data.test())).containsExactly(
        "test/gt/sub/y.png", "test/gt/x.png",
        "test/syn/s0.png", "test/syn/v1.3_sample/s1.png", "test/syn/v2/s2.jpg");
    assertThat(data.test()).extracting(Sample::group)
        .containsExactly("gt/sub", "gt", "syn", "syn/v1.3_sample", "syn/v2");
    // a real image in a sub-folder is still real: the label comes from the top folder only
    assertThat(data.test()).extracting(s -> s.label().getAsInt()).containsExactly(0, 0, 1, 1, 1);
    assertThat(data.test()).allSatisfy(s -> assertThat(s.mask()).isEmpty());
    assertThat(data.test()).allSatisfy(s -> assertThat(s.path()).isAbsolute());
  }

  @Test
  void realSyntheticNamesMissingAndEmptyFolders() throws IOException {
    Path root = tmp.resolve("d");
    png(root.resolve("train/gt/a.png"));
    png(root.resolve("test/gt/a.png"));
    assertThatThrownBy(() -> Datasets.realSynthetic(root))
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining(root.resolve("test/syn").toString());

    Files.createDirectories(root.resolve("test/syn/empty"));
    Files.writeString(root.resolve("test/syn/readme.md"), "x");
    assertThatThrownBy(() -> Datasets.realSynthetic(root))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no images under " + root.resolve("test/syn"));

    assertThatThrownBy(() -> Datasets.realSynthetic(tmp.resolve("absent")))
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining(tmp.resolve("absent").toString());
  }

  private Path mvtecTree() throws IOException {
    Path root = tmp.resolve("bottle");
    png(root.resolve("train/good/000.png"));
    png(root.resolve("train/good/001.png"));
    png(root.resolve("test/good/000.png"));
    png(root.resolve("test/broken_large/000.png"));
    png(root.resolve("test/broken_large/001.png"));
    png(root.resolve("test/contamination/000.png"));
    png(root.resolve("ground_truth/broken_large/000_mask.png"));
    png(root.resolve("ground_truth/broken_large/001_mask.png"));
    png(root.resolve("ground_truth/contamination/000_mask.png"));
    return root;
  }

  @Test
  void mvtecFindsLabelsGroupsAndMasks() throws IOException {
    Path root = mvtecTree();
    Dataset data = Datasets.mvtec(root);

    assertThat(data.name()).isEqualTo("bottle");
    assertThat(relative(root, data.train())).containsExactly("train/good/000.png", "train/good/001.png");
    assertThat(data.train()).allSatisfy(s -> {
      assertThat(s.label()).hasValue(0);
      assertThat(s.group()).isEqualTo("good");
    });
    assertThat(relative(root, data.test())).containsExactly(
        "test/broken_large/000.png", "test/broken_large/001.png", "test/contamination/000.png",
        "test/good/000.png");
    assertThat(data.test()).extracting(Sample::group)
        .containsExactly("broken_large", "broken_large", "contamination", "good");
    assertThat(data.test()).extracting(s -> s.label().getAsInt()).containsExactly(1, 1, 1, 0);
    assertThat(data.test()).extracting(Sample::mask).containsExactly(
        Optional.of(root.resolve("ground_truth/broken_large/000_mask.png")),
        Optional.of(root.resolve("ground_truth/broken_large/001_mask.png")),
        Optional.of(root.resolve("ground_truth/contamination/000_mask.png")),
        Optional.empty());
  }

  @Test
  void mvtecMissingMaskNamesTheExpectedPath() throws IOException {
    Path root = mvtecTree();
    Files.delete(root.resolve("ground_truth/contamination/000_mask.png"));
    assertThatThrownBy(() -> Datasets.mvtec(root))
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining(root.resolve("ground_truth/contamination/000_mask.png").toString())
        .hasMessageContaining(root.resolve("test/contamination/000.png").toString());
  }

  @Test
  void mvtecEmptyTrainFolderIsAnError() throws IOException {
    Path root = mvtecTree();
    for (String name : List.of("000.png", "001.png")) {
      Files.delete(root.resolve("train/good").resolve(name));
    }
    assertThatThrownBy(() -> Datasets.mvtec(root))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no images under " + root.resolve("train/good"));
  }

  @Test
  void folderHasUnknownLabelsAndFolderGroups() throws IOException {
    Path root = tmp.resolve("incoming");
    png(root.resolve("b.png"));
    png(root.resolve("a/c.png"));
    List<Sample> samples = Datasets.folder(root);
    assertThat(relative(root, samples)).containsExactly("a/c.png", "b.png");
    assertThat(samples).extracting(Sample::group).containsExactly("incoming/a", "incoming");
    assertThat(samples).allSatisfy(s -> {
      assertThat(s.label()).isEmpty();
      assertThat(s.mask()).isEmpty();
    });

    Path empty = Files.createDirectories(tmp.resolve("empty"));
    assertThatThrownBy(() -> Datasets.folder(empty))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no images under " + empty);
    assertThatThrownBy(() -> Datasets.folder(tmp.resolve("nope")))
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining(tmp.resolve("nope").toString());
  }

  @Test
  @Timeout(30)
  void symbolicLinkLoopIsSkippedNotFollowedForever() throws IOException {
    Path root = tmp.resolve("loop");
    png(root.resolve("a/x.png"));
    Files.createSymbolicLink(root.resolve("a/back"), root);
    Files.createSymbolicLink(root.resolve("a/self"), root.resolve("a"));
    List<Sample> samples = Datasets.folder(root);
    assertThat(relative(root, samples)).containsExactly("a/x.png");
  }

  @Test
  void linkedImagesAndFoldersAreFollowed() throws IOException {
    Path elsewhere = png(tmp.resolve("elsewhere/real/r.png")).getParent();
    Path root = tmp.resolve("linked");
    Files.createDirectories(root);
    Files.createSymbolicLink(root.resolve("real"), elsewhere);
    Files.createSymbolicLink(root.resolve("dangling.png"), tmp.resolve("missing.png"));
    assertThat(relative(root, Datasets.folder(root))).containsExactly("real/r.png");
  }

  @ParameterizedTest
  @CsvSource({"png, png", "jpeg, jpg", "jpeg, JPEG", "tiff, tif", "tiff, TIFF", "bmp, bmp"})
  void everyFormatIsFoundAndDecodes(String format, String extension) throws IOException {
    Path root = tmp.resolve("formats");
    Path file = image(root.resolve("img." + extension), format);
    List<Sample> samples = Datasets.folder(root);
    assertThat(samples).extracting(Sample::path).containsExactly(file);
    BufferedImage decoded = ImageIO.read(file.toFile());
    assertThat(decoded).as("decoded %s", file).isNotNull();
    assertThat(decoded.getWidth()).isEqualTo(8);
    assertThat(decoded.getHeight()).isEqualTo(6);
  }

  @Test
  void twelveMonkeysReadersAreRegistered() {
    assertThat(readerClasses("tiff")).anyMatch(n -> n.startsWith("com.twelvemonkeys."));
    assertThat(readerClasses("jpeg")).anyMatch(n -> n.startsWith("com.twelvemonkeys."));
  }

  private static List<String> readerClasses(String format) {
    List<String> names = new ArrayList<>();
    ImageIO.getImageReadersByFormatName(format).forEachRemaining(r -> names.add(r.getClass().getName()));
    return names;
  }

  private static List<Sample> numbered(int n) {
    return IntStream.range(0, n)
        .mapToObj(i -> new Sample(Path.of(String.format("/d/%03d.png", i)), "g", OptionalInt.of(i % 2),
            Optional.empty()))
        .toList();
  }

  @Test
  void subsampleIsSeededSizedAndSorted() {
    List<Sample> all = numbered(100);
    List<Sample> a = Datasets.subsample(all, 0.1, 42);
    assertThat(a).hasSize(10).isSubsetOf(all).doesNotHaveDuplicates();
    assertThat(a).isSortedAccordingTo((x, y) -> x.path().toString().compareTo(y.path().toString()));
    assertThat(Datasets.subsample(all, 0.1, 42)).isEqualTo(a);
    assertThat(Datasets.subsample(all, 10, 42)).isEqualTo(a);
    assertThat(Datasets.subsample(all, 0.1, 43)).isNotEqualTo(a);

    assertThat(Datasets.subsample(all, 1.0, 7)).isEqualTo(all);
    assertThat(Datasets.subsample(all, 1000, 7)).isEqualTo(all);
    assertThat(Datasets.subsample(all, 0, 7)).isEmpty();
    assertThat(Datasets.subsample(all, 0.001, 7)).hasSize(1);
    assertThat(Datasets.subsample(List.of(), 0.5, 7)).isEmpty();
    assertThat(Datasets.subsample(all, 0.333, 7)).hasSize(33);

    assertThatThrownBy(() -> Datasets.subsample(all, 0.0, 1)).hasMessageContaining("0.0");
    assertThatThrownBy(() -> Datasets.subsample(all, 1.5, 1)).hasMessageContaining("1.5");
    assertThatThrownBy(() -> Datasets.subsample(all, Double.NaN, 1)).hasMessageContaining("NaN");
    assertThatThrownBy(() -> Datasets.subsample(all, -1, 1)).hasMessageContaining("-1");
  }

  @Test
  void datasetSubsampleKeepsNameAndAppliesToBothLists() {
    Dataset data = new Dataset("d", numbered(20), numbered(50));
    Dataset small = data.subsample(0.5, 0.2, 3);
    assertThat(small.name()).isEqualTo("d");
    assertThat(small.train()).isEqualTo(Datasets.subsample(data.train(), 10, 3));
    assertThat(small.test()).isEqualTo(Datasets.subsample(data.test(), 10, 3));
    assertThat(data.subsample(5, Integer.MAX_VALUE, 3).test()).isEqualTo(data.test());
    assertThat(data.subsample(5, 0, 3).train()).hasSize(5);
  }

  @Test
  void sampleRejectsLabelsOtherThanZeroAndOne() {
    assertThatThrownBy(() -> new Sample(Path.of("/x.png"), "g", OptionalInt.of(2), Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("/x.png")
        .hasMessageContaining("2");
  }

  @Test
  void datasetListsAreImmutable() throws IOException {
    Dataset data = Datasets.realSynthetic(realSyntheticTree());
    assertThatThrownBy(() -> data.test().clear()).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> data.train().add(data.test().get(0)))
        .isInstanceOf(UnsupportedOperationException.class);
  }
}
