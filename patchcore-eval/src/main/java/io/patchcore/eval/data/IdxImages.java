package io.patchcore.eval.data;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.zip.GZIPInputStream;

/**
 * A split of an MNIST-style data set read from idx files (the format of MNIST and Fashion-MNIST):
 * {@code PREFIX-images-idx3-ubyte} (magic 2051, count, rows, columns, then unsigned bytes) and
 * {@code PREFIX-labels-idx1-ubyte} (magic 2049, count, then one byte per label), each either plain
 * or gzip-compressed ({@code .gz}). Immutable.
 *
 * @param images the pixels, {@code count * rows * columns} bytes (not copied; do not change)
 * @param labels one label per image
 * @param count the number of images
 * @param rows the image height
 * @param columns the image width
 */
public record IdxImages(byte[] images, byte[] labels, int count, int rows, int columns) {
  /** Most images a split may claim (the largest known idx sets hold 60,000). */
  private static final int MAX_COUNT = 10_000_000;

  /**
   * Checks the shapes.
   *
   * @param images the pixels
   * @param labels the labels
   * @param count the number of images
   * @param rows the height
   * @param columns the width
   * @throws IllegalArgumentException if the arrays do not match the shape
   */
  public IdxImages {
    Objects.requireNonNull(images, "images");
    Objects.requireNonNull(labels, "labels");
    if (labels.length != count || (long) count * rows * columns != images.length) {
      throw new IllegalArgumentException(count + " images of " + rows + "x" + columns + " need "
          + (long) count * rows * columns + " pixel bytes and " + count + " labels, got " + images.length + " and "
          + labels.length);
    }
  }

  /**
   * Reads split {@code prefix} ("train" or "t10k") from {@code dir}.
   *
   * @param dir the folder holding the idx files
   * @param prefix the split's file prefix
   * @return the split
   * @throws IOException naming the file if a file is missing, unreadable or not a valid idx file
   */
  public static IdxImages read(Path dir, String prefix) throws IOException {
    Path imageFile = find(dir, prefix + "-images-idx3-ubyte");
    Path labelFile = find(dir, prefix + "-labels-idx1-ubyte");
    byte[] img = bytes(imageFile);
    byte[] lab = bytes(labelFile);
    ByteBuffer ib = ByteBuffer.wrap(img);
    ByteBuffer lb = ByteBuffer.wrap(lab);
    if (img.length < 16 || ib.getInt(0) != 2051) {
      throw new IOException(imageFile + ": not an idx3 image file (magic " + (img.length < 4 ? "missing"
          : Integer.toString(ib.getInt(0))) + ", expected 2051)");
    }
    if (lab.length < 8 || lb.getInt(0) != 2049) {
      throw new IOException(labelFile + ": not an idx1 label file (magic " + (lab.length < 4 ? "missing"
          : Integer.toString(lb.getInt(0))) + ", expected 2049)");
    }
    int count = ib.getInt(4);
    int rows = ib.getInt(8);
    int cols = ib.getInt(12);
    if (count < 1 || count > MAX_COUNT || rows < 1 || cols < 1 || rows > 4096 || cols > 4096
        || img.length - 16L != (long) count * rows * cols) {
      throw new IOException(imageFile + ": header claims " + count + " images of " + rows + "x" + cols
          + ", but the file has " + (img.length - 16) + " pixel bytes");
    }
    if (lb.getInt(4) != count || lab.length - 8 != count) {
      throw new IOException(labelFile + ": holds " + lb.getInt(4) + " labels (" + (lab.length - 8)
          + " bytes) for the " + count + " images of " + imageFile);
    }
    byte[] pixels = java.util.Arrays.copyOfRange(img, 16, img.length);
    byte[] labels = java.util.Arrays.copyOfRange(lab, 8, lab.length);
    return new IdxImages(pixels, labels, count, rows, cols);
  }

  private static Path find(Path dir, String name) throws IOException {
    Path plain = dir.resolve(name);
    if (Files.isRegularFile(plain)) {
      return plain;
    }
    Path gz = dir.resolve(name + ".gz");
    if (Files.isRegularFile(gz)) {
      return gz;
    }
    throw new NoSuchFileException(plain.toString(), null, "neither it nor " + gz.getFileName() + " exists");
  }

  private static byte[] bytes(Path file) throws IOException {
    try (InputStream raw = Files.newInputStream(file);
        InputStream in = file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw) {
      return in.readAllBytes();
    } catch (java.util.zip.ZipException e) {
      throw new IOException(file + ": not valid gzip: " + e.getMessage(), e);
    }
  }

  /**
   * The label of image {@code i}.
   *
   * @param i the image index
   * @return its label, 0..255
   */
  public int label(int i) {
    return labels[i] & 0xff;
  }

  /**
   * Image {@code i} upscaled to {@code size x size} with bilinear interpolation (Java 2D), grey
   * copied to the three RGB channels.
   *
   * @param i the image index
   * @param size the output side in pixels
   * @return a new RGB image
   */
  public BufferedImage rgb(int i, int size) {
    BufferedImage grey = new BufferedImage(columns, rows, BufferedImage.TYPE_INT_RGB);
    int base = i * rows * columns;
    for (int y = 0; y < rows; y++) {
      for (int x = 0; x < columns; x++) {
        int v = images[base + y * columns + x] & 0xff;
        grey.setRGB(x, y, (v << 16) | (v << 8) | v);
      }
    }
    if (size == rows && size == columns) {
      return grey;
    }
    BufferedImage big = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = big.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.drawImage(grey, 0, 0, size, size, null);
    } finally {
      g.dispose();
    }
    return big;
  }
}
