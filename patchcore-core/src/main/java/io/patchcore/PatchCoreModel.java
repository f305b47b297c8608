package io.patchcore;

import io.patchcore.feature.FeatureExtractor;
import io.patchcore.feature.FeatureMaps;
import io.patchcore.internal.feature.Bilinear;
import io.patchcore.internal.feature.Embedder;
import io.patchcore.internal.feature.Gaussian;
import io.patchcore.internal.knn.SearchSteps;
import io.patchcore.knn.Compute;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.Objects;

/**
 * A fitted PatchCore model: the configuration plus the memory bank. Immutable and thread-safe;
 * {@link #close()} releases the compute back end's resources (nothing for the CPU back end).
 */
public final class PatchCoreModel implements AutoCloseable {
  private final PatchCore config;
  private final Embedder embedder;
  private final float[] bank;
  private final int bankRows;
  private final int candidateRows;
  private final Compute.NeighbourIndex index;
  private final Gaussian blur;
  /** Where bank rows come from and the training images' descriptors; null if not recorded. */
  private final Provenance provenance;
  /** The calibration of {@link ImageScoring#COMBINED}; null for the other scorings. */
  private final CombinedScoring combined;
  /** The pruned search of {@link #imageScore}; shares the index's back end. */
  private final MaxPatchSearch maxSearch;
  private volatile boolean closed;

  /** The training images an explanation lists. */
  static final int NEAREST_IMAGES = 3;

  PatchCoreModel(PatchCore config, Embedder embedder, float[] bank, int bankRows, int candidateRows) {
    this(config, embedder, bank, bankRows, candidateRows, null, null);
  }

  PatchCoreModel(PatchCore config, Embedder embedder, float[] bank, int bankRows, int candidateRows,
      Provenance provenance, CombinedScoring combined) {
    if (provenance != null && provenance.origins.length != 3L * bankRows) {
      throw new IllegalArgumentException("provenance has " + provenance.origins.length / 3 + " bank rows, the bank "
          + bankRows);
    }
    this.config = config;
    this.embedder = embedder;
    this.bank = bank;
    this.bankRows = bankRows;
    this.candidateRows = candidateRows;
    this.provenance = provenance;
    this.combined = combined;
    this.index = config.compute.neighbourIndex(bank, bankRows, embedder.dimension());
    this.maxSearch = new MaxPatchSearch(config.compute, bank, bankRows, embedder.dimension());
    this.blur = config.sigma > 0 ? new Gaussian(config.sigma, 4.0) : null;
  }

  /** {@code base} with its COMBINED calibration, sharing (and taking over) its index. */
  PatchCoreModel(PatchCoreModel base, CombinedScoring combined) {
    this.config = base.config;
    this.embedder = base.embedder;
    this.bank = base.bank;
    this.bankRows = base.bankRows;
    this.candidateRows = base.candidateRows;
    this.provenance = base.provenance;
    this.combined = combined;
    this.index = base.index;
    this.maxSearch = base.maxSearch;
    this.blur = base.blur;
  }

  /**
   * The configuration this model was fitted with.
   *
   * @return the configuration (for a loaded model, the one recorded in the file with the loader's
   *     run-time settings)
   */
  public PatchCore configuration() {
    return config;
  }

  /**
   * The layers used, in order.
   *
   * @return the layer names the embedding is built from; the first defines the patch grid
   */
  public List<String> layers() {
    return embedder.layers();
  }

  /**
   * Number of memory-bank rows.
   *
   * @return the rows the sampler kept
   */
  public int bankSize() {
    return bankRows;
  }

  /**
   * Number of patches the sampler chose from.
   *
   * @return the number of candidate patches of all training images
   */
  public int candidateSize() {
    return candidateRows;
  }

  /**
   * Length of a memory-bank row.
   *
   * @return the target dimension
   */
  public int dimension() {
    return embedder.dimension();
  }

