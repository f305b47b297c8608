package io.patchcore.eval.cli;

import io.patchcore.PatchCore;
import io.patchcore.PatchCoreModel;
import io.patchcore.eval.data.Dataset;
import io.patchcore.eval.data.Sample;
import io.patchcore.feature.FeatureExtractor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code patchcore fit DATA --out MODEL}: fits on the training images and saves the model. */
@Command(name = "fit", mixinStandardHelpOptions = true,
    description = "Fit PatchCore on DATA's training images (train/gt, train/good, or a plain folder) and save "
        + "the model.")
final class FitCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DATA", description = "Dataset folder or plain folder of images.")
  Path data;

  @Option(names = "--out", required = true, paramLabel = "MODEL", description = "Model file to write.")
  Path out;

  @Mixin
  BackboneOptions backbone;

  @Mixin
  PatchCoreOptions options;

  @Mixin
  PatchCoreOptions.Swept swept;

  @Override
  public Integer call() throws Exception {
    io.patchcore.backbones.BackboneSpec bspec;
    try {
      bspec = backbone.spec();
      options.build(null, null, swept.patchSize, swept.coreset, swept.neighbours, (s, d, t) -> {});
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new Cli.UsageException(e.getMessage());
    }
    List<Sample> train = Inputs.training(data);
    var err = spec.commandLine().getErr();
    var out = spec.commandLine().getOut();
    List<Sample> failed = new ArrayList<>();
    ConsoleProgress progress = new ConsoleProgress();
    if (bspec.gpu().isPresent() && !"jblas".equalsIgnoreCase(options.run.compute.strip())) {
      options.compute = io.patchcore.torch.TorchCompute.gpu(0);
    }
    long started = System.nanoTime();
    try (FeatureExtractor bb = bspec.open()) {
      // the training images are read lazily, so the fit does not know their number: the progress
      // of "extract" counts towards the readable ones (it would call every batch the last one)
      PatchCore pc = options.build(bb, backbone.layers, swept.patchSize, swept.coreset,
          swept.neighbours, (stage, done, total) -> progress.onProgress(stage, done,
              "extract".equals(stage) ? Math.max(done, train.size() - failed.size()) : total));
      try (PatchCoreModel model = pc.fitLabelled(Inputs.readable(train, err, failed))) {
        model.save(this.out);
        out.printf("fitted %s on %d of %d images: memory bank %d x %d of %d patches -> %s%n", pc, train.size()
            - failed.size(), train.size(), model.bankSize(), model.dimension(), model.candidateSize(), this.out);
        org.slf4j.LoggerFactory.getLogger(FitCommand.class).info("fit took {} s; peak Java heap {} MB of {} MB",
            String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - started) / 1e9), peakHeapBytes() >> 20,
            Runtime.getRuntime().maxMemory() >> 20);
      }
    }
    if (!failed.isEmpty()) {
      err.println("patchcore: " + failed.size() + " of " + train.size() + " training images could not be read");
      return Cli.PARTIAL;
    }
    return Cli.OK;
  }

  /** The sum of the peak usage of the heap's memory pools since the JVM started. */
  static long peakHeapBytes() {
    long peak = 0;
    for (java.lang.management.MemoryPoolMXBean pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == java.lang.management.MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    return peak;
  }
}
