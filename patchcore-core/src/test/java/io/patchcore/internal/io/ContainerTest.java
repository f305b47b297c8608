package io.patchcore.internal.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.patchcore.ModelFormatException;
import io.patchcore.PatchCore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** The container codec on its own, with a made-up format: layout, every prefix check, header fields. */
class ContainerTest {
  static final Container FORMAT = Container.of("TESTFMT1", 3, "test", HeaderFields.Style.QUOTED)
      .recognising("OTHERFMT", "it is another file: use Other.load");
  static final byte[] PAYLOAD = "payload bytes".getBytes(StandardCharsets.US_ASCII);

  record Header(String name, int count) {}

  static byte[] file(Object header, byte[] payload) throws IOException {
    ContainerWriter w = FORMAT.writer(header, payload.length, out -> out.write(payload));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    w.writeTo(out);
    assertThat(out.size()).isEqualTo(w.length());
    return out.toByteArray();
  }

  static byte[] withChecksum(byte[] file) {
    CRC32C crc = new CRC32C();
    crc.update(file, 0, file.length - 4);
    ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putInt(file.length - 4, (int) crc.getValue());
    return file;
  }

  static ContainerReader open(byte[] file) throws IOException {
    return FORMAT.open(new ByteArrayInputStream(file), file.length, "f");
  }

