package io.patchcore.eval.report;

import com.google.common.escape.Escaper;
import com.google.common.html.HtmlEscapers;
import io.patchcore.eval.data.Dataset;
import io.patchcore.internal.image.Images;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders a {@linkplain ReportPage planned report} as one self-contained HTML page that shows the
 * results and links the report's files by relative paths. It writes no file and reads none; it only
 * checks whether a training image named in an explanation exists, to link it.
 * Every text, names and paths included, is HTML-escaped.
 */
final class HtmlReport {

  private static final Escaper HTML = HtmlEscapers.htmlEscaper();

  private final StringBuilder b = new StringBuilder();

  private HtmlReport() {}

  /**
   * The page of a plan.
   *
   * @param page the plan, with its results
   * @return the HTML text
   * @throws java.io.UncheckedIOException naming the file if the results were not yet computed and
   *     a mask cannot be read
   */
  static String render(ReportPage page) {
    HtmlReport h = new HtmlReport();
    EvaluationResults results = page.results();
    List<ScoredSample> samples = results.samples();
    h.head(page.title());
    h.summary(samples.size(), results.byDataset().keySet().size(),
        (int) samples.stream().filter(s -> !s.isScored()).count());
    h.resultsTable(results.datasets(), results.mean());
    if (!page.rocCurves().isEmpty()) {
      h.image(ReportPage.ROC_PLOT, "ROC curves");
    }
    for (ReportPage.SweepPlot sweep : page.sweepPlots()) {
      h.image(sweep.path(), "AUROC against a swept parameter");
    }
    for (ReportPage.Section section : page.sections()) {
      h.b.append("<h2>Dataset ").append(escape(section.dataset())).append("</h2>\n");
      section.scorePlot().ifPresent(p -> h.image(p.path(), p.caption()));
      h.maps("Highest scores", section.top());
      h.maps("Lowest scores", section.bottom());
    }
    h.failures(samples);
    for (ReportPage.SweepPlot sweep : page.sweepPlots()) {
      h.sweepTable(sweep.sweep());
    }
    return h.b.append("</body>\n</html>\n").toString();
  }

  /** Escapes {@code & < > " '} for HTML text and attribute values. */
  static String escape(String text) {
    return HTML.escape(text);
  }

  private void head(String title) {
    b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
        .append(escape(title)).append("</title>\n<style>\n")
        .append("body{font-family:sans-serif;margin:1.5em;color:#222}\n")
        .append("table{border-collapse:collapse;margin:.5em 0}\n")
        .append("td,th{border:1px solid #bbb;padding:.25em .6em;text-align:right}\n")
        .append("td:first-child,th:first-child{text-align:left}\n")
        .append("figure{display:inline-block;margin:.4em;vertical-align:top}\n")
        .append("figcaption{font-size:.8em;max-width:50em;word-break:break-all}\n")
        .append("img{max-width:100%}\n")
        .append(".explained{display:inline-block;vertical-align:top;max-width:40em}\n")
        .append(".why{font-size:.8em;word-break:break-all}\n</style>\n</head>\n<body>\n<h1>")
        .append(escape(title)).append("</h1>\n");
  }

  private void summary(int images, int datasets, int failed) {
    b.append("<p>").append(images).append(" images in ").append(datasets)
        .append(datasets == 1 ? " dataset" : " datasets").append(", ").append(failed)
        .append(" failed. Files: <a href=\"scores.csv\">scores.csv</a>, ")
        .append("<a href=\"scores.json\">scores.json</a>, ")
        .append("<a href=\"results.csv\">results.csv</a>.</p>\n");
  }

  private void resultsTable(List<DatasetResult> rs, DatasetResult mean) {
    b.append("<h2>Results</h2>\n<table>\n<tr><th>dataset</th><th>images</th><th>failed</th>")
        .append("<th>instance AUROC</th><th>full pixel AUROC</th><th>anomaly pixel AUROC</th>")
        .append("<th>AUPRO</th><th>AP</th><th>FPR@95%TPR</th></tr>\n");
    List<DatasetResult> all = new ArrayList<>(rs);
    all.add(mean);
    for (DatasetResult r : all) {
      b.append("<tr><td>").append(escape(r.dataset())).append("</td><td>").append(r.images())
          .append("</td><td>").append(r.failed()).append("</td>");
      for (double v : new double[] {r.instanceAuroc(), r.fullPixelAuroc(),
          r.anomalyPixelAuroc(), r.aupro(), r.averagePrecision(), r.fpr95()}) {
        b.append("<td>").append(number(v)).append("</td>");
      }
      b.append("</tr>\n");
    }
    b.append("</table>\n");
  }

