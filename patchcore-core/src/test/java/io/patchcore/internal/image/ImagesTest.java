package io.patchcore.internal.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImagesTest {
  @TempDir
  Path dir;

  static byte[] encode(BufferedImage image, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(ImageIO.write(image, format, out)).isTrue();
    return out.toByteArray();
  }

  static BufferedImage noise(int w, int h) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Random rnd = new Random(1);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, rnd.nextInt(0xffffff));
      }
    }
    return img;
  }

  Path write(String name, byte[] bytes) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  @Test
  void read_pngAndJpeg() throws IOException {
    assertThat(Images.read(write("a.png", encode(noise(20, 10), "png"))).getWidth()).isEqualTo(20);
    assertThat(Images.read(write("a.jpg", encode(noise(20, 10), "jpeg"))).getHeight()).isEqualTo(10);
  }

  @Test
  void read_wrongExtensionIsDecodedByContent() throws IOException {
    assertThat(Images.read(write("really-a-png.jpg", encode(noise(5, 7), "png"))).getHeight()).isEqualTo(7);
  }

  @Test
  void read_missingFile() {
    Path missing = dir.resolve("nope.png");
    assertThatThrownBy(() -> Images.read(missing)).isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("not found").hasMessageContaining(missing.toString());
  }

  @Test
  void read_zeroBytes() throws IOException {
    Path p = write("empty.png", new byte[0]);
    assertThatThrownBy(() -> Images.read(p)).isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("0 bytes").hasMessageContaining(p.toString());
  }

  @Test
  void read_textNamedPng() throws IOException {
    Path p = write("notes.png", "just some text\n".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> Images.read(p)).isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("not a recognised image format").hasMessageContaining(p.toString());
  }

  @Test
  void read_truncatedPng() throws IOException {
    byte[] full = encode(noise(64, 64), "png");
    Path p = write("cut.png", Arrays.copyOf(full, full.length / 2));
    assertThatThrownBy(() -> Images.read(p)).isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining(p.toString());
  }

  @Test
  void read_truncatedJpeg() throws IOException {
    byte[] full = encode(noise(64, 64), "jpeg");
    Path p = write("cut.jpg", Arrays.copyOf(full, full.length / 2));
    assertThatThrownBy(() -> Images.read(p)).isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining(p.toString());
  }

  /** A valid 1x1 PNG whose IHDR is rewritten to declare another size (CRC fixed). */
  static byte[] pngDeclaring(int width, int height) throws IOException {
    byte[] png = encode(new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB), "png");
    ByteBuffer b = ByteBuffer.wrap(png);
    // signature (8) + length (4) + "IHDR" (4) then width, height
    b.putInt(16, width);
    b.putInt(20, height);
    CRC32 crc = new CRC32();
    crc.update(png, 12, 4 + 13);
    b.putInt(12 + 4 + 13, (int) crc.getValue());
    return png;
  }

  @Test
  void read_decompressionBombRefusedBeforeDecoding() throws IOException {
    Path p = write("bomb.png", pngDeclaring(30000, 30000));
    assertThat(Files.size(p)).isLessThan(200);
    assertThatThrownBy(() -> Images.read(p)).isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("30000x30000").hasMessageContaining("decompression-bomb")
        .hasMessageContaining(p.toString());
  }

  @Test
  void read_configurablePixelLimit() throws IOException {
    Path p = write("ok.png", encode(noise(20, 10), "png"));
    assertThat(Images.read(p, 200).getWidth()).isEqualTo(20);
    assertThatThrownBy(() -> Images.read(p, 199)).isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("limit of 199");
    assertThatThrownBy(() -> Images.read(p, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void read_oneByOne() throws IOException {
    BufferedImage img = Images.read(write("dot.png", encode(noise(1, 1), "png")));
    assertThat(img.getWidth() * img.getHeight()).isEqualTo(1);
  }

  @Test
  void read_directory() {
    assertThatThrownBy(() -> Images.read(dir)).isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("not a regular file");
  }

  @Test
  void colourProfileWarningsAreNotErrorsButCorruptionIs() {
    // TwelveMonkeys' warning for a CMYK JPEG without a profile: the pixels are complete
    assertThat(Images.isColourProfileWarning(
        "No embedded ICC color profile, will convert using inaccurate CMYK to RGB conversion.")).isTrue();
    assertThat(Images.isColourProfileWarning("Ignoring bad colour profile")).isTrue();
    // the JDK reader's warnings for a truncated JPEG stay errors
    assertThat(Images.isColourProfileWarning("Truncated File - Missing EOI marker")).isFalse();
    assertThat(Images.isColourProfileWarning("Corrupt JPEG data: premature end of data segment")).isFalse();
    assertThat(Images.isColourProfileWarning("Corrupt JPEG data: 12 extraneous bytes before marker")).isFalse();
    assertThat(Images.isColourProfileWarning(null)).isFalse();
  }
}
