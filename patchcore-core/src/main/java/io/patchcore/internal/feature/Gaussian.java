package io.patchcore.internal.feature;

/**
 * Separable Gaussian blur as {@code scipy.ndimage.gaussian_filter(sigma, mode='reflect',
 * truncate=4.0)} on a float32 image: rows axis first, the intermediate rounded to float32, then
 * the columns axis; half-sample symmetric borders ({@code d c b a | a b c d | d c b a}).
 */
public final class Gaussian {
  private final int radius;
  private final double[] weights;

  /**
   * Precomputes the normalised kernel, of radius {@code (int) (truncate * sigma + 0.5)}.
   *
   * @param sigma the standard deviation in pixels, positive and finite
   * @param truncate the kernel radius in standard deviations (scipy's default is 4)
   * @throws IllegalArgumentException if {@code sigma} is not positive and finite (the message
   *     gives it)
   */
  public Gaussian(double sigma, double truncate) {
    if (!(sigma > 0) || !Double.isFinite(sigma)) {
      throw new IllegalArgumentException("sigma must be positive and finite, got " + sigma);
    }
    this.radius = (int) (truncate * sigma + 0.5);
    this.weights = new double[radius + 1];
    double sum = 0;
    for (int x = -radius; x <= radius; x++) {
      sum += Math.exp(-0.5 / (sigma * sigma) * x * x);
    }
    for (int x = 0; x <= radius; x++) {
      weights[x] = Math.exp(-0.5 / (sigma * sigma) * x * x) / sum;
    }
  }

  /**
   * Reflect (half-sample symmetric) index into [0, n).
   *
   * @param i an index, possibly outside {@code [0, n)}
   * @param n the length of the axis, at least 1
   * @return the reflected index in {@code [0, n)}
   */
  public static int reflect(int i, int n) {
    int period = 2 * n;
    int m = Math.floorMod(i, period);
    return m < n ? m : period - 1 - m;
  }

  /**
   * Blurs an image.
   *
   * @param image {@code height * width} values, row-major (not changed)
   * @param height the image height
   * @param width the image width
   * @return a new array with the blurred image, row-major
   */
  public float[] blur(float[] image, int height, int width) {
    float[] tmp = new float[image.length];
    double[] line = new double[Math.max(height, width) + 2 * radius];
    // axis 0: along columns of each x
    for (int x = 0; x < width; x++) {
      for (int i = -radius; i < height + radius; i++) {
        line[i + radius] = image[reflect(i, height) * width + x];
      }
      for (int y = 0; y < height; y++) {
        tmp[y * width + x] = (float) filterAt(line, y + radius);
      }
    }
    float[] out = new float[image.length];
    for (int y = 0; y < height; y++) {
      int row = y * width;
      for (int i = -radius; i < width + radius; i++) {
        line[i + radius] = tmp[row + reflect(i, width)];
      }
      for (int x = 0; x < width; x++) {
        out[row + x] = (float) filterAt(line, x + radius);
      }
    }
    return out;
  }

  private double filterAt(double[] line, int c) {
    double s = line[c] * weights[0];
    for (int j = 1; j <= radius; j++) {
      s += (line[c - j] + line[c + j]) * weights[j];
    }
    return s;
  }
}
