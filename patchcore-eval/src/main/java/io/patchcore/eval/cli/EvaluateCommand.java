package io.patchcore.eval.cli;

import io.patchcore.PatchCore;
import io.patchcore.PatchCoreModel;
import io.patchcore.eval.data.Dataset;
import io.patchcore.eval.report.DatasetResult;
import io.patchcore.eval.report.EvaluationReport;
import io.patchcore.eval.report.ScoredSample;
import io.patchcore.feature.FeatureExtractor;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code patchcore evaluate MODEL DATA --out DIR}: scores the test split and writes the report. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = "Score DATA's test images (test/gt + test/syn, MVTec test/, or a plain folder) and write "
        + "results.csv, scores.csv, scores.json, anomaly-map images, plots and report.html into DIR.")
final class EvaluateCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "A model written by 'patchcore fit'.")
  Path model;

  @Parameters(index = "1", paramLabel = "DATA", description = "Dataset folder.")
  Path data;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
  Path out;

  @Option(names = "--top-k", paramLabel = "K", description = "Anomaly maps drawn for the K highest and K lowest "
      + "scores (default: ${DEFAULT-VALUE}).")
  int topK = 5;

  @picocli.CommandLine.Mixin
  RunOptions run;

  @Override
  public Integer call() throws Exception {
    Dataset dataset = Inputs.dataset(data);
    List<ScoredSample> scored;
    Map<String, String> backbone = PatchCoreModel.backboneConfiguration(model);
    try (FeatureExtractor bb = Inputs.backboneOf(model, backbone); PatchCoreModel m = run.check().load(model, bb)) {
      scored = Inputs.score(m, dataset.name(), dataset.test(), true, new ConsoleProgress());
    }
    return report(spec, scored, EvaluationReport.builder(scored).topK(topK)
        .title("PatchCore evaluation of " + model.getFileName() + " on " + dataset.name()), backbone, out);
  }

  /**
   * Writes the report of {@code scored} into {@code out} (maps laid over the part of each image the
   * backbone saw) and prints its results; returns the exit code.
   */
  static int report(CommandSpec spec, List<ScoredSample> scored, EvaluationReport.Builder builder,
      Map<String, String> backbone, Path out) throws java.io.IOException {
    EvaluationReport report = builder.mapGeometry(intOf(backbone, "resize"), intOf(backbone, "crop")).build();
    report.write(out);
    var w = spec.commandLine().getOut();
    for (DatasetResult r : report.results().datasets()) {
      w.printf(Locale.ROOT, "%s: %d images, image AUROC %s, AP %s, FPR@95%%TPR %s%n", r.dataset(), r.images(),
          fmt(r.instanceAuroc()), fmt(r.averagePrecision()), fmt(r.fpr95()));
    }
    w.println("report: " + out.resolve("report.html"));
    long failed = scored.stream().filter(s -> !s.isScored()).count();
    if (failed > 0) {
      spec.commandLine().getErr().println("patchcore: " + failed + " of " + scored.size()
          + " images could not be scored (see the error column of " + out.resolve("scores.csv") + ")");
      return Cli.PARTIAL;
    }
    return Cli.OK;
  }

  static String fmt(double v) {
    return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.4f", v);
  }

  private static int intOf(Map<String, String> conf, String key) {
    String v = conf.get(key);
    return v == null ? 0 : Integer.parseInt(v);
  }
}
