package io.patchcore;

import java.io.IOException;

/**
 * A model file that cannot be used: not a model file, an unknown format version, damaged
 * (truncated, checksum mismatch, values out of range) or fitted with another backbone than the
 * one given. The message starts with the file's name.
 */
public class ModelFormatException extends IOException {
  /** The file (as given to the loader) the problem was found in. */
  private final String file;

  /**
   * Creates an exception whose message is {@code file + ": " + message}.
   *
   * @param file the file (as given to the loader) the problem was found in
   * @param message what is wrong with the file
   */
  public ModelFormatException(String file, String message) {
    super(file + ": " + message);
    this.file = file;
  }

  /**
   * Creates an exception whose message is {@code file + ": " + message}, with a cause.
   *
   * @param file the file (as given to the loader) the problem was found in
   * @param message what is wrong with the file
   * @param cause the underlying failure
   */
  public ModelFormatException(String file, String message, Throwable cause) {
    super(file + ": " + message, cause);
    this.file = file;
  }

  /**
   * The file (as given to the loader) the problem was found in.
   *
   * @return the file name or path as given
   */
  public String file() {
    return file;
  }
}
