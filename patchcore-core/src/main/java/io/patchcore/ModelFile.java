package io.patchcore;

import io.patchcore.sampling.SamplerSpec;
import io.patchcore.feature.FeatureExtractor;
import io.patchcore.internal.feature.Embedder;
import io.patchcore.internal.io.AtomicFile;
import io.patchcore.sampling.Sampler;
import io.patchcore.sampling.Samplers;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32C;

/**
 * Model files, format version 1. All integers are little-endian:
 *
 * <pre>
 * offset      bytes         content
 * 0           8             magic "PATCHCOR" (ASCII)
 * 8           4             int32 format version = 1
 * 12          4             int32 header length H, in [2, 1 MiB]
 * 16          H             header: one UTF-8 JSON object (fields below)
 * 16 + H      4*rows*dim    memory bank, row-major float32
 * end - 4     4             CRC32C (uint32) of every byte before it
 * </pre>
 *
 * <p>Header fields: {@code library {name, version}}, {@code createdAt} (ISO-8601 instant),
 * {@code backbone} (null, or {@code {id, layers}} of the {@link FeatureExtractor} used to fit),
 * {@code layers} (as configured; empty means all), {@code embeddingLayers} (the layers used),
 * {@code patchSize}, {@code patchStride}, {@code pretrainDimension}, {@code targetDimension},
 * {@code sampler {kind, fraction, projection, starts, description}} (description is for people;
 * the sampler is rebuilt from the other fields), {@code neighbours}, {@code imageScoring},
 * {@code reweightingNeighbours}, {@code anomalyMapSigma}, {@code seed},
 * {@code training {candidatePatches}}, {@code bank {rows, dimension, encoding = "float32-le"}}.
 *
 * <p>Reading checks the magic, version, header length, every header field and that the bank
 * shape matches the file's size before it allocates the bank, then the checksum while it reads
 * the bank; every problem is a {@link ModelFormatException} naming the file.
 */
final class ModelFile {
  static final byte[] MAGIC = "PATCHCOR".getBytes(StandardCharsets.US_ASCII);
  static final int VERSION = 1;
  static final int PREFIX_BYTES = 16;
  static final int CHECKSUM_BYTES = 4;
  static final int MAX_HEADER_BYTES = 1 << 20;
  static final String ENCODING = "float32-le";

