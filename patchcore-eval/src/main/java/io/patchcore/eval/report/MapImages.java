package io.patchcore.eval.report;

import com.google.common.primitives.Ints;
import io.patchcore.AnomalyMap;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/**
 * Pictures of anomaly maps: the colour map, the geometry that places a map on its image, and the
 * composite "image | mask | overlay" with a title line. Helper of {@link ReportFiles} and
 * {@link EvaluationResults}.
 */
final class MapImages {

  /** Height of every panel of a composite, in pixels. */
  static final int PANEL = 256;

  /** Height of the title band above the panels. */
  static final int TITLE = 28;

  /** Gap between two panels. */
  static final int GAP = 4;

  /** Weight of the heat-map colour in the overlay. */
  static final double ALPHA = 0.5;

  private MapImages() {}

  /**
   * The rectangle of an image, in its own pixel coordinates, that the backbone saw and that an
   * anomaly map therefore covers.
   */
  record Region(double x, double y, double width, double height) {}

  /**
   * The region of a {@code width x height} image that a backbone with the given preprocessing
   * sees: an optional resize of the shorter side followed by an optional centre crop (0 = off),
   * as {@code patchcore-backbones} does. Without preprocessing it is the whole image.
   */
  static Region region(int width, int height, int resize, int crop) {
    int rw = width;
    int rh = height;
    if (resize > 0) {
      if (width <= height) {
        rw = resize;
        rh = (int) ((double) ((long) resize * height) / width);
      } else {
        rh = resize;
        rw = (int) ((double) ((long) resize * width) / height);
      }
      rw = Math.max(rw, 1);
      rh = Math.max(rh, 1);
    }
    double sx = rw / (double) width;
    double sy = rh / (double) height;
    double left = 0;
    double top = 0;
    double cw = rw;
    double ch = rh;
    if (crop > 0 && rw >= crop && rh >= crop) {
      top = Math.rint((rh - crop) / 2.0);
      left = Math.rint((rw - crop) / 2.0);
      cw = crop;
      ch = crop;
    }
    return new Region(left / sx, top / sy, cw / sx, ch / sy);
  }

  /**
   * A ground-truth mask sampled onto the map's grid (nearest pixel at each map cell's centre),
   * 1 where the mask's brightest channel is at least 128.
   */
  static byte[] maskOnGrid(BufferedImage mask, int mapWidth, int mapHeight, int resize,
      int crop) {
    int w = mask.getWidth();
    int h = mask.getHeight();
    Region r = region(w, h, resize, crop);
    int[] rgb = mask.getRGB(0, 0, w, h, null, 0, w);
    byte[] out = new byte[mapWidth * mapHeight];
    for (int i = 0; i < mapHeight; i++) {
      int y = Ints.constrainToRange((int) Math.floor(r.y() + (i + 0.5) * r.height() / mapHeight),
          0, h - 1);
      for (int j = 0; j < mapWidth; j++) {
        int x = Ints.constrainToRange((int) Math.floor(r.x() + (j + 0.5) * r.width() / mapWidth),
            0, w - 1);
        int p = rgb[y * w + x];
        int brightest = Math.max((p >> 16) & 0xff, Math.max((p >> 8) & 0xff, p & 0xff));
        out[i * mapWidth + j] = (byte) (brightest >= 128 ? 1 : 0);
      }
    }
    return out;
  }

  /**
   * A jet-like colour for {@code t} in [0, 1] (values outside are clamped): dark blue, blue, cyan,
   * yellow, red, dark red. Each channel is a tent of height 1.5 clipped to [0, 1], centred at
   * 3/4 (red), 1/2 (green) and 1/4 (blue).
   *
   * @return the colour as {@code 0xRRGGBB}
   */
  static int jet(double t) {
    double v = Double.isNaN(t) ? 0 : Math.max(0, Math.min(1, t));
    int r = channel(1.5 - Math.abs(4 * v - 3));
    int g = channel(1.5 - Math.abs(4 * v - 2));
    int b = channel(1.5 - Math.abs(4 * v - 1));
    return (r << 16) | (g << 8) | b;
  }

  private static int channel(double x) {
    return (int) Math.round(255 * Math.max(0, Math.min(1, x)));
  }

  /** Width of a panel for a map, keeping the map's aspect ratio at height {@link #PANEL}. */
  static int panelWidth(AnomalyMap map) {
    return (int) Math.max(1, Math.round(PANEL * (double) map.width() / map.height()));
  }

