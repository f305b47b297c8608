package io.patchcore.backbones;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Model file helpers: hashing, and copying a bundled resource out of the jar. */
final class ModelFiles {
  private ModelFiles() {}

  /**
   * The lower-case hex SHA-256 of {@code file}.
   *
   * @throws UncheckedIOException naming the file if it is missing or unreadable
   */
  static String sha256(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new UncheckedIOException(
          new NoSuchFileException(file.toString(), null, "TorchScript model file not found (or not a regular file)"));
    }
    try (InputStream in = Files.newInputStream(file)) {
      return digest(in, OutputStream.nullOutputStream());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read TorchScript model file " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Copies class-path resource {@code resource} to {@code target}, checking its SHA-256.
   *
   * @throws IllegalStateException naming the resource if it is missing or its hash differs
   */
  static void copyResource(String resource, String expectedSha256, Path target) {
    try (InputStream in = ModelFiles.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("bundled model resource " + resource + " is missing from the class path");
      }
      String actual;
      try (OutputStream out = Files.newOutputStream(target)) {
        actual = digest(in, out);
      }
      if (!actual.equals(expectedSha256)) {
        throw new IllegalStateException("bundled model resource " + resource + " is corrupt: sha256 " + actual
            + ", expected " + expectedSha256);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy bundled model resource " + resource + " to " + target, e);
    }
  }

  private static String digest(InputStream in, OutputStream copy) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
    try (DigestInputStream din = new DigestInputStream(in, md)) {
      din.transferTo(copy);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** Deletes {@code dir} and the files directly inside it, ignoring failures. */
  static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (var files = Files.list(dir)) {
      files.forEach(f -> {
        try {
          Files.deleteIfExists(f);
        } catch (IOException ignored) {
          // best effort: a temp file left behind is harmless
        }
      });
    } catch (IOException ignored) {
      // best effort
    }
    try {
      Files.deleteIfExists(dir);
    } catch (IOException ignored) {
      // best effort
    }
  }
}
