package io.patchcore.backbones;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import org.junit.jupiter.api.Test;

class RgbImageTest {

  private static int[] rgb(RgbImage img, int y, int x) {
    return new int[] {img.get(y, x, 0), img.get(y, x, 1), img.get(y, x, 2)};
  }

  @Test
  void threeByteBgrKeepsChannelOrder() {
    BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_3BYTE_BGR);
    img.setRGB(0, 0, 0x102030);
    img.setRGB(2, 1, 0xfe0180);
    RgbImage rgb = RgbImage.of(img);
    assertThat(rgb.width).isEqualTo(3);
    assertThat(rgb.height).isEqualTo(2);
    assertThat(rgb(rgb, 0, 0)).containsExactly(0x10, 0x20, 0x30);
    assertThat(rgb(rgb, 1, 2)).containsExactly(0xfe, 0x01, 0x80);
    assertThat(rgb(rgb, 1, 0)).containsExactly(0, 0, 0);
  }

  @Test
  void intRgbAndArgbDropAlphaWithoutCompositing() {
    for (int type : new int[] {BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_4BYTE_ABGR}) {
      BufferedImage img = new BufferedImage(2, 2, type);
      img.setRGB(1, 0, 0x00c86432); // fully transparent, colour kept
      img.setRGB(0, 1, 0x80010203);
      RgbImage rgb = RgbImage.of(img);
      assertThat(rgb(rgb, 0, 1)).as("type %d", type).containsExactly(0xc8, 0x64, 0x32);
      assertThat(rgb(rgb, 1, 0)).as("type %d", type).containsExactly(1, 2, 3);
    }
  }

  @Test
  void byteGreyIsReplicatedWithoutGammaChange() {
    BufferedImage img = new BufferedImage(4, 1, BufferedImage.TYPE_BYTE_GRAY);
    WritableRaster r = img.getRaster();
    r.setSample(0, 0, 0, 0);
    r.setSample(1, 0, 0, 37);
    r.setSample(2, 0, 0, 128);
    r.setSample(3, 0, 0, 255);
    RgbImage rgb = RgbImage.of(img);
    assertThat(rgb(rgb, 0, 1)).containsExactly(37, 37, 37);
    assertThat(rgb(rgb, 0, 2)).containsExactly(128, 128, 128);
    assertThat(rgb(rgb, 0, 3)).containsExactly(255, 255, 255);
  }

  @Test
  void sixteenBitGreyIsClippedLikePil() {
    // PIL opens a 16-bit grey PNG as mode I (or I;16) and convert("RGB") clips at 255
    BufferedImage img = new BufferedImage(4, 1, BufferedImage.TYPE_USHORT_GRAY);
    img.getRaster().setSample(0, 0, 0, 200);
    img.getRaster().setSample(1, 0, 0, 255);
    img.getRaster().setSample(2, 0, 0, 256);
    img.getRaster().setSample(3, 0, 0, 0xabcd);
    RgbImage rgb = RgbImage.of(img);
    assertThat(rgb(rgb, 0, 0)).containsExactly(200, 200, 200);
    assertThat(rgb(rgb, 0, 1)).containsExactly(255, 255, 255);
    assertThat(rgb(rgb, 0, 2)).containsExactly(255, 255, 255);
    assertThat(rgb(rgb, 0, 3)).containsExactly(255, 255, 255);
  }

  @Test
  void sixteenBitGreyWithAlphaKeepsTopByte() {
    // PIL reads a 16-bit grey+alpha PNG as 8-bit LA data (the high bytes)
    ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY),
        new int[] {16, 16}, true, false, Transparency.TRANSLUCENT, DataBuffer.TYPE_USHORT);
    BufferedImage img = new BufferedImage(cm, cm.createCompatibleWritableRaster(2, 1), false, null);
    img.getRaster().setPixel(0, 0, new int[] {0xabcd, 0});
    img.getRaster().setPixel(1, 0, new int[] {0x00ff, 0xffff});
    RgbImage rgb = RgbImage.of(img);
    assertThat(rgb(rgb, 0, 0)).containsExactly(0xab, 0xab, 0xab);
    assertThat(rgb(rgb, 0, 1)).containsExactly(0, 0, 0);
  }

  @Test
  void sixteenBitRgbKeepsTopByteNotRounded() {
    // PIL keeps the high byte; getRGB would round v / 257 (0x00ff -> 1)
    for (boolean alpha : new boolean[] {false, true}) {
      int[] bits = alpha ? new int[] {16, 16, 16, 16} : new int[] {16, 16, 16};
      ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), bits, alpha,
          false, alpha ? Transparency.TRANSLUCENT : Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
      BufferedImage img = new BufferedImage(cm, cm.createCompatibleWritableRaster(1, 1), false, null);
      int[] pixel = alpha ? new int[] {0x00ff, 0xabcd, 0x8080, 0} : new int[] {0x00ff, 0xabcd, 0x8080};
      img.getRaster().setPixel(0, 0, pixel);
      assertThat(rgb(RgbImage.of(img), 0, 0)).as("alpha %s", alpha).containsExactly(0x00, 0xab, 0x80);
    }
  }

  @Test
  void paletteIsLookedUp() {
    byte[] r = {0, (byte) 200};
    byte[] g = {0, 100};
    byte[] b = {0, 50};
    BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(1, 2, r, g, b));
    img.getRaster().setSample(1, 0, 0, 1);
    RgbImage rgb = RgbImage.of(img);
    assertThat(rgb(rgb, 0, 0)).containsExactly(0, 0, 0);
    assertThat(rgb(rgb, 0, 1)).containsExactly(200, 100, 50);
  }

  @Test
  void subImagesAreReadFromTheirOwnOrigin() {
    BufferedImage img = new BufferedImage(5, 4, BufferedImage.TYPE_3BYTE_BGR);
    img.setRGB(2, 1, 0x0a0b0c);
    BufferedImage sub = img.getSubimage(2, 1, 3, 3);
    RgbImage rgb = RgbImage.of(sub);
    assertThat(rgb.width).isEqualTo(3);
    assertThat(rgb(rgb, 0, 0)).containsExactly(0x0a, 0x0b, 0x0c);

    BufferedImage grey = new BufferedImage(5, 4, BufferedImage.TYPE_BYTE_GRAY);
    grey.getRaster().setSample(3, 2, 0, 99);
    assertThat(rgb(RgbImage.of(grey.getSubimage(3, 2, 2, 2)), 0, 0)).containsExactly(99, 99, 99);
  }

  @Test
  void greyPngFromDiskIsReplicated() {
    BufferedImage brick = TestImages.read("brick.png");
    assertThat(brick.getType()).isEqualTo(BufferedImage.TYPE_BYTE_GRAY);
    RgbImage rgb = RgbImage.of(brick);
    for (int y = 0; y < brick.getHeight(); y += 37) {
      for (int x = 0; x < brick.getWidth(); x += 41) {
        int v = brick.getRaster().getSample(x, y, 0);
        assertThat(rgb(rgb, y, x)).containsExactly(v, v, v);
      }
    }
  }

  @Test
  void rgbPngMatchesGetRgb() {
    BufferedImage ihc = TestImages.read("ihc.png");
    RgbImage rgb = RgbImage.of(ihc);
    for (int y = 0; y < ihc.getHeight(); y += 31) {
      for (int x = 0; x < ihc.getWidth(); x += 29) {
        int p = ihc.getRGB(x, y);
        assertThat(rgb(rgb, y, x)).containsExactly((p >> 16) & 0xff, (p >> 8) & 0xff, p & 0xff);
      }
    }
  }
}
