package io.patchcore.eval.cli;

import io.patchcore.PatchCore;
import io.patchcore.PatchCoreModel;
import io.patchcore.eval.data.Dataset;
import io.patchcore.eval.data.Sample;
import io.patchcore.eval.report.AtomicFiles;
import io.patchcore.eval.report.DatasetResult;
import io.patchcore.eval.report.EvaluationReport;
import io.patchcore.eval.report.EvaluationResults;
import io.patchcore.eval.report.ScoredSample;
import io.patchcore.feature.FeatureExtractor;
import io.patchcore.feature.FeatureMaps;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code patchcore sweep DATA --out DIR --coreset ... --patch-size ... --neighbours ...}: fits and
 * scores every combination, extracting the backbone features of every image only once.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
    description = "Evaluate every combination of --coreset, --patch-size and --neighbours on DATA (features are "
        + "extracted once and reused). Writes sweep.csv, AUROC plots per parameter, and the full report of the best "
        + "combination.")
final class SweepCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DATA", description = "Dataset folder with labelled test images.")
  Path data;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
  Path out;

  @Option(names = "--coreset", split = ",", paramLabel = "F,F", description = "Coreset fractions (default: 0.1).")
  List<Double> coresets;

  @Option(names = "--patch-size", split = ",", paramLabel = "P,P", description = "Patch sizes (default: 3).")
  List<Integer> patchSizes;

  @Option(names = "--neighbours", split = ",", paramLabel = "K,K", description = "Neighbour counts (default: 1).")
  List<Integer> neighbours;

  @Mixin
  BackboneOptions backbone;

  @Mixin
  PatchCoreOptions pco;

  private record Combination(double coreset, int patchSize, int k) {}

  private record Features(Sample sample, FeatureMaps maps, String error) {}

  @Override
  public Integer call() throws Exception {
    List<Double> cs = coresets == null ? List.of(0.1) : coresets;
    List<Integer> ps = patchSizes == null ? List.of(3) : patchSizes;
    List<Integer> ks = neighbours == null ? List.of(1) : neighbours;
    io.patchcore.backbones.BackboneSpec bspec;
    Map<String, String> conf;
    List<Combination> combos = new ArrayList<>();
    try {
      bspec = backbone.spec();
      conf = bspec.toConfiguration();
      for (double c : cs) {
        for (int p : ps) {
          for (int k : ks) {
            pco.build(null, null, p, c, k, (s, d, t) -> {});
            combos.add(new Combination(c, p, k));
          }
        }
      }
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new Cli.UsageException(e.getMessage());
    }
    Dataset dataset = Inputs.dataset(data);
    var w = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    List<FeatureMaps> train = new ArrayList<>();
    List<Features> test = new ArrayList<>();
    if (bspec.gpu().isPresent() && !"jblas".equalsIgnoreCase(pco.run.compute.strip())) {
      pco.compute = io.patchcore.torch.TorchCompute.gpu(0);
    }
    try (FeatureExtractor bb = bspec.open()) {
      ConsoleProgress progress = new ConsoleProgress();
      int done = 0;
      int total = dataset.train().size() + dataset.test().size();
      for (Sample s : dataset.train()) {
        try {
          train.add(bb.extract(s.path()));
        } catch (RuntimeException e) {
          err.println("patchcore: skipped training image " + s.path() + ": " + Cli.oneLine(e));
        }
        progress.onProgress("extract", ++done, total);
      }
      for (Sample s : dataset.test()) {
        try {
          test.add(new Features(s, bb.extract(s.path()), null));
        } catch (RuntimeException e) {
          test.add(new Features(s, null, Cli.oneLine(e)));
        }
        progress.onProgress("extract", ++done, total);
      }
      if (train.isEmpty()) {
        throw new IOException("no training image of " + data + " could be read");
      }
      List<String> rows = new ArrayList<>();
      rows.add("coreset,patch_size,neighbours,bank_rows,instance_auroc,ap,fpr95");
      double[] aurocs = new double[combos.size()];
      int best = 0;
      for (int i = 0; i < combos.size(); i++) {
        Combination c = combos.get(i);
        PatchCore pc = pco.build(null, backbone.layers, c.patchSize(), c.coreset(), c.k(), (s, d, t) -> {});
        try (PatchCoreModel model = pc.fitFeatures(train)) {
          List<ScoredSample> scored = score(model, dataset.name(), test, false);
          DatasetResult r = EvaluationResults.of(scored).datasets().get(0);
          aurocs[i] = r.instanceAuroc();
          rows.add(String.format(Locale.ROOT, "%s,%d,%d,%d,%s,%s,%s", c.coreset(), c.patchSize(), c.k(),
              model.bankSize(), num(r.instanceAuroc()), num(r.averagePrecision()), num(r.fpr95())));
          w.printf(Locale.ROOT, "coreset %s, patch size %d, k %d: image AUROC %s%n", c.coreset(), c.patchSize(), c.k(),
              EvaluateCommand.fmt(r.instanceAuroc()));
          if (!Double.isNaN(aurocs[i]) && (Double.isNaN(aurocs[best]) || aurocs[i] > aurocs[best])) {
            best = i;
          }
        }
      }
      String csv = String.join("\n", rows) + "\n";
      AtomicFiles.write(out.resolve("sweep.csv"), o -> o.write(csv.getBytes(StandardCharsets.UTF_8)));
      List<double[][]> curves = new ArrayList<>();
      List<String> names = List.of("coreset", "patch_size", "neighbours");
      curves.add(curve(combos, aurocs, Combination::coreset));
      curves.add(curve(combos, aurocs, c -> c.patchSize()));
      curves.add(curve(combos, aurocs, c -> c.k()));
      Combination b = combos.get(best);
      w.printf(Locale.ROOT, "best: coreset %s, patch size %d, k %d (image AUROC %s); its report follows%n", b.coreset(),
          b.patchSize(), b.k(), EvaluateCommand.fmt(aurocs[best]));
      PatchCore pc = pco.build(null, backbone.layers, b.patchSize(), b.coreset(), b.k(), (s, d, t) -> {});
      try (PatchCoreModel model = pc.fitFeatures(train)) {
        List<ScoredSample> scored = score(model, dataset.name(), test, true);
        EvaluationReport.Builder report = EvaluationReport.builder(scored).title(String.format(Locale.ROOT,
            "PatchCore sweep on %s: best of %d (coreset %s, patch size %d, k %d)", dataset.name(), combos.size(),
            b.coreset(), b.patchSize(), b.k()));
        for (int i = 0; i < names.size(); i++) {
          if (curves.get(i) != null) {
            report.sweep(names.get(i), curves.get(i)[0], curves.get(i)[1]);
          }
        }
        return EvaluateCommand.report(spec, scored, report, conf, out);
      }
    }
  }

  private static String num(double v) {
    return Double.isNaN(v) ? "" : Double.toString(v);
  }

  /**
   * AUROC against one parameter: the best AUROC over the other parameters at each value; null
   * when the parameter takes fewer than two values.
   */
  private static double[][] curve(List<Combination> combos, double[] aurocs,
      java.util.function.ToDoubleFunction<Combination> param) {
    Map<Double, Double> bestAt = new LinkedHashMap<>();
    for (int i = 0; i < combos.size(); i++) {
      double v = param.applyAsDouble(combos.get(i));
      bestAt.merge(v, aurocs[i], (a, b) -> Double.isNaN(a) ? b : Double.isNaN(b) ? a : Math.max(a, b));
    }
    if (bestAt.size() < 2) {
      return null;
    }
    double[] values = bestAt.keySet().stream().mapToDouble(Double::doubleValue).sorted().toArray();
    double[] ys = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      ys[i] = bestAt.get(values[i]);
    }
    return new double[][] {values, ys};
  }

  private static List<ScoredSample> score(PatchCoreModel model, String dataset, List<Features> test, boolean maps) {
    List<ScoredSample> out = new ArrayList<>();
    for (Features f : test) {
      if (f.error() != null) {
        out.add(ScoredSample.failed(dataset, f.sample(), f.error()));
        continue;
      }
      out.add(Inputs.scoreOne(dataset, f.sample(), maps, () -> model.scoreFeatures(f.maps())));
    }
    return out;
  }
}
