package io.patchcore.backbones;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.util.Objects;

/**
 * An 8-bit RGB image with interleaved pixels ({@code height x width x 3}, row-major), the form all
 * preprocessing works on. Instances are not copied defensively; they never leave this package.
 */
final class RgbImage {
  final int width;
  final int height;
  /** {@code height * width * 3} unsigned bytes, R G B per pixel. */
  final byte[] pixels;

  RgbImage(int width, int height, byte[] pixels) {
    if (width < 1 || height < 1) {
      throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height + " (WxH)");
    }
    if (pixels.length != width * height * 3) {
      throw new IllegalArgumentException(
          "an RGB image of " + width + "x" + height + " needs " + width * height * 3 + " bytes, got " + pixels.length);
    }
    this.width = width;
    this.height = height;
    this.pixels = pixels;
  }

  /** The value (0..255) of channel {@code c} at row {@code y}, column {@code x}. */
  int get(int y, int x, int c) {
    return pixels[(y * width + x) * 3 + c] & 0xff;
  }

  /**
   * Converts any {@link BufferedImage} to 8-bit RGB the way PIL's {@code convert("RGB")} does on
   * the image PIL opens from the same file (checked against Pillow 9.4 with the files of {@code
   * src/test/resources/bad-input}): greyscale is replicated to the three channels, alpha is
   * dropped (not composited), palettes are looked up. Grey images are read from the raster
   * directly, because {@link BufferedImage#getRGB} would apply a linear-to-sRGB curve to Java's
   * linear grey colour space. Sample depths other than 8 bits follow PIL's decoders:
   *
   * <ul>
   *   <li>grey wider than 8 bits without alpha (16-bit PNG or TIFF, PIL modes {@code I} and
   *       {@code I;16}) is clipped: values above 255 become 255, smaller ones are kept;
   *   <li>grey with alpha and RGB(A) wider than 8 bits keep their top 8 bits (PIL reads 16-bit
   *       {@code LA}, {@code RGB} and {@code RGBA} PNGs as 8-bit modes);
   *   <li>grey narrower than 8 bits is scaled to 0..255.
   * </ul>
   *
   * Other colour spaces (CMYK already converted by the decoder, and the like) go through {@code
   * getRGB}'s colour conversion.
   */
  static RgbImage of(BufferedImage image) {
    Objects.requireNonNull(image, "image");
    int w = image.getWidth();
    int h = image.getHeight();
    ColorModel cm = image.getColorModel();
    ColorSpace cs = cm.getColorSpace();
    if (!(cm instanceof IndexColorModel) && cs.getType() == ColorSpace.TYPE_GRAY && cm.getNumColorComponents() == 1) {
      return fromGrey(image.getRaster(), cm.getComponentSize(0), cm.hasAlpha(), w, h);
    }
    if (cm instanceof ComponentColorModel && cs.isCS_sRGB() && !cm.isAlphaPremultiplied()
        && cm.getNumColorComponents() == 3) {
      if (allBits(cm, 8)) {
        return fromRgbRaster(image.getRaster(), cm.getNumComponents(), 0, w, h);
      }
      if (allBits(cm, 16)) {
        return fromRgbRaster(image.getRaster(), cm.getNumComponents(), 8, w, h);
      }
    }
    return fromArgb(image, w, h);
  }

  private static boolean allBits(ColorModel cm, int bits) {
    for (int i = 0; i < cm.getNumComponents(); i++) {
      if (cm.getComponentSize(i) != bits) {
        return false;
      }
    }
    return true;
  }

  private static RgbImage fromGrey(Raster raster, int bits, boolean alpha, int w, int h) {
    byte[] out = new byte[w * h * 3];
    int[] row = new int[w];
    int max = (1 << bits) - 1;
    for (int y = 0; y < h; y++) {
      raster.getSamples(0, y, w, 1, 0, row);
      for (int x = 0; x < w; x++) {
        int s = row[x];
        int v;
        if (bits == 8) {
          v = s;
        } else if (bits > 8) {
          v = alpha ? s >>> (bits - 8) : Math.min(s, 255);
        } else {
          v = (s * 255 + max / 2) / max;
        }
        byte b = (byte) v;
        int o = (y * w + x) * 3;
        out[o] = b;
        out[o + 1] = b;
        out[o + 2] = b;
      }
    }
    return new RgbImage(w, h, out);
  }

  /** The first three bands, shifted right by {@code shift} bits (8 keeps the top byte of 16). */
  private static RgbImage fromRgbRaster(Raster raster, int bands, int shift, int w, int h) {
    byte[] out = new byte[w * h * 3];
    int[] row = new int[w * bands];
    for (int y = 0; y < h; y++) {
      raster.getPixels(0, y, w, 1, row);
      int o = y * w * 3;
      for (int x = 0; x < w; x++) {
        int i = x * bands;
        out[o++] = (byte) (row[i] >>> shift);
        out[o++] = (byte) (row[i + 1] >>> shift);
        out[o++] = (byte) (row[i + 2] >>> shift);
      }
    }
    return new RgbImage(w, h, out);
  }

  private static RgbImage fromArgb(BufferedImage image, int w, int h) {
    byte[] out = new byte[w * h * 3];
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      image.getRGB(0, y, w, 1, row, 0, w);
      int o = y * w * 3;
      for (int x = 0; x < w; x++) {
        int argb = row[x];
        out[o++] = (byte) (argb >>> 16);
        out[o++] = (byte) (argb >>> 8);
        out[o++] = (byte) argb;
      }
    }
    return new RgbImage(w, h, out);
  }
}
