package io.patchcore.eval.cli;

import io.patchcore.PatchCoreModel;
import io.patchcore.feature.FeatureExtractor;
import io.patchcore.knn.Compute;
import io.patchcore.knn.Computes;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * How a command runs, shared by {@code fit}, {@code sweep}, {@code score}, {@code evaluate} and
 * {@code filter}. None of these settings changes a result.
 */
final class RunOptions {
  @Option(names = "--threads", paramLabel = "N",
      description = "Worker threads for the nearest-neighbour search, the coreset and feature aggregation "
          + "(default: every core). Results do not depend on N.")
  Integer threads;

  @Option(names = "--compute", paramLabel = "auto|jblas|torch",
      description = "The k-NN back end: auto (the fastest exact one on the class path, libtorch here), jblas "
          + "or torch (default: ${DEFAULT-VALUE}). Results do not depend on it. With --device gpu, fit and sweep "
          + "run it on the GPU.")
  String compute = "auto";

  /** Checks the values; a bad one is a usage error naming it. */
  RunOptions check() {
    if (threads != null && threads < 1) {
      throw new Cli.UsageException("--threads must be >= 1, got " + threads);
    }
    computeBackEnd();
    return this;
  }

  /** The back end {@code --compute} names; an unknown name is a usage error naming it. */
  Compute computeBackEnd() {
    try {
      return Computes.named(compute);
    } catch (IllegalArgumentException e) {
      throw new Cli.UsageException("--compute: " + e.getMessage());
    }
  }

  /** Reads {@code model} with these settings and {@code backbone}. */
  PatchCoreModel load(Path model, FeatureExtractor backbone) throws IOException {
    PatchCoreModel.Loader loader = PatchCoreModel.loader().backbone(backbone).compute(computeBackEnd());
    if (threads != null) {
      loader.threads(threads);
    }
    return loader.load(model);
  }
}
