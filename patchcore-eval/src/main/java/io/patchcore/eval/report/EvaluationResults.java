package io.patchcore.eval.report;

import static com.google.common.base.Preconditions.checkArgument;

import com.google.common.collect.ImmutableListMultimap;
import com.google.common.collect.Multimaps;
import com.google.common.primitives.Ints;
import io.patchcore.AnomalyMap;
import io.patchcore.backbones.Backbones;
import io.patchcore.eval.metrics.PixelMetrics;
import io.patchcore.eval.metrics.RankingMetrics;
import io.patchcore.internal.image.Images;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metrics of an evaluation, computed from {@linkplain ScoredSample scored samples}: one {@link
 * DatasetResult} per dataset and their mean. Computation only: nothing is written (the
 * ground-truth masks are read to compute the pixel metrics). {@link EvaluationReport} writes and
 * renders these results.
 *
 * <p>Only scored images with a known label count. The instance metrics ({@link
 * RankingMetrics#auroc}, {@link RankingMetrics#averagePrecision}, {@link RankingMetrics#fprAtTpr}
 * at 95%) need both labels. The pixel metrics need a dataset with masks (some sample has one), a
 * map for every counted image and a mask for every anomalous one; a normal image's mask is all
 * zeros. A mask pixel is anomalous when its brightest channel is at least 128; masks are sampled
 * onto the map grid (nearest pixel) after the backbone's resize and centre crop (see {@link
 * #of(List, int, int)}), and must have the size of their image. The full pixel AUROC pools the
 * pixels of all counted images, the anomaly pixel AUROC those of the anomalous ones, and AUPRO
 * ({@link PixelMetrics#aupro(List, List, int, int)}) needs maps of one size. A metric that cannot
 * be computed is NaN, and the reason is logged.
 *
 * <p>An instance is immutable and thread-safe; the metrics are computed (reading the masks) on
 * the first call of {@link #datasets()} or {@link #mean()}.
 */
public final class EvaluationResults {

  private static final Logger LOG = LoggerFactory.getLogger(EvaluationResults.class);

  private final List<ScoredSample> samples;
  private final ImmutableListMultimap<String, ScoredSample> byDataset;
  private final int resize;
  private final int crop;
  private List<DatasetResult> datasets;

  private EvaluationResults(List<ScoredSample> samples, int resize, int crop) {
    checkGeometry(resize, crop);
    List<ScoredSample> sorted = new ArrayList<>(samples);
    Map<String, ScoredSample> seen = new HashMap<>();
    for (ScoredSample s : sorted) {
      ScoredSample before = seen.put(s.path().toString(), s);
      if (before != null) {
        throw new IllegalArgumentException("image " + s.path() + " appears twice in the report"
            + " (datasets " + before.dataset() + " and " + s.dataset() + ")");
      }
    }
    this.byDataset = Multimaps.index(sorted, ScoredSample::dataset);
    sorted.sort(Comparator.comparing(s -> s.path().toString()));
    this.samples = List.copyOf(sorted);
    this.resize = resize;
    this.crop = crop;
  }

  /**
   * The results of the given images, whose maps cover the whole image.
   *
   * @param samples the scored and failed test images, of one or more datasets; each path at most
   *     once
   * @return the results, not yet computed
   * @throws IllegalArgumentException if a path appears twice
   */
  public static EvaluationResults of(List<ScoredSample> samples) {
    return of(samples, 0, 0);
  }

  /**
   * The results of the given images, whose maps cover the part of each image that a backbone with
   * the given preprocessing sees: a resize of the shorter side, then a centre crop, as in {@code
   * Backbones.Builder}. This decides where a mask is sampled for the pixel metrics.
   *
   * @param samples the scored and failed test images, of one or more datasets; each path at most
   *     once
   * @param resize the shorter side after resizing, 0 for no resize
   * @param centerCrop the size of the central square cut, 0 for no crop
   * @return the results, not yet computed
   * @throws IllegalArgumentException if a path appears twice, or resize or crop is negative
   */
  public static EvaluationResults of(List<ScoredSample> samples, int resize, int centerCrop) {
    return new EvaluationResults(List.copyOf(samples), resize, centerCrop);
  }

  /** Checks a backbone's resize and centre crop, as {@link #of(List, int, int)} takes them. */
  static void checkGeometry(int resize, int crop) {
    checkArgument(resize >= 0 && crop >= 0,
        "resize and centre crop must be 0 (off) or positive, got %s and %s", resize, crop);
  }

  /**
   * The images.
   *
   * @return the images, sorted by path
   */
  public List<ScoredSample> samples() {
    return samples;
  }

  /** The images of each dataset, datasets in order of first appearance, images in given order. */
  ImmutableListMultimap<String, ScoredSample> byDataset() {
    return byDataset;
  }

  /** The backbone's resize, 0 for none; see {@link #of(List, int, int)}. */
  int resize() {
    return resize;
  }

  /** The backbone's centre crop, 0 for none; see {@link #of(List, int, int)}. */
  int crop() {
    return crop;
  }

  /**
   * The metrics of each dataset.
   *
   * @return one result per dataset, in order of first appearance among the samples
   * @throws UncheckedIOException naming the file if a mask cannot be read
   */
  public synchronized List<DatasetResult> datasets() {
    if (datasets == null) {
      List<DatasetResult> list = new ArrayList<>();
      for (Map.Entry<String, List<ScoredSample>> e : Multimaps.asMap(byDataset).entrySet()) {
        list.add(compute(e.getKey(), e.getValue()));
      }
      datasets = List.copyOf(list);
    }
    return datasets;
  }

  /**
   * The mean over the datasets.
   *
   * @return the mean of each metric over the datasets where it is not NaN (NaN if none), named
   *     {@code "mean"}; the counts are sums
   * @throws UncheckedIOException naming the file if a mask cannot be read
   */
  public DatasetResult mean() {
    List<DatasetResult> rs = datasets();
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

  /**
   * The F1-optimal threshold of a dataset's labelled scores, or NaN when none is anomalous.
   */
  double f1Threshold(String dataset) {
    Labelled l = Labelled.of(byDataset.get(dataset));
    return Ints.contains(l.labels(), 1)
        ? RankingMetrics.f1OptimalThreshold(l.scores(), l.labels()).threshold() : Double.NaN;
  }

  /** The scored samples of a dataset with a known label, and their scores and labels. */
  record Labelled(List<ScoredSample> samples, double[] scores, int[] labels) {
    static Labelled of(List<ScoredSample> list) {
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

    boolean hasBothLabels() {
      return Ints.contains(labels, 1) && Ints.contains(labels, 0);
    }
  }

  private DatasetResult compute(String name, List<ScoredSample> list) {
    int failed = (int) list.stream().filter(s -> !s.isScored()).count();
    Labelled l = Labelled.of(list);
    double auroc = Double.NaN;
    double ap = Double.NaN;
    double fpr95 = Double.NaN;
    if (l.hasBothLabels()) {
      auroc = RankingMetrics.auroc(l.scores(), l.labels());
      ap = RankingMetrics.averagePrecision(l.scores(), l.labels());
      fpr95 = RankingMetrics.fprAtTpr(l.scores(), l.labels(), 0.95);
    }
    double[] pixel = pixelMetrics(name, l.samples());
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
}
