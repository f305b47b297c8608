package io.patchcore.eval;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SequenceWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvGenerator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.patchcore.AnomalyMap;
import io.patchcore.Images;
import io.patchcore.eval.metrics.PixelMetrics;
import io.patchcore.eval.metrics.RankingMetrics;
import io.patchcore.eval.metrics.RocCurve;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The results of an evaluation, computed from {@linkplain ScoredSample scored samples} and written
 * as a folder of files:
 *
 * <ul>
 *   <li>{@code scores.csv}: {@code path,group,label,score,error}, one row per image sorted by path;
 *       the raw score, an empty label when unknown, and for an image that failed an empty score and
 *       the error;
 *   <li>{@code scores.json}: an object from path to {@code {dataset, group, label, score,
 *       normalized_score, error}}, sorted by path, where {@code normalized_score} is the raw score
 *       min-max normalised over the scored images of its dataset (0 when they all score the same),
 *       and absent values are {@code null};
 *   <li>{@code results.csv}: {@code
 *       dataset,instance_auroc,full_pixel_auroc,anomaly_pixel_auroc,aupro,ap,fpr95}, one row per
 *       dataset in order of first appearance and a last row {@code mean} (the mean of each column
 *       over the datasets that have it); a metric that cannot be computed is empty;
 *   <li>{@code plots/roc.png} (datasets with both labels), {@code plots/scores-NAME.png} (a box
 *       plot of the raw scores of each group of a dataset, with the threshold line) and, when
 *       {@linkplain Builder#sweep given}, {@code plots/sweep.png};
 *   <li>{@code maps/NAME/top-NN.png} and {@code bottom-NN.png}: for the {@linkplain Builder#topK
 *       k} highest and lowest scoring images with a map of each dataset, the image, its mask (if
 *       any) and the map in a jet-like colour map blended over the image, with the score in a title
 *       line; map colours span the dataset's smallest to largest map value;
 *   <li>{@code report.html}: one self-contained page that shows all of the above through relative
 *       links, with every text HTML-escaped.
 * </ul>
 *
 * <p>{@code NAME} is the dataset's name with every character other than {@code A-Z a-z 0-9 . _ -}
 * replaced by {@code _} (made unique with a {@code -2}, {@code -3}... suffix). Every file is
 * written atomically ({@link AtomicFiles}), so a failure leaves complete files or none.
 *
 * <h2>Metrics</h2>
 *
 * <p>Only scored images with a known label count. The instance metrics ({@link RankingMetrics#auroc},
 * {@link RankingMetrics#averagePrecision}, {@link RankingMetrics#fprAtTpr} at 95%) need both labels. The pixel
 * metrics need a dataset with masks (some sample has one), a map for every counted image and a
 * mask for every anomalous one; a normal image's mask is all zeros. A mask pixel is anomalous when
 * its brightest channel is at least 128; masks are sampled onto the map grid (nearest pixel) after
 * the {@linkplain Builder#mapGeometry backbone's resize and centre crop}, and must have the size of
 * their image. The full pixel AUROC pools the pixels of all counted images, the anomaly pixel
 * AUROC those of the anomalous ones, and AUPRO ({@link PixelMetrics#aupro(List, List, int, int)}) needs
 * maps of one size.
 *
 * <p>An instance is immutable; metrics are computed (reading the masks) on the first call of
 * {@link #results()} or {@link #write}.
 */
public final class EvaluationReport {

  private static final Logger LOG = LoggerFactory.getLogger(EvaluationReport.class);

  /** The CSV header of {@code scores.csv}. */
  static final List<String> SCORES_COLUMNS = List.of("path", "group", "label", "score", "error");

  /** The CSV header of {@code results.csv}. */
  static final List<String> RESULTS_COLUMNS = List.of("dataset", "instance_auroc",
      "full_pixel_auroc", "anomaly_pixel_auroc", "aupro", "ap", "fpr95");

  private final String title;
  private final List<ScoredSample> samples;
  private final Map<String, List<ScoredSample>> byDataset;
  private final int topK;
  private final double threshold;
  private final int resize;
  private final int crop;
  private final List<Sweep> sweeps;
  private List<DatasetResult> results;

  private record Sweep(String parameter, double[] values, double[] aurocs) {}

  private EvaluationReport(Builder b) {
    this.title = b.title;
    this.topK = b.topK;
    this.threshold = b.threshold;
    this.resize = b.resize;
    this.crop = b.crop;
    this.sweeps = List.copyOf(b.sweeps);
    Map<String, ScoredSample> seen = new HashMap<>();
    Map<String, List<ScoredSample>> groups = new LinkedHashMap<>();
    for (ScoredSample s : b.samples) {
      Objects.requireNonNull(s, "scored sample");
      ScoredSample before = seen.put(s.path().toString(), s);
      if (before != null) {
        throw new IllegalArgumentException("image " + s.path() + " appears twice in the report"
            + " (datasets " + before.dataset() + " and " + s.dataset() + ")");
      }
      groups.computeIfAbsent(s.dataset(), k -> new ArrayList<>()).add(s);
    }
    List<ScoredSample> sorted = new ArrayList<>(b.samples);
    sorted.sort(Comparator.comparing(s -> s.path().toString()));
    this.samples = List.copyOf(sorted);
    groups.replaceAll((k, v) -> List.copyOf(v));
    this.byDataset = Collections.unmodifiableMap(groups);
  }

  /**
   * Starts a report of the given images.
   *
   * @param samples the scored and failed test images, of one or more datasets; each path at most
   *     once
   * @return a builder with the defaults: title "PatchCore evaluation", top/bottom 5 maps, the
   *     F1-optimal threshold, maps covering the whole image, no sweep
   */
  public static Builder builder(List<ScoredSample> samples) {
    return new Builder(samples);
  }

  /** The images, sorted by path. */
  public List<ScoredSample> samples() {
    return samples;
  }

  /**
   * The metrics of each dataset, in order of first appearance among the samples.
   *
   * @throws UncheckedIOException naming the file if a mask cannot be read
   */
  public synchronized List<DatasetResult> results() {
    if (results == null) {
      List<DatasetResult> list = new ArrayList<>();
      for (Map.Entry<String, List<ScoredSample>> e : byDataset.entrySet()) {
        list.add(compute(e.getKey(), e.getValue()));
      }
      results = List.copyOf(list);
    }
    return results;
  }

  /**
   * The mean of each metric over the datasets where it is not NaN (NaN if none), named {@code
   * "mean"}; the counts are sums.
   */
  public DatasetResult mean() {
    List<DatasetResult> rs = results();
    return new DatasetResult("mean",
        rs.stream().mapToInt(DatasetResult::images).sum(),
        rs.stream().mapToInt(DatasetResult::failed).sum(),
        meanOf(rs, DatasetResult::instanceAuroc), meanOf(rs, DatasetResult::fullPixelAuroc),
        meanOf(rs, DatasetResult::anomalyPixelAuroc), meanOf(rs, DatasetResult::aupro),
        meanOf(rs, DatasetResult::averagePrecision), meanOf(rs, DatasetResult::fpr95));
  }

  private static double meanOf(List<DatasetResult> rs, ToDoubleFunction<DatasetResult> f) {
    return rs.stream().mapToDouble(f).filter(v -> !Double.isNaN(v)).average().orElse(Double.NaN);
  }

  // ---------------------------------------------------------------------------------------------
  // Writing
  // ---------------------------------------------------------------------------------------------

  /**
   * Writes all files of the report into {@code dir} (created if missing; other files in it are
   * left alone, files of the same name replaced). {@code report.html} is written last.
   *
   * @param dir the output folder
   * @return the files written, {@code report.html} last
   * @throws IOException naming the file that could not be read or written
   */
  public List<Path> write(Path dir) throws IOException {
    Path out = Objects.requireNonNull(dir, "dir").toAbsolutePath().normalize();
    try {
      return writeAll(out);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private List<Path> writeAll(Path out) throws IOException {
    List<Path> written = new ArrayList<>();
    List<DatasetResult> rs = results();
    Path scoresCsv = out.resolve("scores.csv");
    writeScoresCsv(scoresCsv, samples);
    written.add(scoresCsv);
    Path scoresJson = out.resolve("scores.json");
    writeScoresJson(scoresJson);
    written.add(scoresJson);
    Path resultsCsv = out.resolve("results.csv");
    writeResultsCsv(resultsCsv, rs);
    written.add(resultsCsv);

    Map<String, String> safe = safeNames(byDataset.keySet());
    Html html = new Html(title);
    html.summary(samples.size(), byDataset.size(),
        (int) samples.stream().filter(s -> !s.isScored()).count());
    html.resultsTable(rs, mean());

    List<Charts.NamedCurve> curves = new ArrayList<>();
    for (Map.Entry<String, List<ScoredSample>> e : byDataset.entrySet()) {
      Labelled l = labelled(e.getValue());
      if (l.hasBothLabels()) {
        RocCurve roc = RankingMetrics.rocCurve(l.scores, l.labels);
        curves.add(new Charts.NamedCurve(e.getKey() + " (AUROC "
            + Charts.format(RankingMetrics.auroc(l.scores, l.labels)) + ")", roc.fpr(), roc.tpr()));
      }
    }
    Path rocPng = null;
    if (!curves.isEmpty()) {
      rocPng = out.resolve("plots/roc.png");
      Charts.writeRoc(rocPng, "ROC", curves);
      written.add(rocPng);
    }
    List<String> sweepPngs = new ArrayList<>();
    Map<String, String> sweepNames = safeNames(sweeps.stream().map(Sweep::parameter).toList());
    for (Sweep sw : sweeps) {
      String rel = sweeps.size() == 1 ? "plots/sweep.png" : "plots/sweep-" + sweepNames.get(sw.parameter()) + ".png";
      Charts.writeSweep(out.resolve(rel), sw.parameter(), sw.values(), sw.aurocs());
      written.add(out.resolve(rel));
      sweepPngs.add(rel);
    }
    html.plots(rocPng == null ? null : "plots/roc.png", sweepPngs);

    for (Map.Entry<String, List<ScoredSample>> e : byDataset.entrySet()) {
      String name = e.getKey();
      String safeName = safe.get(name);
      List<ScoredSample> list = e.getValue();
      html.datasetHeading(name);
      Map<String, List<Double>> byGroup = new TreeMap<>();
      for (ScoredSample s : list) {
        if (s.isScored()) {
          byGroup.computeIfAbsent(s.sample().group(), k -> new ArrayList<>())
              .add(s.score().getAsDouble());
        }
      }
      if (!byGroup.isEmpty()) {
        String rel = "plots/scores-" + safeName + ".png";
        double t = thresholdFor(list);
        String label = Double.isNaN(t) ? "" : (Double.isNaN(threshold)
            ? "F1-optimal threshold " : "threshold ") + Charts.format(t);
        Charts.writeScoreDistribution(out.resolve(rel), "Scores of " + name + " by group", byGroup,
            t, label);
        written.add(out.resolve(rel));
        html.image(rel, "Scores of " + name + " by group" + (label.isEmpty() ? "" : ", " + label));
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
      if (top > 0) {
        double low = Double.POSITIVE_INFINITY;
        double high = Double.NEGATIVE_INFINITY;
        for (ScoredSample s : withMaps) {
          low = Math.min(low, s.map().get().min());
          high = Math.max(high, s.map().get().max());
        }
        html.mapsHeading("Highest scores");
        for (int i = 0; i < top; i++) {
          String rel = String.format(Locale.ROOT, "maps/%s/top-%02d.png", safeName, i + 1);
          writeComposite(out.resolve(rel), withMaps.get(i), "top " + (i + 1), low, high);
          written.add(out.resolve(rel));
          html.map(rel, "top " + (i + 1), withMaps.get(i));
        }
        html.mapsEnd();
        if (bottom > 0) {
          html.mapsHeading("Lowest scores");
          for (int i = 0; i < bottom; i++) {
            String rel = String.format(Locale.ROOT, "maps/%s/bottom-%02d.png", safeName, i + 1);
            ScoredSample s = withMaps.get(withMaps.size() - 1 - i);
            writeComposite(out.resolve(rel), s, "bottom " + (i + 1), low, high);
            written.add(out.resolve(rel));
            html.map(rel, "bottom " + (i + 1), s);
          }
          html.mapsEnd();
        }
      }
    }
    html.failures(samples);
    for (Sweep sw : sweeps) {
      html.sweepTable(sw.parameter(), sw.values(), sw.aurocs());
    }
    Path page = out.resolve("report.html");
    byte[] bytes = html.finish().getBytes(StandardCharsets.UTF_8);
    AtomicFiles.write(page, o -> o.write(bytes));
    written.add(page);
    return List.copyOf(written);
  }

  /**
   * Writes only {@code scores.csv} (see the class comment for its format), atomically: one row
   * per image, sorted by path, with header {@code path,group,label,score,error}.
   *
   * @param file the file to write, typically {@code scores.csv}
   * @param samples the scored and failed images, in any order
   * @throws IOException naming the file if it cannot be written
   */
  public static void writeScoresCsv(Path file, List<ScoredSample> samples) throws IOException {
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
    writeCsv(file, SCORES_COLUMNS, rows);
  }

  private void writeResultsCsv(Path file, List<DatasetResult> rs) throws IOException {
    List<Map<String, String>> rows = new ArrayList<>();
    List<DatasetResult> all = new ArrayList<>(rs);
    all.add(mean());
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
    CsvMapper mapper = new CsvMapper();
    mapper.configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);
    // quote only values that need it (separator, quote, line break)
    mapper.enable(CsvGenerator.Feature.STRICT_CHECK_FOR_QUOTING);
    CsvSchema.Builder schema = CsvSchema.builder();
    for (String c : columns) {
      schema.addColumn(c);
    }
    CsvSchema withHeader = schema.build().withHeader();
    AtomicFiles.write(file, out -> {
      try (SequenceWriter w = mapper.writerFor(Map.class).with(withHeader).writeValues(out)) {
        for (Map<String, String> row : rows) {
          w.write(row);
        }
      }
    });
  }

  private void writeScoresJson(Path file) throws IOException {
    Map<String, double[]> ranges = new HashMap<>();
    for (Map.Entry<String, List<ScoredSample>> e : byDataset.entrySet()) {
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
    for (ScoredSample s : samples) {
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

  private void writeComposite(Path file, ScoredSample s, String rank, double low, double high)
      throws IOException {
    BufferedImage image = Images.read(s.path());
    BufferedImage mask = s.sample().mask().isPresent() ? Images.read(s.sample().mask().get())
        : null;
    String label = s.sample().label().isPresent()
        ? Integer.toString(s.sample().label().getAsInt()) : "?";
    String text = rank + "  score " + Charts.format(s.score().getAsDouble()) + "  label " + label
        + "  " + s.sample().group() + "/" + s.path().getFileName();
    BufferedImage composite = MapImages.composite(image, mask, s.map().get(), low, high, resize,
        crop, text);
    AtomicFiles.write(file, o -> {
      if (!ImageIO.write(composite, "png", o)) {
        throw new IOException("no PNG writer available");
      }
    });
  }

  /** The threshold line of a dataset's plot: the configured one, or the F1-optimal one. */
  private double thresholdFor(List<ScoredSample> list) {
    if (!Double.isNaN(threshold)) {
      return threshold;
    }
    Labelled l = labelled(list);
    boolean positives = false;
    for (int y : l.labels) {
      positives |= y == 1;
    }
    return positives ? RankingMetrics.f1OptimalThreshold(l.scores, l.labels).threshold() : Double.NaN;
  }

  // ---------------------------------------------------------------------------------------------
  // Metrics
  // ---------------------------------------------------------------------------------------------

  /** The scored, labelled samples of a dataset with their scores and labels. */
  private record Labelled(List<ScoredSample> samples, double[] scores, int[] labels) {
    boolean hasBothLabels() {
      boolean pos = false;
      boolean neg = false;
      for (int y : labels) {
        pos |= y == 1;
        neg |= y == 0;
      }
      return pos && neg;
    }
  }

  private static Labelled labelled(List<ScoredSample> list) {
    List<ScoredSample> kept = new ArrayList<>();
    for (ScoredSample s : list) {
      if (s.isScored() && s.sample().label().isPresent()) {
        kept.add(s);
      }
    }
    double[] scores = new double[kept.size()];
    int[] labels = new int[kept.size()];
    for (int i = 0; i < kept.size(); i++) {
      scores[i] = kept.get(i).score().getAsDouble();
      labels[i] = kept.get(i).sample().label().getAsInt();
    }
    return new Labelled(kept, scores, labels);
  }

  private DatasetResult compute(String name, List<ScoredSample> list) {
    int failed = (int) list.stream().filter(s -> !s.isScored()).count();
    Labelled l = labelled(list);
    double auroc = Double.NaN;
    double ap = Double.NaN;
    double fpr95 = Double.NaN;
    if (l.hasBothLabels()) {
      auroc = RankingMetrics.auroc(l.scores, l.labels);
      ap = RankingMetrics.averagePrecision(l.scores, l.labels);
      fpr95 = RankingMetrics.fprAtTpr(l.scores, l.labels, 0.95);
    }
    double[] pixel = pixelMetrics(name, l.samples);
    return new DatasetResult(name, list.size(), failed, auroc, pixel[0], pixel[1], pixel[2], ap,
        fpr95);
  }

  /** {full pixel AUROC, anomaly pixel AUROC, AUPRO}, NaN where not computable. */
  private double[] pixelMetrics(String name, List<ScoredSample> counted) {
    double[] none = {Double.NaN, Double.NaN, Double.NaN};
    if (counted.stream().noneMatch(s -> s.sample().mask().isPresent())) {
      return none;
    }
    List<float[]> maps = new ArrayList<>();
    List<byte[]> masks = new ArrayList<>();
    List<float[]> anomalousMaps = new ArrayList<>();
    List<byte[]> anomalousMasks = new ArrayList<>();
    Set<String> sizes = new HashSet<>();
    for (ScoredSample s : counted) {
      Optional<AnomalyMap> map = s.map();
      if (map.isEmpty()) {
        LOG.warn("No pixel metrics for dataset {}: image {} has no anomaly map", name, s.path());
        return none;
      }
      AnomalyMap m = map.get();
      byte[] mask;
      if (s.sample().mask().isPresent()) {
        mask = MapImages.maskOnGrid(Images.read(s.sample().mask().get()), m.width(), m.height(),
            resize, crop);
      } else if (s.sample().label().getAsInt() == 1) {
        LOG.warn("No pixel metrics for dataset {}: anomalous image {} has no mask", name,
            s.path());
        return none;
      } else {
        mask = new byte[m.width() * m.height()];
      }
      float[] values = m.toArray();
      maps.add(values);
      masks.add(mask);
      if (s.sample().label().getAsInt() == 1) {
        anomalousMaps.add(values);
        anomalousMasks.add(mask);
      }
      sizes.add(m.width() + "x" + m.height());
    }
    double full = pixelAuroc(name, "full pixel AUROC", maps, masks);
    double anomalous = anomalousMaps.isEmpty() ? Double.NaN
        : pixelAuroc(name, "anomaly pixel AUROC", anomalousMaps, anomalousMasks);
    double aupro = Double.NaN;
    if (sizes.size() == 1) {
      AnomalyMap first = counted.get(0).map().get();
      try {
        aupro = PixelMetrics.aupro(maps, masks, first.width(), first.height());
      } catch (IllegalArgumentException e) {
        LOG.warn("No AUPRO for dataset {}: {}", name, e.getMessage());
      }
    } else {
      LOG.warn("No AUPRO for dataset {}: its maps differ in size ({})", name, sizes);
    }
    return new double[] {full, anomalous, aupro};
  }

  private static double pixelAuroc(String name, String what, List<float[]> maps,
      List<byte[]> masks) {
    try {
      return PixelMetrics.pixelAuroc(maps, masks);
    } catch (IllegalArgumentException e) {
      LOG.warn("No {} for dataset {}: {}", what, name, e.getMessage());
      return Double.NaN;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Names
  // ---------------------------------------------------------------------------------------------

  /** File-name-safe, unique (ignoring case) names for the datasets. */
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
    Sweep s = checkSweep(parameter, values, aurocs);
    Charts.writeSweep(png, s.parameter(), s.values(), s.aurocs());
  }

  private static Sweep checkSweep(String parameter, double[] values, double[] aurocs) {
    Objects.requireNonNull(parameter, "parameter");
    if (values.length == 0 || values.length != aurocs.length) {
      throw new IllegalArgumentException("sweep of " + parameter + " needs one AUROC per value,"
          + " got " + values.length + " values and " + aurocs.length + " AUROCs");
    }
    for (int i = 0; i < values.length; i++) {
      if (!Double.isFinite(values[i])) {
        throw new IllegalArgumentException("sweep of " + parameter + ": value " + i
            + " is not finite: " + values[i]);
      }
      if (!(Double.isNaN(aurocs[i]) || (aurocs[i] >= 0 && aurocs[i] <= 1))) {
        throw new IllegalArgumentException("sweep of " + parameter + ": AUROC at " + values[i]
            + " must be in [0, 1] or NaN, got " + aurocs[i]);
      }
    }
    return new Sweep(parameter, values.clone(), aurocs.clone());
  }

  // ---------------------------------------------------------------------------------------------
  // Builder
  // ---------------------------------------------------------------------------------------------

  /** Options of an {@link EvaluationReport}; see {@link EvaluationReport#builder}. */
  public static final class Builder {
    private final List<ScoredSample> samples;
    private String title = "PatchCore evaluation";
    private int topK = 5;
    private double threshold = Double.NaN;
    private int resize;
    private int crop;
    private final List<Sweep> sweeps = new ArrayList<>();

    private Builder(List<ScoredSample> samples) {
      this.samples = List.copyOf(Objects.requireNonNull(samples, "samples"));
    }

    /** The page's title. */
    public Builder title(String title) {
      this.title = Objects.requireNonNull(title, "title");
      return this;
    }

    /** How many highest and how many lowest scoring images of each dataset get a map image. */
    public Builder topK(int k) {
      if (k < 0) {
        throw new IllegalArgumentException("topK must not be negative, got " + k);
      }
      this.topK = k;
      return this;
    }

    /**
     * A fixed raw-score threshold for the score plots, instead of each dataset's F1-optimal one.
     */
    public Builder threshold(double threshold) {
      if (!Double.isFinite(threshold)) {
        throw new IllegalArgumentException("threshold must be finite, got " + threshold);
      }
      this.threshold = threshold;
      return this;
    }

    /**
     * The backbone's preprocessing, which decides the part of each image (and mask) that a map
     * covers: a resize of the shorter side, then a centre crop, as in {@code
     * Backbones.Builder}. The default, {@code (0, 0)}, lays each map over the whole image.
     *
     * @param resize the shorter side after resizing, 0 for no resize
     * @param centerCrop the size of the central square cut, 0 for no crop
     */
    public Builder mapGeometry(int resize, int centerCrop) {
      if (resize < 0 || centerCrop < 0) {
        throw new IllegalArgumentException("resize and centre crop must be 0 (off) or positive,"
            + " got " + resize + " and " + centerCrop);
      }
      this.resize = resize;
      this.crop = centerCrop;
      return this;
    }

    /**
     * Adds a plot and a table of AUROC against a swept parameter; see {@link #writeSweepPlot}.
     * May be called once per parameter (a second call for the same parameter replaces the first).
     */
    public Builder sweep(String parameter, double[] values, double[] aurocs) {
      Sweep s = checkSweep(parameter, values, aurocs);
      sweeps.removeIf(old -> old.parameter().equals(s.parameter()));
      sweeps.add(s);
      return this;
    }

    /**
     * Builds the report.
     *
     * @throws IllegalArgumentException if a path appears twice
     */
    public EvaluationReport build() {
      return new EvaluationReport(this);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // HTML
  // ---------------------------------------------------------------------------------------------

  /** Builds the page; every text passes through {@link #escape}. */
  private static final class Html {
    private final StringBuilder b = new StringBuilder();

    Html(String title) {
      b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
          .append(escape(title)).append("</title>\n<style>\n")
          .append("body{font-family:sans-serif;margin:1.5em;color:#222}\n")
          .append("table{border-collapse:collapse;margin:.5em 0}\n")
          .append("td,th{border:1px solid #bbb;padding:.25em .6em;text-align:right}\n")
          .append("td:first-child,th:first-child{text-align:left}\n")
          .append("figure{display:inline-block;margin:.4em;vertical-align:top}\n")
          .append("figcaption{font-size:.8em;max-width:50em;word-break:break-all}\n")
          .append("img{max-width:100%}\n</style>\n</head>\n<body>\n<h1>")
          .append(escape(title)).append("</h1>\n");
    }

    void summary(int images, int datasets, int failed) {
      b.append("<p>").append(images).append(" images in ").append(datasets)
          .append(datasets == 1 ? " dataset" : " datasets").append(", ").append(failed)
          .append(" failed. Files: <a href=\"scores.csv\">scores.csv</a>, ")
          .append("<a href=\"scores.json\">scores.json</a>, ")
          .append("<a href=\"results.csv\">results.csv</a>.</p>\n");
    }

    void resultsTable(List<DatasetResult> rs, DatasetResult mean) {
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
          b.append("<td>").append(Double.isNaN(v) ? "&ndash;" : Charts.format(v)).append("</td>");
        }
        b.append("</tr>\n");
      }
      b.append("</table>\n");
    }

    void plots(String roc, List<String> sweepPlots) {
      if (roc != null) {
        image(roc, "ROC curves");
      }
      for (String sweep : sweepPlots) {
        image(sweep, "AUROC against a swept parameter");
      }
    }

    void image(String rel, String caption) {
      b.append("<figure><a href=\"").append(escape(rel)).append("\"><img src=\"")
          .append(escape(rel)).append("\" alt=\"").append(escape(caption))
          .append("\"></a><figcaption>").append(escape(caption))
          .append("</figcaption></figure>\n");
    }

    void datasetHeading(String name) {
      b.append("<h2>Dataset ").append(escape(name)).append("</h2>\n");
    }

    void mapsHeading(String text) {
      b.append("<h3>").append(escape(text)).append("</h3>\n<div>\n");
    }

    void map(String rel, String rank, ScoredSample s) {
      image(rel, rank + ": score " + Charts.format(s.score().getAsDouble()) + ", "
          + s.sample().group() + ", " + s.path());
    }

    void mapsEnd() {
      b.append("</div>\n");
    }

    void failures(List<ScoredSample> samples) {
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

    void sweepTable(String parameter, double[] values, double[] aurocs) {
      if (parameter == null) {
        return;
      }
      b.append("<h2>AUROC against ").append(escape(parameter)).append("</h2>\n<table>\n<tr><th>")
          .append(escape(parameter)).append("</th><th>AUROC</th></tr>\n");
      for (int i = 0; i < values.length; i++) {
        b.append("<tr><td>").append(escape(Double.toString(values[i]))).append("</td><td>")
            .append(Double.isNaN(aurocs[i]) ? "&ndash;" : Charts.format(aurocs[i]))
            .append("</td></tr>\n");
      }
      b.append("</table>\n");
    }

    String finish() {
      return b.append("</body>\n</html>\n").toString();
    }
  }

  /** Escapes {@code & < > " '} for HTML text and attribute values. */
  static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