  /**
   * A copy of the memory bank, row-major {@code bankSize() x dimension()}.
   *
   * @return a new array; changing it does not change this model
   */
  public float[] memoryBank() {
    return bank.clone();
  }

  /**
   * Scores one image with the configured backbone.
   *
   * @param image the image
   * @return the image score, anomaly map and patch scores
   * @throws NullPointerException if {@code image} is null
   * @throws IllegalArgumentException if the backbone cannot use the image (too small, for example)
   *     or its features contain NaN or infinite values
   * @throws IllegalStateException if the model has no backbone or was closed (or the backbone was
   *     closed)
   */
  public AnomalyResult score(BufferedImage image) {
    Objects.requireNonNull(image, "image");
    ensureOpen();
    return scoreFeatures(config.requireBackbone().extract(image));
  }

  /**
   * Reads and scores one image file; errors name the file.
   *
   * @param image the image file
   * @return the image score, anomaly map and patch scores
   * @throws NullPointerException if {@code image} is null
   * @throws java.io.UncheckedIOException naming the file if it cannot be read or decoded
   * @throws IllegalArgumentException naming the file if the backbone cannot use the image (too
   *     small, for example) or its features contain NaN or infinite values
   * @throws IllegalStateException if the model has no backbone, or it or the backbone was closed
   */
  public AnomalyResult score(Path image) {
    return scoreFile(image, this::scoreFeatures);
  }

  /** {@code scorer} applied to the features of {@code image}; argument errors name the file. */
  private <T> T scoreFile(Path image, java.util.function.Function<FeatureMaps, T> scorer) {
    Objects.requireNonNull(image, "image");
    ensureOpen();
    try {
      return scorer.apply(config.requireBackbone().extract(image));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(image + ": " + e.getMessage(), e);
    }
  }

  /**
   * Scores images in order, reporting progress as stage {@code "score"}.
   *
   * @param images the images
   * @return one result per image, in order
   * @throws NullPointerException if {@code images} is null or holds null
   * @throws IllegalArgumentException if the backbone cannot use an image or its features contain
   *     NaN or infinite values
   * @throws IllegalStateException if the model has no backbone, or it or the backbone was closed
   */
  public List<AnomalyResult> scoreAll(List<BufferedImage> images) {
    List<AnomalyResult> out = new ArrayList<>(images.size());
    for (BufferedImage image : images) {
      out.add(score(image));
      config.progress.onProgress("score", out.size(), images.size());
    }
    return out;
  }

  /**
   * Scores feature maps computed elsewhere (they must contain this model's layers).
   *
   * @param maps the feature maps of one image
   * @return the image score, anomaly map (at the maps' input size) and patch scores
   * @throws NullPointerException if {@code maps} is null
   * @throws IllegalArgumentException if a layer is missing or a value is NaN or infinite
   * @throws IllegalStateException if the model was closed
   */
  public AnomalyResult scoreFeatures(FeatureMaps maps) {
    Objects.requireNonNull(maps, "maps");
    ensureOpen();
    Embedder.Embedding emb = embedder.embed(maps, config.executor);
    int n = emb.rows();
    int k = config.neighbours;
    float[] dist = new float[n * k];
    int[] idx = new int[n * k];
    index.search(emb.data(), n, k, dist, idx, config.executor);
    float[] patch = new float[n];
    int worst = 0;
    for (int i = 0; i < n; i++) {
      patch[i] = SearchSteps.mean(dist, i * k, k);
      if (patch[i] > patch[worst]) {
        worst = i;
      }
    }
    double score = patch[worst];
    if (config.scoring == ImageScoring.REWEIGHTED) {
      score *= reweight(emb.data(), worst, idx[worst * k]);
    }
    Optional<Explanation.TrainingPatch> nearestPatch = Optional.empty();
    List<Explanation.TrainingImage> nearestImages = List.of();
    Map<String, Explanation.Component> components = Map.of();
    if (provenance != null) {
      nearestPatch = Optional.of(provenance.patch(idx[worst * k], dist[worst * k]));
      if (provenance.globalDimension > 0) {
        double[] global = provenance.globalDistances(provenance.describe(maps, embedder.layers()), -1);
        nearestImages = provenance.nearestImages(global, NEAREST_IMAGES);
        if (combined != null) {
          double[] raw = {patch[worst], CombinedScoring.topMean(patch, combined.topFraction()),
              Provenance.meanOfNearest(global, combined.globalNeighbours())};
          double[] z = combined.normalise(raw[0], raw[1], raw[2]);
          score = combined.fuse(z);
          Map<String, Explanation.Component> parts = new LinkedHashMap<>();
          parts.put("patchMax", new Explanation.Component(raw[0], z[0]));
          parts.put("patchTopMean", new Explanation.Component(raw[1], z[1]));
          parts.put("global", new Explanation.Component(raw[2], z[2]));
          components = parts;
        }
      }
    }
    Explanation explanation = new Explanation(worst / emb.gridW(), worst % emb.gridW(), patch[worst], nearestPatch,
        nearestImages, components);
    AnomalyMap patchScores = AnomalyMap.wrap(emb.gridH(), emb.gridW(), patch);
    float[] up = Bilinear.resize(patch, emb.gridH(), emb.gridW(), 1, maps.inputHeight(), maps.inputWidth());
    float[] map = blur == null ? up : blur.blur(up, maps.inputHeight(), maps.inputWidth());
    return new AnomalyResult(score, AnomalyMap.wrap(maps.inputHeight(), maps.inputWidth(), map), patchScores,
        explanation);
  }

