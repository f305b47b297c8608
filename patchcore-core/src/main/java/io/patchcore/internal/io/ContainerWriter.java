package io.patchcore.internal.io;

import static com.google.common.base.Preconditions.checkState;

import com.google.common.io.CountingOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * Writes one container file (see {@link Container}): prefix, header and payload through a CRC32C,
 * then the checksum. Made by {@link Container#writer}; its {@link #length()} is known before
 * anything is written, so a file can be a member of another.
 */
public final class ContainerWriter {
  private final Container format;
  private final byte[] header;
  private final long payloadBytes;
  private final IoConsumer<OutputStream> payload;

  ContainerWriter(Container format, byte[] header, long payloadBytes, IoConsumer<OutputStream> payload) {
    this.format = format;
    this.header = header;
    this.payloadBytes = payloadBytes;
    this.payload = payload;
  }

  /**
   * The size of the whole file in bytes.
   *
   * @return prefix, header, payload and checksum bytes together
   */
  public long length() {
    return Container.PREFIX_BYTES + header.length + payloadBytes + Container.CHECKSUM_BYTES;
  }

  /**
   * Writes the whole file to {@code out}, which is neither flushed nor closed.
   *
   * @param out the stream to write to
   * @throws IOException if {@code out} or the payload fails
   * @throws IllegalStateException if the payload writes another number of bytes than announced
   */
  public void writeTo(OutputStream out) throws IOException {
    CheckedOutputStream checked = new CheckedOutputStream(out, new CRC32C());
    checked.write(ByteBuffer.allocate(Container.PREFIX_BYTES).order(ByteOrder.LITTLE_ENDIAN)
        .put(format.magicBytes()).putInt(format.version()).putInt(header.length).array());
    checked.write(header);
    CountingOutputStream counted = new CountingOutputStream(checked);
    payload.accept(counted);
    checkState(counted.getCount() == payloadBytes, "%s payload: wrote %s bytes, announced %s", format.name(),
        counted.getCount(), payloadBytes);
    int crc = (int) checked.getChecksum().getValue();
    out.write(ByteBuffer.allocate(Container.CHECKSUM_BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt(crc).array());
  }

  /**
   * Saves the file atomically ({@link AtomicFile}).
   *
   * @param file where to save the file
   * @throws IOException naming {@code file} if it cannot be written; a previous file is left as it
   *     was
   */
  public void save(Path file) throws IOException {
    save(file, UnaryOperator.identity());
  }

  /**
   * Saves the file atomically through {@code tap}, which wraps the stream the file is written
   * through (tests inject failures with it).
   *
   * @param file where to save the file
   * @param tap wraps the stream the file is written through
   * @throws IOException naming {@code file} if it cannot be written; a previous file is left as it
   *     was
   */
  public void save(Path file, UnaryOperator<OutputStream> tap) throws IOException {
    AtomicFile.write(file, format.name(), out -> writeTo(tap.apply(out)));
  }
}
