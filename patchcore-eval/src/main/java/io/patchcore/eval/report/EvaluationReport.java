package io.patchcore.eval.report;

import static com.google.common.base.Preconditions.checkArgument;

import io.patchcore.PatchCore;
import io.patchcore.backbones.Backbones;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A report of an evaluation: its {@linkplain EvaluationResults results}, computed from
 * {@linkplain ScoredSample scored samples}, written as a folder of files:
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
 *       {@linkplain Builder#sweep given}, {@code plots/sweep.png} (or, for several swept
 *       parameters, {@code plots/sweep-PARAMETER.png} each);
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
 * written atomically ({@link AtomicFiles}), so a failure leaves complete files or none. {@link
 * EvaluationResults} says which images count for which metric.
 *
 * <p>An instance is immutable; the metrics are computed (reading the masks) on the first call of
 * {@code results().datasets()} or {@link #write}.
 */
public final class EvaluationReport {

  private final String title;
  private final int topK;
  private final double threshold;
  private final List<SweepCurve> sweeps;
  private final EvaluationResults results;

  private EvaluationReport(Builder b) {
    this.title = b.title;
    this.topK = b.topK;
    this.threshold = b.threshold;
    this.sweeps = List.copyOf(b.sweeps);
    this.results = EvaluationResults.of(b.samples, b.resize, b.crop);
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

  /**
   * The results this report shows.
   *
   * @return the results, computed on first use
   */
  public EvaluationResults results() {
    return results;
  }

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
    results.datasets(); // reads the masks: fails before any file is written
    List<Path> written = new ArrayList<>();
    Path scoresCsv = out.resolve("scores.csv");
    ReportFiles.writeScoresCsv(scoresCsv, results.samples());
    written.add(scoresCsv);
    Path scoresJson = out.resolve("scores.json");
    ReportFiles.writeScoresJson(scoresJson, results);
    written.add(scoresJson);
    Path resultsCsv = out.resolve("results.csv");
    ReportFiles.writeResultsCsv(resultsCsv, results);
    written.add(resultsCsv);
    ReportPage page = ReportPage.plan(results, title, topK, threshold, sweeps);
    written.addAll(ReportFiles.writeFigures(out, page));
    Path html = out.resolve("report.html");
    byte[] bytes = HtmlReport.render(page).getBytes(StandardCharsets.UTF_8);
    AtomicFiles.write(html, o -> o.write(bytes));
    written.add(html);
    return List.copyOf(written);
  }

  /** Options of an {@link EvaluationReport}; see {@link EvaluationReport#builder}. */
  public static final class Builder {
    private final List<ScoredSample> samples;
    private String title = "PatchCore evaluation";
    private int topK = 5;
    private double threshold = Double.NaN;
    private int resize;
    private int crop;
    private final List<SweepCurve> sweeps = new ArrayList<>();

    private Builder(List<ScoredSample> samples) {
      this.samples = List.copyOf(Objects.requireNonNull(samples, "samples"));
    }

    /**
     * The page's title.
     *
     * @param title the title, any text (it is escaped)
     * @return this builder
     */
    public Builder title(String title) {
      this.title = Objects.requireNonNull(title, "title");
      return this;
    }

    /**
     * How many highest and how many lowest scoring images of each dataset get a map image.
     *
     * @param k the number of each, 0 for no map images
     * @return this builder
     * @throws IllegalArgumentException if {@code k} is negative
     */
    public Builder topK(int k) {
      checkArgument(k >= 0, "topK must not be negative, got %s", k);
      this.topK = k;
      return this;
    }

    /**
     * A fixed raw-score threshold for the score plots, instead of each dataset's F1-optimal one.
     *
     * @param threshold the threshold, finite
     * @return this builder
     * @throws IllegalArgumentException if the threshold is not finite
     */
    public Builder threshold(double threshold) {
      checkArgument(Double.isFinite(threshold), "threshold must be finite, got %s", threshold);
      this.threshold = threshold;
      return this;
    }

    /**
     * The backbone's preprocessing, which decides the part of each image (and mask) that a map
     * covers: a resize of the shorter side, then a centre crop, as in {@code
     * Backbones.Builder}. The default, {@code (0, 0)}, lays each map over the whole image. See
     * {@link EvaluationResults#of(List, int, int)}.
     *
     * @param resize the shorter side after resizing, 0 for no resize
     * @param centerCrop the size of the central square cut, 0 for no crop
     * @return this builder
     * @throws IllegalArgumentException if a value is negative
     */
    public Builder mapGeometry(int resize, int centerCrop) {
      EvaluationResults.checkGeometry(resize, centerCrop);
      this.resize = resize;
      this.crop = centerCrop;
      return this;
    }

    /**
     * Adds a plot and a table of AUROC against a swept parameter; see {@link
     * ReportFiles#writeSweepPlot}. May be called once per parameter (a second call for the same
     * parameter replaces the first).
     *
     * @param parameter the parameter's name
     * @param values the parameter's values, finite
     * @param aurocs the AUROC at each value, in [0, 1] or NaN
     * @return this builder
     * @throws IllegalArgumentException if the arrays are empty or differ in length, or a value is
     *     out of range
     */
    public Builder sweep(String parameter, double[] values, double[] aurocs) {
      SweepCurve s = SweepCurve.of(parameter, values, aurocs);
      sweeps.removeIf(old -> old.parameter().equals(s.parameter()));
      sweeps.add(s);
      return this;
    }

    /**
     * Builds the report.
     *
     * @return the report; its results are computed when first needed
     * @throws IllegalArgumentException if a path appears twice
     */
    public EvaluationReport build() {
      return new EvaluationReport(this);
    }
  }
}
