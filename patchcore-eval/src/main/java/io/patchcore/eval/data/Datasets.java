package io.patchcore.eval.data;

import com.google.common.base.Joiner;
import io.patchcore.internal.image.Images;
import java.io.IOException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the images of a dataset on disk, in one of three layouts, and subsamples them.
 *
 * <h2>Layouts</h2>
 *
 * <ul>
 *   <li>{@linkplain #realSynthetic Real/synthetic}: {@code ROOT/train/gt/**} are the training
 *       images; {@code ROOT/test/gt/**} (real, label 0) and {@code ROOT/test/syn/**} (synthetic,
 *       label 1) the test images. The label comes from the top folder below the split folder
 *       alone, however deep the image lies. The group is the path of the image's folder relative
 *       to the split folder, top folder included: {@code ROOT/test/syn/v1.3_sample/a.png} is in
 *       group {@code syn/v1.3_sample}, {@code ROOT/test/gt/sub/b.png} in {@code gt/sub} (label 0),
 *       and {@code ROOT/train/gt/c.png} in {@code gt}. Other folders next to {@code gt} and
 *       {@code syn} are ignored.
 *   <li>{@linkplain #mvtec MVTec AD}: {@code CATEGORY/train/good/**} are the training images;
 *       {@code CATEGORY/test/DEFECT/**} the test images, label 0 where {@code DEFECT} is {@code
 *       good} and 1 otherwise, group {@code DEFECT}. An anomalous image {@code
 *       test/DEFECT/SUB/NAME.EXT} has its mask at {@code ground_truth/DEFECT/SUB/NAME_mask.png}
 *       ({@code SUB} is empty in the real data set); good images have no mask (all zeros).
 *   <li>{@linkplain #folder A plain folder}: every image below it, label unknown, group the
 *       folder's name followed by the image's sub-folders, like the other layouts.
 * </ul>
 *
 * <h2>Files</h2>
 *
 * <p>Images are files ending in {@code .png}, {@code .jpg}, {@code .jpeg}, {@code .tif}, {@code
 * .tiff} or {@code .bmp}, in any letter case; other files are ignored. Files and folders whose
 * name starts with {@code .} are skipped (as Python's {@code glob} does), which also skips macOS
 * {@code ._NAME} resource files. Folders are searched recursively and every list is sorted by path
 * string, so the same files always give the same order. Paths are absolute and normalised.
 *
 * <p>Symbolic links are followed, so a dataset may link to images or folders elsewhere (an image
 * reached by two links is listed twice). A link back to an enclosing folder (a loop) is skipped
 * with a warning in the log, as is a broken link. A folder that cannot be read fails discovery
 * with an {@link IOException} naming it, rather than silently dropping its images.
 *
 * <h2>Errors</h2>
 *
 * <p>Each factory throws {@link NoSuchFileException} naming a missing split folder, an {@link
 * IOException} "no images under FOLDER" for a required folder without images, and, for MVTec AD,
 * {@link NoSuchFileException} naming the expected path of a missing mask.
 */
public final class Datasets {

  private static final Logger LOG = LoggerFactory.getLogger(Datasets.class);

  private static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "tif", "tiff", "bmp");

  private static final Comparator<Path> BY_PATH_STRING = Comparator.comparing(Path::toString);

  private Datasets() {}

  /**
   * The real/synthetic layout ({@code ROOT/train/gt}, {@code ROOT/test/gt}, {@code
   * ROOT/test/syn}); see the class comment for labels and groups.
   *
   * @param root the dataset's root folder; its name is the dataset's name
   * @return the dataset, training images labelled 0 and test images labelled 0 or 1
   * @throws NoSuchFileException if one of the three folders is missing
   * @throws IOException if one of the three folders has no images, or a folder cannot be read
   */
  public static Dataset realSynthetic(Path root) throws IOException {
    Path dir = normalise(root);
    requireDirectory(dir, dir, "real/synthetic");
    Path trainDir = dir.resolve("train");
    Path testDir = dir.resolve("test");
    List<Sample> train = new ArrayList<>();
    for (Path image : requireImages(trainDir.resolve("gt"), dir, "real/synthetic")) {
      train.add(new Sample(image, groupOf(trainDir, image), OptionalInt.of(0), Optional.empty()));
    }
    List<Sample> test = new ArrayList<>();
    for (Path image : requireImages(testDir.resolve("gt"), dir, "real/synthetic")) {
      test.add(new Sample(image, groupOf(testDir, image), OptionalInt.of(0), Optional.empty()));
    }
    for (Path image : requireImages(testDir.resolve("syn"), dir, "real/synthetic")) {
      test.add(new Sample(image, groupOf(testDir, image), OptionalInt.of(1), Optional.empty()));
    }
    test.sort(Comparator.comparing(s -> s.path().toString()));
    return new Dataset(nameOf(dir), train, test);
  }

  /**
   * One category of the MVTec AD layout ({@code CATEGORY/train/good}, {@code
   * CATEGORY/test/DEFECT}, {@code CATEGORY/ground_truth/DEFECT}); see the class comment for labels,
   * groups and masks. Defect folders without images are ignored.
   *
   * @param categoryRoot the category's folder, such as {@code mvtec/bottle}; its name is the
   *     dataset's name
   * @return the dataset, with a mask for every anomalous test image
   * @throws NoSuchFileException if {@code train/good} or {@code test} is missing, or an anomalous
   *     image's mask is missing (the message names the expected mask path)
   * @throws IOException if {@code train/good} or {@code test} has no images, or a folder cannot be
   *     read
   */
  public static Dataset mvtec(Path categoryRoot) throws IOException {
    Path dir = normalise(categoryRoot);
    requireDirectory(dir, dir, "MVTec AD");
    Path trainDir = dir.resolve("train");
    Path testDir = dir.resolve("test");
    Path truthDir = dir.resolve("ground_truth");
    List<Sample> train = new ArrayList<>();
    for (Path image : requireImages(trainDir.resolve("good"), dir, "MVTec AD")) {
      train.add(new Sample(image, "good", OptionalInt.of(0), Optional.empty()));
    }
    requireDirectory(testDir, dir, "MVTec AD");
    List<Path> defectDirs;
    try (Stream<Path> entries = Files.list(testDir)) {
      defectDirs = entries
          .filter(p -> !isHidden(p) && Files.isDirectory(p))
          .sorted(BY_PATH_STRING)
          .toList();
    }
    List<Sample> test = new ArrayList<>();
    for (Path defectDir : defectDirs) {
      String defect = defectDir.getFileName().toString();
      boolean good = defect.equals("good");
      for (Path image : images(defectDir)) {
        Optional<Path> mask = Optional.empty();
        if (!good) {
          mask = Optional.of(maskOf(truthDir.resolve(defect), defectDir.relativize(image), image));
        }
        test.add(new Sample(image, defect, OptionalInt.of(good ? 0 : 1), mask));
      }
    }
    if (test.isEmpty()) {
      throw new IOException("no images under " + testDir + " (MVTec AD layout: expected images in "
          + testDir + "/<defect>/, such as test/good/000.png)");
    }
    test.sort(Comparator.comparing(s -> s.path().toString()));
    return new Dataset(nameOf(dir), train, test);
  }

  /**
   * Every image below a folder, label unknown, for scoring or filtering unlabelled images.
   *
   * @param folder the folder to search recursively
   * @return the images, sorted by path string, with empty labels and no masks
   * @throws NoSuchFileException if the folder is missing
   * @throws IOException if the folder has no images, or a folder cannot be read
   */
  public static List<Sample> folder(Path folder) throws IOException {
    Path dir = normalise(folder);
    if (!Files.exists(dir)) {
      throw new NoSuchFileException(dir.toString(), null, "image folder does not exist");
    }
    if (!Files.isDirectory(dir)) {
      throw new NotDirectoryException(dir + " (expected a folder of images)");
    }
    List<Path> found = images(dir);
    if (found.isEmpty()) {
      throw new IOException("no images under " + dir + " (looked for " + extensionList() + ")");
    }
    Path base = dir.getParent() == null ? dir : dir.getParent();
    List<Sample> samples = new ArrayList<>(found.size());
    for (Path image : found) {
      samples.add(new Sample(image, groupOf(base, image), OptionalInt.empty(), Optional.empty()));
    }
    return List.copyOf(samples);
  }

  /**
   * A seeded random subsample of a fraction of the samples, in their original order. The number
   * kept is {@code round(fraction * size)}, but at least one of a non-empty list.
   *
   * @param samples the samples to choose from
   * @param fraction the fraction to keep, in (0, 1]; {@code 1.0} keeps all
   * @param seed the seed of a {@link SplittableRandom} that makes the choice
   * @return the chosen samples, unmodifiable
   * @throws IllegalArgumentException if {@code fraction} is outside (0, 1] or NaN
   */
  public static List<Sample> subsample(List<Sample> samples, double fraction, long seed) {
    if (!(fraction > 0.0 && fraction <= 1.0)) {
      throw new IllegalArgumentException("subsample fraction must be in (0, 1], got " + fraction);
    }
    int n = samples.size();
    int count = n == 0 ? 0 : (int) Math.max(1, Math.round(fraction * n));
    return subsample(samples, count, seed);
  }

  /**
   * A seeded random subsample of {@code count} samples, in their original order: a partial
   * Fisher-Yates shuffle of the indices driven by {@code new SplittableRandom(seed)}, so the same
   * list, count and seed always give the same result.
   *
   * @param samples the samples to choose from
   * @param count how many to keep; a count of at least {@code samples.size()} keeps all
   * @param seed the seed of the random choice
   * @return the chosen samples, unmodifiable
   * @throws IllegalArgumentException if {@code count} is negative
   */
  public static List<Sample> subsample(List<Sample> samples, int count, long seed) {
    if (count < 0) {
      throw new IllegalArgumentException("subsample count must not be negative, got " + count);
    }
    int n = samples.size();
    if (count >= n) {
      return List.copyOf(samples);
    }
    int[] chosen = io.patchcore.internal.Draws.randomIndices(n, count, seed);
    List<Sample> out = new ArrayList<>(count);
    for (int index : chosen) {
      out.add(samples.get(index));
    }
    return List.copyOf(out);
  }

  // ---------------------------------------------------------------------------------------------

  private static Path normalise(Path path) {
    return Objects.requireNonNull(path, "path").toAbsolutePath().normalize();
  }

  private static String nameOf(Path dir) {
    return dir.getFileName() == null ? dir.toString() : dir.getFileName().toString();
  }

  private static void requireDirectory(Path dir, Path root, String layout) throws IOException {
    if (!Files.exists(dir)) {
      throw new NoSuchFileException(dir.toString(), null, dir.equals(root)
          ? "the " + layout + " dataset folder does not exist"
          : "missing folder of the " + layout + " dataset " + root);
    }
    if (!Files.isDirectory(dir)) {
      throw new NotDirectoryException(dir + " (expected a folder of the " + layout + " dataset "
          + root + ")");
    }
  }

  /** The images below {@code dir}, which must be an existing folder with at least one image. */
  private static List<Path> requireImages(Path dir, Path root, String layout) throws IOException {
    requireDirectory(dir, root, layout);
    List<Path> found = images(dir);
    if (found.isEmpty()) {
      throw new IOException("no images under " + dir + " (looked for " + extensionList() + ")");
    }
    return found;
  }

  /** The '/'-separated path of the image's folder relative to {@code base}. */
  private static String groupOf(Path base, Path image) {
    return Joiner.on('/').join(base.relativize(image.getParent()));
  }

  private static Path maskOf(Path truthDefectDir, Path relativeImage, Path image)
      throws IOException {
    String name = relativeImage.getFileName().toString();
    String stem = name.substring(0, name.lastIndexOf('.'));
    Path mask = truthDefectDir.resolve(relativeImage).resolveSibling(stem + "_mask.png");
    if (!Files.isRegularFile(mask)) {
      throw new NoSuchFileException(mask.toString(), null,
          "missing mask of anomalous image " + image + " (MVTec AD layout)");
    }
    return mask;
  }

  private static boolean isHidden(Path path) {
    Path name = path.getFileName();
    return name != null && name.toString().startsWith(".");
  }

  private static boolean isImage(Path file) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
  }

  private static String extensionList() {
    return "*.png, *.jpg, *.jpeg, *.tif, *.tiff, *.bmp in any letter case";
  }

  /** The images below an existing folder, recursively, following links, sorted by path string. */
  private static List<Path> images(Path dir) throws IOException {
    List<Path> found = new ArrayList<>();
    Files.walkFileTree(dir, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
            return !d.equals(dir) && isHidden(d)
                ? FileVisitResult.SKIP_SUBTREE
                : FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            if (isHidden(file)) {
              return FileVisitResult.CONTINUE;
            }
            if (attrs.isRegularFile()) {
              if (isImage(file)) {
                found.add(file);
              }
            } else if (attrs.isSymbolicLink()) {
              LOG.warn("Skipping broken symbolic link {}", file);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (e instanceof FileSystemLoopException) {
              LOG.warn("Skipping symbolic link {}: it loops back to an enclosing folder", file);
              return FileVisitResult.CONTINUE;
            }
            throw new IOException("cannot read " + file + " while looking for images under " + dir
                + " (" + e.getClass().getSimpleName() + ")", e);
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            if (e != null) {
              throw new IOException("cannot read folder " + d + " while looking for images under "
                  + dir + " (" + e.getClass().getSimpleName() + ")", e);
            }
            return FileVisitResult.CONTINUE;
          }
        });
    found.sort(BY_PATH_STRING);
    return found;
  }
}
