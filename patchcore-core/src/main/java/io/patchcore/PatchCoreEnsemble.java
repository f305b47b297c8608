package io.patchcore;

import io.patchcore.feature.FeatureExtractor;
import io.patchcore.internal.Draws;
import io.patchcore.internal.image.Images;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Several PatchCore models, each with its own backbone, whose image scores are combined after
 * putting each on a common scale measured on held-out training images. Immutable and thread-safe;
 * {@link #close()} closes the member models (not the backbones, which the caller owns).
 *
 * <h2>Normalisation rule</h2>
 *
 * <ol>
 *   <li>{@link #fit} draws {@code h = max(1, floor(n * calibrationFraction))} of the {@code n}
 *       training images uniformly at random (seeded by {@code seed}); at least one image must be
 *       left. These <em>calibration images</em> are left out of every member's memory bank; each
 *       member is fitted on the other {@code n - h} images, in their given order.
 *   <li>Each member scores the calibration images. Its {@link Calibration} is the median of those
 *       raw scores and a scale: their interquartile range (quartiles interpolated linearly between
 *       order statistics, as numpy's default); if that is 0 (ties, or a single calibration image),
 *       their population standard deviation; if that is 0 too, 1.
 *   <li>Member m's normalised score is {@code (s - median_m) / scale_m}; the ensemble score is the
 *       mean of the members' normalised scores. A member whose raw scores are 1000 times larger
 *       therefore weighs the same as the others.
 *   <li>The ensemble anomaly map applies each member's affine transform to every pixel of its map
 *       and averages the results, when all members' maps have the same size; otherwise there is
 *       none (see {@link EnsembleResult#map()}). As for single models, the map's maximum is not
 *       the image score (the map is blurred), but both are in the same normalised units.
 * </ol>
 *
 * <p>The calibration depends only on the training data and the seed, so a score never depends on
 * what else is scored (the Python reference instead min-max normalises each member over the
 * evaluated test set). With few calibration images the scale is coarse: a fraction that holds out
 * at least 10 images is advisable.
 *
 * <pre>{@code
 * try (PatchCoreEnsemble ensemble = PatchCoreEnsemble.fit(
 *     List.of(PatchCore.builder().backbone(wrn50).seed(1).build(),
 *             PatchCore.builder().backbone(resnet18).seed(1).build()),
 *     trainingImages, 0.1, 42)) {
 *   double score = ensemble.score(image).score();
 * }
 * }</pre>
 */
public final class PatchCoreEnsemble implements AutoCloseable {
  /** The most members an ensemble may have (a bound the file reader relies on). */
  static final int MAX_MEMBERS = 64;

  private final List<PatchCoreModel> members;
  private final List<Calibration> calibrations;
  private final List<Integer> calibrationImages;
  private final int trainingImages;
  private final double calibrationFraction;
  private final long seed;
  private volatile boolean closed;

  /** Takes ownership of {@code members}; the caller validated everything. */
  PatchCoreEnsemble(List<PatchCoreModel> members, List<Calibration> calibrations, List<Integer> calibrationImages,
      int trainingImages, double calibrationFraction, long seed) {
    this.members = List.copyOf(members);
    this.calibrations = List.copyOf(calibrations);
    this.calibrationImages = List.copyOf(calibrationImages);
    this.trainingImages = trainingImages;
    this.calibrationFraction = calibrationFraction;
    this.seed = seed;
  }

  /**
   * One member's affine map from raw to normalised scores: {@code (raw - median) / scale}.
   *
   * @param median the median of the member's raw scores of the calibration images
   * @param scale their spread (see {@link PatchCoreEnsemble}), finite and positive
   */
  public record Calibration(double median, double scale) {
    /**
     * Checks the calibration's values.
     *
     * @param median the median of the member's raw calibration scores, finite
     * @param scale their spread, finite and positive
     * @throws IllegalArgumentException if the median is not finite or the scale not finite and
     *     positive (the message gives the bad value)
     */
    public Calibration {
      if (!Double.isFinite(median)) {
        throw new IllegalArgumentException("calibration median must be finite, got " + median);
      }
      if (!(scale > 0) || !Double.isFinite(scale)) {
        throw new IllegalArgumentException("calibration scale must be finite and > 0, got " + scale);
      }
    }

    /**
     * The normalised score {@code (raw - median) / scale}.
     *
     * @param raw a raw score of this calibration's member
     * @return the score in normalised units
     */
    public double normalise(double raw) {
      return (raw - median) / scale;
    }

    /** The calibration of these raw scores (at least one, all finite), by the class's rule. */
    static Calibration of(double[] scores) {
      if (scores.length == 0) {
        throw new IllegalArgumentException("a calibration needs at least one score, got none");
      }
      double[] s = scores.clone();
      Arrays.sort(s);
      double scale = quantile(s, 0.75) - quantile(s, 0.25);
      if (!(scale > 0)) {
        double mean = 0;
        for (double v : s) {
          mean += v;
        }
        mean /= s.length;
        double var = 0;
        for (double v : s) {
          var += (v - mean) * (v - mean);
        }
        scale = Math.sqrt(var / s.length);
      }
      if (!(scale > 0)) {
        scale = 1;
      }
      return new Calibration(quantile(s, 0.5), scale);
    }

    /** Linear interpolation between the order statistics of sorted {@code s} at rank (n-1)p. */
    private static double quantile(double[] s, double p) {
      double h = (s.length - 1) * p;
      int lo = (int) Math.floor(h);
      int hi = Math.min(lo + 1, s.length - 1);
      return s[lo] + (h - lo) * (s[hi] - s[lo]);
    }
  }

  /**
   * Fits every member on the training images minus a seeded random calibration subset, then
   * calibrates each member on that subset (see the class description).
   *
   * @param members the configurations, each with a backbone; at most 64
   * @param training the normal training images (not modified)
   * @param calibrationFraction the fraction of training images held out for calibration, in (0, 1)
   * @param seed the seed of the hold-out draw (the members' own seeds drive their samplers)
   * @return the fitted and calibrated ensemble
   * @throws NullPointerException if {@code members} or {@code training} is null or holds null
   * @throws IllegalArgumentException if there are no members, too many, a member has no backbone,
   *     the fraction is out of range, too few images are left for the memory banks, or a member
   *     cannot fit or score an image (the message names the member)
   * @throws IllegalStateException if a backbone is closed (the message names the member)
   */
  public static PatchCoreEnsemble fit(List<PatchCore> members, List<BufferedImage> training,
      double calibrationFraction, long seed) {
    Objects.requireNonNull(members, "members");
    Objects.requireNonNull(training, "training");
    if (members.isEmpty()) {
      throw new IllegalArgumentException("an ensemble needs at least one member, got none");
    }
    if (members.size() > MAX_MEMBERS) {
      throw new IllegalArgumentException("an ensemble has at most " + MAX_MEMBERS + " members, got "
          + members.size());
    }
    for (int i = 0; i < members.size(); i++) {
      PatchCore m = Objects.requireNonNull(members.get(i), "member " + i);
      if (m.backbone == null) {
        throw new IllegalArgumentException("ensemble member " + i + " has no backbone: " + m);
      }
    }
    if (!(calibrationFraction > 0 && calibrationFraction < 1)) {
      throw new IllegalArgumentException("calibrationFraction must be in (0, 1), got " + calibrationFraction);
    }
    int n = training.size();
    for (int i = 0; i < n; i++) {
      Objects.requireNonNull(training.get(i), "training image " + i);
    }
    int held = heldOutCount(n, calibrationFraction);
    if (n - held < 1) {
      throw new IllegalArgumentException("calibrationFraction " + calibrationFraction + " of " + n
          + " training images holds out " + held + " for calibration and leaves " + (n - held)
          + " for the memory banks; at least 2 training images are needed");
    }
    int[] heldIdx = drawCalibrationImages(n, held, seed);
    boolean[] isHeld = new boolean[n];
    List<BufferedImage> calibration = new ArrayList<>(held);
    for (int i : heldIdx) {
      isHeld[i] = true;
      calibration.add(training.get(i));
    }
    List<BufferedImage> bankImages = new ArrayList<>(n - held);
    for (int i = 0; i < n; i++) {
      if (!isHeld[i]) {
        bankImages.add(training.get(i));
      }
    }

    List<PatchCoreModel> models = new ArrayList<>(members.size());
    List<Calibration> calibrations = new ArrayList<>(members.size());
    boolean done = false;
    try {
      for (int m = 0; m < members.size(); m++) {
        PatchCore member = members.get(m);
        PatchCoreModel model;
        try {
          model = member.fit(bankImages);
        } catch (IllegalArgumentException | IllegalStateException e) {
          throw memberFailure(m, member.backbone, "fitting", e);
        }
        models.add(model);
        double[] scores = new double[held];
        for (int j = 0; j < held; j++) {
          try {
            scores[j] = model.score(calibration.get(j)).score();
          } catch (IllegalArgumentException | IllegalStateException e) {
            throw memberFailure(m, member.backbone, "scoring calibration image " + heldIdx[j], e);
          }
        }
        calibrations.add(Calibration.of(scores));
      }
      List<Integer> idx = Arrays.stream(heldIdx).boxed().toList();
      PatchCoreEnsemble ensemble = new PatchCoreEnsemble(models, calibrations, idx, n, calibrationFraction, seed);
      done = true;
      return ensemble;
    } finally {
      if (!done) {
        models.forEach(PatchCoreModel::close);
      }
    }
  }

  /** How many of {@code n} images a fraction holds out: {@code max(1, floor(n * fraction))}. */
  static int heldOutCount(int n, double fraction) {
    return Math.max(1, (int) Math.floor(n * fraction));
  }

  /** {@code count} distinct indices in [0, n), drawn with a seeded partial shuffle, ascending. */
  static int[] drawCalibrationImages(int n, int count, long seed) {
    return Draws.randomIndices(n, count, seed);
  }

  private static RuntimeException memberFailure(int m, FeatureExtractor backbone, String what,
      RuntimeException cause) {
    String id;
    try {
      id = backbone == null ? "none" : backbone.id();
    } catch (RuntimeException e) {
      id = "?";
    }
    String text = "ensemble member " + m + " (backbone '" + id + "'), " + what + ": " + cause.getMessage();
    return cause instanceof IllegalStateException ? new IllegalStateException(text, cause)
        : new IllegalArgumentException(text, cause);
  }

  /**
   * The fitted members in order; owned by the ensemble (closing one breaks the ensemble).
   *
   * @return the member models (unmodifiable)
   */
  public List<PatchCoreModel> members() {
    return members;
  }

  /**
   * Each member's calibration, in member order.
   *
   * @return the calibrations (unmodifiable)
   */
  public List<Calibration> calibrations() {
    return calibrations;
  }

  /**
   * The indices, ascending, of the training images held out of the memory banks and used for
   * calibration (indices into the list given to {@link #fit}).
   *
   * @return the held-out indices (unmodifiable)
   */
  public List<Integer> calibrationImages() {
    return calibrationImages;
  }

  int trainingImages() {
    return trainingImages;
  }

  double calibrationFraction() {
    return calibrationFraction;
  }

  long seed() {
    return seed;
  }

  /**
   * Scores one image with every member.
   *
   * @param image the image
   * @return the ensemble score and map, with every member's raw result and normalised score
   * @throws NullPointerException if {@code image} is null
   * @throws IllegalArgumentException naming the member if its backbone cannot use the image
   * @throws IllegalStateException if the ensemble, a member or a backbone was closed
   */
  public EnsembleResult score(BufferedImage image) {
    Objects.requireNonNull(image, "image");
    ensureOpen();
    List<AnomalyResult> results = new ArrayList<>(members.size());
    for (int m = 0; m < members.size(); m++) {
      try {
        results.add(members.get(m).score(image));
      } catch (IllegalArgumentException | IllegalStateException e) {
        throw memberFailure(m, members.get(m).configuration().backbone, "scoring", e);
      }
    }
    return combine(results);
  }

  /**
   * Reads one image file once and scores it with every member; errors name the file.
   *
   * @param image the image file
   * @return the ensemble score and map, with every member's raw result and normalised score
   * @throws NullPointerException if {@code image} is null
   * @throws java.io.UncheckedIOException naming the file if it cannot be read or decoded
   * @throws IllegalArgumentException naming the file and the member if a backbone cannot use it
   * @throws IllegalStateException if the ensemble, a member or a backbone was closed
   */
  public EnsembleResult score(Path image) {
    Objects.requireNonNull(image, "image");
    ensureOpen();
    BufferedImage decoded = Images.read(image);
    try {
      return score(decoded);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(image + ": " + e.getMessage(), e);
    }
  }

  private EnsembleResult combine(List<AnomalyResult> results) {
    int count = results.size();
    List<Double> normalised = new ArrayList<>(count);
    double sum = 0;
    boolean sameSize = true;
    AnomalyMap first = results.get(0).map();
    for (int m = 0; m < count; m++) {
      double s = calibrations.get(m).normalise(results.get(m).score());
      normalised.add(s);
      sum += s;
      AnomalyMap map = results.get(m).map();
      sameSize &= map.height() == first.height() && map.width() == first.width();
    }
    Optional<AnomalyMap> map = Optional.empty();
    if (sameSize) {
      double[] acc = new double[first.height() * first.width()];
      for (int m = 0; m < count; m++) {
        Calibration c = calibrations.get(m);
        float[] v = results.get(m).map().toArray();
        for (int p = 0; p < acc.length; p++) {
          acc[p] += c.normalise(v[p]);
        }
      }
      float[] out = new float[acc.length];
      for (int p = 0; p < acc.length; p++) {
        out[p] = (float) (acc[p] / count);
      }
      map = Optional.of(AnomalyMap.wrap(first.height(), first.width(), out));
    }
    return new EnsembleResult(sum / count, map, results, normalised);
  }

  /**
   * Writes the ensemble to one file, atomically (a temporary file in the same folder, forced to
   * disk, then renamed over {@code file}): the magic {@code PCENSMBL}, the format version, a JSON
   * header (each member's calibration, byte length and backbone; the calibration images, fraction
   * and seed), every member in the {@link PatchCoreModel#save} format, and a CRC32C of everything
   * before it.
   *
   * @param file where to write the ensemble
   * @throws NullPointerException if {@code file} is null
   * @throws IllegalStateException if the ensemble was closed
   * @throws IOException naming the file if it cannot be written (a previous file is left as it was)
   */
  public void save(Path file) throws IOException {
    ensureOpen();
    EnsembleFile.save(this, file);
  }

  /**
   * Reads an ensemble written by {@link #save}; the header, every member and the checksum are
   * checked before it is returned.
   *
   * @param file the ensemble file
   * @param backbones one backbone per member, in member order, each with the id recorded in the
   *     file (see {@link #backboneConfigurations})
   * @return the ensemble, its members run on the shared worker pool with
   *     {@link io.patchcore.knn.Computes#defaultCompute()}
   * @throws NullPointerException if {@code file} or {@code backbones} is null, or a backbone is null
   * @throws ModelFormatException naming the file if it is not a valid ensemble file, or the
   *     backbones are not the members' (wrong number or ids)
   * @throws IOException if the file cannot be read
   */
  public static PatchCoreEnsemble load(Path file, List<FeatureExtractor> backbones) throws IOException {
    return EnsembleFile.load(file, backbones);
  }

  /**
   * Reads only the header of an ensemble file and returns, per member, how its backbone can be
   * recreated: the backbone's {@link FeatureExtractor#configuration()} plus its {@code id}.
   *
   * @param file the ensemble file
   * @return one unmodifiable map per member, in member order, each with the key {@code "id"}
   * @throws NullPointerException if {@code file} is null
   * @throws ModelFormatException naming the file if its prefix or header is invalid
   * @throws IOException if the file cannot be read
   */
  public static List<Map<String, String>> backboneConfigurations(Path file) throws IOException {
    return EnsembleFile.backboneConfigurations(file);
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("ensemble is closed");
    }
  }

  /** Closes every member model; later scoring throws {@link IllegalStateException}. */
  @Override
  public void close() {
    closed = true;
    members.forEach(PatchCoreModel::close);
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("PatchCoreEnsemble[");
    for (int m = 0; m < members.size(); m++) {
      Calibration c = calibrations.get(m);
      b.append(m == 0 ? "" : ", ").append("member ").append(m).append(" (median=").append(c.median())
          .append(", scale=").append(c.scale()).append("): ").append(members.get(m));
    }
    return b.append("; ").append(calibrationImages.size()).append(" of ").append(trainingImages)
        .append(" training images held out (fraction ").append(calibrationFraction).append(", seed ").append(seed)
        .append(")]").toString();
  }
}
