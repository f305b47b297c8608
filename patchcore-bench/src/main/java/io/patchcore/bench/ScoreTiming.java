package io.patchcore.bench;

import io.patchcore.PatchCoreModel;
import io.patchcore.backbones.Backbones;
import io.patchcore.feature.FeatureExtractor;
import io.patchcore.feature.FeatureMaps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * End-to-end scoring time of a saved model on a folder of images, split into the backbone and the
 * search: the full search with anomaly maps ({@link PatchCoreModel#scoreFeatures}) and the
 * pruned search of the image score alone ({@link PatchCoreModel#imageScoreFeatures}, what
 * {@code patchcore score} runs), checked to agree bit for bit. Each phase runs once to warm up,
 * then is timed over every image. Prints one line per phase and the back end used.
 *
 * <p>Run: {@code java -cp patchcore-bench/target/benchmarks.jar io.patchcore.bench.ScoreTiming
 * MODEL IMAGE_FOLDER}
 */
public final class ScoreTiming {
  private ScoreTiming() {}

  /**
   * Times the two phases.
   *
   * @param args the model file and the image folder
   * @throws IOException if the model or an image cannot be read
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: ScoreTiming MODEL IMAGE_FOLDER");
      System.exit(2);
    }
    Path model = Path.of(args[0]);
    List<Path> images;
    try (Stream<Path> s = Files.walk(Path.of(args[1]))) {
      images = s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
    }
    try (FeatureExtractor backbone = Backbones.fromConfiguration(PatchCoreModel.backboneConfiguration(model));
        PatchCoreModel m = PatchCoreModel.load(model, backbone)) {
      m.score(images.get(0)); // warm-up of both phases
      long t0 = System.nanoTime();
      List<FeatureMaps> features = new ArrayList<>();
      for (Path p : images) {
        features.add(backbone.extract(p));
      }
      long t1 = System.nanoTime();
      double[] full = new double[features.size()];
      for (int i = 0; i < full.length; i++) {
        full[i] = m.scoreFeatures(features.get(i)).score();
      }
      long t2 = System.nanoTime();
      m.imageScoreFeatures(features.get(0)); // warm-up of the pruned search
      long t3 = System.nanoTime();
      int differ = 0;
      double sum = 0;
      for (int i = 0; i < full.length; i++) {
        double s = m.imageScoreFeatures(features.get(i));
        sum += s;
        if (Double.doubleToLongBits(s) != Double.doubleToLongBits(full[i])) {
          differ++;
        }
      }
      long t4 = System.nanoTime();
      System.out.printf("%d images, bank %d x %d, compute %s%n", images.size(), m.bankSize(), m.dimension(),
          m.configuration().toString().replaceAll(".*compute=([^\\]]*)\\].*", "$1"));
      System.out.printf("backbone: %.1f s%nsearch and maps (score): %.1f s%nimage scores only (imageScore): %.1f s,"
          + " %d of %d differ from score%ntotal with score: %.1f s, with imageScore: %.1f s (checksum %.4f)%n",
          (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t4 - t3) / 1e9, differ, full.length, (t2 - t0) / 1e9,
          (t1 - t0 + t4 - t3) / 1e9, sum);
    }
  }
}
