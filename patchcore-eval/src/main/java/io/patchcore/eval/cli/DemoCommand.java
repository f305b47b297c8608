package io.patchcore.eval.cli;

import io.patchcore.PatchCore;
import io.patchcore.PatchCoreModel;
import io.patchcore.backbones.Backbones;
import io.patchcore.eval.data.Dataset;
import io.patchcore.eval.data.Datasets;
import io.patchcore.eval.data.DemoData;
import io.patchcore.eval.data.Sample;
import io.patchcore.eval.report.EvaluationReport;
import io.patchcore.eval.report.ScoredSample;
import io.patchcore.feature.FeatureExtractor;
import io.patchcore.sampling.Samplers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code patchcore demo}: fits the bundled backbone on the bundled demo data (real IHC tissue
 * tiles), evaluates real held-out tiles against three groups of synthetic tiles and writes the
 * report.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Fit and evaluate the bundled demo data (IHC tissue tiles and synthetic imitations; a demo, not "
        + "H&E) with the bundled backbone, and write the report.")
final class DemoCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default: ${DEFAULT-VALUE}).")
  Path out = Path.of("patchcore-demo");

  @Override
  public Integer call() throws Exception {
    var w = spec.commandLine().getOut();
    Path data = out.resolve("data");
    DemoData.copyBundled(data);
    Dataset dataset = Datasets.realSynthetic(data);
    w.printf("demo data: %d training tiles, %d test tiles in %s%n", dataset.train().size(), dataset.test().size(),
        data);
    List<Sample> failed = new ArrayList<>();
    try (FeatureExtractor backbone = Backbones.bundledDefault()) {
      PatchCore pc = PatchCore.builder().backbone(backbone).patchSize(3).pretrainDimension(256).targetDimension(256)
          .sampler(Samplers.approximateGreedy(0.1)).neighbours(1).seed(DemoData.DEFAULT_SEED)
          .progressListener(new ConsoleProgress()).build();
      w.println("fitting " + pc);
      try (PatchCoreModel model = pc.fitLabelled(Inputs.readable(dataset.train(), spec.commandLine().getErr(), failed))) {
        model.save(out.resolve("model.patchcore"));
        w.printf(Locale.ROOT, "memory bank %d of %d patches -> %s%n", model.bankSize(), model.candidateSize(),
            out.resolve("model.patchcore"));
        List<ScoredSample> scored = Inputs.score(model, "demo", dataset.test(), true, new ConsoleProgress());
        w.printf(Locale.ROOT, "%-36s %-16s %5s %10s%n", "image", "group", "label", "score");
        for (ScoredSample s : scored) {
          w.printf(Locale.ROOT, "%-36s %-16s %5s %10s%n", data.relativize(s.path()), s.sample().group(),
              s.sample().label().isPresent() ? Integer.toString(s.sample().label().getAsInt()) : "",
              s.isScored() ? String.format(Locale.ROOT, "%.4f", s.score().getAsDouble()) : s.error().orElse(""));
        }
        int code = EvaluateCommand.report(spec, scored, EvaluationReport.builder(scored).topK(3)
            .title("PatchCore demo (bundled IHC tiles vs synthetic imitations)"), backbone.configuration(), out);
        return failed.isEmpty() ? code : Cli.PARTIAL;
      }
    }
  }
}
