package io.patchcore.eval.cli;

import io.patchcore.AnomalyResult;
import io.patchcore.PatchCore;
import io.patchcore.PatchCoreModel;
import io.patchcore.ProgressListener;
import io.patchcore.backbones.Backbones;
import io.patchcore.eval.data.Dataset;
import io.patchcore.eval.data.Datasets;
import io.patchcore.eval.data.Sample;
import io.patchcore.eval.report.ScoredSample;
import io.patchcore.feature.FeatureExtractor;
import io.patchcore.internal.image.Images;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Supplier;

/** Input discovery and scoring shared by the commands. */
final class Inputs {
  private Inputs() {}

  /** The layout of a data folder. */
  enum Layout {
    REAL_SYNTHETIC, MVTEC, FOLDER
  }

  static Layout layout(Path data) throws IOException {
    if (!Files.isDirectory(data)) {
      throw new NoSuchFileException(data.toString(), null, "not a folder");
    }
    if (Files.isDirectory(data.resolve("train").resolve("gt")) || Files.isDirectory(data.resolve("test").resolve("syn"))) {
      return Layout.REAL_SYNTHETIC;
    }
    if (Files.isDirectory(data.resolve("train").resolve("good"))) {
      return Layout.MVTEC;
    }
    return Layout.FOLDER;
  }

  /** A dataset from a folder of either layout; a plain folder becomes the test split with no labels. */
  static Dataset dataset(Path data) throws IOException {
    switch (layout(data)) {
      case REAL_SYNTHETIC:
        return Datasets.realSynthetic(data);
      case MVTEC:
        return Datasets.mvtec(data);
      default:
        List<Sample> all = Datasets.folder(data);
        return new Dataset(data.getFileName() == null ? data.toString() : data.getFileName().toString(), all, all);
    }
  }

  /** The training images of {@code data}: train/gt, train/good, or every image of a plain folder. */
  static List<Sample> training(Path data) throws IOException {
    return layout(data) == Layout.FOLDER ? Datasets.folder(data) : dataset(data).train();
  }

  /** Images named on the command line: files as they are, folders searched recursively, sorted. */
  static List<Sample> images(List<Path> paths) throws IOException {
    List<Sample> out = new ArrayList<>();
    for (Path p : paths) {
      if (Files.isDirectory(p)) {
        out.addAll(Datasets.folder(p));
      } else if (Files.exists(p)) {
        Path abs = p.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        String group = parent == null || parent.getFileName() == null ? "" : parent.getFileName().toString();
        out.add(new Sample(abs, group, OptionalInt.empty(), Optional.empty()));
      } else {
        throw new NoSuchFileException(p.toString(), null, "no such image file or folder");
      }
    }
    out.sort(java.util.Comparator.comparing(s -> s.path().toString()));
    return out;
  }

  /** Opens the backbone a saved model was fitted with, as recorded in its header. */
  static FeatureExtractor backboneOf(Path model) throws IOException {
    return backboneOf(model, PatchCoreModel.backboneConfiguration(model));
  }

  /** Opens the backbone {@code conf}, as read from the header of {@code model}, describes. */
  static FeatureExtractor backboneOf(Path model, Map<String, String> conf) throws IOException {
    if (conf.isEmpty()) {
      throw new IOException(model + ": the model was fitted on feature maps without a backbone; it cannot score images");
    }
    return Backbones.fromConfiguration(conf);
  }

  /**
   * The decodable images of {@code samples}, read lazily in order; images that cannot be read are
   * reported to {@code err}, counted in {@code failures} and skipped.
   */
  static Iterable<PatchCore.LabelledImage> readable(List<Sample> samples, PrintWriter err, List<Sample> failures) {
    return () -> new Iterator<>() {
      private int next;
      private PatchCore.LabelledImage pending;

      @Override
      public boolean hasNext() {
        while (pending == null && next < samples.size()) {
          Sample s = samples.get(next++);
          try {
            pending = new PatchCore.LabelledImage(s.path().toString(), Images.read(s.path()));
          } catch (RuntimeException e) {
            err.println("patchcore: skipped " + s.path() + ": " + Cli.oneLine(e));
            failures.add(s);
          }
        }
        return pending != null;
      }

      @Override
      public PatchCore.LabelledImage next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        PatchCore.LabelledImage b = pending;
        pending = null;
        return b;
      }
    };
  }

  /**
   * Scores every sample; an image that fails becomes a failed {@link ScoredSample} with its
   * one-line error, the others are scored. With {@code keepMaps} each sample keeps its map and
   * explanation; without, only the image score is computed ({@link PatchCoreModel#imageScore(Path)},
   * the same number, faster).
   */
  static List<ScoredSample> score(PatchCoreModel model, String dataset, List<Sample> samples, boolean keepMaps,
      ProgressListener progress) {
    List<ScoredSample> out = new ArrayList<>(samples.size());
    int done = 0;
    for (Sample s : samples) {
      out.add(keepMaps ? scoreOne(dataset, s, true, () -> model.score(s.path()))
          : orFailed(dataset, s, () -> ScoredSample.scored(dataset, s, model.imageScore(s.path()))));
      progress.onProgress("score", ++done, samples.size());
    }
    return out;
  }

  /**
   * One image scored by {@code scorer}: its score, and its map when {@code keepMap}; or, if
   * {@code scorer} throws, a failed sample with the one-line error.
   */
  static ScoredSample scoreOne(String dataset, Sample sample, boolean keepMap,
      Supplier<AnomalyResult> scorer) {
    return orFailed(dataset, sample, () -> {
      AnomalyResult a = scorer.get();
      return keepMap ? ScoredSample.scored(dataset, sample, a)
          : ScoredSample.scoredWithoutMap(dataset, sample, a);
    });
  }

  /** What {@code scorer} gives, or, if it throws, a failed sample with the one-line error. */
  private static ScoredSample orFailed(String dataset, Sample sample, Supplier<ScoredSample> scorer) {
    try {
      return scorer.get();
    } catch (RuntimeException e) {
      return ScoredSample.failed(dataset, sample, Cli.oneLine(e));
    }
  }
}
