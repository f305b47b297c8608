package io.patchcore.internal.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.UnaryOperator;

/**
 * Atomic file writes: the data goes to a temporary file in the target's folder, is forced to disk
 * and renamed over the target; on failure the temporary file is deleted and any previous file is
 * left as it was.
 */
public final class AtomicFile {
  private static final int BUFFER = 1 << 16;

  private AtomicFile() {}

  /** Writes the content of a file. */
  public interface Body {
    void write(OutputStream out) throws IOException;
  }

  /**
   * Writes {@code file} atomically; {@code what} names it in errors ("model", "ensemble") and
   * {@code tap} wraps the stream (tests inject failures with it).
   */
  public static void write(Path file, String what, UnaryOperator<OutputStream> tap, Body body) throws IOException {
    Path target = file.toAbsolutePath();
    Path dir = target.getParent();
    if (dir == null || target.getFileName() == null) {
      throw new IOException("cannot save " + what + " to " + file + ": not a file path");
    }
    Path tmp = null;
    boolean moved = false;
    try {
      tmp = createTemp(dir, target.getFileName().toString());
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        OutputStream out = tap.apply(new BufferedOutputStream(Channels.newOutputStream(ch), BUFFER));
        body.write(out);
        out.flush();
        ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      moved = true;
    } catch (IOException e) {
      throw new IOException("cannot save " + what + " to " + file + ": " + e, e);
    } finally {
      if (!moved && tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // an incomplete temporary file has no valid checksum and cannot load
        }
      }
    }
    syncFolder(dir);
  }

  private static Path createTemp(Path dir, String name) throws IOException {
    for (int attempt = 0; ; attempt++) {
      Path tmp = dir.resolve("." + name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
      try {
        Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
        return tmp;
      } catch (FileAlreadyExistsException e) {
        if (attempt >= 9) {
          throw e;
        }
      }
    }
  }

  /** Makes the rename durable where the platform allows opening a folder (best effort). */
  private static void syncFolder(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | RuntimeException ignored) {
      // not supported on this platform or file system
    }
  }
}
