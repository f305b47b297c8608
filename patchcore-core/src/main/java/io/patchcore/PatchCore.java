package io.patchcore;

import io.patchcore.feature.FeatureExtractor;
import io.patchcore.feature.FeatureMaps;
import io.patchcore.internal.WorkerPools;
import io.patchcore.internal.feature.Embedder;
import io.patchcore.internal.feature.Gaussian;
import io.patchcore.knn.Compute;
import io.patchcore.knn.Computes;
import io.patchcore.sampling.Sampler;
import io.patchcore.sampling.Samplers;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * An immutable PatchCore configuration. {@link #fit} extracts features of normal (in-distribution)
 * images, subsamples them into a memory bank and returns a {@link PatchCoreModel} that scores new
 * images by their distance to that bank.
 *
 * <pre>{@code
 * try (FeatureExtractor backbone = Backbones.bundledDefault()) {
 *   PatchCoreModel model = PatchCore.builder()
 *       .backbone(backbone)
 *       .patchSize(3)
 *       .sampler(Samplers.approximateGreedy(0.1))
 *       .seed(42)
 *       .build()
 *       .fit(trainingImages);
 *   AnomalyResult r = model.score(image);
 * }
 * }</pre>
 */
public final class PatchCore {
  /** Default patch size (3, as the reference). */
  public static final int DEFAULT_PATCH_SIZE = 3;
  /** Default pretrain and target dimension (1024, as the reference). */
  public static final int DEFAULT_DIMENSION = 1024;
  /** Default number of bank rows the re-weighted score looks at. */
  public static final int DEFAULT_REWEIGHTING_NEIGHBOURS = 9;
  /** Default anomaly-map blur. */
  public static final double DEFAULT_SIGMA = 4.0;


  final FeatureExtractor backbone;
  final List<String> layers;
  final int patchSize;
  final int stride;
  final int pretrainDimension;
  final int targetDimension;
  final Sampler sampler;
  final int neighbours;
  final ImageScoring scoring;
  final int reweightingNeighbours;
  final double sigma;
  final long seed;
  final Executor executor;
  final ProgressListener progress;
  final Compute compute;
  /** Where patch features beyond the budget go during a fit (null: java.io.tmpdir). */
  final java.nio.file.Path featureCache;
  /** Bytes of patch features kept on the heap during a fit (negative: a quarter of the max heap). */
  final long featureMemoryBudget;
  /** The component weights of {@link ImageScoring#COMBINED}. */
  final CombinedScoring.Weights combinedWeights;

  private PatchCore(Builder b) {
    this.backbone = b.backbone;
    this.layers = b.layers == null ? List.of() : b.layers;
    this.patchSize = b.patchSize == UNSET ? DEFAULT_PATCH_SIZE : b.patchSize;
    this.stride = b.stride == UNSET ? 1 : b.stride;
    this.pretrainDimension = b.pretrainDimension == UNSET ? DEFAULT_DIMENSION : b.pretrainDimension;
    this.targetDimension = b.targetDimension == UNSET ? DEFAULT_DIMENSION : b.targetDimension;
    this.sampler = b.sampler == null ? Samplers.approximateGreedy(0.1) : b.sampler;
    this.neighbours = b.neighbours == UNSET ? 1 : b.neighbours;
    this.scoring = b.scoring == null ? ImageScoring.MAX : b.scoring;
    this.reweightingNeighbours =
        b.reweightingNeighbours == UNSET ? DEFAULT_REWEIGHTING_NEIGHBOURS : b.reweightingNeighbours;
    this.sigma = Double.isNaN(b.sigma) ? DEFAULT_SIGMA : b.sigma;
    this.seed = b.seedSet ? b.seed : 0L;
    if (b.executor != null) {
      this.executor = b.executor;
    } else if (b.threads != UNSET) {
      this.executor = b.threads == 1 ? null : WorkerPools.newPool(b.threads);
    } else {
      this.executor = WorkerPools.shared();
    }
    this.progress = b.progress == null ? ProgressListener.NONE : b.progress;
    this.compute = b.compute == null ? Computes.defaultCompute() : b.compute;
    this.featureCache = b.featureCache;
    this.featureMemoryBudget = b.featureMemoryBudget;
    this.combinedWeights = b.combinedWeights == null ? CombinedScoring.DEFAULT_WEIGHTS : b.combinedWeights;
  }

  /** The feature cache directory of a fit. */
  java.nio.file.Path featureCacheDirectory() {
    return featureCache != null ? featureCache : java.nio.file.Path.of(System.getProperty("java.io.tmpdir"));
  }

  /** The heap budget of a fit's patch features, in bytes. */
  long featureBudgetBytes() {
    return featureMemoryBudget >= 0 ? featureMemoryBudget : Runtime.getRuntime().maxMemory() / 4;
  }

  /**
   * A configuration with exactly these values, unchecked (the caller validated them), no progress
   * listener and the given run-time settings: for models read from files.
   */
  static PatchCore restore(FeatureExtractor backbone, List<String> layers, int patchSize, int stride,
      int pretrainDimension, int targetDimension, Sampler sampler, int neighbours, ImageScoring scoring,
      int reweightingNeighbours, double sigma, long seed, RunSettings runtime) {
    Builder b = new Builder();
    b.threads = runtime.threads;
    b.executor = runtime.executor;
    b.compute = runtime.compute;
    b.backbone = backbone;
    b.layers = List.copyOf(layers);
    b.patchSize = patchSize;
    b.stride = stride;
    b.pretrainDimension = pretrainDimension;
    b.targetDimension = targetDimension;
    b.sampler = sampler;
    b.neighbours = neighbours;
    b.scoring = scoring;
    b.reweightingNeighbours = reweightingNeighbours;
    b.sigma = sigma;
    b.seed = seed;
    b.seedSet = true;
    return new PatchCore(b);
  }

  /**
   * How a model read from a file runs: worker threads or an executor (neither: the shared pool of
   * every core) and the compute back end (null: the CPU back end; precisely
   * {@link Computes#defaultCompute()}).
   */
  record RunSettings(int threads, Executor executor, Compute compute) {
    static final RunSettings DEFAULT = new RunSettings(UNSET, null, null);
  }

  /**
   * A new builder with the reference's defaults.
   *
   * @return a builder with no option set
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Patch size p (odd).
   *
   * @return the patch size
   */
  public int patchSize() {
    return patchSize;
  }

  /**
   * Patch stride.
   *
   * @return the stride between neighbouring patches
   */
  public int patchStride() {
    return stride;
  }

  /**
   * Per-layer pooled dimension.
   *
   * @return the dimension each layer's patch is pooled to
   */
  public int pretrainDimension() {
    return pretrainDimension;
  }

  /**
   * Final feature dimension (memory-bank row length).
   *
   * @return the target dimension
   */
  public int targetDimension() {
    return targetDimension;
  }

  /**
   * Layers used, first one is the reference grid; empty means all layers of the feature maps.
   *
   * @return the configured layer names, in order (unmodifiable)
   */
  public List<String> layers() {
    return layers;
  }

  /**
   * The memory-bank sampler.
   *
   * @return the sampler that reduces the candidate bank to the memory bank
   */
  public Sampler sampler() {
    return sampler;
  }

  /**
   * Number of nearest bank rows averaged per patch.
   *
   * @return k, at least 1
   */
  public int neighbours() {
    return neighbours;
  }

  /**
   * How patch scores become an image score.
   *
   * @return the image scoring
   */
  public ImageScoring imageScoring() {
    return scoring;
  }

  /**
   * b of the re-weighted image score.
   *
   * @return the number of bank rows {@link ImageScoring#REWEIGHTED} looks at
   */
  public int reweightingNeighbours() {
    return reweightingNeighbours;
  }

  /**
   * Gaussian sigma of the anomaly map (0 = no blur).
   *
   * @return the blur sigma, finite and at least 0
   */
  public double anomalyMapSigma() {
    return sigma;
  }

  /**
   * Seed of every random choice (samplers).
   *
   * @return the seed (0 unless set)
   */
  public long seed() {
    return seed;
  }

  /**
   * Fits on images: each goes through the backbone.
   *
   * @param images the normal training images, in order
   * @return the fitted model
   * @throws NullPointerException if {@code images} is null
   * @throws IllegalStateException if no backbone was configured; if the backbone throws one (a
   *     closed backbone, for example), with a message that numbers the image from 0; or if the
   *     candidate patches exceed {@code Integer.MAX_VALUE - 8} floats
   * @throws IllegalArgumentException if {@code images} is empty, an image cannot be turned into
   *     features (the message numbers the image from 0), or the sampler keeps fewer bank rows than
   *     the neighbours k (or, with {@link ImageScoring#REWEIGHTED}, than b)
   */
  public PatchCoreModel fit(Iterable<BufferedImage> images) {
    FeatureExtractor bb = requireBackbone();
    return new FitPipeline(this).run(images, image -> () -> bb.extract(image));
  }

  /**
   * A training image with the label explanations give it (for example the path it was read from).
   *
   * @param label the label, not blank
   * @param image the image
   */
  public record LabelledImage(String label, BufferedImage image) {
    /**
     * Checks the parts.
     *
     * @param label the label, not blank
     * @param image the image
     * @throws NullPointerException if a part is null
     * @throws IllegalArgumentException if {@code label} is blank
     */
    public LabelledImage {
      Objects.requireNonNull(label, "label");
      Objects.requireNonNull(image, "image");
      if (label.isBlank()) {
        throw new IllegalArgumentException("label must not be blank");
      }
    }
  }

  /**
   * Fits on images that carry labels: as {@link #fit}, but {@link Explanation}s name each training
   * image by its label (images given to {@link #fit} are {@code "image N"}, files given to
   * {@link #fitPaths} their path).
   *
   * @param images the normal training images with their labels, in order
   * @return the fitted model
   * @throws NullPointerException if {@code images} is null
   * @throws IllegalStateException as {@link #fit}
   * @throws IllegalArgumentException as {@link #fit}
   */
  public PatchCoreModel fitLabelled(Iterable<LabelledImage> images) {
    FeatureExtractor bb = requireBackbone();
    return new FitPipeline(this).run(images, item -> () -> bb.extract(item.image()));
  }

  /**
   * Fits on image files (PNG, JPEG and whatever ImageIO decodes); errors name the file.
   *
   * @param images paths of the normal training images, in order
   * @return the fitted model
   * @throws NullPointerException if {@code images} is null
   * @throws IllegalStateException if no backbone was configured; if the backbone throws one (a
   *     closed backbone, for example), with a message that numbers the image from 0 and names the
   *     file; or if the candidate patches exceed {@code Integer.MAX_VALUE - 8} floats
   * @throws IllegalArgumentException if {@code images} is empty, a file cannot be read or turned
   *     into features (the message numbers the image from 0 and names the file), or the sampler
   *     keeps fewer bank rows than the neighbours k (or, with {@link ImageScoring#REWEIGHTED}, than
   *     b)
   */
  public PatchCoreModel fitPaths(Iterable<Path> images) {
    FeatureExtractor bb = requireBackbone();
    return new FitPipeline(this).run(images, path -> () -> bb.extract(path));
  }

  /**
   * Fits on feature maps computed elsewhere (no backbone needed).
   *
   * @param features the feature maps of the normal training images, in order
   * @return the fitted model
   * @throws NullPointerException if {@code features} is null
   * @throws IllegalStateException if the candidate patches exceed {@code Integer.MAX_VALUE - 8}
   *     floats
   * @throws IllegalArgumentException if {@code features} is empty, a feature map cannot be embedded
   *     (the message numbers it from 0), or the sampler keeps fewer bank rows than the neighbours k
   *     (or, with {@link ImageScoring#REWEIGHTED}, than b)
   */
  public PatchCoreModel fitFeatures(Iterable<FeatureMaps> features) {
    return new FitPipeline(this).run(features, maps -> () -> maps);
  }

  FeatureExtractor requireBackbone() {
    if (backbone == null) {
      throw new IllegalStateException("no backbone configured: set PatchCore.builder().backbone(...) "
          + "or use fitFeatures/scoreFeatures");
    }
    return backbone;
  }

  Embedder embedderFor(FeatureMaps first) {
    List<String> use = layers.isEmpty() ? first.layerNames() : layers;
    return new Embedder(use, patchSize, stride, pretrainDimension, targetDimension);
  }



  @Override
  public String toString() {
    return "PatchCore[layers=" + (layers.isEmpty() ? "all" : layers) + ", patchSize=" + patchSize + ", stride="
        + stride + ", pretrainDim=" + pretrainDimension + ", targetDim=" + targetDimension + ", sampler="
        + sampler.description() + ", k=" + neighbours + ", scoring=" + scoring
        + (scoring == ImageScoring.REWEIGHTED ? "(b=" + reweightingNeighbours + ")" : "")
        + (scoring == ImageScoring.COMBINED ? "(weights=" + combinedWeights.patchMax() + ","
            + combinedWeights.patchTopMean() + "," + combinedWeights.global() + ")" : "") + ", sigma=" + sigma
        + ", seed=" + seed + ", compute=" + compute.name() + "]";
  }

  private static final int UNSET = -1;

  /**
   * Builds a {@link PatchCore}. Each option may be set once: a value out of range throws
   * {@link IllegalArgumentException} naming it, a second set or a conflicting option throws
   * {@link IllegalStateException}; checks across options happen in {@link #build()}.
   */
  public static final class Builder {
    private FeatureExtractor backbone;
    private List<String> layers;
    private int patchSize = UNSET;
    private int stride = UNSET;
    private int pretrainDimension = UNSET;
    private int targetDimension = UNSET;
    private Sampler sampler;
    private int neighbours = UNSET;
    private ImageScoring scoring;
    private int reweightingNeighbours = UNSET;
    private double sigma = Double.NaN;
    private long seed;
    private boolean seedSet;
    private int threads = UNSET;
    private Executor executor;
    private ProgressListener progress;
    private Compute compute;
    private java.nio.file.Path featureCache;
    private long featureMemoryBudget = UNSET;
    private CombinedScoring.Weights combinedWeights;

    private Builder() {}

    private static void once(boolean alreadySet, String option) {
      if (alreadySet) {
        throw new IllegalStateException(option + " was already set");
      }
    }

    /**
     * The backbone that turns images into feature maps (not owned: the caller closes it).
     *
     * @param backbone the feature extractor
     * @return this builder
     * @throws NullPointerException if {@code backbone} is null
     * @throws IllegalStateException if the backbone was already set
     */
    public Builder backbone(FeatureExtractor backbone) {
      once(this.backbone != null, "backbone");
      this.backbone = Objects.requireNonNull(backbone, "backbone");
      return this;
    }

    /**
     * The layers to use, in order; the first defines the patch grid. Default: all layers of the
     * backbone (or of the feature maps).
     *
     * @param layers the layer names, at least one, none blank, none repeated
     * @return this builder
     * @throws NullPointerException if {@code layers} is null
     * @throws IllegalArgumentException if no layer is given, a name is null or blank, or a name is
     *     given twice (the message names it)
     * @throws IllegalStateException if the layers were already set
     */
    public Builder layers(String... layers) {
      once(this.layers != null, "layers");
      Objects.requireNonNull(layers, "layers");
      if (layers.length == 0) {
        throw new IllegalArgumentException("layers must name at least one layer, got none");
      }
      Set<String> seen = new HashSet<>();
      for (String l : layers) {
        if (l == null || l.isBlank()) {
          throw new IllegalArgumentException("layer names must not be blank, got '" + l + "'");
        }
        if (!seen.add(l)) {
          throw new IllegalArgumentException("layer '" + l + "' is named twice");
        }
      }
      this.layers = List.of(layers);
      return this;
    }

    /**
     * Patch size p, odd and at least 1 (default 3).
     *
     * @param patchSize the patch size
     * @return this builder
     * @throws IllegalArgumentException if {@code patchSize} is even or below 1
     * @throws IllegalStateException if the patch size was already set
     */
    public Builder patchSize(int patchSize) {
      once(this.patchSize != UNSET, "patchSize");
      if (patchSize < 1 || patchSize % 2 == 0) {
        throw new IllegalArgumentException("patchSize must be odd and >= 1, got " + patchSize);
      }
      this.patchSize = patchSize;
      return this;
    }

    /**
     * Patch stride, at least 1 (default 1; the fork uses p/2).
     *
     * @param stride the stride between neighbouring patches
     * @return this builder
     * @throws IllegalArgumentException if {@code stride} is below 1
     * @throws IllegalStateException if the stride was already set
     */
    public Builder patchStride(int stride) {
      once(this.stride != UNSET, "patchStride");
      if (stride < 1) {
        throw new IllegalArgumentException("patchStride must be >= 1, got " + stride);
      }
      this.stride = stride;
      return this;
    }

    /**
     * Dimension each layer's patch is pooled to (default 1024).
     *
     * @param dimension the pooled dimension, at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code dimension} is below 1
     * @throws IllegalStateException if the pretrain dimension was already set
     */
    public Builder pretrainDimension(int dimension) {
      once(this.pretrainDimension != UNSET, "pretrainDimension");
      if (dimension < 1) {
        throw new IllegalArgumentException("pretrainDimension must be >= 1, got " + dimension);
      }
      this.pretrainDimension = dimension;
      return this;
    }

    /**
     * Final feature dimension (default 1024).
     *
     * @param dimension the memory-bank row length, at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code dimension} is below 1
     * @throws IllegalStateException if the target dimension was already set
     */
    public Builder targetDimension(int dimension) {
      once(this.targetDimension != UNSET, "targetDimension");
      if (dimension < 1) {
        throw new IllegalArgumentException("targetDimension must be >= 1, got " + dimension);
      }
      this.targetDimension = dimension;
      return this;
    }

    /**
     * Memory-bank sampler (default {@code Samplers.approximateGreedy(0.1)}).
     *
     * @param sampler the sampler that reduces the candidate bank to the memory bank
     * @return this builder
     * @throws NullPointerException if {@code sampler} is null
     * @throws IllegalStateException if the sampler was already set
     */
    public Builder sampler(Sampler sampler) {
      once(this.sampler != null, "sampler");
      this.sampler = Objects.requireNonNull(sampler, "sampler");
      return this;
    }

    /**
     * Number k of nearest bank rows averaged per patch, at least 1 (default 1).
     *
     * @param k the number of neighbours
     * @return this builder
     * @throws IllegalArgumentException if {@code k} is below 1
     * @throws IllegalStateException if the neighbours were already set
     */
    public Builder neighbours(int k) {
      once(this.neighbours != UNSET, "neighbours");
      if (k < 1) {
        throw new IllegalArgumentException("neighbours must be >= 1, got " + k);
      }
      this.neighbours = k;
      return this;
    }

    /**
     * How patch scores become an image score (default {@link ImageScoring#MAX}).
     *
     * @param scoring the image scoring
     * @return this builder
     * @throws NullPointerException if {@code scoring} is null
     * @throws IllegalStateException if the image scoring was already set
     */
    public Builder imageScoring(ImageScoring scoring) {
      once(this.scoring != null, "imageScoring");
      this.scoring = Objects.requireNonNull(scoring, "imageScoring");
      return this;
    }

    /**
     * b of {@link ImageScoring#REWEIGHTED}, at least 1 (default 9); only with that scoring.
     *
     * @param b the number of bank rows the re-weighted score looks at
     * @return this builder
     * @throws IllegalArgumentException if {@code b} is below 1
     * @throws IllegalStateException if it was already set ({@link #build()} also throws it when the
     *     image scoring is not {@link ImageScoring#REWEIGHTED})
     */
    public Builder reweightingNeighbours(int b) {
      once(this.reweightingNeighbours != UNSET, "reweightingNeighbours");
      if (b < 1) {
        throw new IllegalArgumentException("reweightingNeighbours must be >= 1, got " + b);
      }
      this.reweightingNeighbours = b;
      return this;
    }

    /**
     * Gaussian sigma of the anomaly map, finite and &gt;= 0; 0 disables the blur (default 4).
     *
     * @param sigma the blur sigma
     * @return this builder
     * @throws IllegalArgumentException if {@code sigma} is negative, infinite or NaN
     * @throws IllegalStateException if the sigma was already set
     */
    public Builder anomalyMapSigma(double sigma) {
      once(!Double.isNaN(this.sigma), "anomalyMapSigma");
      if (!(sigma >= 0) || !Double.isFinite(sigma)) {
        throw new IllegalArgumentException("anomalyMapSigma must be finite and >= 0, got " + sigma);
      }
      this.sigma = sigma;
      return this;
    }

    /**
     * Seed of every random choice (samplers); default 0.
     *
     * @param seed the seed
     * @return this builder
     * @throws IllegalStateException if the seed was already set
     */
    public Builder seed(long seed) {
      once(seedSet, "seed");
      this.seed = seed;
      this.seedSet = true;
      return this;
    }

    /**
     * Number of worker threads, at least 1 (default: available processors). With 1, the library's
     * parallel work runs on the calling thread.
     *
     * @param threads the number of threads
     * @return this builder
     * @throws IllegalArgumentException if {@code threads} is below 1
     * @throws IllegalStateException if the threads were already set, or an executor was set
     */
    public Builder threads(int threads) {
      once(this.threads != UNSET, "threads");
      if (executor != null) {
        throw new IllegalStateException("threads conflicts with the executor already set");
      }
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be >= 1, got " + threads);
      }
      this.threads = threads;
      return this;
    }

    /**
     * Runs parallel work on this executor (not shut down by the library).
     *
     * @param executor the executor
     * @return this builder
     * @throws NullPointerException if {@code executor} is null
     * @throws IllegalStateException if the executor was already set, or threads were set
     */
    public Builder executor(Executor executor) {
      once(this.executor != null, "executor");
      if (threads != UNSET) {
        throw new IllegalStateException("executor conflicts with threads(" + threads + ") already set");
      }
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Receives progress of extraction, coreset selection and batch scoring.
     *
     * @param listener the listener (default {@link ProgressListener#NONE})
     * @return this builder
     * @throws NullPointerException if {@code listener} is null
     * @throws IllegalStateException if the listener was already set
     */
    public Builder progressListener(ProgressListener listener) {
      once(this.progress != null, "progressListener");
      this.progress = Objects.requireNonNull(listener, "progressListener");
      return this;
    }

    /**
     * The compute back end of the hot kernels (default {@link Computes#defaultCompute()}).
     *
     * @param compute the back end
     * @return this builder
     * @throws NullPointerException if {@code compute} is null
     * @throws IllegalStateException if the compute back end was already set
     */
    public Builder compute(Compute compute) {
      once(this.compute != null, "compute");
      this.compute = Objects.requireNonNull(compute, "compute");
      return this;
    }

    /**
     * Where a fit streams its patch features when they exceed the memory budget (default: the
     * directory of {@code java.io.tmpdir}). The temporary file is deleted when the fit ends, on
     * failure too. Not part of a saved model.
     *
     * @param directory an existing or creatable directory
     * @return this builder
     * @throws NullPointerException if {@code directory} is null
     * @throws IllegalArgumentException if {@code directory} exists and is not a directory
     * @throws IllegalStateException if the feature cache was already set
     */
    public Builder featureCache(java.nio.file.Path directory) {
      once(this.featureCache != null, "featureCache");
      Objects.requireNonNull(directory, "featureCache");
      if (java.nio.file.Files.exists(directory) && !java.nio.file.Files.isDirectory(directory)) {
        throw new IllegalArgumentException("feature cache " + directory + " is not a directory");
      }
      this.featureCache = directory;
      return this;
    }

    /**
     * The most bytes of patch features a fit keeps on the heap before it streams them to a
     * memory-mapped file in the {@link #featureCache feature cache} (default: a quarter of the
     * maximum heap). The fitted model is the same either way, bit for bit. Not part of a saved
     * model.
     *
     * @param bytes at least 0 (0 streams every feature to the file)
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is negative
     * @throws IllegalStateException if the budget was already set
     */
    public Builder featureMemoryBudget(long bytes) {
      once(this.featureMemoryBudget != UNSET, "featureMemoryBudget");
      if (bytes < 0) {
        throw new IllegalArgumentException("feature memory budget must be >= 0 bytes, got " + bytes);
      }
      this.featureMemoryBudget = bytes;
      return this;
    }

    /**
     * The weights of {@link ImageScoring#COMBINED}'s normalised components in its score (default
     * 0.25, 0, 1: chosen on validation splits of the training data, see
     * {@code patchcore-eval/BENCHMARKS.md}); only with that scoring. Raise {@code patchMax} when
     * anomalies are local defects rather than whole-image differences. Stored in the model file.
     *
     * @param patchMax the weight of the worst patch score, finite and &gt;= 0
     * @param patchTopMean the weight of the top-10% patch score mean, finite and &gt;= 0
     * @param global the weight of the global distance, finite and &gt;= 0
     * @return this builder
     * @throws IllegalArgumentException if a weight is negative, infinite or NaN, or all are 0
     * @throws IllegalStateException if the weights were already set ({@link #build()} also throws
     *     it when the image scoring is not {@link ImageScoring#COMBINED})
     */
    public Builder combinedWeights(double patchMax, double patchTopMean, double global) {
      once(this.combinedWeights != null, "combinedWeights");
      this.combinedWeights = new CombinedScoring.Weights(patchMax, patchTopMean, global);
      return this;
    }

    /**
     * Checks the options together and builds the configuration.
     *
     * @return the configuration, with defaults for the options not set
     * @throws IllegalStateException if options contradict each other or the backbone: re-weighting
     *     neighbours without {@link ImageScoring#REWEIGHTED}, or a layer the backbone does not
     *     produce (the message names it)
     */
    public PatchCore build() {
      if (combinedWeights != null && scoring != ImageScoring.COMBINED) {
        throw new IllegalStateException("combinedWeights needs imageScoring(COMBINED), got "
            + (scoring == null ? ImageScoring.MAX : scoring));
      }
      if (reweightingNeighbours != UNSET && scoring != ImageScoring.REWEIGHTED) {
        throw new IllegalStateException("reweightingNeighbours(" + reweightingNeighbours
            + ") needs imageScoring(REWEIGHTED), got " + (scoring == null ? ImageScoring.MAX : scoring));
      }
      if (backbone != null && layers != null) {
        List<String> available = backbone.layerNames();
        for (String l : layers) {
          if (!available.contains(l)) {
            throw new IllegalStateException("layer '" + l + "' is not produced by backbone " + backbone.id()
                + "; it has " + available);
          }
        }
      }
      return new PatchCore(this);
    }
  }
}