  private static final int MIN_HEADER_BYTES = 2;
  private static final int MAX_PATCH = 1 << 15;
  private static final int MAX_PRETRAIN_DIMENSION = 1 << 24;
  private static final int MAX_LAYERS = 1024;
  private static final double MAX_SIGMA = 1e6;
  private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;
  private static final int CHUNK = 1 << 16;

  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(SerializationFeature.INDENT_OUTPUT)
      .build();

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
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(file, "file");
    byte[] header = header(model, createdAt);
    AtomicFile.write(file, "model", tap, out -> write(model, header, out));
  }

  /** Writes the whole file to {@code out} (not flushed, not closed). */
  static void write(PatchCoreModel model, OutputStream out, Instant createdAt) throws IOException {
    write(model, header(model, createdAt), out);
  }

  private static void write(PatchCoreModel model, byte[] header, OutputStream out) throws IOException {
    CRC32C crc = new CRC32C();
    ByteBuffer prefix = ByteBuffer.allocate(PREFIX_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    prefix.put(MAGIC).putInt(VERSION).putInt(header.length);
    emit(out, crc, prefix.array(), PREFIX_BYTES);
    emit(out, crc, header, header.length);
    float[] bank = model.bank();
    int rowsTimesDim = model.bankSize() * model.dimension();
    ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
    for (int off = 0; off < rowsTimesDim; ) {
      int n = Math.min(CHUNK / Float.BYTES, rowsTimesDim - off);
      buf.clear();
      buf.asFloatBuffer().put(bank, off, n);
      emit(out, crc, buf.array(), n * Float.BYTES);
      off += n;
    }
    out.write(ByteBuffer.allocate(CHECKSUM_BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt((int) crc.getValue())
        .array());
  }

  private static void emit(OutputStream out, CRC32C crc, byte[] bytes, int length) throws IOException {
    crc.update(bytes, 0, length);
    out.write(bytes, 0, length);
  }

  static byte[] header(PatchCoreModel model, Instant createdAt) throws IOException {
    PatchCore c = model.configuration();
    ObjectNode h = JSON.createObjectNode();
    ObjectNode lib = h.putObject("library");
    lib.put("name", "patchcore");
    lib.put("version", LIBRARY_VERSION);
    h.put("createdAt", createdAt.toString());
    if (c.backbone == null) {
      h.putNull("backbone");
    } else {
      ObjectNode bb = h.putObject("backbone");
      bb.put("id", c.backbone.id());
      strings(bb.putArray("layers"), c.backbone.layerNames());
      ObjectNode conf = bb.putObject("configuration");
      new java.util.TreeMap<>(c.backbone.configuration()).forEach(conf::put);
    }
    strings(h.putArray("layers"), c.layers);
    strings(h.putArray("embeddingLayers"), model.layers());
    h.put("patchSize", c.patchSize);
    h.put("patchStride", c.stride);
    h.put("pretrainDimension", c.pretrainDimension);
    h.put("targetDimension", c.targetDimension);
    SamplerSpec spec = c.sampler.spec();
    ObjectNode s = h.putObject("sampler");
    s.put("kind", spec.kind());
    s.put("fraction", spec.fraction());
    s.put("projection", spec.projection());
    s.put("starts", spec.starts());
    s.put("description", c.sampler.description());
    h.put("neighbours", c.neighbours);
    h.put("imageScoring", c.scoring.name());
    h.put("reweightingNeighbours", c.reweightingNeighbours);
    h.put("anomalyMapSigma", c.sigma);
    h.put("seed", c.seed);
    h.putObject("training").put("candidatePatches", model.candidateSize());
    ObjectNode bank = h.putObject("bank");
    bank.put("rows", model.bankSize());
    bank.put("dimension", model.dimension());
    bank.put("encoding", ENCODING);
    byte[] bytes = JSON.writeValueAsBytes(h);
    if (bytes.length > MAX_HEADER_BYTES) {
      throw new IOException("model header of " + bytes.length + " bytes exceeds the limit of " + MAX_HEADER_BYTES
          + " (layer names too long?)");
    }
    return bytes;
  }

  private static void strings(ArrayNode array, List<String> values) {
    for (String v : values) {
      array.add(v);
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
    long size = Files.size(file);
    try (InputStream in = Files.newInputStream(file)) {
      return read(in, size, file.toString(), backbone, runtime);
    }
  }

  /** The backbone recorded in a model file's header (the bank is not read). */
  static Map<String, String> backboneConfiguration(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    long size = Files.size(file);
    try (InputStream in = Files.newInputStream(file)) {
      Header h = new Reader(in, size, file.toString()).header();
      if (h.backboneId() == null) {
        return Map.of();
      }
      Map<String, String> out = new java.util.TreeMap<>(h.backboneConfiguration());
      out.put("id", h.backboneId());
      return java.util.Collections.unmodifiableMap(out);
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
    Reader r = new Reader(in, size, name);
    return r.read(backbone, runtime);
  }

  /** The validated header. */
  private record Header(String backboneId, Map<String, String> backboneConfiguration, List<String> layers, List<String> embeddingLayers, int patchSize,
      int stride, int pretrainDimension, int targetDimension, Sampler sampler, int neighbours,
      ImageScoring scoring, int reweightingNeighbours, double sigma, long seed, int candidatePatches, int rows,
      int dimension) {}

  private static final class Reader {
    private final InputStream in;
    private final long size;
    private final String name;
    private final CRC32C crc = new CRC32C();
    private long position;

    Reader(InputStream in, long size, String name) {
      this.in = in;
      this.size = size;
      this.name = name;
    }

    ModelFormatException bad(String message) {
      return new ModelFormatException(name, message);
    }

    PatchCoreModel read(FeatureExtractor backbone, PatchCore.RunSettings runtime) throws IOException {
      Header h = header();
      return finish(h, backbone, runtime);
    }

    /** Reads and checks the prefix and the header only. */
    Header header() throws IOException {
      byte[] prefix = bytes((int) Math.min(size, PREFIX_BYTES));
      if (prefix.length < MAGIC.length || !Arrays.equals(prefix, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
        throw bad("not a PatchCore model file: it starts with " + hex(prefix, MAGIC.length) + ", expected the magic "
            + hex(MAGIC, MAGIC.length) + " (\"PATCHCOR\")");
      }
      if (prefix.length < PREFIX_BYTES) {
        throw bad("truncated: " + size + " bytes, too short for the " + PREFIX_BYTES + "-byte file prefix");
      }
      ByteBuffer p = ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN);
      int version = p.getInt(8);
      if (version != VERSION) {
        throw bad("unsupported model format version " + Integer.toUnsignedString(version)
            + "; this library reads version " + VERSION);
      }
      int headerLength = p.getInt(12);
      if (headerLength < MIN_HEADER_BYTES || headerLength > MAX_HEADER_BYTES) {
        throw bad("header length " + Integer.toUnsignedString(headerLength) + " is out of range ["
            + MIN_HEADER_BYTES + ", " + MAX_HEADER_BYTES + "]");
      }
      long bankBytes = size - PREFIX_BYTES - headerLength - CHECKSUM_BYTES;
      if (bankBytes < 0) {
        throw bad("truncated: " + size + " bytes, but the prefix, a header of " + headerLength
            + " bytes and the checksum need " + (PREFIX_BYTES + headerLength + CHECKSUM_BYTES));
      }
      crc.update(prefix);
      Header h;
      try {
        h = parse(bytes(headerLength), bankBytes);
      } catch (ModelFormatException e) {
        throw withChecksumVerdict(e);
      }
      return h;
    }

    private PatchCoreModel finish(Header h, FeatureExtractor backbone, PatchCore.RunSettings runtime) throws IOException {
      float[] bank = bank(h.rows() * h.dimension());
      long computed = crc.getValue();
      byte[] stored = bytes(CHECKSUM_BYTES);
      long storedValue = Integer.toUnsignedLong(ByteBuffer.wrap(stored).order(ByteOrder.LITTLE_ENDIAN).getInt());
      if (storedValue != computed) {
        throw bad("checksum mismatch: stored CRC32C " + String.format("0x%08x", storedValue) + ", computed "
            + String.format("0x%08x", computed) + " (the file is damaged)");
      }
      if (in.read() != -1) {
        throw bad("more than the expected " + size + " bytes (was the file changed while it was read?)");
      }
      for (int i = 0; i < bank.length; i++) {
        if (!Float.isFinite(bank[i])) {
          throw bad("memory bank value " + bank[i] + " at row " + i / h.dimension() + ", column "
              + i % h.dimension() + " is not finite");
        }
      }
      checkBackbone(h, backbone);
      try {
        PatchCore config = PatchCore.restore(backbone, h.layers(), h.patchSize(), h.stride(),
            h.pretrainDimension(), h.targetDimension(), h.sampler(), h.neighbours(), h.scoring(),
            h.reweightingNeighbours(), h.sigma(), h.seed(), runtime);
        Embedder embedder = new Embedder(h.embeddingLayers(), h.patchSize(), h.stride(), h.pretrainDimension(),
            h.targetDimension());
        return new PatchCoreModel(config, embedder, bank, h.rows(), h.candidatePatches());
      } catch (RuntimeException e) {
        throw new ModelFormatException(name, "cannot build the model: " + e.getMessage(), e);
      }
    }

    /**
     * A header that fails its checks is usually damage: if the checksum over the rest of the file
     * fails too, the message says so. Streams the rest in chunks (nothing sized by the header).
     */
    private ModelFormatException withChecksumVerdict(ModelFormatException e) {
      try {
        long rest = size - position - CHECKSUM_BYTES;
        if (rest < 0) {
          return e;
        }
        byte[] chunk = new byte[(int) Math.max(1, Math.min(CHUNK, rest))];
        while (rest > 0) {
          int n = in.readNBytes(chunk, 0, (int) Math.min(chunk.length, rest));
          if (n == 0) {
            return e;
          }
          crc.update(chunk, 0, n);
          rest -= n;
        }
        byte[] stored = in.readNBytes(CHECKSUM_BYTES);
        if (stored.length == CHECKSUM_BYTES && Integer.toUnsignedLong(
            ByteBuffer.wrap(stored).order(ByteOrder.LITTLE_ENDIAN).getInt()) != crc.getValue()) {
          String detail = e.getMessage().substring(name.length() + 2);
          return new ModelFormatException(name, detail + " (the checksum does not match either: the file is damaged)",
              e);
        }
      } catch (IOException ignored) {
        // report the header problem alone
      }
      return e;
    }

    private void checkBackbone(Header h, FeatureExtractor backbone) throws ModelFormatException {
      if (backbone == null) {
        return;
      }
      String given;
      List<String> available;
      try {
        given = backbone.id();
        available = backbone.layerNames();
      } catch (RuntimeException e) {
        throw new ModelFormatException(name, "cannot query the given backbone: " + e.getMessage(), e);
      }
      if (h.backboneId() == null) {
        throw bad("the model was fitted on feature maps without a backbone, so backbone '" + given
            + "' cannot be checked against it; load it without a backbone and score feature maps");
      }
      if (!h.backboneId().equals(given)) {
        throw bad("the model was fitted with backbone '" + h.backboneId() + "', but the given backbone is '"
            + given + "'");
      }
      for (String l : h.embeddingLayers()) {
        if (available == null || !available.contains(l)) {
          throw bad("backbone '" + given + "' does not produce layer '" + l + "' the model uses; it has "
              + available);
        }
      }
    }

    private byte[] bytes(int n) throws IOException {
      byte[] b = in.readNBytes(n);
      if (b.length != n) {
        throw bad("truncated: expected " + n + " bytes at offset " + position + ", got " + b.length);
      }
      position += n;
      return b;
    }

    private float[] bank(int count) throws IOException {
      float[] bank = new float[count];
      byte[] chunk = new byte[(int) Math.min(CHUNK, (long) count * Float.BYTES)];
      for (int off = 0; off < count; ) {
        int n = Math.min(chunk.length / Float.BYTES, count - off);
        int got = in.readNBytes(chunk, 0, n * Float.BYTES);
        if (got != n * Float.BYTES) {
          throw bad("truncated: the memory bank ends at offset " + (position + got) + " of " + size + " bytes");
        }
        position += got;
        crc.update(chunk, 0, got);
        ByteBuffer.wrap(chunk, 0, got).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(bank, off, n);
        off += n;
      }
      return bank;
    }

    private Header parse(byte[] header, long bankBytes) throws ModelFormatException {
      crc.update(header);
      String text;
      try {
        text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(header)).toString();
      } catch (CharacterCodingException e) {
        throw new ModelFormatException(name, "header is not valid UTF-8: " + e, e);
      }
      JsonNode root;
      try {
        root = JSON.readTree(text);
      } catch (JsonProcessingException | RuntimeException e) {
        String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.toString();
        throw new ModelFormatException(name, "header is not valid JSON: " + abbreviate(why), e);
      }
      if (root == null || !root.isObject()) {
        throw bad("header is not a JSON object");
      }
      return new Fields(this).header(root, bankBytes, size);
    }
  }

  /** Reads typed, range-checked header fields; messages name the field and the bad value. */
  private static final class Fields {
    private final Reader reader;

    Fields(Reader reader) {
      this.reader = reader;
    }

    /** The header; the bank's shape is checked first, against the {@code bankBytes} the file has. */
    Header header(JsonNode root, long bankBytes, long size) throws ModelFormatException {
      JsonNode bank = object(root, "bank");
      int rows = integer(bank, "bank.", "rows", 1, Integer.MAX_VALUE);
      int dim = integer(bank, "bank.", "dimension", 1, Integer.MAX_VALUE);
      if ((long) rows * dim > MAX_ARRAY) {
        throw reader.bad("memory bank of " + rows + " x " + dim + " = " + (long) rows * dim
            + " floats exceeds the limit of " + MAX_ARRAY);
      }
      long expected = (long) rows * dim * Float.BYTES;
      if (expected != bankBytes) {
        throw reader.bad("memory bank of " + rows + " x " + dim + " float32 needs " + expected + " bytes, but the file"
            + " has " + bankBytes + " bytes between header and checksum (file size " + size
            + "; truncated or damaged?)");
      }
      String encoding = text(bank, "bank.", "encoding", false);
      if (!ENCODING.equals(encoding)) {
        throw reader.bad("header field 'bank.encoding' must be \"" + ENCODING + "\", got " + quote(encoding));
      }
      JsonNode lib = object(root, "library");
      text(lib, "library.", "version", false);
      String created = text(root, "", "createdAt", false);
      try {
        Instant.parse(created);
      } catch (DateTimeParseException e) {
        throw reader.bad("header field 'createdAt' is not an ISO-8601 instant: " + quote(created));
      }
      String backboneId = null;
      Map<String, String> backboneConfiguration = Map.of();
      JsonNode bb = field(root, "", "backbone");
      if (!bb.isNull()) {
        if (!bb.isObject()) {
          throw reader.bad("header field 'backbone' must be null or an object, got " + show(bb));
        }
        backboneId = text(bb, "backbone.", "id", false);
        names(bb, "backbone.", "layers", true);
        JsonNode conf = bb.get("configuration"); // optional: absent in files written before it existed
        if (conf != null) {
          if (!conf.isObject()) {
            throw reader.bad("header field 'backbone.configuration' must be an object, got " + show(conf));
          }
          Map<String, String> map = new java.util.TreeMap<>();
          for (Iterator<Map.Entry<String, JsonNode>> it = conf.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
              throw reader.bad("header field 'backbone.configuration." + e.getKey() + "' must be a string, got "
                  + show(e.getValue()));
            }
            map.put(e.getKey(), e.getValue().asText());
          }
          backboneConfiguration = java.util.Collections.unmodifiableMap(map);
        }
      }
      List<String> layers = names(root, "", "layers", true);
      List<String> embeddingLayers = names(root, "", "embeddingLayers", false);
      if (!layers.isEmpty() && !layers.equals(embeddingLayers)) {
        throw reader.bad("header fields 'layers' " + layers + " and 'embeddingLayers' " + embeddingLayers
            + " differ");
      }
      int patchSize = integer(root, "", "patchSize", 1, MAX_PATCH);
      if (patchSize % 2 == 0) {
        throw reader.bad("header field 'patchSize' must be odd, got " + patchSize);
      }
      int stride = integer(root, "", "patchStride", 1, MAX_PATCH);
      int pretrain = integer(root, "", "pretrainDimension", 1, MAX_PRETRAIN_DIMENSION);
      if ((long) pretrain * embeddingLayers.size() > MAX_ARRAY) {
        throw reader.bad("header field 'pretrainDimension' " + pretrain + " times " + embeddingLayers.size()
            + " layers exceeds " + MAX_ARRAY);
      }
      int target = integer(root, "", "targetDimension", 1, Integer.MAX_VALUE);
      if (dim != target) {
        throw reader.bad("header field 'bank.dimension' " + dim + " differs from 'targetDimension' " + target);
      }
      Sampler sampler = sampler(object(root, "sampler"));
      int candidates = integer(object(root, "training"), "training.", "candidatePatches", rows, Integer.MAX_VALUE);
      int neighbours = integer(root, "", "neighbours", 1, rows);
      String scoringName = text(root, "", "imageScoring", false);
      ImageScoring scoring = null;
      for (ImageScoring s : ImageScoring.values()) {
        if (s.name().equals(scoringName)) {
          scoring = s;
        }
      }
      if (scoring == null) {
        throw reader.bad("header field 'imageScoring' must be one of " + List.of(ImageScoring.values()) + ", got "
            + quote(scoringName));
      }
      int b = integer(root, "", "reweightingNeighbours", 1,
          scoring == ImageScoring.REWEIGHTED ? rows : Integer.MAX_VALUE);
      double sigma = number(root, "", "anomalyMapSigma", 0, MAX_SIGMA);
      long seed = longInteger(root, "", "seed", Long.MIN_VALUE, Long.MAX_VALUE);
      return new Header(backboneId, backboneConfiguration, layers, embeddingLayers, patchSize, stride, pretrain, target, sampler,
          neighbours, scoring, b, sigma, seed, candidates, rows, dim);
    }

    private Sampler sampler(JsonNode s) throws ModelFormatException {
      String kind = text(s, "sampler.", "kind", false);
      double fraction = number(s, "sampler.", "fraction", 0, 1);
      int projection = integer(s, "sampler.", "projection", 0, Integer.MAX_VALUE);
      int starts = integer(s, "sampler.", "starts", 0, Integer.MAX_VALUE);
      text(s, "sampler.", "description", true);
      SamplerSpec spec;
      Sampler sampler;
      try {
        spec = new SamplerSpec(kind, fraction, projection, starts);
        sampler = spec.toSampler();
      } catch (IllegalArgumentException e) {
        throw reader.bad("header field 'sampler' is invalid: " + e.getMessage());
      }
      if (!sampler.spec().equals(spec)) {
        throw reader.bad("header field 'sampler' {kind=" + kind + ", fraction=" + fraction + ", projection="
            + projection + ", starts=" + starts + "} is not consistent: a " + kind + " sampler is " + sampler.spec());
      }
      return sampler;
    }

    private JsonNode field(JsonNode parent, String prefix, String key) throws ModelFormatException {
      JsonNode n = parent.get(key);
      if (n == null) {
        throw reader.bad("header field '" + prefix + key + "' is missing");
      }
      return n;
    }

    private JsonNode object(JsonNode parent, String key) throws ModelFormatException {
      JsonNode n = field(parent, "", key);
      if (!n.isObject()) {
        throw reader.bad("header field '" + key + "' must be an object, got " + show(n));
      }
      return n;
    }

    private String text(JsonNode parent, String prefix, String key, boolean mayBeBlank)
        throws ModelFormatException {
      JsonNode n = field(parent, prefix, key);
      if (!n.isTextual()) {
        throw reader.bad("header field '" + prefix + key + "' must be a string, got " + show(n));
      }
      String v = n.textValue();
      if (!mayBeBlank && v.isBlank()) {
        throw reader.bad("header field '" + prefix + key + "' must not be blank");
      }
      return v;
    }

    private long longInteger(JsonNode parent, String prefix, String key, long min, long max)
        throws ModelFormatException {
      JsonNode n = field(parent, prefix, key);
      if (!n.isIntegralNumber() || !n.canConvertToLong()) {
        throw reader.bad("header field '" + prefix + key + "' must be an integer in [" + min + ", " + max
            + "], got " + show(n));
      }
      long v = n.longValue();
      if (v < min || v > max) {
        throw reader.bad("header field '" + prefix + key + "' = " + v + " is out of range [" + min + ", " + max
            + "]");
      }
      return v;
    }

    private int integer(JsonNode parent, String prefix, String key, int min, int max) throws ModelFormatException {
      return (int) longInteger(parent, prefix, key, min, max);
    }

    private double number(JsonNode parent, String prefix, String key, double min, double max)
        throws ModelFormatException {
      JsonNode n = field(parent, prefix, key);
      if (!n.isNumber()) {
        throw reader.bad("header field '" + prefix + key + "' must be a number, got " + show(n));
      }
      double v = n.doubleValue();
      if (!(v >= min && v <= max)) {
        throw reader.bad("header field '" + prefix + key + "' = " + v + " is out of range [" + min + ", " + max
            + "]");
      }
      return v;
    }

    private List<String> names(JsonNode parent, String prefix, String key, boolean mayBeEmpty)
        throws ModelFormatException {
      JsonNode n = field(parent, prefix, key);
      if (!n.isArray()) {
        throw reader.bad("header field '" + prefix + key + "' must be an array of layer names, got " + show(n));
      }
      if (n.size() > MAX_LAYERS || (!mayBeEmpty && n.isEmpty())) {
        throw reader.bad("header field '" + prefix + key + "' must list " + (mayBeEmpty ? 0 : 1) + " to "
            + MAX_LAYERS + " layers, got " + n.size());
      }
      List<String> out = new ArrayList<>(n.size());
      Set<String> seen = new HashSet<>();
      for (JsonNode e : n) {
        if (!e.isTextual() || e.textValue().isBlank()) {
          throw reader.bad("header field '" + prefix + key + "' has a bad layer name " + show(e));
        }
        if (!seen.add(e.textValue())) {
          throw reader.bad("header field '" + prefix + key + "' names layer " + quote(e.textValue()) + " twice");
        }
        out.add(e.textValue());
      }
      return List.copyOf(out);
    }
  }

  private static String show(JsonNode n) {
    return abbreviate(n.toString());
  }

  private static String quote(String s) {
    return abbreviate("\"" + s + "\"");
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }

  private static String hex(byte[] b, int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(n, b.length); i++) {
      sb.append(String.format("%02x", b[i] & 0xff));
    }
    return sb.length() == 0 ? "(nothing: empty file)" : sb.toString();
  }
}
