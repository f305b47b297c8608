package io.patchcore.eval.cli;

import io.patchcore.ImageScoring;
import io.patchcore.PatchCore;
import io.patchcore.ProgressListener;
import io.patchcore.feature.FeatureExtractor;
import io.patchcore.sampling.Sampler;
import io.patchcore.sampling.SamplerSpec;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * The PatchCore options shared by {@code fit} and {@code sweep}; the ones {@code sweep} varies
 * (patch size, coreset fraction, neighbours) are in {@link Swept}.
 */
final class PatchCoreOptions {
  /** The options {@code sweep} takes as lists: single values for {@code fit}. */
  static final class Swept {
    @Option(names = "--patch-size", paramLabel = "P", description = "Patch size, odd (default: ${DEFAULT-VALUE}).")
    int patchSize = 3;

    @Option(names = "--coreset", paramLabel = "FRACTION",
        description = "Fraction of patches the sampler keeps, in (0, 1] (default: ${DEFAULT-VALUE}).")
    double coreset = 0.1;

    @Option(names = "--neighbours", paramLabel = "K",
        description = "Nearest bank rows averaged per patch (default: ${DEFAULT-VALUE}).")
    int neighbours = 1;
  }

  @Option(names = "--stride", paramLabel = "S", description = "Patch stride (default: ${DEFAULT-VALUE}).")
  int stride = 1;

  @Option(names = "--pretrain-dim", paramLabel = "D", description = "Per-layer pooled dimension (default: ${DEFAULT-VALUE}).")
  int pretrainDim = 1024;

  @Option(names = "--target-dim", paramLabel = "D", description = "Feature dimension (default: ${DEFAULT-VALUE}).")
  int targetDim = 1024;

  @Option(names = "--sampler", paramLabel = "KIND",
      description = "identity, random, approx-greedy or greedy (default: ${DEFAULT-VALUE}).")
  String sampler = "approx-greedy";

  @Option(names = "--scoring", paramLabel = "KIND", description = "max, reweighted or combined (default: ${DEFAULT-VALUE}).")
  String scoring = "max";

  @Option(names = "--combined-weights", paramLabel = "MAX,TOP,GLOBAL", split = ",",
      description = "Weights of the combined score's components: worst patch, top-10% patch mean, global "
          + "distance (default 0.25,0,1; only with --scoring combined).")
  java.util.List<Double> combinedWeights;

  @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Option(names = "--feature-cache", paramLabel = "DIR",
      description = "Where patch features go when they pass --feature-budget: a memory-mapped temporary file, "
          + "deleted when the fit ends (default: the system's temporary directory).")
  java.nio.file.Path featureCache;

  @Option(names = "--feature-budget", paramLabel = "MB",
      description = "Megabytes of patch features kept on the heap before they stream to --feature-cache "
          + "(default: a quarter of the maximum heap). The model does not depend on it.")
  Long featureBudget;

  @picocli.CommandLine.Mixin
  RunOptions run;

  /** The compute back end when {@code --device gpu} chose libtorch on the GPU; else {@code --compute}'s. */
  io.patchcore.knn.Compute compute;

  /**
   * The sampler of {@code --sampler} (a kind, or a full spec such as {@code
   * approx-greedy(p=0.1, projection=64, starts=10)}) with {@code --coreset}'s fraction.
   */
  static Sampler sampler(String kind, double fraction) {
    try {
      return SamplerSpec.parse(kind).withFraction(fraction).toSampler();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--sampler / --coreset: " + e.getMessage(), e);
    }
  }

  static ImageScoring scoring(String kind) {
    switch (kind.toLowerCase(Locale.ROOT)) {
      case "max":
        return ImageScoring.MAX;
      case "reweighted":
        return ImageScoring.REWEIGHTED;
      case "combined":
        return ImageScoring.COMBINED;
      default:
        throw new IllegalArgumentException("--scoring must be max, reweighted or combined, got '" + kind + "'");
    }
  }

  /** A configuration from these options; the arguments override the swept ones. */
  PatchCore build(FeatureExtractor backbone, java.util.List<String> layers, int patchSize, double coreset, int k,
      ProgressListener progress) {
    PatchCore.Builder b = PatchCore.builder().patchSize(patchSize).patchStride(stride).pretrainDimension(pretrainDim)
        .targetDimension(targetDim).sampler(sampler(sampler, coreset)).neighbours(k)
        .imageScoring(scoring(scoring)).seed(seed).progressListener(progress);
    if (backbone != null) {
      b.backbone(backbone);
    }
    if (layers != null && !layers.isEmpty()) {
      b.layers(layers.toArray(new String[0]));
    }
    if (run.check().threads != null) {
      b.threads(run.threads);
    }
    if (featureCache != null) {
      b.featureCache(featureCache);
    }
    if (combinedWeights != null) {
      if (combinedWeights.size() != 3) {
        throw new IllegalArgumentException("--combined-weights needs 3 numbers, got " + combinedWeights);
      }
      b.combinedWeights(combinedWeights.get(0), combinedWeights.get(1), combinedWeights.get(2));
    }
    if (featureBudget != null) {
      if (featureBudget < 0) {
        throw new IllegalArgumentException("--feature-budget must be >= 0 MB, got " + featureBudget);
      }
      b.featureMemoryBudget(featureBudget << 20);
    }
    b.compute(compute != null ? compute : run.computeBackEnd());
    return b.build();
  }
}
