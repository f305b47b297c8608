package io.patchcore.eval.report;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SequenceWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvGenerator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import com.google.common.collect.Multimaps;
import io.patchcore.internal.image.Images;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * Writes the files of a report, each atomically ({@link AtomicFiles}): the CSV and JSON files of
 * the scores and results, and the PNG plots and map pictures of a {@linkplain ReportPage plan}.
 * {@link EvaluationReport} describes the formats. Only {@link #writeScoresCsv} and {@link
 * #writeSweepPlot} are for use on their own; {@link EvaluationReport#write} writes everything.
 */
public final class ReportFiles {

  /** The CSV header of {@code scores.csv}. */
  static final List<String> SCORES_COLUMNS = List.of("path", "group", "label", "score", "error");

  /** The CSV header of {@code results.csv}. */
  static final List<String> RESULTS_COLUMNS = List.of("dataset", "instance_auroc",
      "full_pixel_auroc", "anomaly_pixel_auroc", "aupro", "ap", "fpr95");

  private ReportFiles() {}

  /**
   * Writes only {@code scores.csv} (see {@link EvaluationReport} for its format), atomically: one
   * row per image, sorted by path, with header {@code path,group,label,score,error}.
   *
   * @param file the file to write, typically {@code scores.csv}
   * @param samples the scored and failed images, in any order
   * @throws IOException naming the file if it cannot be written
   */
  public static void writeScoresCsv(Path file, List<ScoredSample> samples) throws IOException {
    AtomicFiles.write(file, out -> writeScoresCsv(out, samples));
  }

  /**
   * Writes the content of {@code scores.csv} to {@code out} (not closed), e.g. standard output.
   *
   * @param out where the CSV goes
   * @param samples the scored and failed images, in any order
   * @throws IOException if {@code out} fails
   */
  public static void writeScoresCsv(java.io.OutputStream out, List<ScoredSample> samples) throws IOException {
    List<ScoredSample> sorted = new ArrayList<>(samples);
    sorted.sort(Comparator.comparing(s -> s.path().toString()));
    List<Map<String, String>> rows = new ArrayList<>();
    for (ScoredSample s : sorted) {
      Map<String, String> row = new LinkedHashMap<>();
      row.put("path", s.path().toString());
      row.put("group", s.sample().group());
      row.put("label", s.sample().label().isPresent()
          ? Integer.toString(s.sample().label().getAsInt()) : "");
      row.put("score", s.isScored() ? Double.toString(s.score().getAsDouble()) : "");
      row.put("error", s.error().orElse(""));
      rows.add(row);
    }
    writeCsv(out, SCORES_COLUMNS, rows);
  }

  /**
   * Writes a plot of AUROC against the values of a swept parameter (such as the coreset ratio)
   * as a PNG, atomically. Points whose AUROC is NaN are left out.
   *
   * @param png the file to write
   * @param parameter the parameter's name, the x-axis label
   * @param values the parameter's values, finite
   * @param aurocs the AUROC at each value, in [0, 1] or NaN
   * @throws IllegalArgumentException if the arrays are empty or differ in length, or a value is
   *     out of range
   * @throws IOException naming the file if it cannot be written
   */
  public static void writeSweepPlot(Path png, String parameter, double[] values, double[] aurocs)
      throws IOException {
    SweepCurve s = SweepCurve.of(parameter, values, aurocs);
    Charts.writeSweep(png, s.parameter(), s.values(), s.aurocs());
  }

  /** Writes {@code results.csv}: a row per dataset, then the mean; NaN as an empty cell. */
  static void writeResultsCsv(Path file, EvaluationResults results) throws IOException {
    List<Map<String, String>> rows = new ArrayList<>();
    List<DatasetResult> all = new ArrayList<>(results.datasets());
    all.add(results.mean());
    for (DatasetResult r : all) {
      Map<String, String> row = new LinkedHashMap<>();
      row.put("dataset", r.dataset());
      row.put("instance_auroc", csvNumber(r.instanceAuroc()));
      row.put("full_pixel_auroc", csvNumber(r.fullPixelAuroc()));
      row.put("anomaly_pixel_auroc", csvNumber(r.anomalyPixelAuroc()));
      row.put("aupro", csvNumber(r.aupro()));
      row.put("ap", csvNumber(r.averagePrecision()));
      row.put("fpr95", csvNumber(r.fpr95()));
      rows.add(row);
    }
    writeCsv(file, RESULTS_COLUMNS, rows);
  }

  private static String csvNumber(double v) {
    return Double.isNaN(v) ? "" : Double.toString(v);
  }

  private static void writeCsv(Path file, List<String> columns, List<Map<String, String>> rows)
      throws IOException {
    AtomicFiles.write(file, out -> writeCsv(out, columns, rows));
  }

  private static void writeCsv(java.io.OutputStream out, List<String> columns, List<Map<String, String>> rows)
      throws IOException {
    CsvMapper mapper = new CsvMapper();
    mapper.configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);
    // quote only values that need it (separator, quote, line break)
    mapper.enable(CsvGenerator.Feature.STRICT_CHECK_FOR_QUOTING);
    CsvSchema.Builder schema = CsvSchema.builder();
    for (String c : columns) {
      schema.addColumn(c);
    }
    CsvSchema withHeader = schema.build().withHeader();
    try (SequenceWriter w = mapper.writerFor(Map.class).with(withHeader).writeValues(out)) {
      for (Map<String, String> row : rows) {
        w.write(row);
      }
    }
  }

  /**
   * Writes {@code scores.json}: path to dataset, group, label, raw and normalised score, error;
   * the score is normalised over the scored images of its dataset.
   */
  static void writeScoresJson(Path file, EvaluationResults results) throws IOException {
    Map<String, double[]> ranges = new HashMap<>();
    for (Map.Entry<String, List<ScoredSample>> e
        : Multimaps.asMap(results.byDataset()).entrySet()) {
      double lo = Double.POSITIVE_INFINITY;
      double hi = Double.NEGATIVE_INFINITY;
      for (ScoredSample s : e.getValue()) {
        if (s.isScored()) {
          lo = Math.min(lo, s.score().getAsDouble());
          hi = Math.max(hi, s.score().getAsDouble());
        }
      }
      ranges.put(e.getKey(), new double[] {lo, hi});
    }
    ObjectMapper mapper = new ObjectMapper();
    mapper.configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);
    mapper.enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = mapper.createObjectNode();
    for (ScoredSample s : results.samples()) {
      ObjectNode o = root.putObject(s.path().toString());
      o.put("dataset", s.dataset());
      o.put("group", s.sample().group());
      if (s.sample().label().isPresent()) {
        o.put("label", s.sample().label().getAsInt());
      } else {
        o.putNull("label");
      }
      if (s.isScored()) {
        double v = s.score().getAsDouble();
        double[] r = ranges.get(s.dataset());
        o.put("score", v);
        o.put("normalized_score", r[1] > r[0] ? (v - r[0]) / (r[1] - r[0]) : 0.0);
        o.putNull("error");
      } else {
        o.putNull("score");
        o.putNull("normalized_score");
        o.put("error", s.error().get());
      }
    }
    AtomicFiles.write(file, out -> mapper.writeValue(out, root));
  }

  /**
   * Writes the figures of a plan into {@code out}: the ROC plot, the sweep plots, then for each
   * dataset its score plot and its map pictures.
   *
   * @return the files written, in that order
   * @throws IOException naming the file that could not be read or written
   */
  static List<Path> writeFigures(Path out, ReportPage page) throws IOException {
    List<Path> written = new ArrayList<>();
    if (!page.rocCurves().isEmpty()) {
      Path roc = out.resolve(ReportPage.ROC_PLOT);
      Charts.writeRoc(roc, "ROC", page.rocCurves());
      written.add(roc);
    }
    for (ReportPage.SweepPlot p : page.sweepPlots()) {
      SweepCurve s = p.sweep();
      Charts.writeSweep(out.resolve(p.path()), s.parameter(), s.values(), s.aurocs());
      written.add(out.resolve(p.path()));
    }
    EvaluationResults results = page.results();
    for (ReportPage.Section section : page.sections()) {
      if (section.scorePlot().isPresent()) {
        ReportPage.ScorePlot p = section.scorePlot().get();
        Charts.writeScoreDistribution(out.resolve(p.path()), p.title(), p.scoresByGroup(),
            p.threshold(), p.thresholdLabel());
        written.add(out.resolve(p.path()));
      }
      List<ReportPage.MapFigure> maps = new ArrayList<>(section.top());
      maps.addAll(section.bottom());
      for (ReportPage.MapFigure f : maps) {
        writeMap(out.resolve(f.path()), f, section.low(), section.high(), results.resize(),
            results.crop());
        written.add(out.resolve(f.path()));
      }
    }
    return written;
  }

  /** Writes the composite picture of one image: image, mask (if any) and map overlay. */
  private static void writeMap(Path file, ReportPage.MapFigure f, double low, double high,
      int resize, int crop) throws IOException {
    ScoredSample s = f.sample();
    BufferedImage image = Images.read(s.path());
    BufferedImage mask = s.sample().mask().isPresent() ? Images.read(s.sample().mask().get())
        : null;
    BufferedImage composite = MapImages.composite(image, mask, s.map().get(), low, high, resize,
        crop, f.title());
    AtomicFiles.write(file, o -> {
      if (!ImageIO.write(composite, "png", o)) {
        throw new IOException("no PNG writer available");
      }
    });
  }
}
