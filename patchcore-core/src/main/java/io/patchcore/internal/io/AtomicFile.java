package io.patchcore.internal.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes files so that readers see either the complete new file or what was there before, never a
 * half-written one. The content goes to a hidden temporary file in the target's folder
 * ({@code .<name>.<random>.tmp}, created with the default permissions), is forced to disk and
 * renamed over the target in one step; then the folder is forced too, where the platform allows
 * it, so the rename survives a crash. Where the file system cannot rename atomically the
 * temporary file replaces the target with a plain move. On any failure the temporary file is
 * deleted and an existing target is left as it was.
 *
 * <p>The target's folder must exist (callers that want it created create it first). Any file can
 * be written this way: model and ensemble files, reports, images.
 */
public final class AtomicFile {
  private static final int BUFFER = 1 << 16;
  private static final int TEMPORARY_NAME_ATTEMPTS = 10;

  private AtomicFile() {}

  /**
   * Writes {@code target} atomically.
   *
   * @param target the file to create or replace
   * @param what what the file is, for messages ("model", "report")
   * @param body writes the whole content to the stream it is given (buffered); it may close the
   *     stream, which only flushes it
   * @throws IOException {@code "cannot save <what> to <target>: <cause>"} if the content cannot be
   *     produced, written, forced to disk or renamed; a {@link RuntimeException} or {@link Error}
   *     thrown by {@code body} propagates unchanged, after the clean-up
   */
  public static void write(Path target, String what, IoConsumer<OutputStream> body) throws IOException {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(what, "what");
    Objects.requireNonNull(body, "body");
    Path file = target.toAbsolutePath();
    Path dir = file.getParent();
    if (dir == null || file.getFileName() == null) {
      throw new IOException("cannot save " + what + " to " + target + ": not a file path");
    }
    Path tmp = null;
    boolean moved = false;
    try {
      tmp = createTemporary(dir, file.getFileName().toString());
      try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER);
        body.accept(new KeepOpen(out));
        out.flush();
        channel.force(true);
      }
      replace(tmp, file);
      moved = true;
    } catch (IOException e) {
      throw new IOException("cannot save " + what + " to " + target + ": " + e, e);
    } finally {
      if (!moved && tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // the first failure matters more; a hidden, incomplete temporary file is all that is left
        }
      }
    }
    syncFolder(dir);
  }

  private static Path createTemporary(Path dir, String name) throws IOException {
    for (int attempt = 1; ; attempt++) {
      Path tmp = dir.resolve("." + name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
      try {
        Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
        return tmp;
      } catch (FileAlreadyExistsException e) {
        if (attempt >= TEMPORARY_NAME_ATTEMPTS) {
          throw e;
        }
      }
    }
  }

  private static void replace(Path tmp, Path file) throws IOException {
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Makes the rename durable where the platform allows opening a folder (best effort). */
  private static void syncFolder(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException | RuntimeException ignored) {
      // not supported on this platform or file system
    }
  }

  /** Passes writes through; {@code close()} only flushes, so a body may close its stream. */
  private static final class KeepOpen extends FilterOutputStream {
    private boolean closed;

    KeepOpen(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      ensureOpen();
      out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      ensureOpen();
      out.write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
      if (!closed) {
        out.flush();
      }
    }

    @Override
    public void close() throws IOException {
      if (!closed) {
        closed = true;
        out.flush();
      }
    }

    private void ensureOpen() throws IOException {
      if (closed) {
        throw new IOException("stream closed");
      }
    }
  }
}
