package io.patchcore.eval.cli;

import io.patchcore.PatchCoreModel;
import io.patchcore.eval.data.Sample;
import io.patchcore.eval.metrics.ConformalThreshold;
import io.patchcore.eval.report.ReportFiles;
import io.patchcore.eval.report.ScoredSample;
import io.patchcore.feature.FeatureExtractor;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code patchcore filter MODEL IMAGES --calibration REAL --fpr 0.05 --keep DIR --reject DIR}:
 * sorts images into kept and rejected copies with a conformal threshold from held-out real images.
 * Inputs are never moved, changed or deleted; existing files in the output folders are never
 * overwritten.
 */
@Command(name = "filter", mixinStandardHelpOptions = true,
    description = "Keep the images that look like the real calibration images and reject the others: at most "
        + "--fpr of real images are rejected (conformal guarantee). Inputs are copied (or linked), never moved.")
final class FilterCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "A model written by 'patchcore fit'.")
  Path model;

  @Parameters(index = "1", paramLabel = "IMAGES", description = "Folder (searched recursively) or image to filter.")
  Path images;

  @Option(names = "--calibration", required = true, paramLabel = "REAL_IMAGES",
      description = "Held-out real images (not used to fit the model).")
  Path calibration;

  @Option(names = "--fpr", required = true, paramLabel = "ALPHA",
      description = "Largest fraction of real images that may be rejected, in (0, 1).")
  double fpr;

  @Option(names = "--keep", required = true, paramLabel = "DIR", description = "Folder for the kept copies.")
  Path keep;

  @Option(names = "--reject", required = true, paramLabel = "DIR", description = "Folder for the rejected copies.")
  Path reject;

  @Option(names = "--link", description = "Create symbolic links instead of copies.")
  boolean link;

  @Option(names = "--decisions", paramLabel = "FILE.csv",
      description = "Also write path,group,label,score,error of every image (default: DIR of --keep/../filter.csv).")
  Path decisions;

  @picocli.CommandLine.Mixin
  RunOptions run;

  @Override
  public Integer call() throws Exception {
    if (!(fpr > 0 && fpr < 1)) {
      throw new Cli.UsageException("--fpr must be in (0, 1), got " + fpr);
    }
    Path in = images.toAbsolutePath().normalize();
    Path keepDir = keep.toAbsolutePath().normalize();
    Path rejectDir = reject.toAbsolutePath().normalize();
    for (Path d : List.of(keepDir, rejectDir)) {
      if (Files.isDirectory(in) && d.startsWith(in)) {
        throw new Cli.UsageException("output folder " + d + " is inside the input folder " + in);
      }
    }
    if (keepDir.equals(rejectDir)) {
      throw new Cli.UsageException("--keep and --reject are the same folder: " + keepDir);
    }
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    List<Sample> cal = Inputs.images(List.of(calibration));
    List<Sample> todo = Inputs.images(List.of(images));
    if (todo.isEmpty()) {
      throw new IOException("no images found in " + images);
    }
    int needed = ConformalThreshold.minimumCalibrationSize(fpr);
    List<ScoredSample> calScores;
    List<ScoredSample> scores;
    try (FeatureExtractor backbone = Inputs.backboneOf(model);
        PatchCoreModel m = run.check().load(model, backbone)) {
      calScores = Inputs.score(m, "calibration", cal, false, new ConsoleProgress());
      scores = Inputs.score(m, "images", todo, false, new ConsoleProgress());
    }
    double[] calibrationScores = calScores.stream().filter(ScoredSample::isScored)
        .mapToDouble(s -> s.score().getAsDouble()).toArray();
    if (calibrationScores.length < needed) {
      throw new IOException("only " + calibrationScores.length + " calibration images in " + calibration
          + " could be scored; a rejection rate of " + fpr + " needs at least " + needed);
    }
    double threshold = ConformalThreshold.threshold(calibrationScores, fpr);
    int kept = 0;
    int rejected = 0;
    List<ScoredSample> report = new ArrayList<>();
    for (ScoredSample s : scores) {
      if (!s.isScored()) {
        report.add(s);
        continue;
      }
      boolean isRejected = s.score().getAsDouble() > threshold;
      Path base = Files.isDirectory(in) ? in : in.getParent();
      Path target = (isRejected ? rejectDir : keepDir).resolve(base.relativize(s.path()).toString());
      try {
        place(s.path(), target);
        report.add(s);
        if (isRejected) {
          rejected++;
        } else {
          kept++;
        }
      } catch (IOException e) {
        report.add(ScoredSample.failed(s.dataset(), s.sample(), Cli.oneLine(e)));
      }
    }
    Path decisionsFile = decisions != null ? decisions : keepDir.resolveSibling("filter.csv");
    ReportFiles.writeScoresCsv(decisionsFile, report);
    out.printf(Locale.ROOT, "threshold %.6g from %d calibration images (rejection rate <= %s): kept %d, rejected %d"
        + " -> %s, %s; decisions in %s%n", threshold, calibrationScores.length, fpr, kept, rejected, keepDir,
        rejectDir, decisionsFile);
    long failed = report.stream().filter(s -> !s.isScored()).count();
    if (failed > 0) {
      err.println("patchcore: " + failed + " of " + todo.size() + " images were not sorted (see " + decisionsFile + ")");
      return Cli.PARTIAL;
    }
    return Cli.OK;
  }

  /** Copies (or links) {@code source} to {@code target} atomically, never overwriting. */
  private void place(Path source, Path target) throws IOException {
    if (Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(target.toString(), null, "exists already; not overwritten");
    }
    Files.createDirectories(target.getParent());
    if (link) {
      Files.createSymbolicLink(target, source);
      return;
    }
    Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
    try {
      Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
