package io.patchcore.eval.cli;

import io.patchcore.PatchCore;
import io.patchcore.PatchCoreModel;
import io.patchcore.ReferenceImport;
import io.patchcore.feature.FeatureExtractor;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code patchcore import-reference DIR --out MODEL}: migrates a model saved by the Python tool. */
@Command(name = "import-reference", mixinStandardHelpOptions = true,
    description = "Convert a model folder saved by the Python PatchCore (nnscorer_search_index.faiss + "
        + "patchcore_params.pkl, read safely: no pickle code runs) into a model file. Give the --backbone that is "
        + "the TorchScript export of the same network, weights and preprocessing; only its layer names can be checked.")
final class ImportReferenceCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DIR", description = "The reference's saved model folder.")
  Path dir;

  @Option(names = "--out", required = true, paramLabel = "MODEL", description = "Model file to write.")
  Path out;

  @Mixin
  BackboneOptions backbone;

  @Override
  public Integer call() throws Exception {
    io.patchcore.backbones.BackboneSpec bspec;
    try {
      bspec = backbone.spec();
    } catch (IllegalArgumentException e) {
      throw new Cli.UsageException(e.getMessage());
    }
    try (FeatureExtractor bb = bspec.open();
        PatchCoreModel model = ReferenceImport.importReference(dir, bb)) {
      model.save(out);
      spec.commandLine().getOut().printf("imported %s: memory bank %d x %d, layers %s -> %s%n", dir, model.bankSize(),
          model.dimension(), model.layers(), out);
    }
    return Cli.OK;
  }
}
