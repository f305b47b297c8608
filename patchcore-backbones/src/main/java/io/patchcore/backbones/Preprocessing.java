package io.patchcore.backbones;

import java.awt.image.BufferedImage;
import java.util.Objects;

/**
 * The image transform in front of a backbone, equal to torchvision's {@code Resize(resize) ->
 * CenterCrop(crop) -> ToTensor -> Normalize} on a PIL RGB image: RGB conversion ({@link
 * RgbImage#of}), optional resize of the shorter side ({@link PilBilinear}), optional centre crop,
 * division by 255 in float32 and normalisation. Immutable and thread-safe.
 */
final class Preprocessing {
  /** Value of {@link #resize} and {@link #crop} meaning "off". */
  static final int OFF = 0;

  final int resize;
  final int crop;
  final Normalization normalization;

  Preprocessing(int resize, int crop, Normalization normalization) {
    if (resize < 0 || crop < 0) {
      throw new IllegalArgumentException("resize and crop sizes must be positive (or off), got resize " + resize
          + " and crop " + crop);
    }
    this.resize = resize;
    this.crop = crop;
    this.normalization = Objects.requireNonNull(normalization, "normalization");
  }

  /** The transform {@code spec} describes. */
  Preprocessing(PreprocessingSpec spec) {
    this(spec.resize().orElse(OFF), spec.crop().orElse(OFF), spec.normalization());
  }

  /** A CHW float image of {@code 3 x height x width}. */
  static final class Chw {
    final int height;
    final int width;
    final float[] data;

    Chw(int height, int width, float[] data) {
      this.height = height;
      this.width = width;
      this.data = data;
    }
  }

  /** Runs the whole transform. */
  Chw apply(BufferedImage image) {
    return toTensor(transformPixels(RgbImage.of(image)));
  }

  /** Resize and crop, still 8-bit. */
  RgbImage transformPixels(RgbImage rgb) {
    RgbImage img = rgb;
    if (resize != OFF) {
      img = resizeShorterSide(img, resize);
    }
    if (crop != OFF) {
      img = centerCrop(img, crop);
    }
    return img;
  }

  /** Divides by 255 and normalises; CHW output. */
  Chw toTensor(RgbImage img) {
    int plane = img.width * img.height;
    float[] out = new float[3 * plane];
    byte[] px = img.pixels;
    boolean normalise = !normalization.isNone();
    for (int c = 0; c < 3; c++) {
      float mean = normalization.mean(c);
      float std = normalization.std(c);
      int base = c * plane;
      for (int i = 0; i < plane; i++) {
        float v = (px[i * 3 + c] & 0xff) / 255f;
        out[base + i] = normalise ? (v - mean) / std : v;
      }
    }
    return new Chw(img.height, img.width, out);
  }

  /**
   * Sets the shorter side to {@code size} and the longer one to {@code (int) (size * long /
   * short)}, like torchvision's {@code Resize(int)}.
   */
  static RgbImage resizeShorterSide(RgbImage img, int size) {
    int w = img.width;
    int h = img.height;
    int outW;
    int outH;
    if (w <= h) {
      outW = size;
      outH = (int) ((double) ((long) size * h) / w);
    } else {
      outH = size;
      outW = (int) ((double) ((long) size * w) / h);
    }
    if (outW < 1 || outH < 1) {
      throw new IllegalArgumentException("resizing a " + w + "x" + h + " (WxH) image to shorter side " + size
          + " gives an empty image");
    }
    return PilBilinear.resize(img, outW, outH);
  }

  /**
   * Cuts the central {@code size x size} square; the offsets are {@code round((H - size) / 2)} and
   * {@code round((W - size) / 2)} with ties to even, like torchvision's {@code CenterCrop}.
   *
   * @throws IllegalArgumentException if the image is smaller than {@code size} in either dimension
   */
  static RgbImage centerCrop(RgbImage img, int size) {
    if (img.width < size || img.height < size) {
      throw new IllegalArgumentException("cannot centre-crop " + size + "x" + size + " from an image of "
          + img.width + "x" + img.height + " (WxH); configure a resize of at least " + size + " or a smaller crop");
    }
    if (img.width == size && img.height == size) {
      return img;
    }
    int top = (int) Math.rint((img.height - size) / 2.0);
    int left = (int) Math.rint((img.width - size) / 2.0);
    byte[] out = new byte[size * size * 3];
    for (int y = 0; y < size; y++) {
      System.arraycopy(img.pixels, ((top + y) * img.width + left) * 3, out, y * size * 3, size * 3);
    }
    return new RgbImage(size, size, out);
  }

  @Override
  public String toString() {
    return "Preprocessing[resize=" + (resize == OFF ? "off" : resize) + ", crop=" + (crop == OFF ? "off" : crop)
        + ", " + normalization + "]";
  }
}
