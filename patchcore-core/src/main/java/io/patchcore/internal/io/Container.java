package io.patchcore.internal.io;

import static com.google.common.base.Preconditions.checkArgument;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.google.common.base.CharMatcher;
import com.google.common.collect.ImmutableMap;
import io.patchcore.PatchCore;
import io.patchcore.PatchCoreEnsemble;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * A checked container format: the layout model and ensemble files share. All integers are
 * little-endian:
 *
 * <pre>
 * offset      bytes     content
 * 0           8         magic (ASCII)
 * 8           4         int32 format version
 * 12          4         int32 header length H, in [2, 1 MiB]
 * 16          H         header: one UTF-8 JSON object
 * 16 + H      P         payload (its meaning and length P are the format's)
 * end - 4     4         CRC32C (uint32) of every byte before it
 * </pre>
 *
 * <p>A {@link ContainerWriter} writes such a file and a {@link ContainerReader} reads it: it checks
 * the prefix and the header length against the file's size before it allocates anything, parses
 * the header strictly (duplicate keys and trailing tokens rejected) and hands it to the format
 * through {@link HeaderFields}, gives the payload as a bounded, checksummed stream and verifies the
 * checksum. Every problem is an {@link io.patchcore.ModelFormatException} naming the file.
 *
 * @param magic the 8 ASCII characters a file starts with
 * @param version the format version this library writes (and the newest it reads)
 * @param oldestVersion the oldest format version this library reads
 * @param name what to call such a file in messages ("model": "not a PatchCore model file")
 * @param fieldStyle how messages name header fields
 * @param recognised the magic of related formats, each with advice for someone who gave such a file
 *     where this format was expected
 */
public record Container(String magic, int version, int oldestVersion, String name, HeaderFields.Style fieldStyle,
    Map<String, String> recognised) {
  /** Bytes before the header: magic, version and header length. */
  public static final int PREFIX_BYTES = 16;
  /** Bytes of the trailing checksum. */
  public static final int CHECKSUM_BYTES = 4;
  /** The shortest header: {@code {}}. */
  public static final int MIN_HEADER_BYTES = 2;
  /** The longest header. */
  public static final int MAX_HEADER_BYTES = 1 << 20;
  /** The shortest possible file: prefix, the shortest header, no payload and the checksum. */
  public static final int MIN_FILE_BYTES = PREFIX_BYTES + MIN_HEADER_BYTES + CHECKSUM_BYTES;

  /** Reads headers strictly and writes them indented; shared by every format. */
  static final ObjectMapper JSON = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(SerializationFeature.INDENT_OUTPUT)
      .build();

  private static final int READ_BUFFER = 1 << 16;

  /**
   * Checks the components.
   *
   * @param magic the 8 ASCII characters a file starts with
   * @param version the format version, positive
   * @param oldestVersion the oldest version read, in [1, version]
   * @param name what to call such a file in messages
   * @param fieldStyle how messages name header fields
   * @param recognised the magic of related formats, each with advice (copied)
   * @throws NullPointerException if a component is null, or {@code recognised} holds null
   * @throws IllegalArgumentException if {@code magic} is not 8 ASCII characters or {@code version}
   *     is not positive (the message gives the bad value)
   */
  public Container {
    Objects.requireNonNull(magic, "magic");
    checkArgument(magic.length() == 8 && CharMatcher.ascii().matchesAllOf(magic),
        "magic must be 8 ASCII characters, got \"%s\"", magic);
    checkArgument(version > 0, "version must be positive, got %s", version);
    checkArgument(oldestVersion > 0 && oldestVersion <= version, "oldestVersion must be in [1, %s], got %s", version,
        oldestVersion);
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(fieldStyle, "fieldStyle");
    recognised = ImmutableMap.copyOf(recognised);
  }

  /**
   * A format that recognises no other.
   *
   * @param magic the 8 ASCII characters a file starts with
   * @param version the format version, positive
   * @param name what to call such a file in messages
   * @param fieldStyle how messages name header fields
   * @return the format
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code magic} is not 8 ASCII characters or {@code version}
   *     is not positive
   */
  public static Container of(String magic, int version, String name, HeaderFields.Style fieldStyle) {
    return new Container(magic, version, version, name, fieldStyle, Map.of());
  }

  /**
   * This format, also reading files of older versions from {@code oldest} on (the format's reader
   * must then handle each version it accepts; {@link ContainerReader#version()} tells which).
   *
   * @param oldest the oldest version read, in [1, version]
   * @return a new format that reads versions {@code oldest .. version}
   * @throws IllegalArgumentException if {@code oldest} is out of range
   */
  public Container readingFrom(int oldest) {
    return new Container(magic, version, oldest, name, fieldStyle, recognised);
  }

  /**
   * This format, also recognising files that start with {@code otherMagic}: reading one fails with
   * {@code advice} added ("it is an ensemble file: use PatchCoreEnsemble.load").
   *
   * @param otherMagic the magic of the related format
   * @param advice what to tell someone who gave such a file
   * @return a new format that also recognises {@code otherMagic}
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code otherMagic} is recognised already
   */
  public Container recognising(String otherMagic, String advice) {
    return new Container(magic, version, oldestVersion, name, fieldStyle,
        ImmutableMap.<String, String>builder().putAll(recognised).put(otherMagic, advice).buildOrThrow());
  }

  /**
   * The magic as bytes.
   *
   * @return a new array of the magic's 8 ASCII bytes
   */
  public byte[] magicBytes() {
    return magic.getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * A writer of one file: {@code header} is encoded now, as indented JSON (a record or a Jackson
   * tree), so a header over the limit fails before anything is written.
   *
   * @param header the header, written by the shared mapper
   * @param payloadBytes the exact number of bytes {@code payload} writes
   * @param payload writes the payload to the stream it is given (it must not close it)
   * @return the writer, whose {@link ContainerWriter#length()} is known
   * @throws IllegalArgumentException if {@code payloadBytes} is negative
   * @throws NullPointerException if {@code payload} is null
   * @throws IOException if the header cannot be encoded or exceeds {@link #MAX_HEADER_BYTES}
   */
  public ContainerWriter writer(Object header, long payloadBytes, IoConsumer<OutputStream> payload)
      throws IOException {
    checkArgument(payloadBytes >= 0, "payloadBytes must be >= 0, got %s", payloadBytes);
    byte[] bytes = JSON.writeValueAsBytes(header);
    if (bytes.length > MAX_HEADER_BYTES) {
      throw new IOException(name + " header of " + bytes.length + " bytes exceeds the limit of "
          + MAX_HEADER_BYTES + " bytes");
    }
    return new ContainerWriter(this, bytes, payloadBytes, Objects.requireNonNull(payload, "payload"));
  }

  /**
   * Opens {@code file} and checks its prefix; the reader closes the file. Messages name the file
   * as {@code file.toString()}.
   *
   * @param file the file
   * @return a reader positioned after the prefix
   * @throws io.patchcore.ModelFormatException if the prefix is not this format's
   * @throws IOException if the file cannot be read
   */
  public ContainerReader open(Path file) throws IOException {
    long size = Files.size(file);
    InputStream in = new BufferedInputStream(Files.newInputStream(file), READ_BUFFER);
    try {
      return new ContainerReader(this, in, true, size, file.toString());
    } catch (IOException | RuntimeException | Error e) {
      in.close();
      throw e;
    }
  }

  /**
   * Checks the prefix of a file of {@code size} bytes read from {@code in}, which the reader does
   * not close.
   *
   * @param in the stream to read the file from, positioned at its start
   * @param size the size of the whole file in bytes
   * @param fileName names the file in messages
   * @return a reader positioned after the prefix
   * @throws NullPointerException if {@code in} or {@code fileName} is null
   * @throws io.patchcore.ModelFormatException if the prefix is not this format's
   * @throws IOException if {@code in} cannot be read
   */
  public ContainerReader open(InputStream in, long size, String fileName) throws IOException {
    return new ContainerReader(this, Objects.requireNonNull(in, "in"), false, size,
        Objects.requireNonNull(fileName, "fileName"));
  }
}
