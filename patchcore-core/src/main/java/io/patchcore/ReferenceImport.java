package io.patchcore;

import io.patchcore.feature.FeatureExtractor;
import io.patchcore.internal.feature.Embedder;
import io.patchcore.internal.interop.FaissFlatIndex;
import io.patchcore.internal.interop.SafePickle;
import io.patchcore.sampling.Samplers;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Imports a model saved by the Python PatchCore reference ({@code PatchCore.save_to_path} of
 * amazon-science/patchcore-inspection and its forks), so users of that tool can migrate.
 *
 * <p>The folder must hold {@code nnscorer_search_index.faiss} (the memory bank as a faiss
 * {@code IndexFlatL2}) and {@code patchcore_params.pkl} (a pickled dict of parameters). The
 * pickle is read by a minimal reader that accepts only plain data (dicts, lists, tuples, strings,
 * numbers, booleans, None) and refuses every opcode that could import or call anything: nothing
 * in the file is executed.
 *
 * <p>The parameters map to the configuration as follows: {@code layers_to_extract_from} to the
 * layers, {@code patchsize} and {@code patchstride} to the patch size and stride,
 * {@code pretrain_embed_dimension} and {@code target_embed_dimension} to the dimensions, and
 * {@code anomaly_scorer_num_nn} to the neighbours k. The bank is imported as it is (the
 * reference applied its coreset before saving), so the sampler is recorded as
 * {@link Samplers#identity()}; image scoring is {@link ImageScoring#MAX} (the reference's),
 * the anomaly-map sigma 4 and the seed 0. {@code backbone.name} and {@code input_shape}, when
 * present, are checked for type but not used; other keys are ignored.
 *
 * <p><b>The backbone cannot be verified.</b> The reference names its backbone by a Python name
 * (for example {@code wideresnet50}); the caller is responsible for passing the TorchScript export
 * of that same network with the same weights and the same preprocessing (image size, crop,
 * normalisation). Only its layer names are checked. A model imported with another backbone loads
 * and scores, but its scores are meaningless.
 *
 * <p>Note that the reference's own {@code load_from_path} ignores the saved
 * {@code anomaly_scorer_num_nn} (it passes it under a keyword its loader does not read) and
 * scores with k = 1; this import honours the saved value.
 */
public final class ReferenceImport {
  /** The faiss index file the reference saves. */
  static final String INDEX_FILE = "nnscorer_search_index.faiss";
  /** The pickled parameters file the reference saves. */
  static final String PARAMS_FILE = "patchcore_params.pkl";
  /** A params pickle is a few hundred bytes; anything far larger is not one. */
  static final int MAX_PARAMS_BYTES = 1 << 20;

  private static final int MAX_PATCH = 1 << 15;
  private static final int MAX_PRETRAIN_DIMENSION = 1 << 24;
  private static final int MAX_LAYERS = 1024;
  private static final long MAX_FLOATS = Integer.MAX_VALUE - 8;

  private ReferenceImport() {}

  /**
   * Reads the reference model saved in {@code dir} and returns it as a model of this library
   * (which can then be {@linkplain PatchCoreModel#save saved} in this library's format).
   *
   * @param dir the folder {@code save_to_path} wrote (without an ensemble prefix)
   * @param backbone the TorchScript export of the backbone the reference used, or {@code null}
   *     for a model that scores feature maps only; its layer names must include the reference's
   *     layers. It cannot be checked further: see the class description.
   * @return the model: the reference's memory bank (every vector of the index), its patch and
   *     dimension parameters and k, with {@link ImageScoring#MAX} and the default anomaly-map sigma
   * @throws NullPointerException if {@code dir} is null
   * @throws NoSuchFileException if a file is missing
   * @throws ModelFormatException naming the file and the bad value if a file is damaged, of an
   *     unsupported kind, holds anything but plain data, or the parameters do not fit the bank or
   *     the backbone
   * @throws IOException if a file cannot be read
   */
  public static PatchCoreModel importReference(Path dir, FeatureExtractor backbone) throws IOException {
    Objects.requireNonNull(dir, "dir");
    Path paramsFile = require(dir, PARAMS_FILE);
    Path indexFile = require(dir, INDEX_FILE);
    Params p = params(paramsFile);
    String paramsName = paramsFile.toString();
    if (backbone != null) {
      String id;
      List<String> available;
      try {
        id = backbone.id();
        available = backbone.layerNames();
      } catch (RuntimeException e) {
        throw new ModelFormatException(paramsName, "cannot query the given backbone: " + e.getMessage(), e);
      }
      for (String layer : p.layers) {
        if (available == null || !available.contains(layer)) {
          throw new ModelFormatException(paramsName, "the reference model uses layers " + p.layers + " of backbone '"
              + p.backboneName + "', but the given backbone '" + id + "' has layers " + available);
        }
      }
    }
    FaissFlatIndex.Vectors bank = FaissFlatIndex.read(indexFile, p.targetDimension);
    if (p.neighbours > bank.rows()) {
      throw new ModelFormatException(paramsName, "anomaly_scorer_num_nn = " + p.neighbours + " exceeds the "
          + bank.rows() + " vectors of " + indexFile);
    }
    PatchCore config = PatchCore.restore(backbone, p.layers, p.patchSize, p.stride, p.pretrainDimension,
        p.targetDimension, Samplers.identity(), p.neighbours, ImageScoring.MAX,
        PatchCore.DEFAULT_REWEIGHTING_NEIGHBOURS, PatchCore.DEFAULT_SIGMA, 0L, PatchCore.RunSettings.DEFAULT);
    Embedder embedder = new Embedder(p.layers, p.patchSize, p.stride, p.pretrainDimension, p.targetDimension);
    return new PatchCoreModel(config, embedder, bank.data(), bank.rows(), bank.rows());
  }

  private static Path require(Path dir, String file) throws IOException {
    Path path = dir.resolve(file);
    if (Files.isRegularFile(path)) {
      return path;
    }
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(dir.toString(), null, "not a folder holding a reference PatchCore model");
    }
    List<String> prefixed = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + file)) {
      for (Path f : files) {
        prefixed.add(f.getFileName().toString());
      }
    }
    String reason = prefixed.isEmpty()
        ? "the reference PatchCore model folder has no " + file
        : "the folder holds " + prefixed + ": prefixed (ensemble) reference models are not supported";
    throw new NoSuchFileException(path.toString(), null, reason);
  }

  /** The validated parameters. */
  private record Params(String backboneName, List<String> layers, int patchSize, int stride,
      int pretrainDimension, int targetDimension, int neighbours) {}

  private static Params params(Path file) throws IOException {
    String name = file.toString();
    long size = Files.size(file);
    if (size > MAX_PARAMS_BYTES) {
      throw new ModelFormatException(name, "parameters file of " + size + " bytes exceeds the limit of "
          + MAX_PARAMS_BYTES + " (the reference writes a few hundred bytes)");
    }
    Map<Object, Object> dict = SafePickle.readDict(Files.readAllBytes(file), name);
    Fields f = new Fields(name, dict);
    String backboneName = f.optionalText("backbone.name");
    List<String> layers = f.layers("layers_to_extract_from");
    f.shape("input_shape");
    int patchSize = f.integer("patchsize", 1, MAX_PATCH);
    if (patchSize % 2 == 0) {
      throw new ModelFormatException(name, "patchsize = " + patchSize + " is even; only odd patch sizes are"
          + " supported");
    }
    int stride = f.integer("patchstride", 1, MAX_PATCH);
    int pretrain = f.integer("pretrain_embed_dimension", 1, MAX_PRETRAIN_DIMENSION);
    if ((long) pretrain * layers.size() > MAX_FLOATS) {
      throw new ModelFormatException(name, "pretrain_embed_dimension = " + pretrain + " times " + layers.size()
          + " layers exceeds " + MAX_FLOATS);
    }
    int target = f.integer("target_embed_dimension", 1, Integer.MAX_VALUE);
    int k = f.integer("anomaly_scorer_num_nn", 1, Integer.MAX_VALUE);
    return new Params(backboneName, layers, patchSize, stride, pretrain, target, k);
  }

  /** Typed, range-checked values of the parameters dict; messages name the file and the key. */
  private record Fields(String name, Map<Object, Object> dict) {
    Object get(String key) throws ModelFormatException {
      if (!dict.containsKey(key)) {
        throw new ModelFormatException(name, "parameter '" + key + "' is missing (keys: "
            + SafePickle.describe(new ArrayList<>(dict.keySet())) + ")");
      }
      return dict.get(key);
    }

    ModelFormatException bad(String key, String expected, Object got) {
      return new ModelFormatException(name, "parameter '" + key + "' must be " + expected + ", got "
          + SafePickle.describe(got));
    }

    /** An optional non-blank string; "unknown" if absent. */
    String optionalText(String key) throws ModelFormatException {
      if (!dict.containsKey(key)) {
        return "unknown";
      }
      Object v = dict.get(key);
      if (!(v instanceof String s) || s.isBlank()) {
        throw bad(key, "a non-blank string", v);
      }
      return s;
    }

    int integer(String key, int min, int max) throws ModelFormatException {
      Object v = get(key);
      if (v instanceof Long l && l >= min && l <= max) {
        return (int) (long) l;
      }
      throw bad(key, "an integer in [" + min + ", " + max + "]", v);
    }

    List<String> layers(String key) throws ModelFormatException {
      Object v = get(key);
      if (!(v instanceof List<?> list) || list.isEmpty() || list.size() > MAX_LAYERS) {
        throw bad(key, "a list of 1 to " + MAX_LAYERS + " layer names", v);
      }
      List<String> out = new ArrayList<>(list.size());
      Set<String> seen = new HashSet<>();
      for (Object item : list) {
        if (!(item instanceof String s) || s.isBlank()) {
          throw bad(key, "a list of layer names (non-blank strings)", v);
        }
        if (!seen.add(s)) {
          throw bad(key, "a list of distinct layer names", v);
        }
        out.add(s);
      }
      return List.copyOf(out);
    }

    /** An optional (channels, height, width) of positive integers; checked, not used. */
    void shape(String key) throws ModelFormatException {
      if (!dict.containsKey(key)) {
        return;
      }
      Object v = dict.get(key);
      boolean ok = v instanceof List<?> list && list.size() == 3;
      if (ok) {
        for (Object item : (List<?>) v) {
          ok &= item instanceof Long l && l > 0;
        }
      }
      if (!ok) {
        throw bad(key, "a (channels, height, width) tuple of positive integers", v);
      }
    }
  }
}
