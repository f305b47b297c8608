package io.patchcore.eval;

import io.patchcore.AnomalyResult;
import io.patchcore.FeatureExtractor;
import io.patchcore.PatchCore;
import io.patchcore.PatchCoreModel;
import io.patchcore.Samplers;
import io.patchcore.backbones.Backbones;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The runnable example of the quick start: fits PatchCore with the bundled MobileNetV2 backbone on
 * eight 224x224 tiles of a real IHC-stained tissue image (scikit-image's {@code ihc.png}), then
 * scores four held-out tiles of the same tissue and four tiles of a brick texture (out of
 * distribution), and prints the raw scores and the image AUROC.
 *
 * <p>This is a demo of the mechanics on bundled data, not an H&amp;E benchmark.
 */
public final class Demo {
  private static final int TILE = 224;
  private static final int[] ROWS = {0, 144, 288};
  private static final int[] COLS = {0, 96, 192, 288};

  private Demo() {}

  /** A named image tile with its label (1 = out of distribution). */
  record Tile(String name, BufferedImage image, int label) {}

  /** Runs the demo and prints to standard output. */
  public static void main(String[] args) {
    System.exit(run(System.out) >= 0.5 ? 0 : 1);
  }

  /**
   * Runs the demo and returns the AUROC.
   *
   * @param out where the report goes
   */
  static double run(PrintStream out) {
    BufferedImage ihc = resource("ihc.png");
    BufferedImage brick = resource("brick.png");
    List<BufferedImage> train = new ArrayList<>();
    List<Tile> test = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      BufferedImage tile = ihc.getSubimage(COLS[i % 4], ROWS[i / 4], TILE, TILE);
      if (i < 8) {
        train.add(tile);
      } else {
        test.add(new Tile("ihc tile " + i + " (held-out tissue)", tile, 0));
      }
    }
    int[][] brickCorners = {{0, 0}, {0, 288}, {288, 0}, {288, 288}};
    for (int[] c : brickCorners) {
      test.add(new Tile("brick tile at " + c[0] + "," + c[1] + " (not tissue)",
          brick.getSubimage(c[1], c[0], TILE, TILE), 1));
    }
    long start = System.nanoTime();
    try (FeatureExtractor backbone = Backbones.bundledDefault()) {
      PatchCore patchCore = PatchCore.builder().backbone(backbone).patchSize(3).pretrainDimension(256)
          .targetDimension(256).sampler(Samplers.approximateGreedy(0.25)).neighbours(1).seed(42).build();
      out.println("PatchCore demo: " + patchCore);
      out.println("fitting on " + train.size() + " tiles of real IHC tissue (" + TILE + "x" + TILE + ") ...");
      try (PatchCoreModel model = patchCore.fit(train)) {
        out.printf(Locale.ROOT, "memory bank: %d of %d patches, dimension %d (%.1f s)%n", model.bankSize(),
            model.candidateSize(), model.dimension(), (System.nanoTime() - start) / 1e9);
        double[] scores = new double[test.size()];
        int[] labels = new int[test.size()];
        out.printf(Locale.ROOT, "%-40s %6s %10s%n", "image", "label", "score");
        for (int i = 0; i < test.size(); i++) {
          Tile t = test.get(i);
          AnomalyResult r = model.score(t.image());
          scores[i] = r.score();
          labels[i] = t.label();
          out.printf(Locale.ROOT, "%-40s %6d %10.4f%n", t.name(), t.label(), r.score());
        }
        double auroc = Metrics.auroc(scores, labels);
        out.printf(Locale.ROOT, "image AUROC (brick = out of distribution): %.4f%n", auroc);
        return auroc;
      }
    }
  }

  private static BufferedImage resource(String name) {
    String path = "demo/" + name;
    try (InputStream in = Demo.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("bundled demo image missing from the class path: " + path);
      }
      BufferedImage image = ImageIO.read(in);
      if (image == null) {
        throw new IllegalStateException("cannot decode bundled demo image " + path);
      }
      return image;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read bundled demo image " + path, e);
    }
  }
}
