package io.patchcore.internal.image;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Reading images with errors that name the file and the cause. The format is recognised from the
 * content, not the extension. Before decoding, the size declared in the header is checked against
 * a pixel limit (a decompression-bomb guard): a small file that declares 30000 x 30000 pixels is
 * refused without allocating it. Decoder warnings (a truncated JPEG decodes to a half-grey image
 * with only a warning) are treated as errors, except those about colour profiles (TwelveMonkeys'
 * JPEG reader warns that a CMYK JPEG without an ICC profile is converted with the plain formula,
 * which is what PIL does too): the pixels are all there.
 */
public final class Images {
  /**
   * The default pixel limit, 64 megapixels (an 8000 x 8000 image); the system property
   * {@code patchcore.maxImagePixels} overrides it.
   */
  public static final long DEFAULT_MAX_PIXELS = 64L * 1024 * 1024;

  /** Decoder warnings that concern only the colour profile (see {@link #isColourProfileWarning}). */
  private static final Pattern COLOUR_PROFILE = Pattern.compile("\\bICC\\b|\\bcolou?r profile",
      Pattern.CASE_INSENSITIVE);

  private Images() {}

  /**
   * The pixel limit in effect: {@code patchcore.maxImagePixels} or {@link #DEFAULT_MAX_PIXELS}.
   *
   * @return the largest number of pixels an image may declare
   * @throws IllegalArgumentException if the system property is set but not a positive integer (the
   *     message gives its value)
   */
  public static long maxPixels() {
    String v = System.getProperty("patchcore.maxImagePixels");
    if (v == null) {
      return DEFAULT_MAX_PIXELS;
    }
    try {
      long n = Long.parseLong(v.trim());
      if (n < 1) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("system property patchcore.maxImagePixels must be a positive integer, got '"
          + v + "'");
    }
  }

  /**
   * Decodes the image at {@code path} with the default pixel limit.
   *
   * @param path the image file
   * @return the decoded image
   * @throws UncheckedIOException naming the file if it is missing, unreadable, empty, not a
   *     decodable image, truncated or larger than the limit
   * @throws IllegalArgumentException if the system property {@code patchcore.maxImagePixels} is set
   *     but not a positive integer
   */
  public static BufferedImage read(Path path) {
    return read(path, maxPixels());
  }

  /**
   * Decodes the image at {@code path}, refusing images of more than {@code maxPixels} pixels
   * before decoding them.
   *
   * @param path the image file
   * @param maxPixels the largest number of pixels (width times height) the image may declare
   * @return the decoded image
   * @throws IllegalArgumentException if {@code maxPixels} is below 1
   * @throws UncheckedIOException naming the file and the cause if it is missing, unreadable, empty,
   *     not a decodable image, truncated, reported by the decoder as corrupt or larger than
   *     {@code maxPixels}
   */
  public static BufferedImage read(Path path, long maxPixels) {
    if (maxPixels < 1) {
      throw new IllegalArgumentException("maxPixels must be >= 1, got " + maxPixels);
    }
    try {
      return decode(path, maxPixels);
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    } catch (RuntimeException e) {
      // decoders throw IllegalArgumentException, ArrayIndexOutOfBounds... on corrupt data
      throw new UncheckedIOException(new IOException("cannot decode image " + path + ": " + e, e));
    }
  }

  /**
   * Whether a decoder warning is about the colour profile only (the image data is complete).
   *
   * @param warning the decoder's warning text, may be null
   * @return true if the text mentions {@code ICC} or a colour (color) profile, case-insensitively;
   *     false for null
   */
  public static boolean isColourProfileWarning(String warning) {
    return warning != null && COLOUR_PROFILE.matcher(warning).find();
  }

  private static BufferedImage decode(Path path, long maxPixels) throws IOException {
    if (!Files.exists(path)) {
      throw new IOException("image file not found: " + path);
    }
    if (!Files.isRegularFile(path)) {
      throw new IOException("not a regular file: " + path);
    }
    if (!Files.isReadable(path)) {
      throw new IOException("image file not readable (permission denied): " + path);
    }
    long size = Files.size(path);
    if (size == 0) {
      throw new IOException("empty image file (0 bytes): " + path);
    }
    try (ImageInputStream in = ImageIO.createImageInputStream(path.toFile())) {
      if (in == null) {
        throw new IOException("cannot open image file " + path);
      }
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw new IOException("not a recognised image format (" + size + " bytes): " + path);
      }
      ImageReader reader = readers.next();
      List<String> warnings = new ArrayList<>();
      try {
        reader.setInput(in, true, true);
        reader.addIIOReadWarningListener((source, warning) -> {
          if (!isColourProfileWarning(warning)) {
            warnings.add(warning);
          }
        });
        long w = reader.getWidth(0);
        long h = reader.getHeight(0);
        if (w < 1 || h < 1) {
          throw new IOException("image declares an empty size " + w + "x" + h + ": " + path);
        }
        if (w * h > maxPixels) {
          throw new IOException("image declares " + w + "x" + h + " = " + w * h + " pixels, more than the limit of "
              + maxPixels + " (decompression-bomb guard; raise patchcore.maxImagePixels if it is genuine): " + path);
        }
        BufferedImage image = reader.read(0);
        if (!warnings.isEmpty()) {
          throw new IOException("corrupt or truncated image (" + String.join("; ", warnings) + "): " + path);
        }
        return image;
      } catch (javax.imageio.IIOException e) {
        throw new IOException("cannot decode image " + path + " (" + reader.getFormatName() + "): "
            + e.getMessage(), e);
      } catch (java.io.EOFException e) {
        throw new IOException("truncated image " + path + " (" + reader.getFormatName() + ")", e);
      } finally {
        reader.dispose();
      }
    }
  }
}