  /**
   * The image score of {@link #score(Path) score(image)}{@code .score()}, bit for bit, without the
   * anomaly map: under {@link ImageScoring#MAX} and {@link ImageScoring#REWEIGHTED} only the patches
   * that can hold the largest patch score are searched against the whole bank (every patch is first
   * bounded against a fixed sample of {@code 8 sqrt(rows)} bank rows, at least 2,048 and at most an
   * eighth, built on first use), which on normal images is a few percent of them. {@link ImageScoring#COMBINED} needs every patch score
   * and costs what {@code score} does. Banks below 16,384 rows are searched in full.
   *
   * @param image the image file
   * @return the image score
   * @throws NullPointerException if {@code image} is null
   * @throws java.io.UncheckedIOException naming the file if it cannot be read or decoded
   * @throws IllegalArgumentException naming the file if the backbone cannot use the image or its
   *     features contain NaN or infinite values
   * @throws IllegalStateException if the model has no backbone, or it or the backbone was closed
   */
  public double imageScore(Path image) {
    return scoreFile(image, this::imageScoreFeatures);
  }

  /**
   * The image score of {@link #score(BufferedImage) score(image)}{@code .score()}, bit for bit,
   * computed as {@link #imageScore(Path)} describes.
   *
   * @param image the image
   * @return the image score
   * @throws NullPointerException if {@code image} is null
   * @throws IllegalArgumentException if the backbone cannot use the image or its features contain
   *     NaN or infinite values
   * @throws IllegalStateException if the model has no backbone, or it or the backbone was closed
   */
  public double imageScore(BufferedImage image) {
    Objects.requireNonNull(image, "image");
    ensureOpen();
    return imageScoreFeatures(config.requireBackbone().extract(image));
  }

  /**
   * The image score of {@link #scoreFeatures scoreFeatures(maps)}{@code .score()}, bit for bit,
   * computed as {@link #imageScore(Path)} describes.
   *
   * @param maps the feature maps of one image
   * @return the image score
   * @throws NullPointerException if {@code maps} is null
   * @throws IllegalArgumentException if a layer is missing or a value is NaN or infinite
   * @throws IllegalStateException if the model was closed
   */
  public double imageScoreFeatures(FeatureMaps maps) {
    Objects.requireNonNull(maps, "maps");
    ensureOpen();
    if (config.scoring == ImageScoring.COMBINED) {
      return scoreFeatures(maps).score();
    }
    Embedder.Embedding emb = embedder.embed(maps, config.executor);
    MaxPatchSearch.Max max = maxSearch.search(index, emb.data(), emb.rows(), config.neighbours, config.executor);
    double score = max.score();
    if (config.scoring == ImageScoring.REWEIGHTED) {
      score *= reweight(emb.data(), max.patch(), max.neighbours()[0]);
    }
    return score;
  }

