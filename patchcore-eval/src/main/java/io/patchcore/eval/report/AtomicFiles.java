package io.patchcore.eval.report;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Objects;

/**
 * Writes files so that a reader, or a later run, sees either the complete new file or the old one
 * (or none), never a half-written file: the content goes to a hidden temporary file in the same
 * folder, which is flushed to disk and then renamed over the target in one step. Where the file
 * system cannot rename atomically, it falls back to a plain replacing move.
 *
 * <p>Internal to this module: public only so that the demo data ({@code
 * io.patchcore.eval.data.DemoData}) and the command line can write through it; not part of the
 * supported API. It uses nothing but the JDK, so the demo data generator runs without Guava on
 * the class path.
 */
public final class AtomicFiles {

  private AtomicFiles() {}

  /**
   * Produces the content of a file.
   */
  @FunctionalInterface
  public interface Body {
    /**
     * Writes the whole content to {@code out}. Closing {@code out} is allowed but not needed.
     *
     * @param out the stream of the temporary file, buffered
     * @throws IOException if the content cannot be produced or written
     */
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Writes {@code file} atomically. Its folder is created if missing. If {@code body} or the write
   * fails, the temporary file is deleted and an existing {@code file} is left as it was.
   *
   * @param file the file to create or replace
   * @param body what to write
   * @throws IOException naming {@code file} if it cannot be written; an exception thrown by
   *     {@code body} that is not an {@link IOException} propagates unchanged (after the clean-up)
   */
  public static void write(Path file, Body body) throws IOException {
    Objects.requireNonNull(body, "body");
    Path target = Objects.requireNonNull(file, "file").toAbsolutePath().normalize();
    Path dir = target.getParent();
    if (dir == null || target.getFileName() == null) {
      throw new IOException("cannot write " + file + ": not a file path");
    }
    Path tmp;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
    } catch (IOException e) {
      throw new IOException("cannot write " + target + ": cannot create a temporary file in " + dir
          + " (" + e + ")", e);
    }
    boolean moved = false;
    try {
      try (FileOutputStream raw = new FileOutputStream(tmp.toFile());
          OutputStream out = new BufferedOutputStream(raw, 1 << 16)) {
        body.writeTo(new KeepOpen(out));
        out.flush();
        raw.getFD().sync();
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      moved = true;
    } catch (IOException e) {
      throw new IOException("cannot write " + target + ": "
          + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
    } finally {
      if (!moved) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // the original failure matters more; the hidden temporary file is all that is left
        }
      }
    }
  }

  /** Passes writes through and turns {@code close()} into a flush, so bodies may close. */
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
