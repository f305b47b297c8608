package io.patchcore.eval.report;

import com.google.common.collect.Multimaps;
import io.patchcore.eval.metrics.RankingMetrics;
import io.patchcore.eval.metrics.RocCurve;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The plan of a report: its figures, their files (relative to the report's folder) and captions,
 * worked out from the results before anything is written. {@link ReportFiles} writes the figures
 * of a plan and {@link HtmlReport} renders it; neither decides what the report contains.
 *
 * @param title the page's title
 * @param results the results shown
 * @param rocCurves the ROC curve of each dataset with both labels, for {@link #ROC_PLOT}; empty
 *     when there is none (and then no ROC plot)
 * @param sweepPlots the sweeps, each with its plot's file
 * @param sections one per dataset, in the order of the results
 */
record ReportPage(String title, EvaluationResults results, List<Charts.NamedCurve> rocCurves,
    List<SweepPlot> sweepPlots, List<Section> sections) {

  /** The file of the ROC plot. */
  static final String ROC_PLOT = "plots/roc.png";

  /** A sweep and the file of its plot. */
  record SweepPlot(String path, SweepCurve sweep) {}

  /**
   * The box plot of a dataset's raw scores by group.
   *
   * @param threshold the threshold line, NaN for none
   * @param thresholdLabel the line's label, empty when there is no line
   */
  record ScorePlot(String path, String title, Map<String, List<Double>> scoresByGroup,
      double threshold, String thresholdLabel) {
    String caption() {
      return title + (thresholdLabel.isEmpty() ? "" : ", " + thresholdLabel);
    }
  }

  /** The composite map picture of one image, ranked {@code "top 1"}, {@code "bottom 2"}... */
  record MapFigure(String path, String rank, ScoredSample sample) {
    /** The caption on the page. */
    String caption() {
      return rank + ": score " + Charts.format(sample.score().getAsDouble()) + ", "
          + sample.sample().group() + ", " + sample.path();
    }

    /** The title line drawn into the picture. */
    String title() {
      String label = sample.sample().label().isPresent()
          ? Integer.toString(sample.sample().label().getAsInt()) : "?";
      return rank + "  score " + Charts.format(sample.score().getAsDouble()) + "  label " + label
          + "  " + sample.sample().group() + "/" + sample.path().getFileName();
    }
  }

  /**
   * The part of the page about one dataset.
   *
   * @param low the map value drawn dark blue in every map picture of the dataset
   * @param high the map value drawn dark red
   */
  record Section(String dataset, Optional<ScorePlot> scorePlot, List<MapFigure> top,
      List<MapFigure> bottom, double low, double high) {}

  /**
   * Plans the page.
   *
   * @param topK how many highest and lowest scoring images of each dataset get a map picture
   * @param threshold the fixed threshold of the score plots, NaN for each dataset's F1-optimal one
   */
  static ReportPage plan(EvaluationResults results, String title, int topK, double threshold,
      List<SweepCurve> sweeps) {
    Map<String, List<ScoredSample>> byDataset = Multimaps.asMap(results.byDataset());
    List<Charts.NamedCurve> curves = new ArrayList<>();
    for (Map.Entry<String, List<ScoredSample>> e : byDataset.entrySet()) {
      EvaluationResults.Labelled l = EvaluationResults.Labelled.of(e.getValue());
      if (l.hasBothLabels()) {
        RocCurve roc = RankingMetrics.rocCurve(l.scores(), l.labels());
        curves.add(new Charts.NamedCurve(e.getKey() + " (AUROC "
            + Charts.format(RankingMetrics.auroc(l.scores(), l.labels())) + ")", roc.fpr(),
            roc.tpr()));
      }
    }
    List<SweepPlot> sweepPlots = new ArrayList<>();
    Map<String, String> sweepNames = safeNames(sweeps.stream().map(SweepCurve::parameter).toList());
    for (SweepCurve sw : sweeps) {
      sweepPlots.add(new SweepPlot(sweeps.size() == 1 ? "plots/sweep.png"
          : "plots/sweep-" + sweepNames.get(sw.parameter()) + ".png", sw));
    }
    Map<String, String> safe = safeNames(byDataset.keySet());
    List<Section> sections = new ArrayList<>();
    for (Map.Entry<String, List<ScoredSample>> e : byDataset.entrySet()) {
      sections.add(section(results, e.getKey(), safe.get(e.getKey()), e.getValue(), topK,
          threshold));
    }
    return new ReportPage(title, results, List.copyOf(curves), List.copyOf(sweepPlots),
        List.copyOf(sections));
  }

  private static Section section(EvaluationResults results, String name, String safeName,
      List<ScoredSample> list, int topK, double threshold) {
    Map<String, List<Double>> byGroup = new TreeMap<>();
    for (ScoredSample s : list) {
      if (s.isScored()) {
        byGroup.computeIfAbsent(s.sample().group(), k -> new ArrayList<>())
            .add(s.score().getAsDouble());
      }
    }
    Optional<ScorePlot> scorePlot = Optional.empty();
    if (!byGroup.isEmpty()) {
      double t = Double.isNaN(threshold) ? results.f1Threshold(name) : threshold;
      String label = Double.isNaN(t) ? "" : (Double.isNaN(threshold)
          ? "F1-optimal threshold " : "threshold ") + Charts.format(t);
      scorePlot = Optional.of(new ScorePlot("plots/scores-" + safeName + ".png",
          "Scores of " + name + " by group", byGroup, t, label));
    }
    List<ScoredSample> withMaps = new ArrayList<>();
    for (ScoredSample s : list) {
      if (s.isScored() && s.map().isPresent()) {
        withMaps.add(s);
      }
    }
    withMaps.sort(Comparator.comparingDouble((ScoredSample s) -> -s.score().getAsDouble())
        .thenComparing(s -> s.path().toString()));
    int top = Math.min(topK, withMaps.size());
    int bottom = Math.min(topK, withMaps.size() - top);
    double low = Double.POSITIVE_INFINITY;
    double high = Double.NEGATIVE_INFINITY;
    for (ScoredSample s : withMaps) {
      low = Math.min(low, s.map().get().min());
      high = Math.max(high, s.map().get().max());
    }
    List<MapFigure> tops = new ArrayList<>();
    for (int i = 0; i < top; i++) {
      tops.add(new MapFigure(String.format(Locale.ROOT, "maps/%s/top-%02d.png", safeName, i + 1),
          "top " + (i + 1), withMaps.get(i)));
    }
    List<MapFigure> bottoms = new ArrayList<>();
    for (int i = 0; i < bottom; i++) {
      bottoms.add(new MapFigure(String.format(Locale.ROOT, "maps/%s/bottom-%02d.png", safeName,
          i + 1), "bottom " + (i + 1), withMaps.get(withMaps.size() - 1 - i)));
    }
    return new Section(name, scorePlot, List.copyOf(tops), List.copyOf(bottoms), low, high);
  }

  /** File-name-safe, unique (ignoring case) names for the given names. */
  static Map<String, String> safeNames(Iterable<String> names) {
    Map<String, String> out = new HashMap<>();
    Set<String> used = new HashSet<>();
    for (String name : names) {
      String base = name.replaceAll("[^A-Za-z0-9._-]", "_");
      if (base.length() > 80) {
        base = base.substring(0, 80);
      }
      if (base.isEmpty() || base.startsWith(".")) {
        base = "d" + base;
      }
      String candidate = base;
      for (int i = 2; !used.add(candidate.toLowerCase(Locale.ROOT)); i++) {
        candidate = base + "-" + i;
      }
      out.put(name, candidate);
    }
    return out;
  }
}
