package io.patchcore.eval.cli;

import io.patchcore.PatchCoreModel;
import io.patchcore.eval.data.Sample;
import io.patchcore.eval.report.ReportFiles;
import io.patchcore.eval.report.ScoredSample;
import io.patchcore.feature.FeatureExtractor;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code patchcore score MODEL IMAGES... --out FILE.csv}. */
@Command(name = "score", mixinStandardHelpOptions = true,
    description = "Score images (folders are searched recursively) and write path,group,label,score,error as CSV.")
final class ScoreCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "A model written by 'patchcore fit'.")
  Path model;

  @Parameters(index = "1..*", arity = "1..*", paramLabel = "IMAGES", description = "Image files or folders.")
  List<Path> images;

  @Option(names = "--out", required = true, paramLabel = "FILE.csv|-",
      description = "CSV file to write, or - for standard output (the summary then goes to standard error).")
  Path out;

  @picocli.CommandLine.Mixin
  RunOptions run;

  @Override
  public Integer call() throws Exception {
    List<Sample> samples = Inputs.images(images);
    if (samples.isEmpty()) {
      throw new java.io.IOException("no images found in " + images);
    }
    List<ScoredSample> scored;
    try (FeatureExtractor backbone = Inputs.backboneOf(model);
        PatchCoreModel m = run.check().load(model, backbone)) {
      scored = Inputs.score(m, "images", samples, false, new ConsoleProgress());
    }
    boolean toStdout = out.toString().equals("-");
    if (toStdout) {
      java.io.PrintWriter w = spec.commandLine().getOut();
      java.io.ByteArrayOutputStream csv = new java.io.ByteArrayOutputStream();
      ReportFiles.writeScoresCsv(csv, scored);
      w.print(csv.toString(java.nio.charset.StandardCharsets.UTF_8));
      w.flush();
    } else {
      ReportFiles.writeScoresCsv(out, scored);
    }
    long failed = scored.stream().filter(s -> !s.isScored()).count();
    (toStdout ? spec.commandLine().getErr() : spec.commandLine().getOut()).printf("scored %d of %d images -> %s%n",
        samples.size() - failed, samples.size(), toStdout ? "standard output" : out);
    if (failed > 0) {
      spec.commandLine().getErr().println("patchcore: " + failed + " of " + samples.size()
          + " images could not be scored (see the error column of " + out + ")");
      return Cli.PARTIAL;
    }
    return Cli.OK;
  }
}
