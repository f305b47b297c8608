package io.patchcore;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.patchcore.feature.FeatureExtractor;
import io.patchcore.internal.feature.Embedder;
import io.patchcore.internal.io.Container;
import io.patchcore.internal.io.ContainerReader;
import io.patchcore.internal.io.ContainerWriter;
import io.patchcore.internal.io.HeaderFields;
import io.patchcore.sampling.Sampler;
import io.patchcore.sampling.SamplerSpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * Model files, format version 1: a {@link Container} with the magic {@code PATCHCOR} whose
 * payload is the memory bank, row-major float32 little-endian ({@code 4 * rows * dimension}
 * bytes).
 *
 * <p>Header fields ({@link Header}): {@code library {name, version}}, {@code createdAt} (ISO-8601
 * instant), {@code backbone} (null, or {@code {id, layers, configuration}} of the
 * {@link FeatureExtractor} used to fit; files written before the configuration was recorded lack
 * it), {@code layers} (as configured; empty means all), {@code embeddingLayers} (the layers used),
 * {@code patchSize}, {@code patchStride}, {@code pretrainDimension}, {@code targetDimension},
 * {@code sampler {kind, fraction, projection, starts, description}} (description is for people;
 * the sampler is rebuilt from the other fields), {@code neighbours}, {@code imageScoring},
 * {@code reweightingNeighbours}, {@code anomalyMapSigma}, {@code seed},
 * {@code training {candidatePatches}}, {@code bank {rows, dimension, encoding = "float32-le"}}.
 *
 * <p>Reading checks every header field and that the bank shape matches the file's size before it
 * allocates the bank, then the checksum, then that every bank value is finite; every problem is a
 * {@link ModelFormatException} naming the file.
 */
final class ModelFile {
  static final String MAGIC = "PATCHCOR";
  static final Container FORMAT = Container.of(MAGIC, 1, "model", HeaderFields.Style.QUOTED)
      .recognising(EnsembleFile.MAGIC, "it is an ensemble file: use PatchCoreEnsemble.load");
  static final String ENCODING = "float32-le";

  private static final int MAX_PATCH = 1 << 15;
  private static final int MAX_PRETRAIN_DIMENSION = 1 << 24;
  private static final int MAX_LAYERS = 1024;
  private static final double MAX_SIGMA = 1e6;
  private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;
  private static final int CHUNK = 1 << 16;
  private static final List<String> IMAGE_SCORINGS =
      Arrays.stream(ImageScoring.values()).map(Enum::name).toList();
  private static final String LIBRARY_NAME = "patchcore";
  private static final String LIBRARY_VERSION = libraryVersion();

  private ModelFile() {}

  // ---------------------------------------------------------------- writing

  static void save(PatchCoreModel model, Path file) throws IOException {
    save(model, file, Instant.now(), UnaryOperator.identity());
  }

  /**
   * Saves atomically through a temporary file next to {@code file}; {@code tap} wraps the stream
   * the file is written through (tests inject failures with it).
   */
  static void save(PatchCoreModel model, Path file, Instant createdAt, UnaryOperator<OutputStream> tap)
      throws IOException {
    Objects.requireNonNull(file, "file");
    writer(model, createdAt).save(file, tap);
  }

  /** Writes the whole file to {@code out} (not flushed, not closed). */
  static void write(PatchCoreModel model, OutputStream out, Instant createdAt) throws IOException {
    writer(model, createdAt).writeTo(out);
  }

  /** A writer of {@code model}'s file, its header encoded (and its length known). */
  static ContainerWriter writer(PatchCoreModel model, Instant createdAt) throws IOException {
    Objects.requireNonNull(model, "model");
    float[] bank = model.bank();
    int count = model.bankSize() * model.dimension();
    return FORMAT.writer(Header.of(model, createdAt), (long) Float.BYTES * count, out -> {
      ByteBuffer chunk = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
      for (int off = 0; off < count; ) {
        int n = Math.min(CHUNK / Float.BYTES, count - off);
        chunk.clear();
        chunk.asFloatBuffer().put(bank, off, n);
        out.write(chunk.array(), 0, n * Float.BYTES);
        off += n;
      }
    });
  }