  /** Reads the whole file as a {@link Header} and its payload; the message of any problem otherwise. */
  static String read(byte[] file) {
    try (ContainerReader r = open(file)) {
      Header h = r.header(root -> new Header(root.text("name"), root.integer("count", 0, 10)));
      byte[] payload = r.payload().readAllBytes();
      r.finish();
      return h + " " + new String(payload, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      assertThat(e).isInstanceOf(ModelFormatException.class);
      assertThat(((ModelFormatException) e).file()).isEqualTo("f");
      return e.getMessage();
    }
  }

  @Test
  void writesTheLayout_andReadsItBack() throws IOException {
    byte[] f = file(new Header("x", 2), PAYLOAD);
    ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(new String(f, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("TESTFMT1");
    assertThat(b.getInt(8)).isEqualTo(3);
    int h = b.getInt(12);
    assertThat(new String(f, 16, h, StandardCharsets.UTF_8)).isEqualTo("{\n  \"name\" : \"x\",\n  \"count\" : 2\n}");
    assertThat(Arrays.copyOfRange(f, 16 + h, f.length - 4)).isEqualTo(PAYLOAD);
    CRC32C crc = new CRC32C();
    crc.update(f, 0, f.length - 4);
    assertThat(Integer.toUnsignedLong(b.getInt(f.length - 4))).isEqualTo(crc.getValue());
    assertThat(read(f)).isEqualTo("Header[name=x, count=2] payload bytes");
    try (ContainerReader r = open(f)) {
      assertThat(r.payloadBytes()).isEqualTo(PAYLOAD.length);
      assertThat(r.size()).isEqualTo(f.length);
    }
  }

  @Test
  void thePrefixIsCheckedBeforeAnythingIsAllocated() throws IOException {
    byte[] f = file(new Header("x", 2), PAYLOAD);
    assertThat(read(new byte[0])).isEqualTo("f: not a PatchCore test file: it starts with (nothing: empty file),"
        + " expected the magic 54455354464d5431 (\"TESTFMT1\")");
    assertThat(read("TEST".getBytes(StandardCharsets.US_ASCII))).contains("it starts with 54455354,");
    byte[] other = f.clone();
    System.arraycopy("OTHERFMT".getBytes(StandardCharsets.US_ASCII), 0, other, 0, 8);
    assertThat(read(other)).endsWith("(it is another file: use Other.load)");
    assertThat(read(Arrays.copyOf(f, 12))).isEqualTo("f: truncated: 12 bytes, too short for the 16-byte file prefix");
    byte[] version = f.clone();
    version[8] = 4;
    assertThat(read(version)).isEqualTo("f: unsupported test format version 4; this library reads version 3");
    byte[] negative = f.clone();
    ByteBuffer.wrap(negative).order(ByteOrder.LITTLE_ENDIAN).putInt(12, -1);
    assertThat(read(negative)).isEqualTo("f: header length 4294967295 is out of range [2, 1048576]");
    byte[] long1MiB = f.clone();
    ByteBuffer.wrap(long1MiB).order(ByteOrder.LITTLE_ENDIAN).putInt(12, 1 << 20);
    assertThat(read(long1MiB)).isEqualTo("f: truncated: " + f.length
        + " bytes, but the prefix, a header of 1048576 bytes and the checksum need 1048596");
  }

  @Test
  void aBadHeader_saysWhetherTheChecksumFailsToo() throws IOException {
    byte[] f = file(new Header("x", 11), PAYLOAD);
    assertThat(read(withChecksum(f))).isEqualTo("f: header field 'count' must be an integer in [0, 10], got 11");
    f[f.length - 5] ^= 1; // in the payload
    assertThat(read(f)).isEqualTo("f: header field 'count' must be an integer in [0, 10], got 11"
        + " (the checksum does not match either: the file is damaged)");
    byte[] json = file(Map.of("name", "x"), PAYLOAD);
    json[16] = '[';
    assertThat(read(withChecksum(json))).startsWith("f: header is not valid JSON: ");
    assertThat(read(withChecksum(file(List.of(1), PAYLOAD)))).isEqualTo("f: header is not a JSON object");
  }

  @Test
  void thePayloadAndTheEnd_areChecked() throws IOException {
    byte[] f = file(new Header("x", 2), PAYLOAD);
    byte[] damaged = f.clone();
    damaged[f.length - 6] ^= 0x20;
    assertThat(read(damaged)).startsWith("f: checksum mismatch: stored CRC32C 0x").endsWith("(the file is damaged)");
    byte[] longer = Arrays.copyOf(f, f.length + 1);
    try (ContainerReader r = FORMAT.open(new ByteArrayInputStream(longer), f.length, "f")) {
      r.header(root -> root);
      r.payload().readAllBytes();
      assertThatThrownBy(r::finish).isInstanceOf(ModelFormatException.class)
          .hasMessage("f: more than the expected " + f.length + " bytes (was the file changed while it was read?)");
    }
    try (ContainerReader r = open(f)) {
      assertThatThrownBy(r::payload).isInstanceOf(IllegalStateException.class);
      r.header(root -> root);
      assertThatThrownBy(() -> r.header(root -> root)).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(r::finish).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("not read to its end");
    }
  }

  @Test
  void theWriter_checksTheHeaderLimitAndThePayloadLength() throws IOException {
    assertThatThrownBy(() -> FORMAT.writer(Map.of("x", "y".repeat(1 << 20)), 0, out -> {}))
        .isInstanceOf(IOException.class).hasMessageContaining("test header of").hasMessageContaining("limit");
    ContainerWriter w = FORMAT.writer(new Header("x", 1), 3, out -> out.write(new byte[2]));
    assertThatThrownBy(() -> w.writeTo(new ByteArrayOutputStream())).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("wrote 2 bytes, announced 3");
    assertThatThrownBy(() -> Container.of("SHORT", 1, "x", HeaderFields.Style.PLAIN))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // ------------------------------------------------------------------ header fields

  static final String HEADER = "{\"text\": \"a\", \"blank\": \" \", \"int\": 5, \"big\": 1e3, \"real\": 0.5,"
      + " \"nul\": null, \"obj\": {\"k\": \"v\", \"n\": 1}, \"names\": [\"a\", \"b\", \"a\"], \"ints\": [1, 2, 30],"
      + " \"objs\": [{}, 1], \"when\": \"2025-01-01T00:00:00Z\"}";

  /** The message of reading {@code field} from {@link #HEADER} with {@code style}, or its value. */
  static String field(HeaderFields.Style style, ContainerReader.HeaderParser<Object> field) throws IOException {
    Container format = Container.of("TESTFMT1", 3, "test", style);
    byte[] h = HEADER.getBytes(StandardCharsets.UTF_8);
    byte[] f = withChecksum(ByteBuffer.allocate(16 + h.length + 4).order(ByteOrder.LITTLE_ENDIAN)
        .put("TESTFMT1".getBytes(StandardCharsets.US_ASCII)).putInt(3).putInt(h.length).put(h).array());
    try (ContainerReader r = format.open(new ByteArrayInputStream(f), f.length, "f")) {
      return String.valueOf(r.header(field));
    } catch (ModelFormatException e) {
      return e.getMessage().substring(3);
    }
  }

  @Test
  void headerFields_typedAndRangeChecked() throws IOException {
    HeaderFields.Style q = HeaderFields.Style.QUOTED;
    assertThat(field(q, root -> root.text("text"))).isEqualTo("a");
    assertThat(field(q, root -> root.text("blank"))).isEqualTo("header field 'blank' must be a non-blank string, got \" \"");
    assertThat(field(q, root -> root.anyText("blank"))).isEqualTo(" ");
    assertThat(field(q, root -> root.integer("int", 0, 4))).isEqualTo("header field 'int' must be an integer in [0, 4], got 5");
    assertThat(field(q, root -> root.integer("big", 0, 5000))).isEqualTo("header field 'big' must be an integer in [0, 5000], got 1000.0");
    assertThat(field(q, root -> root.longInteger("real", Long.MIN_VALUE, Long.MAX_VALUE)))
        .isEqualTo("header field 'real' must be a 64-bit integer, got 0.5");
    assertThat(field(q, root -> root.number("real", 0, 1))).isEqualTo("0.5");
    assertThat(field(q, root -> root.number("big", 0, 1))).isEqualTo("header field 'big' must be a number in [0.0, 1.0], got 1000.0");
    assertThat(field(q, root -> root.finiteNumber("text"))).isEqualTo("header field 'text' must be a finite number, got \"a\"");
    assertThat(field(q, root -> root.objectOrNull("nul"))).isEqualTo("null");
    assertThat(field(q, root -> root.object("nul"))).isEqualTo("header field 'nul' must be an object, got null");
    assertThat(field(q, root -> root.object("obj").integer("k", 0, 1))).isEqualTo("header field 'obj.k' must be an integer in [0, 1], got \"v\"");
    assertThat(field(q, root -> root.textMap("obj"))).isEqualTo("header field 'obj.n' must be a string, got 1");
    assertThat(field(q, root -> root.names("names", "layer", 0, 5))).isEqualTo("header field 'names' names layer \"a\" twice");
    assertThat(field(q, root -> root.names("names", "layer", 0, 2))).isEqualTo("header field 'names' must list 0 to 2 layers, got 3");
    assertThat(field(q, root -> Arrays.toString(root.integers("ints", 0, 10)))).isEqualTo("header field 'ints[2]' must be an integer in [0, 10], got 30");
    assertThat(field(q, root -> root.objects("objs", 1, 5))).isEqualTo("header field 'objs[1]' must be an object, got 1");
    assertThat(field(q, root -> root.objects("objs", 3, 5))).isEqualTo("header field 'objs' must be an array of 3 to 5 objects, got 2 entries");
    assertThat(field(q, root -> root.oneOf("text", List.of("b", "c")))).isEqualTo("header field 'text' must be one of [b, c], got \"a\"");
    assertThat(field(q, root -> root.instant("when"))).isEqualTo(Instant.parse("2025-01-01T00:00:00Z").toString());
    assertThat(field(q, root -> root.instant("text"))).isEqualTo("header field 'text' must be an ISO-8601 instant, got \"a\"");
    assertThat(field(q, root -> root.object("obj").text("missing"))).isEqualTo("header field 'obj.missing' is missing");
  }

  @Test
  void headerFields_plainStyle_namesThePathAndReportsMissingAsNothing() throws IOException {
    HeaderFields.Style p = HeaderFields.Style.PLAIN;
    assertThat(field(p, root -> root.object("obj").finiteNumber("missing")))
        .isEqualTo("obj.missing must be a finite number, got nothing");
    assertThat(field(p, root -> root.integer("int", 0, 4))).isEqualTo("int must be an integer in [0, 4], got 5");
    assertThat(field(p, root -> root.objects("objs", 1, 5).get(0).invalid("x", "is odd")))
        .isEqualTo("objs[1] must be an object, got 1");
  }
}
