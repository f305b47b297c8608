package io.patchcore.eval.report;

import io.patchcore.internal.io.AtomicFile;
import io.patchcore.internal.io.IoConsumer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The reports' way to write a file: creates the file's folder when missing, then writes through the
 * library's one atomic writer ({@link AtomicFile}: temporary file, fsync, atomic rename), so a
 * reader, or a later run, sees either the complete new file or the old one, never a half-written
 * file.
 *
 * <p>Internal to this module: public only so that the demo data and the command line can write
 * through it; not part of the supported API.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /**
   * Writes {@code file} atomically. Its folder is created if missing. If {@code body} or the write
   * fails, the temporary file is deleted and an existing {@code file} is left as it was.
   *
   * @param file the file to create or replace
   * @param body writes the whole content; it may close the stream
   * @throws IOException naming {@code file} if it cannot be written; an exception thrown by
   *     {@code body} that is not an {@link IOException} propagates unchanged (after the clean-up)
   */
  public static void write(Path file, IoConsumer<OutputStream> body) throws IOException {
    Objects.requireNonNull(body, "body");
    Path target = Objects.requireNonNull(file, "file").toAbsolutePath().normalize();
    Path dir = target.getParent();
    if (dir == null || target.getFileName() == null) {
      throw new IOException("cannot write " + file + ": not a file path");
    }
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IOException("cannot write " + target + ": cannot create its folder " + dir + " (" + e + ")", e);
    }
    AtomicFile.write(target, "file", body);
  }
}