  private void image(String rel, String caption) {
    b.append("<figure><a href=\"").append(escape(rel)).append("\"><img src=\"")
        .append(escape(rel)).append("\" alt=\"").append(escape(caption))
        .append("\"></a><figcaption>").append(escape(caption))
        .append("</figcaption></figure>\n");
  }

  private void maps(String heading, List<ReportPage.MapFigure> figures) {
    if (figures.isEmpty()) {
      return;
    }
    b.append("<h3>").append(escape(heading)).append("</h3>\n<div>\n");
    for (ReportPage.MapFigure f : figures) {
      if (f.sample().explanation().isEmpty()) {
        image(f.path(), f.caption());
        continue;
      }
      b.append("<div class=\"explained\">");
      image(f.path(), f.caption());
      explanation(f.sample().explanation().get());
      b.append("</div>\n");
    }
    b.append("</div>\n");
  }

  /** Why the image got its score: the worst patch's nearest training patch, the nearest images. */
  private void explanation(io.patchcore.Explanation e) {
    b.append("<div class=\"why\"><b>Why</b><ul>\n");
    b.append("<li>worst patch at grid (").append(e.worstPatchRow()).append(", ").append(e.worstPatchColumn())
        .append("), score ").append(escape(Charts.format(e.worstPatchScore())));
    e.nearestTrainingPatch().ifPresent(p -> b.append("; nearest memory-bank patch: training image ")
        .append(trainingImage(p.label())).append(" at grid (").append(p.row()).append(", ").append(p.column())
        .append(") of ").append(p.gridHeight()).append("x").append(p.gridWidth()));
    b.append("</li>\n");
    if (!e.nearestTrainingImages().isEmpty()) {
      b.append("<li>nearest training images as a whole: ");
      String sep = "";
      for (io.patchcore.Explanation.TrainingImage t : e.nearestTrainingImages()) {
        b.append(sep).append(trainingImage(t.label())).append(" (").append(escape(Charts.format(t.distance())))
            .append(")");
        sep = ", ";
      }
      b.append("</li>\n");
    }
    if (!e.components().isEmpty()) {
      b.append("<li>score components (raw &rarr; normalised): ");
      String sep = "";
      for (var c : e.components().entrySet()) {
        b.append(sep).append(escape(c.getKey())).append(' ').append(escape(Charts.format(c.getValue().raw())))
            .append(" &rarr; ").append(escape(Charts.format(c.getValue().normalised())));
        sep = ", ";
      }
      b.append("</li>\n");
    }
    b.append("</ul></div>");
  }

  /** A training image's label, linked when it is the path of an existing file. */
  private static String trainingImage(String label) {
    java.nio.file.Path p;
    try {
      p = java.nio.file.Path.of(label);
    } catch (java.nio.file.InvalidPathException e) {
      return "<code>" + escape(label) + "</code>";
    }
    if (!java.nio.file.Files.isRegularFile(p)) {
      return "<code>" + escape(label) + "</code>";
    }
    return "<a href=\"" + escape(p.toAbsolutePath().toUri().toString()) + "\"><code>" + escape(label)
        + "</code></a>";
  }

  private void failures(List<ScoredSample> samples) {
    List<ScoredSample> failed = samples.stream().filter(s -> !s.isScored()).toList();
    if (failed.isEmpty()) {
      return;
    }
    b.append("<h2>Images that could not be scored</h2>\n<table>\n")
        .append("<tr><th>image</th><th>error</th></tr>\n");
    for (ScoredSample s : failed) {
      b.append("<tr><td>").append(escape(s.path().toString())).append("</td><td>")
          .append(escape(s.error().get())).append("</td></tr>\n");
    }
    b.append("</table>\n");
  }

  private void sweepTable(SweepCurve sweep) {
    String parameter = sweep.parameter();
    b.append("<h2>AUROC against ").append(escape(parameter)).append("</h2>\n<table>\n<tr><th>")
        .append(escape(parameter)).append("</th><th>AUROC</th></tr>\n");
    for (int i = 0; i < sweep.values().length; i++) {
      b.append("<tr><td>").append(escape(Double.toString(sweep.values()[i]))).append("</td><td>")
          .append(number(sweep.aurocs()[i])).append("</td></tr>\n");
    }
    b.append("</table>\n");
  }

  /** A metric in a table cell: four decimals, or a dash for NaN. */
  private static String number(double v) {
    return Double.isNaN(v) ? "&ndash;" : Charts.format(v);
  }
}
