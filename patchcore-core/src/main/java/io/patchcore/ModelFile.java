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
 * Model files, format versions 1 and 2: a {@link Container} with the magic {@code PATCHCOR} whose
 * payload is the memory bank, row-major float32 little-endian ({@code 4 * rows * dimension}
 * bytes), followed in version 2 by the training provenance.
 *
 * <p>Version 2 adds the header fields {@code provenance {images, globalDimension, descriptor,
 * labelsBytes, encoding}} (descriptor: the global descriptor's spec, such as
 * {@code "mean,std,grid2"}) and, with {@code imageScoring} COMBINED, {@code combined {topFraction,
 * globalNeighbours, calibrationImages, patchMax, patchTopMean, global, weights}} (each component
 * {@code {median, scale}}; {@code weights {patchMax, patchTopMean, global}}). The provenance sections follow the bank: per bank row its training
 * image, grid row and grid column (int32), per training image its patch-grid height and width
 * (int32), per training image its global descriptor ({@code globalDimension} float32), and the
 * training image labels as a UTF-8 JSON array of {@code images} strings ({@code labelsBytes}
 * bytes). A model without provenance (imported from the reference) is written as version 1.
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
  static final Container FORMAT = Container.of(MAGIC, 2, "model", HeaderFields.Style.QUOTED).readingFrom(1)
      .recognising(EnsembleFile.MAGIC, "it is an ensemble file: use PatchCoreEnsemble.load");
  /** Files without provenance are written as version 1, which older versions of the library read. */
  static final Container FORMAT_V1 = Container.of(MAGIC, 1, "model", HeaderFields.Style.QUOTED);
  /** Most bytes of training-image labels a file may hold. */
  private static final long MAX_LABEL_BYTES = 1L << 30;
  private static final com.fasterxml.jackson.databind.ObjectMapper LABELS_JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();
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
    Provenance p = model.provenance();
    byte[] labels = p == null ? new byte[0] : LABELS_JSON.writeValueAsBytes(p.labels);
    Header header = Header.of(model, createdAt, labels.length);
    return (p == null ? FORMAT_V1 : FORMAT).writer(header, header.payloadBytes(), out -> {
      ByteBuffer chunk = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
      writeFloats(bank, count, chunk, out);
      if (p != null) {
        writeInts(p.origins, chunk, out);
        writeInts(p.grids, chunk, out);
        writeFloats(p.globals, p.globals.length, chunk, out);
        out.write(labels);
      }
    });
  }

  private static void writeFloats(float[] values, int count, ByteBuffer chunk, OutputStream out) throws IOException {
    for (int off = 0; off < count; ) {
      int n = Math.min(CHUNK / Float.BYTES, count - off);
      chunk.clear();
      chunk.asFloatBuffer().put(values, off, n);
      out.write(chunk.array(), 0, n * Float.BYTES);
      off += n;
    }
  }

  private static void writeInts(int[] values, ByteBuffer chunk, OutputStream out) throws IOException {
    for (int off = 0; off < values.length; ) {
      int n = Math.min(CHUNK / Integer.BYTES, values.length - off);
      chunk.clear();
      chunk.asIntBuffer().put(values, off, n);
      out.write(chunk.array(), 0, n * Integer.BYTES);
      off += n;
    }
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
    return r.header(root -> Header.parse(root, r.version(), r.payloadBytes(), r.size()));
  }

  private static PatchCoreModel read(ContainerReader r, FeatureExtractor backbone, PatchCore.RunSettings runtime)
      throws IOException {
    Header h = header(r);
    int dim = h.bank().dimension();
    InputStream in = r.payload();
    float[] bank = readFloats(r, in, h.bank().rows() * dim, "the memory bank");
    ProvenanceHeader ph = h.provenance();
    int[] origins = null;
    int[] grids = null;
    float[] globals = null;
    byte[] labelBytes = null;
    if (ph != null) {
      origins = readInts(r, in, 3 * h.bank().rows(), "the memory-bank origins");
      grids = readInts(r, in, 2 * ph.images(), "the training patch grids");
      globals = readFloats(r, in, ph.images() * ph.globalDimension(), "the training image descriptors");
      labelBytes = in.readNBytes((int) ph.labelsBytes());
      if (labelBytes.length != ph.labelsBytes()) {
        throw r.truncated("the training image labels");
      }
    }
    r.finish();
    for (int i = 0; i < bank.length; i++) {
      if (!Float.isFinite(bank[i])) {
        throw r.bad("memory bank value " + bank[i] + " at row " + i / dim + ", column " + i % dim + " is not finite");
      }
    }
    Provenance provenance = ph == null ? null : provenance(r, ph, origins, grids, globals, labelBytes);
    checkBackbone(r, h, backbone);
    try {
      PatchCore config = PatchCore.restore(backbone, h.layers(), h.patchSize(), h.patchStride(),
          h.pretrainDimension(), h.targetDimension(), h.sampler().spec().toSampler(), h.neighbours(),
          ImageScoring.valueOf(h.imageScoring()), h.reweightingNeighbours(), h.anomalyMapSigma(), h.seed(), runtime);
      Embedder embedder = new Embedder(h.embeddingLayers(), h.patchSize(), h.patchStride(), h.pretrainDimension(),
          h.targetDimension());
      CombinedHeader ch = h.combined();
      CombinedScoring combined = ch == null ? null : new CombinedScoring(ch.topFraction(), ch.globalNeighbours(),
          ch.calibrationImages(), ch.patchMax().calibration(), ch.patchTopMean().calibration(),
          ch.global().calibration(), new CombinedScoring.Weights(ch.weights().patchMax(),
          ch.weights().patchTopMean(), ch.weights().global()));
      return new PatchCoreModel(config, embedder, bank, h.bank().rows(), h.training().candidatePatches(), provenance,
          combined);
    } catch (RuntimeException e) {
      throw new ModelFormatException(r.file(), "cannot build the model: " + e.getMessage(), e);
    }
  }

  /** Floats whose count was checked against the file's size; read in chunks from the payload. */
  private static float[] readFloats(ContainerReader r, InputStream in, int count, String what) throws IOException {
    float[] values = new float[count];
    byte[] chunk = new byte[(int) Math.max(Float.BYTES, Math.min(CHUNK, (long) count * Float.BYTES))];
    for (int off = 0; off < count; ) {
      int n = Math.min(chunk.length / Float.BYTES, count - off);
      if (in.readNBytes(chunk, 0, n * Float.BYTES) != n * Float.BYTES) {
        throw r.truncated(what);
      }
      ByteBuffer.wrap(chunk, 0, n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values, off, n);
      off += n;
    }
    return values;
  }

  /** Ints whose count was checked against the file's size; read in chunks from the payload. */
  private static int[] readInts(ContainerReader r, InputStream in, int count, String what) throws IOException {
    int[] values = new int[count];
    byte[] chunk = new byte[(int) Math.max(Integer.BYTES, Math.min(CHUNK, (long) count * Integer.BYTES))];
    for (int off = 0; off < count; ) {
      int n = Math.min(chunk.length / Integer.BYTES, count - off);
      if (in.readNBytes(chunk, 0, n * Integer.BYTES) != n * Integer.BYTES) {
        throw r.truncated(what);
      }
      ByteBuffer.wrap(chunk, 0, n * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(values, off, n);
      off += n;
    }
    return values;
  }

  /** Checks the provenance sections read after the checksum was verified. */
  private static Provenance provenance(ContainerReader r, ProvenanceHeader ph, int[] origins, int[] grids,
      float[] globals, byte[] labelBytes) throws ModelFormatException {
    int n = ph.images();
    for (int i = 0; i < n; i++) {
      if (grids[2 * i] < 1 || grids[2 * i + 1] < 1) {
        throw r.bad("training image " + i + " has patch grid " + grids[2 * i] + "x" + grids[2 * i + 1]
            + "; both sides must be >= 1");
      }
    }
    for (int row = 0; row < origins.length / 3; row++) {
      int image = origins[3 * row];
      int y = origins[3 * row + 1];
      int x = origins[3 * row + 2];
      if (image < 0 || image >= n || y < 0 || x < 0 || y >= grids[2 * image] || x >= grids[2 * image + 1]) {
        throw r.bad("memory-bank row " + row + " comes from training image " + image + " at (" + y + ", " + x
            + "), which is not a patch of the " + n + " training images' grids");
      }
    }
    for (int i = 0; i < globals.length; i++) {
      if (!Float.isFinite(globals[i])) {
        throw r.bad("descriptor value " + globals[i] + " of training image " + i / ph.globalDimension()
            + " is not finite");
      }
    }
    String[] labels;
    try {
      labels = LABELS_JSON.readValue(labelBytes, String[].class);
    } catch (IOException e) {
      throw r.bad("the training image labels are not a JSON array of strings: " + e.getMessage());
    }
    if (labels.length != n || Arrays.asList(labels).contains(null)) {
      throw r.bad("the file holds " + labels.length + " training image labels (or a null one) for " + n + " images");
    }
    return new Provenance(List.of(labels), grids, origins, globals, ph.globalDimension(),
        io.patchcore.internal.feature.GlobalDescriptor.parse(ph.descriptor()));
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
      double anomalyMapSigma, long seed, Training training, Bank bank,
      @JsonInclude(JsonInclude.Include.NON_NULL) ProvenanceHeader provenance,
      @JsonInclude(JsonInclude.Include.NON_NULL) CombinedHeader combined) {

    static Header of(PatchCoreModel model, Instant createdAt, long labelsBytes) {
      PatchCore c = model.configuration();
      SamplerSpec spec = c.sampler.spec();
      Provenance p = model.provenance();
      CombinedScoring cs = model.combined();
      return new Header(new Library(LIBRARY_NAME, LIBRARY_VERSION), createdAt.toString(),
          c.backbone == null ? null : BackboneHeader.of(c.backbone, true), c.layers, model.layers(), c.patchSize,
          c.stride, c.pretrainDimension, c.targetDimension,
          new SamplerHeader(spec.kind(), spec.fraction(), spec.projection(), spec.starts(), c.sampler.description()),
          c.neighbours, c.scoring.name(), c.reweightingNeighbours, c.sigma, c.seed,
          new Training(model.candidateSize()), new Bank(model.bankSize(), model.dimension(), ENCODING),
          p == null ? null : new ProvenanceHeader(p.images(), p.globalDimension, p.descriptor.spec(), labelsBytes,
              PROVENANCE_ENCODING),
          cs == null ? null : new CombinedHeader(cs.topFraction(), cs.globalNeighbours(), cs.calibrationImages(),
              CalibrationHeader.of(cs.patchMax()), CalibrationHeader.of(cs.patchTopMean()),
              CalibrationHeader.of(cs.global()), new WeightsHeader(cs.weights().patchMax(),
              cs.weights().patchTopMean(), cs.weights().global())));
    }

    /** Bytes of the payload this header describes. */
    long payloadBytes() {
      long b = (long) Float.BYTES * bank.rows() * bank.dimension();
      if (provenance != null) {
        b += provenance.bytes(bank.rows());
      }
      return b;
    }

    /**
     * Checks the payload's shape first, against the {@code payloadBytes} the file has, then the
     * rest; version 1 files have no provenance and no COMBINED scoring.
     */
    static Header parse(HeaderFields root, int version, long payloadBytes, long size) throws ModelFormatException {
      HeaderFields bankFields = root.object("bank");
      int rows = bankFields.integer("rows", 1, Integer.MAX_VALUE);
      int dim = bankFields.integer("dimension", 1, Integer.MAX_VALUE);
      if ((long) rows * dim > MAX_ARRAY) {
        throw root.bad("memory bank of " + rows + " x " + dim + " = " + (long) rows * dim
            + " floats exceeds the limit of " + MAX_ARRAY);
      }
      ProvenanceHeader provenance = null;
      if (root.has("provenance")) {
        if (version < 2) {
          throw root.invalid("provenance", "needs model format version 2, but the file is version " + version);
        }
        provenance = ProvenanceHeader.parse(root.object("provenance"), rows);
      }
      long expected = (long) rows * dim * Float.BYTES;
      long extra = provenance == null ? 0 : provenance.bytes(rows);
      if (expected + extra != payloadBytes) {
        throw root.bad("memory bank of " + rows + " x " + dim + " float32 needs " + expected + " bytes"
            + (extra > 0 ? " plus " + extra + " bytes of training provenance" : "") + ", but the file"
            + " has " + payloadBytes + " bytes between header and checksum (file size " + size
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
      CombinedHeader combined = null;
      if (ImageScoring.valueOf(scoring) == ImageScoring.COMBINED) {
        if (provenance == null || provenance.globalDimension() == 0) {
          throw root.invalid("imageScoring", "COMBINED needs the training provenance with image descriptors, which "
              + "the file does not have");
        }
        combined = CombinedHeader.parse(root.object("combined"), provenance.images());
      } else if (root.has("combined")) {
        throw root.invalid("combined", "is only valid with imageScoring COMBINED, got " + scoring);
      }
      return new Header(library, createdAt, backbone, layers, embeddingLayers, patchSize, stride, pretrain, target,
          sampler, neighbours, scoring, reweighting, sigma, seed, training, bank, provenance, combined);
    }
  }

  static final String PROVENANCE_ENCODING =
      "origins int32-le (image, row, column per bank row), grids int32-le (rows, columns per image), "
          + "descriptors float32-le, labels utf8-json";

  /**
   * Header field {@code provenance}: the sections after the bank; {@code images} training images,
   * descriptors of {@code globalDimension} floats each, {@code labelsBytes} of labels.
   */
  record ProvenanceHeader(int images, int globalDimension, String descriptor, long labelsBytes, String encoding) {
    long bytes(int bankRows) {
      return 12L * bankRows + 8L * images + 4L * images * globalDimension + labelsBytes;
    }

    static ProvenanceHeader parse(HeaderFields p, int bankRows) throws ModelFormatException {
      int images = p.integer("images", 1, MAX_ARRAY / 2);
      int g = p.integer("globalDimension", 0, MAX_ARRAY);
      if ((long) images * g > MAX_ARRAY) {
        throw p.invalid("globalDimension", g + " times " + images + " images exceeds " + MAX_ARRAY);
      }
      if (3L * bankRows > MAX_ARRAY) {
        throw p.bad("origins of " + bankRows + " bank rows exceed one array");
      }
      String descriptor = p.text("descriptor");
      try {
        io.patchcore.internal.feature.GlobalDescriptor.parse(descriptor);
      } catch (IllegalArgumentException e) {
        throw p.invalid("descriptor", e.getMessage());
      }
      long labels = p.longInteger("labelsBytes", 2, MAX_LABEL_BYTES);
      return new ProvenanceHeader(images, g, descriptor, labels, p.oneOf("encoding", List.of(PROVENANCE_ENCODING)));
    }
  }

  /** Header field {@code combined}: COMBINED scoring's parameters and calibration. */
  record CombinedHeader(double topFraction, int globalNeighbours, int calibrationImages, CalibrationHeader patchMax,
      CalibrationHeader patchTopMean, CalibrationHeader global, WeightsHeader weights) {
    static CombinedHeader parse(HeaderFields c, int images) throws ModelFormatException {
      double top = c.number("topFraction", Double.MIN_VALUE, 1);
      int neighbours = c.integer("globalNeighbours", 1, Math.max(1, images - 1));
      int calibration = c.integer("calibrationImages", 1, images);
      HeaderFields w = c.object("weights");
      WeightsHeader weights = new WeightsHeader(w.number("patchMax", 0, 1e6), w.number("patchTopMean", 0, 1e6),
          w.number("global", 0, 1e6));
      if (weights.patchMax() + weights.patchTopMean() + weights.global() <= 0) {
        throw c.invalid("weights", "must not all be 0");
      }
      return new CombinedHeader(top, neighbours, calibration, CalibrationHeader.parse(c, "patchMax"),
          CalibrationHeader.parse(c, "patchTopMean"), CalibrationHeader.parse(c, "global"), weights);
    }
  }

  /** The components' weights in the fused score. */
  record WeightsHeader(double patchMax, double patchTopMean, double global) {}

  /** One component's calibration: {@code (raw - median) / scale}. */
  record CalibrationHeader(double median, double scale) {
    static CalibrationHeader of(PatchCoreEnsemble.Calibration c) {
      return new CalibrationHeader(c.median(), c.scale());
    }

    PatchCoreEnsemble.Calibration calibration() {
      return new PatchCoreEnsemble.Calibration(median, scale);
    }

    static CalibrationHeader parse(HeaderFields c, String key) throws ModelFormatException {
      HeaderFields f = c.object(key);
      double median = f.finiteNumber("median");
      double scale = f.finiteNumber("scale");
      if (!(scale > 0)) {
        throw f.invalid("scale", "must be > 0, got " + scale);
      }
      return new CalibrationHeader(median, scale);
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
