package io.patchcore.eval.cli;

import io.patchcore.feature.FeatureExtractor;
import io.patchcore.PatchCoreModel;
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

  /** Checks the values; a bad one is a usage error naming it. */
  RunOptions check() {
    if (threads != null && threads < 1) {
      throw new Cli.UsageException("--threads must be >= 1, got " + threads);
    }
    return this;
  }

  /** Reads {@code model} with these settings and {@code backbone}. */
  PatchCoreModel load(Path model, FeatureExtractor backbone) throws IOException {
    PatchCoreModel.Loader loader = PatchCoreModel.loader().backbone(backbone);
    if (threads != null) {
      loader.threads(threads);
    }
    return loader.load(model);
  }
}
