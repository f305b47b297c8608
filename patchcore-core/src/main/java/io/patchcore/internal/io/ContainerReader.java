package io.patchcore.internal.io;

import static com.google.common.base.Preconditions.checkState;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.google.common.io.BaseEncoding;
import com.google.common.io.ByteStreams;
import com.google.common.io.CountingInputStream;
import io.patchcore.ModelFormatException;
import io.patchcore.PatchCore;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;

/**
 * Reads one container file (see {@link Container}), in order: {@link Container#open} checks the
 * prefix, {@link #header} parses and hands over the header, {@link #payload} gives the payload and
 * {@link #finish} verifies the checksum. Nothing is allocated by a size read from the file before
 * that size is checked against the file's. Every problem is a {@link ModelFormatException} naming
 * the file. Not thread-safe.
 */
public final class ContainerReader implements Closeable {
  private final Container format;
  private final String file;
  private final long size;
  private final InputStream source;
  private final boolean owned;
  private final CountingInputStream counted;
  private final CheckedInputStream in;
  private final int headerLength;
  private final int version;
  private boolean headerRead;
  private InputStream payload;

  /** Reads and checks the prefix: magic, version, header length, and that the file can hold them. */
  ContainerReader(Container format, InputStream source, boolean owned, long size, String file) throws IOException {
    this.format = format;
    this.file = file;
    this.size = size;
    this.source = source;
    this.owned = owned;
    this.counted = new CountingInputStream(source);
    this.in = new CheckedInputStream(counted, new CRC32C());
    byte[] prefix = in.readNBytes((int) Math.min(size, Container.PREFIX_BYTES));
    byte[] magic = format.magicBytes();
    if (prefix.length < magic.length || !Arrays.equals(prefix, 0, magic.length, magic, 0, magic.length)) {
      throw bad(wrongMagic(prefix, magic));
    }
    if (prefix.length < Container.PREFIX_BYTES) {
      throw bad("truncated: " + size + " bytes, too short for the " + Container.PREFIX_BYTES + "-byte file prefix");
    }
    ByteBuffer p = ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN);
    int version = p.getInt(8);
    if (version < format.oldestVersion() || version > format.version()) {
      throw bad("unsupported " + format.name() + " format version " + Integer.toUnsignedString(version)
          + "; this library reads version" + (format.oldestVersion() == format.version() ? " " + format.version()
          : "s " + format.oldestVersion() + " to " + format.version()));
    }
    this.version = version;
    headerLength = p.getInt(12);
    if (headerLength < Container.MIN_HEADER_BYTES || headerLength > Container.MAX_HEADER_BYTES) {
      throw bad("header length " + Integer.toUnsignedString(headerLength) + " is out of range ["
          + Container.MIN_HEADER_BYTES + ", " + Container.MAX_HEADER_BYTES + "]");
    }
    long needed = (long) Container.PREFIX_BYTES + headerLength + Container.CHECKSUM_BYTES;
    if (size < needed) {
      throw bad("truncated: " + size + " bytes, but the prefix, a header of " + headerLength
          + " bytes and the checksum need " + needed);
    }
  }

  /** Parses a header into what the format makes of it. */
  @FunctionalInterface
  public interface HeaderParser<T> {
    /**
     * Checks the header's fields and returns them as the format's type.
     *
     * @param root the header's root object
     * @return what the format makes of the header
     * @throws ModelFormatException naming the problem
     */
    T parse(HeaderFields root) throws ModelFormatException;
  }

  /**
   * The file's format version (checked to be one the format reads).
   *
   * @return the version in the file's prefix
   */
  public int version() {
    return version;
  }

  /**
   * The file's name as messages give it.
   *
   * @return the file name
   */
  public String file() {
    return file;
  }

  /**
   * The size of the whole file in bytes.
   *
   * @return the size given when the reader was opened
   */
  public long size() {
    return size;
  }

  /**
   * The size of the payload in bytes: what lies between the header and the checksum.
   *
   * @return the payload size
   */
  public long payloadBytes() {
    return size - Container.PREFIX_BYTES - headerLength - Container.CHECKSUM_BYTES;
  }

  /**
   * How many bytes of the file have been read.
   *
   * @return the current offset in the file
   */
  public long position() {
    return counted.getCount();
  }

  /**
   * Reads the header (strict UTF-8, strict JSON, an object) and hands it to {@code parser}. If the
   * header or the parser fails and the checksum over the rest of the file fails too, the message
   * says so: a bad header is usually damage. Call it once, before {@link #payload}.
   *
   * @param <T> what the format makes of the header
   * @param parser checks the header's fields and returns them
   * @return what {@code parser} returned
   * @throws ModelFormatException if the header is truncated, not a valid JSON object or the parser
   *     rejects it
   * @throws IllegalStateException if the header was read already
   * @throws IOException if the file cannot be read
   */
  public <T> T header(HeaderParser<T> parser) throws IOException {
    checkState(!headerRead, "the header was read already");
    headerRead = true;
    try {
      return parser.parse(new HeaderFields(parse(readFully(headerLength)), "", format.fieldStyle(), file));
    } catch (ModelFormatException e) {
      throw withChecksumVerdict(e);
    }
  }

  /**
   * The payload: a stream of exactly {@link #payloadBytes} bytes (fewer only where the file is
   * shorter than its size said), counted into the checksum. Do not close it; {@link #close} closes
   * the file.
   *
   * @return the payload stream (the same one on every call)
   * @throws IllegalStateException if the header was not read yet
   */
  public InputStream payload() {
    checkState(headerRead, "read the header first");
    if (payload == null) {
      payload = ByteStreams.limit(in, payloadBytes());
    }
    return payload;
  }

  /**
   * Verifies the checksum after the whole payload was read, and that the file ends there.
   *
   * @throws ModelFormatException if the checksum does not match or the file is longer than its size
   * @throws IllegalStateException if the payload was not read to its end
   * @throws IOException if the file cannot be read
   */
  public void finish() throws IOException {
    checkState(headerRead && position() == size - Container.CHECKSUM_BYTES,
        "the payload was not read to its end: at %s of %s bytes", position(), size);
    long computed = in.getChecksum().getValue();
    long stored = littleEndianUnsigned(readFully(Container.CHECKSUM_BYTES));
    if (stored != computed) {
      throw bad("checksum mismatch: stored CRC32C " + String.format("0x%08x", stored) + ", computed "
          + String.format("0x%08x", computed) + " (the file is damaged)");
    }
    if (in.read() != -1) {
      throw bad("more than the expected " + size + " bytes (was the file changed while it was read?)");
    }
  }

  /**
   * A problem with this file.
   *
   * @param message what is wrong
   * @return the exception to throw, naming the file
   */
  public ModelFormatException bad(String message) {
    return new ModelFormatException(file, message);
  }

  /**
   * The payload ended early: {@code what} ends at the current position.
   *
   * @param what what was being read, such as {@code "the memory bank"}
   * @return the exception to throw, naming the file, the offset and the file's size
   */
  public ModelFormatException truncated(String what) {
    return bad("truncated: " + what + " ends at offset " + position() + " of " + size + " bytes");
  }

  /** Closes the file if {@link Container#open(java.nio.file.Path)} opened it. */
  @Override
  public void close() throws IOException {
    if (owned) {
      source.close();
    }
  }

  private String wrongMagic(byte[] prefix, byte[] magic) {
    int n = Math.min(prefix.length, magic.length);
    String advice = "";
    for (Map.Entry<String, String> other : format.recognised().entrySet()) {
      byte[] m = other.getKey().getBytes(StandardCharsets.US_ASCII);
      if (prefix.length >= m.length && Arrays.equals(prefix, 0, m.length, m, 0, m.length)) {
        advice = " (" + other.getValue() + ")";
      }
    }
    return "not a PatchCore " + format.name() + " file: it starts with "
        + (n == 0 ? "(nothing: empty file)" : hex(prefix, n)) + ", expected the magic " + hex(magic, magic.length)
        + " (\"" + format.magic() + "\")" + advice;
  }

  private static String hex(byte[] bytes, int n) {
    return BaseEncoding.base16().lowerCase().encode(bytes, 0, n);
  }

  private JsonNode parse(byte[] header) throws ModelFormatException {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(header)).toString();
    } catch (CharacterCodingException e) {
      throw new ModelFormatException(file, "header is not valid UTF-8: " + e, e);
    }
    JsonNode root;
    try {
      root = Container.JSON.readTree(text);
    } catch (JsonProcessingException | RuntimeException e) {
      String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.toString();
      throw new ModelFormatException(file, "header is not valid JSON: " + HeaderFields.abbreviate(why), e);
    }
    if (root == null || !root.isObject()) {
      throw bad("header is not a JSON object");
    }
    return root;
  }

  private byte[] readFully(int n) throws IOException {
    long at = position();
    byte[] b = in.readNBytes(n);
    if (b.length != n) {
      throw bad("truncated: expected " + n + " bytes at offset " + at + ", got " + b.length);
    }
    return b;
  }

  private static long littleEndianUnsigned(byte[] four) {
    return Integer.toUnsignedLong(ByteBuffer.wrap(four).order(ByteOrder.LITTLE_ENDIAN).getInt());
  }

  /** Adds the checksum's verdict over the rest of the file, streamed (nothing sized by the header). */
  private ModelFormatException withChecksumVerdict(ModelFormatException e) {
    try {
      long rest = size - position() - Container.CHECKSUM_BYTES;
      if (rest < 0 || ByteStreams.exhaust(ByteStreams.limit(in, rest)) != rest) {
        return e;
      }
      long computed = in.getChecksum().getValue();
      byte[] stored = in.readNBytes(Container.CHECKSUM_BYTES);
      if (stored.length == Container.CHECKSUM_BYTES && littleEndianUnsigned(stored) != computed) {
        String detail = e.getMessage().startsWith(file + ": ")
            ? e.getMessage().substring(file.length() + 2) : e.getMessage();
        return new ModelFormatException(file, detail + " (the checksum does not match either: the file is damaged)",
            e);
      }
    } catch (IOException ignored) {
      // report the header problem alone
    }
    return e;
  }
}
