package io.patchcore;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Reading images with errors that name the file. */
public final class Images {
  private Images() {}

  /**
   * Decodes the image at {@code path} with ImageIO.
   *
   * @throws UncheckedIOException naming the file if it is missing, unreadable or not a decodable
   *     image
   */
  public static BufferedImage read(Path path) {
    if (!Files.isRegularFile(path)) {
      throw new UncheckedIOException(new IOException("not a readable image file: " + path));
    }
    try {
      BufferedImage image = ImageIO.read(path.toFile());
      if (image == null) {
        throw new IOException("no image decoder recognises " + path + " (" + Files.size(path) + " bytes)");
      }
      return image;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot decode image " + path + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new UncheckedIOException(new IOException("cannot decode image " + path + ": " + e, e));
    }
  }
}
