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
 * search (embedding, k-NN, anomaly map): what {@code patchcore score} does, timed by phase. Each
 * phase runs once to warm up, then is timed over every image. Prints one line per phase and the
 * back end used.
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
      double sum = 0;
      for (FeatureMaps f : features) {
        sum += m.scoreFeatures(f).score();
      }
      long t2 = System.nanoTime();
      System.out.printf("%d images, bank %d x %d, compute %s%n", images.size(), m.bankSize(), m.dimension(),
          m.configuration().toString().replaceAll(".*compute=([^\\]]*)\\].*", "$1"));
      System.out.printf("backbone: %.1f s%nsearch and maps: %.1f s%ntotal: %.1f s (checksum %.4f)%n",
          (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t2 - t0) / 1e9, sum);
    }
  }
}
