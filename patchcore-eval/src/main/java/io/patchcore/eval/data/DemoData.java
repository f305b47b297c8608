package io.patchcore.eval.data;

import io.patchcore.eval.report.AtomicFiles;
import io.patchcore.internal.image.Images;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/**
 * A small demo dataset in the {@linkplain Datasets#realSynthetic real/synthetic layout}, made
 * from scikit-image's {@code ihc.png} (an IHC-stained tissue image bundled in {@code
 * io/patchcore/eval/data/demo/}) by a seeded, documented procedure. It is a demo of the mechanics,
 * not H&amp;E data and not output of a real generator. A copy made with {@link #DEFAULT_SEED} is
 * bundled as {@code io/patchcore/eval/data/demo-data/}; see the README there.
 *
 * <p>The 512x512 source is cut into a 4x4 grid of {@value #TILE}x{@value #TILE} tiles {@code
 * rRcC} (row R, column C, from 0). Rows 0-1 are the training images ({@code train/gt}), row 2 the
 * real test images ({@code test/gt}); row 3 is held out as the source of the synthetic test
 * images, one per source tile and group, each imitating an artifact of diffusion generators:
 *
 * <ul>
 *   <li>{@code test/syn/v1_blur}: up-sampling blur. The tile is averaged down to a quarter of its
 *       size (4x4 boxes) and enlarged back with bilinear interpolation (half-pixel centres, edge
 *       pixels repeated). Does not depend on the seed.
 *   <li>{@code test/syn/v2_stain}: stain shift. In HSV, the hue is turned by 0.04 to 0.08 of a
 *       turn in a random direction, the saturation scaled by 0.7 to 1.3 and the value by 0.9 to
 *       1.1, drawn per tile.
 *   <li>{@code test/syn/v3_texture}: re-synthesised texture. An 8x8 grid of 16x16 patches, each
 *       copied from a random grid-aligned position of a random held-out tile (row 3), so local
 *       texture is real but the structure is not.
 * </ul>
 *
 * <p>All random draws come from one {@link SplittableRandom} seeded with the seed, in the order
 * of the list above and of the columns, and all arithmetic is integer or exactly rounded double
 * arithmetic, so a seed gives the same pixels on every JVM. Images are written as 8-bit RGB PNG.
 */
public final class DemoData {

  /** The seed of the bundled copy. */
  public static final long DEFAULT_SEED = 42L;

  /** Width and height of every tile, in pixels. */
  public static final int TILE = 128;

  /** The class-path folder of the bundled copy, relative to this class. */
  static final String BUNDLED = "demo-data/";

  private static final int GRID = 4;
  private static final int DOWN = 4;
  private static final int PATCH = 16;

  private DemoData() {}

  /**
   * The files of the dataset, as {@code /}-separated paths relative to its root, in the order
   * {@link #generate} writes them.
   */
  static List<String> files() {
    List<String> out = new ArrayList<>();
    for (int r = 0; r < GRID; r++) {
      for (int c = 0; c < GRID; c++) {
        if (r < 2) {
          out.add("train/gt/" + tileName("ihc", r, c));
        } else if (r == 2) {
          out.add("test/gt/" + tileName("ihc", r, c));
        }
      }
    }
    for (String[] g : new String[][] {{"v1_blur", "blur"}, {"v2_stain", "stain"},
        {"v3_texture", "texture"}}) {
      for (int c = 0; c < GRID; c++) {
        out.add("test/syn/" + g[0] + "/" + tileName(g[1], 3, c));
      }
    }
    return out;
  }

  private static String tileName(String prefix, int r, int c) {
    return String.format(Locale.ROOT, "%s-r%dc%d.png", prefix, r, c);
  }