  /** Width of a composite of {@code panels} panels for {@code map}. */
  static int compositeWidth(AnomalyMap map, int panels) {
    return panels * panelWidth(map) + (panels - 1) * GAP;
  }

  /**
   * The composite picture: a title band, then the image region the map covers, the mask (if
   * given) and the image with the colour-mapped map blended over it.
   *
   * @param image the scored image
   * @param mask its ground-truth mask, or null
   * @param map its anomaly map
   * @param low the map value drawn dark blue
   * @param high the map value drawn dark red
   * @param resize the backbone's resize (0 = off), to place the map on the image
   * @param crop the backbone's centre crop (0 = off)
   * @param title the text of the title band
   */
  static BufferedImage composite(BufferedImage image, BufferedImage mask, AnomalyMap map,
      double low, double high, int resize, int crop, String title) {
    int pw = panelWidth(map);
    int panels = mask == null ? 2 : 3;
    int width = compositeWidth(map, panels);
    BufferedImage out = new BufferedImage(width, TITLE + PANEL, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    try {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, width, TITLE + PANEL);
      BufferedImage view = panel(image, pw, resize, crop);
      g.drawImage(view, 0, TITLE, null);
      int x = pw + GAP;
      if (mask != null) {
        g.drawImage(panel(mask, pw, resize, crop), x, TITLE, null);
        x += pw + GAP;
      }
      g.drawImage(overlay(view, heat(map, low, high, pw)), x, TITLE, null);
      drawTitle(g, title, width);
    } finally {
      g.dispose();
    }
    return out;
  }

  /** The region of {@code src} a map covers, scaled to {@code pw x PANEL}, as RGB. */
  private static BufferedImage panel(BufferedImage src, int pw, int resize, int crop) {
    Region r = region(src.getWidth(), src.getHeight(), resize, crop);
    BufferedImage out = new BufferedImage(pw, PANEL, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION,
          RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      int x1 = (int) Math.round(r.x());
      int y1 = (int) Math.round(r.y());
      int x2 = Math.max(x1 + 1, (int) Math.round(r.x() + r.width()));
      int y2 = Math.max(y1 + 1, (int) Math.round(r.y() + r.height()));
      g.drawImage(src, 0, 0, pw, PANEL, x1, y1, x2, y2, null);
    } finally {
      g.dispose();
    }
    return out;
  }

  /** The colour-mapped map, scaled to {@code pw x PANEL}. */
  private static BufferedImage heat(AnomalyMap map, double low, double high, int pw) {
    int w = map.width();
    int h = map.height();
    float[] values = map.toArray();
    double span = high - low;
    BufferedImage small = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    int[] rgb = new int[w * h];
    for (int i = 0; i < rgb.length; i++) {
      rgb[i] = jet(span > 0 ? (values[i] - low) / span : 0);
    }
    small.setRGB(0, 0, w, h, rgb, 0, w);
    BufferedImage out = new BufferedImage(pw, PANEL, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION,
          RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.drawImage(small, 0, 0, pw, PANEL, null);
    } finally {
      g.dispose();
    }
    return out;
  }

  /** {@code (1 - ALPHA) * base + ALPHA * heat}, per channel. */
  static BufferedImage overlay(BufferedImage base, BufferedImage heat) {
    int w = base.getWidth();
    int h = base.getHeight();
    int[] a = base.getRGB(0, 0, w, h, null, 0, w);
    int[] b = heat.getRGB(0, 0, w, h, null, 0, w);
    for (int i = 0; i < a.length; i++) {
      int r = blend((a[i] >> 16) & 0xff, (b[i] >> 16) & 0xff);
      int g = blend((a[i] >> 8) & 0xff, (b[i] >> 8) & 0xff);
      int bl = blend(a[i] & 0xff, b[i] & 0xff);
      a[i] = (r << 16) | (g << 8) | bl;
    }
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    out.setRGB(0, 0, w, h, a, 0, w);
    return out;
  }

  private static int blend(int base, int top) {
    return (int) Math.round((1 - ALPHA) * base + ALPHA * top);
  }

  private static void drawTitle(Graphics2D g, String title, int width) {
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING,
        RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
    FontMetrics fm = g.getFontMetrics();
    String text = title;
    int room = width - 8;
    if (fm.stringWidth(text) > room) {
      while (!text.isEmpty() && fm.stringWidth(text + "...") > room) {
        text = text.substring(0, text.length() - 1);
      }
      text += "...";
    }
    int baseline = (TITLE - fm.getHeight()) / 2 + fm.getAscent();
    g.drawString(text, 4, baseline);
  }
}