  /**
   * The weight of Eq. 7: {@code 1 - softmax(d)[0]} over the Euclidean distances d from the worst
   * patch to m* (its nearest bank row) and to the rows nearest to m*.
   */
  private double reweight(float[] patches, int worst, int mStar) {
    int dim = embedder.dimension();
    int b = config.reweightingNeighbours;
    float[] query = new float[dim];
    System.arraycopy(bank, mStar * dim, query, 0, dim);
    float[] support = new float[b];
    int[] supportIdx = new int[b];
    index.search(query, 1, b, support, supportIdx, null);
    double[] d = new double[b];
    double max = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < b; j++) {
      d[j] = Math.sqrt(SearchSteps.exactSquared(patches, worst * dim, bank, supportIdx[j] * dim, dim));
      max = Math.max(max, d[j]);
    }
    // m* is the first support row unless an identical row has a lower index; its distance is the same
    double sum = 0;
    for (int j = 0; j < b; j++) {
      sum += Math.exp(d[j] - max);
    }
    return 1.0 - Math.exp(d[0] - max) / sum;
  }

  /**
   * Writes this model to {@code file} in model format version 2: the magic {@code PATCHCOR}, the
   * format version, a JSON header (configuration, backbone id, library version, creation time,
   * bank shape, {@link ImageScoring#COMBINED}'s calibration), the memory bank as little-endian
   * float32, the training provenance that {@link Explanation}s use (each bank row's training
   * image and position, each training image's global descriptor and label) and a CRC32C of
   * everything before it. A model without provenance (imported from the reference) is written in
   * version 1, which older versions of this library read.
   * The write is atomic: the data goes to a temporary file in the same folder, is forced to disk
   * and then renamed over {@code file}, so a failed or interrupted save leaves any previous file
   * as it was and no temporary file behind.
   *
   * @param file where to write the model
   * @throws NullPointerException if {@code file} is null
   * @throws IOException naming the file if it cannot be written
   */
  public void save(Path file) throws IOException {
    ModelFile.save(this, file);
  }

  /**
   * Reads a model written by {@link #save}. Everything is checked before the memory bank is
   * allocated, and the checksum before the model is returned.
   *
   * @param file the model file
   * @param backbone the backbone to score images with; it must have the id recorded in the file.
   *     {@code null} gives a model that only scores feature maps ({@link #scoreFeatures}).
   * @return the model, run on the shared worker pool with
   *     {@link io.patchcore.knn.Computes#defaultCompute()}
   * @throws NullPointerException if {@code file} is null
   * @throws ModelFormatException naming the file if it is not a valid model file of a known
   *     format version, or {@code backbone} is not the one the model was fitted with
   * @throws IOException if the file cannot be read
   */
  public static PatchCoreModel load(Path file, FeatureExtractor backbone) throws IOException {
    return ModelFile.load(file, backbone, PatchCore.RunSettings.DEFAULT);
  }

  /**
   * A loader that also sets how the model runs: worker threads or an executor, and the compute back
   * end. {@code PatchCoreModel.loader().backbone(b).threads(4).load(file)}. Scores do not depend on
   * these settings.
   *
   * @return a loader with no backbone and the default run-time settings
   */
  public static Loader loader() {
    return new Loader();
  }

  /** Reads model files with chosen run-time settings; see {@link #loader()}. Not thread-safe. */
  public static final class Loader {
    private FeatureExtractor backbone;
    private int threads = -1;
    private java.util.concurrent.Executor executor;
    private Compute compute;

    private Loader() {}

    /**
     * The backbone to score images with (default: none, {@link #scoreFeatures} only).
     *
     * @param backbone the backbone; it must have the id recorded in the file
     * @return this loader
     * @throws NullPointerException if {@code backbone} is null
     */
    public Loader backbone(FeatureExtractor backbone) {
      this.backbone = Objects.requireNonNull(backbone, "backbone");
      return this;
    }

    /**
     * Worker threads for the nearest-neighbour search, at least 1; 1 searches on the calling
     * thread (default: a shared pool of every core).
     *
     * @param threads the number of threads
     * @return this loader
     * @throws IllegalArgumentException if {@code threads} is below 1
     * @throws IllegalStateException if an executor was set
     */
    public Loader threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be >= 1, got " + threads);
      }
      if (executor != null) {
        throw new IllegalStateException("threads conflicts with the executor already set");
      }
      this.threads = threads;
      return this;
    }

    /**
     * Runs parallel work on this executor (not shut down by the library).
     *
     * @param executor the executor
     * @return this loader
     * @throws NullPointerException if {@code executor} is null
     * @throws IllegalStateException if threads were set
     */
    public Loader executor(java.util.concurrent.Executor executor) {
      if (threads != -1) {
        throw new IllegalStateException("executor conflicts with threads(" + threads + ") already set");
      }
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * The compute back end for the search (default: the CPU back end; precisely
     * {@link io.patchcore.knn.Computes#defaultCompute()}, which is the CPU back end unless a
     * faster provider is on the class path).
     *
     * @param compute the back end
     * @return this loader
     * @throws NullPointerException if {@code compute} is null
     */
    public Loader compute(Compute compute) {
      this.compute = Objects.requireNonNull(compute, "compute");
      return this;
    }

    /**
     * Reads {@code file} as {@link PatchCoreModel#load} does.
     *
     * @param file the model file
     * @return the model, run with this loader's settings
     * @throws NullPointerException if {@code file} is null
     * @throws ModelFormatException naming the file if it is not a valid model file or the backbone
     *     is not the one the model was fitted with
     * @throws IOException if the file cannot be read
     */
    public PatchCoreModel load(Path file) throws IOException {
      return ModelFile.load(file, backbone, new PatchCore.RunSettings(threads, executor, compute));
    }
  }

  /**
   * Reads only the header of a model file and returns how its backbone can be recreated: the
   * backbone's {@link FeatureExtractor#configuration()} as saved, plus its {@code id}. Empty if
   * the model was fitted without a backbone. Use it to rebuild the backbone before {@link #load}.
   *
   * @param file the model file
   * @return the saved backbone configuration plus the key {@code "id"} (unmodifiable, sorted by
   *     key), or an empty map
   * @throws NullPointerException if {@code file} is null
   * @throws ModelFormatException naming the file if its prefix or header is invalid
   * @throws IOException if the file cannot be read
   */
  public static Map<String, String> backboneConfiguration(Path file) throws IOException {
    return ModelFile.backboneConfiguration(file);
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("model is closed");
    }
  }

  /** The memory bank itself (not a copy). */
  float[] bank() {
    return bank;
  }

  /** The search index over the bank. */
  Compute.NeighbourIndex index() {
    return index;
  }

  /** The pruned search of {@link #imageScore}. */
  MaxPatchSearch maxSearch() {
    return maxSearch;
  }

  /** The embedder. */
  Embedder embedder() {
    return embedder;
  }

  /** Where bank rows come from; null if not recorded. */
  Provenance provenance() {
    return provenance;
  }

  /** The COMBINED calibration; null for the other scorings. */
  CombinedScoring combined() {
    return combined;
  }

  /** Releases the compute back end's resources; later scoring throws IllegalStateException. */
  @Override
  public void close() {
    closed = true;
    maxSearch.close();
    index.close();
  }

  @Override
  public String toString() {
    return "PatchCoreModel[bank=" + bankRows + "x" + embedder.dimension() + " of " + candidateRows
        + " patches, " + config + "]";
  }
}