  /**
   * Generates the dataset under {@code root} (created if missing). Each file is written
   * atomically and replaces a file of the same name; other files are left alone.
   *
   * @param root the dataset's root folder
   * @param seed the seed of the random draws; {@link #DEFAULT_SEED} reproduces the bundled copy
   * @return the files written
   * @throws IOException naming the file that could not be written
   */
  public static List<Path> generate(Path root, long seed) throws IOException {
    int[][] tiles = sourceTiles();
    SplittableRandom random = new SplittableRandom(seed);
    List<int[]> images = new ArrayList<>();
    for (int r = 0; r < 3; r++) {
      for (int c = 0; c < GRID; c++) {
        images.add(tiles[r * GRID + c]);
      }
    }
    int[][] held = new int[GRID][];
    for (int c = 0; c < GRID; c++) {
      held[c] = tiles[3 * GRID + c];
    }
    for (int c = 0; c < GRID; c++) {
      images.add(blur(held[c]));
    }
    for (int c = 0; c < GRID; c++) {
      images.add(stain(held[c], random));
    }
    for (int c = 0; c < GRID; c++) {
      images.add(texture(held, random));
    }
    List<String> names = files();
    List<Path> written = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      Path file = root.resolve(names.get(i));
      BufferedImage image = new BufferedImage(TILE, TILE, BufferedImage.TYPE_INT_RGB);
      image.setRGB(0, 0, TILE, TILE, images.get(i), 0, TILE);
      AtomicFiles.write(file, out -> {
        if (!ImageIO.write(image, "png", out)) {
          throw new IOException("no PNG writer available");
        }
      });
      written.add(file);
    }
    return List.copyOf(written);
  }

  /**
   * Copies the bundled dataset (made with {@link #DEFAULT_SEED}) from the class path to {@code
   * root}, each file atomically.
   *
   * @param root the dataset's root folder, created if missing
   * @return the files written
   * @throws IOException naming the file that could not be read or written
   */
  public static List<Path> copyBundled(Path root) throws IOException {
    List<Path> written = new ArrayList<>();
    for (String name : files()) {
      String resource = BUNDLED + name;
      Path file = root.resolve(name);
      try (InputStream in = DemoData.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IOException("bundled demo file missing from the class path: " + resource);
        }
        AtomicFiles.write(file, in::transferTo);
      }
      written.add(file);
    }
    return List.copyOf(written);
  }

  /**
   * Regenerates the dataset: {@code DemoData OUTPUT_FOLDER [SEED]}.
   *
   * @param args the output folder and an optional seed (default {@value #DEFAULT_SEED})
   * @throws IOException naming the file that could not be written
   */
  public static void main(String[] args) throws IOException {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: DemoData OUTPUT_FOLDER [SEED]");
      System.exit(2);
    }
    long seed = DEFAULT_SEED;
    if (args.length == 2) {
      try {
        seed = Long.parseLong(args[1]);
      } catch (NumberFormatException e) {
        System.err.println("seed must be an integer, got " + args[1]);
        System.exit(2);
      }
    }
    List<Path> files = generate(Path.of(args[0]), seed);
    System.out.println("wrote " + files.size() + " images under " + Path.of(args[0])
        + " with seed " + seed);
  }

  // ---------------------------------------------------------------------------------------------

  /** The 16 tiles of the source image, row-major, each {@code TILE * TILE} RGB ints. */
  private static int[][] sourceTiles() {
    BufferedImage source;
    String resource = "demo/ihc.png";
    try (InputStream in = DemoData.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("bundled image missing from the class path: " + resource);
      }
      source = ImageIO.read(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read bundled image " + resource, e);
    }
    if (source == null || source.getWidth() < GRID * TILE || source.getHeight() < GRID * TILE) {
      throw new IllegalStateException("bundled image " + resource + " is not a decodable image of"
          + " at least " + GRID * TILE + "x" + GRID * TILE + " pixels");
    }
    int[][] tiles = new int[GRID * GRID][];
    for (int r = 0; r < GRID; r++) {
      for (int c = 0; c < GRID; c++) {
        tiles[r * GRID + c] = source.getRGB(c * TILE, r * TILE, TILE, TILE, null, 0, TILE);
      }
    }
    return tiles;
  }

  /** Box-average down by {@link #DOWN}, then bilinear up to {@link #TILE} again. */
  static int[] blur(int[] tile) {
    int small = TILE / DOWN;
    double[][] ch = new double[3][small * small];
    for (int y = 0; y < small; y++) {
      for (int x = 0; x < small; x++) {
        int[] sum = new int[3];
        for (int dy = 0; dy < DOWN; dy++) {
          for (int dx = 0; dx < DOWN; dx++) {
            int p = tile[(y * DOWN + dy) * TILE + x * DOWN + dx];
            sum[0] += (p >> 16) & 0xff;
            sum[1] += (p >> 8) & 0xff;
            sum[2] += p & 0xff;
          }
        }
        for (int k = 0; k < 3; k++) {
          ch[k][y * small + x] = sum[k] / (double) (DOWN * DOWN);
        }
      }
    }
    int[] out = new int[TILE * TILE];
    for (int y = 0; y < TILE; y++) {
      double sy = Math.max(0, (y + 0.5) / DOWN - 0.5);
      int y0 = Math.min((int) sy, small - 1);
      int y1 = Math.min(y0 + 1, small - 1);
      double fy = sy - y0;
      for (int x = 0; x < TILE; x++) {
        double sx = Math.max(0, (x + 0.5) / DOWN - 0.5);
        int x0 = Math.min((int) sx, small - 1);
        int x1 = Math.min(x0 + 1, small - 1);
        double fx = sx - x0;
        int rgb = 0;
        for (int k = 0; k < 3; k++) {
          double[] c = ch[k];
          double top = c[y0 * small + x0] * (1 - fx) + c[y0 * small + x1] * fx;
          double bottom = c[y1 * small + x0] * (1 - fx) + c[y1 * small + x1] * fx;
          rgb = (rgb << 8) | toByte(top * (1 - fy) + bottom * fy);
        }
        out[y * TILE + x] = rgb;
      }
    }
    return out;
  }

  /** A random hue turn, saturation and value scale, applied in HSV. */
  static int[] stain(int[] tile, SplittableRandom random) {
    double turn = 0.04 + 0.04 * random.nextDouble();
    if (random.nextBoolean()) {
      turn = -turn;
    }
    double saturation = 0.7 + 0.6 * random.nextDouble();
    double value = 0.9 + 0.2 * random.nextDouble();
    int[] out = new int[tile.length];
    double[] hsv = new double[3];
    for (int i = 0; i < tile.length; i++) {
      int p = tile[i];
      toHsv((p >> 16) & 0xff, (p >> 8) & 0xff, p & 0xff, hsv);
      double h = hsv[0] + turn;
      h -= Math.floor(h);
      double s = Math.min(1, hsv[1] * saturation);
      double v = Math.min(1, hsv[2] * value);
      out[i] = fromHsv(h, s, v);
    }
    return out;
  }

  /** Hue in [0, 1), saturation and value in [0, 1], from 8-bit RGB. */
  private static void toHsv(int r, int g, int b, double[] hsv) {
    int max = Math.max(r, Math.max(g, b));
    int min = Math.min(r, Math.min(g, b));
    int delta = max - min;
    double h = 0;
    if (delta > 0) {
      if (max == r) {
        h = (g - b) / (double) delta;
      } else if (max == g) {
        h = 2 + (b - r) / (double) delta;
      } else {
        h = 4 + (r - g) / (double) delta;
      }
      h /= 6;
      h -= Math.floor(h);
    }
    hsv[0] = h;
    hsv[1] = max == 0 ? 0 : delta / (double) max;
    hsv[2] = max / 255.0;
  }

  private static int fromHsv(double h, double s, double v) {
    double sector = h * 6;
    int i = (int) Math.floor(sector) % 6;
    double f = sector - Math.floor(sector);
    double p = v * (1 - s);
    double q = v * (1 - s * f);
    double t = v * (1 - s * (1 - f));
    double r;
    double g;
    double b;
    switch (i) {
      case 0 -> { r = v; g = t; b = p; }
      case 1 -> { r = q; g = v; b = p; }
      case 2 -> { r = p; g = v; b = t; }
      case 3 -> { r = p; g = q; b = v; }
      case 4 -> { r = t; g = p; b = v; }
      default -> { r = v; g = p; b = q; }
    }
    return (toByte(r * 255) << 16) | (toByte(g * 255) << 8) | toByte(b * 255);
  }

  /** A grid of patches copied from random grid-aligned positions of random held-out tiles. */
  static int[] texture(int[][] held, SplittableRandom random) {
    int cells = TILE / PATCH;
    int[] out = new int[TILE * TILE];
    for (int gy = 0; gy < cells; gy++) {
      for (int gx = 0; gx < cells; gx++) {
        int[] src = held[random.nextInt(held.length)];
        int sy = random.nextInt(cells) * PATCH;
        int sx = random.nextInt(cells) * PATCH;
        for (int y = 0; y < PATCH; y++) {
          System.arraycopy(src, (sy + y) * TILE + sx, out, (gy * PATCH + y) * TILE + gx * PATCH,
              PATCH);
        }
      }
    }
    return out;
  }

  private static int toByte(double v) {
    return (int) Math.max(0, Math.min(255, Math.round(v)));
  }
}
