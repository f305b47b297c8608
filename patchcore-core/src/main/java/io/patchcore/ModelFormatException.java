package io.patchcore;

import java.io.IOException;

/**
 * A model file that cannot be used: not a model file, an unknown format version, damaged
 * (truncated, checksum mismatch, values out of range) or fitted with another backbone than the
 * one given. The message starts with the file's name.
 */
public class ModelFormatException extends IOException {
  private final String file;

  public ModelFormatException(String file, String message) {
    super(file + ": " + message);
    this.file = file;
  }

  public ModelFormatException(String file, String message, Throwable cause) {
    super(file + ": " + message, cause);
    this.file = file;
  }

  /** The file (as given to the loader) the problem was found in. */
  public String file() {
    return file;
  }
}
