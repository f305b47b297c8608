package io.patchcore.backbones;

import io.patchcore.internal.image.Images;
import java.awt.image.BufferedImage;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** The scikit-image sample pictures under {@code src/test/resources/images}. */
final class TestImages {
  private TestImages() {}

  static Path path(String name) {
    URL url = TestImages.class.getResource("/images/" + name);
    if (url == null) {
      throw new IllegalStateException("test image missing: /images/" + name);
    }
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static BufferedImage read(String name) {
    return Images.read(path(name));
  }
}
