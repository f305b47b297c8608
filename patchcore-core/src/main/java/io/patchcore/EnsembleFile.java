package io.patchcore;

import io.patchcore.feature.FeatureExtractor;
import io.patchcore.internal.io.AtomicFile;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * Ensemble files, format version 1. Integers are little-endian:
 *
 * <pre>
 * offset      bytes         content
 * 0           8             magic "PCENSMBL" (ASCII)
 * 8           4             int32 format version = 1
 * 12          4             int32 header length H, in [2, 1 MiB]
 * 16          H             header: one UTF-8 JSON object (fields below)
 * 16 + H      sum(bytes)    the members, each a complete model file (see {@link ModelFile})
 * end - 4     4             CRC32C (uint32) of every byte before it
 * </pre>
 *
 * <p>Header fields: {@code createdAt}; {@code calibration {fraction, seed, trainingImages,
 * heldOut}} (heldOut: the ascending indices of the calibration images); {@code members}: one
 * object per member, in order, {@code {bytes, median, scale, backbone {id, configuration}}}.
 * Every field is checked, and the member lengths against the file size, before a member is read;
 * every problem is a {@link ModelFormatException} naming the file.
 */
final class EnsembleFile {
  static final byte[] MAGIC = "PCENSMBL".getBytes(StandardCharsets.US_ASCII);
  static final int VERSION = 1;
  private static final int PREFIX_BYTES = 16;
  private static final int CHECKSUM_BYTES = 4;
  private static final int MIN_HEADER_BYTES = 2;
  private static final int MAX_HEADER_BYTES = 1 << 20;
  private static final int CHUNK = 1 << 16;
  private static final long MIN_MEMBER_BYTES = ModelFile.PREFIX_BYTES + 2 + ModelFile.CHECKSUM_BYTES;

  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(SerializationFeature.INDENT_OUTPUT)
      .build();

  private EnsembleFile() {}

  /** The validated header. */
  record Manifest(List<Member> members, List<Integer> heldOut, int trainingImages, double fraction, long seed) {}

  /** One member's header entry. */
  record Member(long bytes, PatchCoreEnsemble.Calibration calibration, String backboneId,
      Map<String, String> backboneConfiguration) {}

  // ---------------------------------------------------------------- writing

  static void save(PatchCoreEnsemble ensemble, Path file) throws IOException {
    save(ensemble, file, Instant.now(), UnaryOperator.identity());
  }