  private static String libraryVersion() {
    try (InputStream in = ModelFile.class.getResourceAsStream("patchcore-version.properties")) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        String v = p.getProperty("version", "");
        if (!v.isBlank() && !v.contains("${")) {
          return v.trim();
        }
      }
    } catch (IOException ignored) {
      // fall through
    }
    return "unknown";
  }

  // ---------------------------------------------------------------- reading

  static PatchCoreModel load(Path file, FeatureExtractor backbone, PatchCore.RunSettings runtime) throws IOException {
    Objects.requireNonNull(file, "file");
    try (ContainerReader r = FORMAT.open(file)) {
      return read(r, backbone, runtime);
    }
  }

  /** The backbone recorded in a model file's header (the bank is not read). */
  static Map<String, String> backboneConfiguration(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    try (ContainerReader r = FORMAT.open(file)) {
      BackboneHeader backbone = header(r).backbone();
      return backbone == null ? Map.of() : backbone.description();
    }
  }

  /** Reads a model file held in memory; {@code name} is used in messages. */
  static PatchCoreModel read(byte[] bytes, String name, FeatureExtractor backbone) throws ModelFormatException {
    try {
      return read(new ByteArrayInputStream(bytes), bytes.length, name, backbone, PatchCore.RunSettings.DEFAULT);
    } catch (ModelFormatException e) {
      throw e;
    } catch (IOException e) {
      throw new ModelFormatException(name, "cannot read: " + e, e);
    }
  }

  /** Reads a model file of {@code size} bytes from {@code in}; {@code name} is used in messages. */
  static PatchCoreModel read(InputStream in, long size, String name, FeatureExtractor backbone,
      PatchCore.RunSettings runtime) throws IOException {
    try (ContainerReader r = FORMAT.open(in, size, name)) {
      return read(r, backbone, runtime);
    }
  }

  private static Header header(ContainerReader r) throws IOException {
    return r.header(root -> Header.parse(root, r.payloadBytes(), r.size()));
  }

  private static PatchCoreModel read(ContainerReader r, FeatureExtractor backbone, PatchCore.RunSettings runtime)
      throws IOException {
    Header h = header(r);
    int dim = h.bank().dimension();
    float[] bank = readBank(r, h.bank().rows() * dim);
    r.finish();
    for (int i = 0; i < bank.length; i++) {
      if (!Float.isFinite(bank[i])) {
        throw r.bad("memory bank value " + bank[i] + " at row " + i / dim + ", column " + i % dim + " is not finite");
      }
    }
    checkBackbone(r, h, backbone);
    try {
      PatchCore config = PatchCore.restore(backbone, h.layers(), h.patchSize(), h.patchStride(),
          h.pretrainDimension(), h.targetDimension(), h.sampler().spec().toSampler(), h.neighbours(),
          ImageScoring.valueOf(h.imageScoring()), h.reweightingNeighbours(), h.anomalyMapSigma(), h.seed(), runtime);
      Embedder embedder = new Embedder(h.embeddingLayers(), h.patchSize(), h.patchStride(), h.pretrainDimension(),
          h.targetDimension());
      return new PatchCoreModel(config, embedder, bank, h.bank().rows(), h.training().candidatePatches());
    } catch (RuntimeException e) {
      throw new ModelFormatException(r.file(), "cannot build the model: " + e.getMessage(), e);
    }
  }

  /** The bank, its size already checked against the file's; read in chunks from the payload. */
  private static float[] readBank(ContainerReader r, int count) throws IOException {
    float[] bank = new float[count];
    InputStream in = r.payload();
    byte[] chunk = new byte[(int) Math.min(CHUNK, (long) count * Float.BYTES)];
    for (int off = 0; off < count; ) {
      int n = Math.min(chunk.length / Float.BYTES, count - off);
      if (in.readNBytes(chunk, 0, n * Float.BYTES) != n * Float.BYTES) {
        throw r.truncated("the memory bank");
      }
      ByteBuffer.wrap(chunk, 0, n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(bank, off, n);
      off += n;
    }
    return bank;
  }

  private static void checkBackbone(ContainerReader r, Header h, FeatureExtractor backbone)
      throws ModelFormatException {
    if (backbone == null) {
      return;
    }
    String given;
    List<String> available;
    try {
      given = backbone.id();
      available = backbone.layerNames();
    } catch (RuntimeException e) {
      throw new ModelFormatException(r.file(), "cannot query the given backbone: " + e.getMessage(), e);
    }
    if (h.backbone() == null) {
      throw r.bad("the model was fitted on feature maps without a backbone, so backbone '" + given
          + "' cannot be checked against it; load it without a backbone and score feature maps");
    }
    if (!h.backbone().id().equals(given)) {
      throw r.bad("the model was fitted with backbone '" + h.backbone().id() + "', but the given backbone is '"
          + given + "'");
    }
    for (String l : h.embeddingLayers()) {
      if (available == null || !available.contains(l)) {
        throw r.bad("backbone '" + given + "' does not produce layer '" + l + "' the model uses; it has " + available);
      }
    }
  }

  // ---------------------------------------------------------------- the header

  /**
   * The header as written and as read back (every field checked); the JSON field names and their
   * order are the components'.
   */
  record Header(Library library, String createdAt, BackboneHeader backbone, List<String> layers,
      List<String> embeddingLayers, int patchSize, int patchStride, int pretrainDimension, int targetDimension,
      SamplerHeader sampler, int neighbours, String imageScoring, int reweightingNeighbours,
      double anomalyMapSigma, long seed, Training training, Bank bank) {

    static Header of(PatchCoreModel model, Instant createdAt) {
      PatchCore c = model.configuration();
      SamplerSpec spec = c.sampler.spec();
      return new Header(new Library(LIBRARY_NAME, LIBRARY_VERSION), createdAt.toString(),
          c.backbone == null ? null : BackboneHeader.of(c.backbone, true), c.layers, model.layers(), c.patchSize,
          c.stride, c.pretrainDimension, c.targetDimension,
          new SamplerHeader(spec.kind(), spec.fraction(), spec.projection(), spec.starts(), c.sampler.description()),
          c.neighbours, c.scoring.name(), c.reweightingNeighbours, c.sigma, c.seed,
          new Training(model.candidateSize()), new Bank(model.bankSize(), model.dimension(), ENCODING));
    }

    /** Checks the bank's shape first, against the {@code bankBytes} the file has, then the rest. */
    static Header parse(HeaderFields root, long bankBytes, long size) throws ModelFormatException {
      HeaderFields bankFields = root.object("bank");
      int rows = bankFields.integer("rows", 1, Integer.MAX_VALUE);
      int dim = bankFields.integer("dimension", 1, Integer.MAX_VALUE);
      if ((long) rows * dim > MAX_ARRAY) {
        throw root.bad("memory bank of " + rows + " x " + dim + " = " + (long) rows * dim
            + " floats exceeds the limit of " + MAX_ARRAY);
      }
      long expected = (long) rows * dim * Float.BYTES;
      if (expected != bankBytes) {
        throw root.bad("memory bank of " + rows + " x " + dim + " float32 needs " + expected + " bytes, but the file"
            + " has " + bankBytes + " bytes between header and checksum (file size " + size
            + "; truncated or damaged?)");
      }
      Bank bank = new Bank(rows, dim, bankFields.oneOf("encoding", List.of(ENCODING)));
      HeaderFields lib = root.object("library");
      Library library = new Library(lib.text("name"), lib.text("version"));
      String createdAt = root.instant("createdAt").toString();
      HeaderFields bb = root.objectOrNull("backbone");
      BackboneHeader backbone = bb == null ? null : BackboneHeader.read(bb, true);
      List<String> layers = root.names("layers", "layer", 0, MAX_LAYERS);
      List<String> embeddingLayers = root.names("embeddingLayers", "layer", 1, MAX_LAYERS);
      if (!layers.isEmpty() && !layers.equals(embeddingLayers)) {
        throw root.bad("header fields 'layers' " + layers + " and 'embeddingLayers' " + embeddingLayers + " differ");
      }
      int patchSize = root.integer("patchSize", 1, MAX_PATCH);
      if (patchSize % 2 == 0) {
        throw root.invalid("patchSize", "must be odd, got " + patchSize);
      }
      int stride = root.integer("patchStride", 1, MAX_PATCH);
      int pretrain = root.integer("pretrainDimension", 1, MAX_PRETRAIN_DIMENSION);
      if ((long) pretrain * embeddingLayers.size() > MAX_ARRAY) {
        throw root.invalid("pretrainDimension", pretrain + " times " + embeddingLayers.size() + " layers exceeds "
            + MAX_ARRAY);
      }
      int target = root.integer("targetDimension", 1, Integer.MAX_VALUE);
      if (dim != target) {
        throw bankFields.invalid("dimension", dim + " differs from 'targetDimension' " + target);
      }
      SamplerHeader sampler = SamplerHeader.parse(root);
      Training training = new Training(root.object("training").integer("candidatePatches", rows, Integer.MAX_VALUE));
      int neighbours = root.integer("neighbours", 1, rows);
      String scoring = root.oneOf("imageScoring", IMAGE_SCORINGS);
      int reweighting = root.integer("reweightingNeighbours", 1,
          ImageScoring.valueOf(scoring) == ImageScoring.REWEIGHTED ? rows : Integer.MAX_VALUE);
      double sigma = root.number("anomalyMapSigma", 0, MAX_SIGMA);
      long seed = root.longInteger("seed", Long.MIN_VALUE, Long.MAX_VALUE);
      return new Header(library, createdAt, backbone, layers, embeddingLayers, patchSize, stride, pretrain, target,
          sampler, neighbours, scoring, reweighting, sigma, seed, training, bank);
    }
  }

  /** Header field {@code library}: the library that wrote the file. */
  record Library(String name, String version) {}

  /** Header field {@code training}. */
  record Training(int candidatePatches) {}

  /** Header field {@code bank}: the payload's shape. */
  record Bank(int rows, int dimension, String encoding) {}

  /** Header field {@code sampler}: its spec, and a description for people. */
  record SamplerHeader(String kind, double fraction, int projection, int starts, String description) {
    SamplerSpec spec() {
      return new SamplerSpec(kind, fraction, projection, starts);
    }

    /** Reads it and checks that it makes a sampler whose spec is the one recorded. */
    static SamplerHeader parse(HeaderFields root) throws ModelFormatException {
      HeaderFields s = root.object("sampler");
      SamplerHeader h = new SamplerHeader(s.text("kind"), s.number("fraction", 0, 1),
          s.integer("projection", 0, Integer.MAX_VALUE), s.integer("starts", 0, Integer.MAX_VALUE),
          s.anyText("description"));
      Sampler sampler;
      try {
        sampler = h.spec().toSampler();
      } catch (IllegalArgumentException e) {
        throw root.invalid("sampler", "is invalid: " + e.getMessage());
      }
      if (!sampler.spec().equals(h.spec())) {
        throw root.invalid("sampler", "{kind=" + h.kind + ", fraction=" + h.fraction + ", projection="
            + h.projection + ", starts=" + h.starts + "} is not consistent: a " + h.kind + " sampler is "
            + sampler.spec());
      }
      return h;
    }
  }

  /**
   * A backbone as model and ensemble headers record it: {@code {id, layers, configuration}}
   * ({@code layers} only in model files).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record BackboneHeader(String id, List<String> layers, Map<String, String> configuration) {
    static BackboneHeader of(FeatureExtractor backbone, boolean withLayers) {
      return new BackboneHeader(backbone.id(), withLayers ? backbone.layerNames() : null,
          new TreeMap<>(backbone.configuration()));
    }

    /**
     * Reads {@code id}, {@code layers} if {@code withLayers}, and {@code configuration}, which
     * model files written before it was recorded lack.
     */
    static BackboneHeader read(HeaderFields bb, boolean withLayers) throws ModelFormatException {
      String id = bb.text("id");
      List<String> layers = withLayers ? bb.names("layers", "layer", 0, MAX_LAYERS) : null;
      Map<String, String> configuration =
          withLayers && !bb.has("configuration") ? Map.of() : bb.textMap("configuration");
      return new BackboneHeader(id, layers, configuration);
    }

    /** How to recreate the backbone: its configuration plus its {@code id}. */
    Map<String, String> description() {
      Map<String, String> out = new TreeMap<>(configuration);
      out.put("id", id);
      return Collections.unmodifiableMap(out);
    }
  }
}