  /**
   * Saves atomically through a temporary file next to {@code file}; {@code tap} wraps the stream
   * the file is written through (tests inject failures with it).
   */
  static void save(PatchCoreEnsemble ensemble, Path file, Instant createdAt, UnaryOperator<OutputStream> tap)
      throws IOException {
    Objects.requireNonNull(ensemble, "ensemble");
    Objects.requireNonNull(file, "file");
    List<PatchCoreModel> members = ensemble.members();
    long[] lengths = new long[members.size()];
    for (int m = 0; m < lengths.length; m++) {
      PatchCoreModel model = members.get(m);
      lengths[m] = ModelFile.PREFIX_BYTES + ModelFile.header(model, createdAt).length
          + (long) Float.BYTES * model.bankSize() * model.dimension() + ModelFile.CHECKSUM_BYTES;
    }
    byte[] header = header(ensemble, lengths, createdAt);
    AtomicFile.write(file, "ensemble", tap, sink -> {
      CheckedOutputStream checked = new CheckedOutputStream(sink, new CRC32C());
      ByteBuffer prefix = ByteBuffer.allocate(PREFIX_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      prefix.put(MAGIC).putInt(VERSION).putInt(header.length);
      checked.write(prefix.array());
      checked.write(header);
      for (int m = 0; m < lengths.length; m++) {
        Counting counted = new Counting(checked);
        ModelFile.write(members.get(m), counted, createdAt);
        if (counted.count != lengths[m]) {
          throw new IOException("member " + m + " wrote " + counted.count + " bytes, expected " + lengths[m]);
        }
      }
      int crc = (int) checked.getChecksum().getValue();
      sink.write(ByteBuffer.allocate(CHECKSUM_BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt(crc).array());
    });
  }

  private static byte[] header(PatchCoreEnsemble ensemble, long[] lengths, Instant createdAt) throws IOException {
    ObjectNode h = JSON.createObjectNode();
    h.put("createdAt", createdAt.toString());
    ObjectNode cal = h.putObject("calibration");
    cal.put("fraction", ensemble.calibrationFraction());
    cal.put("seed", ensemble.seed());
    cal.put("trainingImages", ensemble.trainingImages());
    ArrayNode held = cal.putArray("heldOut");
    ensemble.calibrationImages().forEach(held::add);
    ArrayNode members = h.putArray("members");
    for (int m = 0; m < lengths.length; m++) {
      ObjectNode e = members.addObject();
      e.put("bytes", lengths[m]);
      PatchCoreEnsemble.Calibration c = ensemble.calibrations().get(m);
      e.put("median", c.median());
      e.put("scale", c.scale());
      FeatureExtractor backbone = ensemble.members().get(m).configuration().backbone;
      ObjectNode bb = e.putObject("backbone");
      bb.put("id", backbone.id());
      ObjectNode conf = bb.putObject("configuration");
      new TreeMap<>(backbone.configuration()).forEach(conf::put);
    }
    byte[] bytes = JSON.writeValueAsBytes(h);
    if (bytes.length > MAX_HEADER_BYTES) {
      throw new IOException("ensemble header of " + bytes.length + " bytes exceeds the limit of "
          + MAX_HEADER_BYTES);
    }
    return bytes;
  }

  /** Counts the bytes written through it; never closes the stream below. */
  private static final class Counting extends FilterOutputStream {
    long count;

    Counting(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }
  }

  // ---------------------------------------------------------------- reading

  static PatchCoreEnsemble load(Path file, List<FeatureExtractor> backbones) throws IOException {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(backbones, "backbones");
    List<FeatureExtractor> given = new ArrayList<>(backbones.size());
    for (int i = 0; i < backbones.size(); i++) {
      given.add(Objects.requireNonNull(backbones.get(i), "backbone " + i));
    }
    String name = file.toString();
    long size = Files.size(file);
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), CHUNK)) {
      CheckedInputStream in = new CheckedInputStream(raw, new CRC32C());
      Manifest manifest = manifest(in, size, name);
      List<Member> entries = manifest.members();
      if (given.size() != entries.size()) {
        throw new ModelFormatException(name, "the ensemble has " + entries.size() + " members, but "
            + given.size() + " backbones were given");
      }
      for (int m = 0; m < entries.size(); m++) {
        String id;
        try {
          id = given.get(m).id();
        } catch (RuntimeException e) {
          throw new ModelFormatException(name, "cannot query backbone " + m + ": " + e.getMessage(), e);
        }
        if (!entries.get(m).backboneId().equals(id)) {
          throw new ModelFormatException(name, "member " + m + " was fitted with backbone '"
              + entries.get(m).backboneId() + "', but the given backbone " + m + " is '" + id + "'");
        }
      }
      List<PatchCoreModel> models = new ArrayList<>(entries.size());
      boolean done = false;
      try {
        for (int m = 0; m < entries.size(); m++) {
          String memberName = name + " (member " + m + ")";
          try {
            models.add(ModelFile.read(new Bounded(in, entries.get(m).bytes()), entries.get(m).bytes(), memberName,
                given.get(m), PatchCore.RunSettings.DEFAULT));
          } catch (ModelFormatException e) {
            String detail = e.getMessage().startsWith(memberName + ": ")
                ? e.getMessage().substring(memberName.length() + 2) : e.getMessage();
            throw new ModelFormatException(name, "member " + m + ": " + detail, e);
          }
        }
        long computed = in.getChecksum().getValue();
        byte[] stored = raw.readNBytes(CHECKSUM_BYTES);
        if (stored.length != CHECKSUM_BYTES) {
          throw new ModelFormatException(name, "truncated: the checksum is missing");
        }
        long storedValue = Integer.toUnsignedLong(ByteBuffer.wrap(stored).order(ByteOrder.LITTLE_ENDIAN).getInt());
        if (storedValue != computed) {
          throw new ModelFormatException(name, "checksum mismatch: stored CRC32C " + String.format("0x%08x", storedValue)
              + ", computed " + String.format("0x%08x", computed) + " (the file is damaged)");
        }
        if (raw.read() != -1) {
          throw new ModelFormatException(name, "more than the expected " + size
              + " bytes (was the file changed while it was read?)");
        }
        List<PatchCoreEnsemble.Calibration> calibrations = entries.stream().map(Member::calibration).toList();
        PatchCoreEnsemble ensemble = new PatchCoreEnsemble(models, calibrations, manifest.heldOut(),
            manifest.trainingImages(), manifest.fraction(), manifest.seed());
        done = true;
        return ensemble;
      } finally {
        if (!done) {
          models.forEach(PatchCoreModel::close);
        }
      }
    }
  }

  static List<Map<String, String>> backboneConfigurations(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    long size = Files.size(file);
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), CHUNK)) {
      List<Map<String, String>> out = new ArrayList<>();
      for (Member m : manifest(in, size, file.toString()).members()) {
        Map<String, String> conf = new TreeMap<>(m.backboneConfiguration());
        conf.put("id", m.backboneId());
        out.add(Collections.unmodifiableMap(conf));
      }
      return List.copyOf(out);
    }
  }

  /** Reads and checks the prefix and the header, leaving {@code in} at the first member. */
  private static Manifest manifest(InputStream in, long size, String name) throws IOException {
    byte[] prefix = in.readNBytes((int) Math.min(size, PREFIX_BYTES));
    if (prefix.length < MAGIC.length || !Arrays.equals(prefix, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new ModelFormatException(name, "not a PatchCore ensemble file: it does not start with the magic "
          + "\"PCENSMBL\"" + (startsWith(prefix, ModelFile.MAGIC) ? " (it is a single model file: use "
          + "PatchCoreModel.load)" : ""));
    }
    if (prefix.length < PREFIX_BYTES) {
      throw new ModelFormatException(name, "truncated: " + size + " bytes, too short for the " + PREFIX_BYTES
          + "-byte file prefix");
    }
    ByteBuffer p = ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN);
    int version = p.getInt(8);
    if (version != VERSION) {
      throw new ModelFormatException(name, "unsupported ensemble format version " + Integer.toUnsignedString(version)
          + "; this library reads version " + VERSION);
    }
    int headerLength = p.getInt(12);
    if (headerLength < MIN_HEADER_BYTES || headerLength > MAX_HEADER_BYTES) {
      throw new ModelFormatException(name, "header length " + Integer.toUnsignedString(headerLength)
          + " is out of range [" + MIN_HEADER_BYTES + ", " + MAX_HEADER_BYTES + "]");
    }
    if (size < (long) PREFIX_BYTES + headerLength + CHECKSUM_BYTES) {
      throw new ModelFormatException(name, "truncated: " + size + " bytes, but the prefix, a header of "
          + headerLength + " bytes and the checksum need " + (PREFIX_BYTES + headerLength + CHECKSUM_BYTES));
    }
    byte[] header = in.readNBytes(headerLength);
    if (header.length != headerLength) {
      throw new ModelFormatException(name, "truncated: expected a header of " + headerLength + " bytes, got "
          + header.length);
    }
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
      throw new ModelFormatException(name, "header is not valid JSON: " + why, e);
    }
    if (root == null || !root.isObject()) {
      throw new ModelFormatException(name, "header is not a JSON object");
    }
    Manifest manifest = parse(root, name);
    long expected = PREFIX_BYTES + (long) headerLength + CHECKSUM_BYTES;
    for (Member m : manifest.members()) {
      expected += m.bytes();
    }
    if (expected != size) {
      throw new ModelFormatException(name, "the header's member lengths give a file of " + expected
          + " bytes, but it has " + size + (expected > size ? " (truncated)" : ""));
    }
    return manifest;
  }

  private static boolean startsWith(byte[] b, byte[] prefix) {
    return b.length >= prefix.length && Arrays.equals(b, 0, prefix.length, prefix, 0, prefix.length);
  }

  private static Manifest parse(JsonNode root, String name) throws ModelFormatException {
    JsonNode cal = object(root, "calibration", "calibration", name);
    double fraction = number(cal, "calibration.fraction", name);
    if (!(fraction > 0 && fraction < 1)) {
      throw bad(name, "calibration.fraction must be in (0, 1), got " + fraction);
    }
    JsonNode seedNode = cal.get("seed");
    if (seedNode == null || !seedNode.isIntegralNumber() || !seedNode.canConvertToLong()) {
      throw bad(name, "calibration.seed must be a 64-bit integer, got " + show(seedNode));
    }
    int n = integer(cal, "calibration.trainingImages", 2, Integer.MAX_VALUE, name);
    JsonNode heldNode = cal.get("heldOut");
    if (heldNode == null || !heldNode.isArray()) {
      throw bad(name, "calibration.heldOut must be an array, got " + show(heldNode));
    }
    int expectedHeld = PatchCoreEnsemble.heldOutCount(n, fraction);
    if (heldNode.size() != expectedHeld || expectedHeld >= n) {
      throw bad(name, "calibration.heldOut has " + heldNode.size() + " entries, but a fraction of " + fraction
          + " of " + n + " training images holds out " + expectedHeld);
    }
    List<Integer> held = new ArrayList<>(heldNode.size());
    int previous = -1;
    for (int i = 0; i < heldNode.size(); i++) {
      JsonNode v = heldNode.get(i);
      if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() <= previous || v.intValue() >= n) {
        throw bad(name, "calibration.heldOut[" + i + "] must be an index in (" + previous + ", " + n
            + "), ascending, got " + show(v));
      }
      previous = v.intValue();
      held.add(previous);
    }
    JsonNode membersNode = root.get("members");
    if (membersNode == null || !membersNode.isArray() || membersNode.isEmpty()
        || membersNode.size() > PatchCoreEnsemble.MAX_MEMBERS) {
      throw bad(name, "members must be an array of 1 to " + PatchCoreEnsemble.MAX_MEMBERS + " entries, got "
          + (membersNode != null && membersNode.isArray() ? membersNode.size() + " entries" : show(membersNode)));
    }
    List<Member> members = new ArrayList<>(membersNode.size());
    for (int m = 0; m < membersNode.size(); m++) {
      String at = "members[" + m + "]";
      JsonNode e = membersNode.get(m);
      if (!e.isObject()) {
        throw bad(name, at + " must be an object, got " + show(e));
      }
      JsonNode bytesNode = e.get("bytes");
      if (bytesNode == null || !bytesNode.isIntegralNumber() || !bytesNode.canConvertToLong()
          || bytesNode.longValue() < MIN_MEMBER_BYTES) {
        throw bad(name, at + ".bytes must be an integer >= " + MIN_MEMBER_BYTES + ", got " + show(bytesNode));
      }
      double median = number(e, at + ".median", name);
      double scale = number(e, at + ".scale", name);
      PatchCoreEnsemble.Calibration calibration;
      try {
        calibration = new PatchCoreEnsemble.Calibration(median, scale);
      } catch (IllegalArgumentException ex) {
        throw new ModelFormatException(name, at + ": " + ex.getMessage(), ex);
      }
      JsonNode bb = object(e, "backbone", at + ".backbone", name);
      JsonNode id = bb.get("id");
      if (id == null || !id.isTextual() || id.textValue().isEmpty()) {
        throw bad(name, at + ".backbone.id must be a non-empty string, got " + show(id));
      }
      JsonNode conf = object(bb, "configuration", at + ".backbone.configuration", name);
      Map<String, String> configuration = new TreeMap<>();
      for (Map.Entry<String, JsonNode> f : conf.properties()) {
        if (!f.getValue().isTextual()) {
          throw bad(name, at + ".backbone.configuration." + f.getKey() + " must be a string, got "
              + show(f.getValue()));
        }
        configuration.put(f.getKey(), f.getValue().textValue());
      }
      members.add(new Member(bytesNode.longValue(), calibration, id.textValue(),
          Collections.unmodifiableMap(configuration)));
    }
    return new Manifest(List.copyOf(members), List.copyOf(held), n, fraction, seedNode.longValue());
  }

  private static JsonNode object(JsonNode parent, String field, String path, String name)
      throws ModelFormatException {
    JsonNode n = parent.get(field);
    if (n == null || !n.isObject()) {
      throw bad(name, path + " must be an object, got " + show(n));
    }
    return n;
  }

  private static double number(JsonNode parent, String path, String name) throws ModelFormatException {
    JsonNode n = parent.get(path.substring(path.lastIndexOf('.') + 1));
    if (n == null || !n.isNumber() || !Double.isFinite(n.doubleValue())) {
      throw bad(name, path + " must be a finite number, got " + show(n));
    }
    return n.doubleValue();
  }

  private static int integer(JsonNode parent, String path, int min, int max, String name)
      throws ModelFormatException {
    JsonNode n = parent.get(path.substring(path.lastIndexOf('.') + 1));
    if (n == null || !n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < min || n.intValue() > max) {
      throw bad(name, path + " must be an integer in [" + min + ", " + max + "], got " + show(n));
    }
    return n.intValue();
  }

  private static ModelFormatException bad(String name, String message) {
    return new ModelFormatException(name, message);
  }

  private static String show(JsonNode n) {
    if (n == null) {
      return "nothing";
    }
    String s = n.toString();
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }

  /** A view of the next {@code limit} bytes of a stream; closing it does not close the stream. */
  private static final class Bounded extends FilterInputStream {
    private long left;

    Bounded(InputStream in, long limit) {
      super(in);
      this.left = limit;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = in.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return len == 0 ? 0 : -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long s = in.skip(Math.min(n, left));
      left -= s;
      return s;
    }

    @Override
    public int available() throws IOException {
      return (int) Math.min(in.available(), left);
    }

    @Override
    public void close() {}

    @Override
    public boolean markSupported() {
      return false;
    }
  }
}
