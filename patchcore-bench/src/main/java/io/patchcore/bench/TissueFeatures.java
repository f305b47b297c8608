package io.patchcore.bench;

import io.patchcore.PatchCore;
import io.patchcore.PatchCoreModel;
import io.patchcore.backbones.Backbones;
import io.patchcore.feature.FeatureExtractor;
import io.patchcore.sampling.Samplers;
import java.awt.geom.AffineTransform;
import java.awt.image.AffineTransformOp;
import java.awt.image.BufferedImage;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/**
 * Real patch features for the coreset benchmark: the bundled MobileNetV2 (default layers, pretrain
 * and target dimension 1024) on seeded random 224 x 224 crops, flipped and rotated, of the bundled
 * tissue image (the demo data's {@code ihc.png}); 784 patches per crop. Cached as little-endian
 * float32 under {@code target/} so that only the first run pays for the backbone.
 */
final class TissueFeatures {
  static final int CROP = 224;
  static final int PATCHES_PER_CROP = 784;
  static final long SEED = 2026;

  private TissueFeatures() {}

  /** The first {@code rows} feature rows of {@code ceil(rows / 784)} crops, {@code dim} wide. */
  static float[] load(int rows, int dim) {
    int crops = (rows + PATCHES_PER_CROP - 1) / PATCHES_PER_CROP;
    Path cache = Path.of("target", "coreset-features-" + crops + "x" + PATCHES_PER_CROP + "x" + dim + "-s" + SEED
        + ".f32");
    try {
      if (!Files.isRegularFile(cache) || Files.size(cache) != (long) crops * PATCHES_PER_CROP * dim * Float.BYTES) {
        write(cache, compute(crops, dim));
      }
      float[] all = new float[rows * dim];
      try (FileChannel ch = FileChannel.open(cache, StandardOpenOption.READ)) {
        ByteBuffer b = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        int off = 0;
        while (off < all.length && ch.read(b) > 0) {
          b.flip();
          int n = Math.min(b.remaining() / Float.BYTES, all.length - off);
          b.asFloatBuffer().get(all, off, n);
          off += n;
          b.position(n * Float.BYTES);
          b.compact();
        }
        if (off != all.length) {
          throw new IOException(cache + ": expected " + all.length + " floats, read " + off);
        }
      }
      return all;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static float[] compute(int crops, int dim) throws IOException {
    BufferedImage tissue;
    try (InputStream in = TissueFeatures.class.getResourceAsStream("/io/patchcore/eval/data/demo/ihc.png")) {
      if (in == null) {
        throw new IOException("the bundled tissue image io/patchcore/eval/data/demo/ihc.png is not on the class path");
      }
      tissue = ImageIO.read(new DataInputStream(in));
    }
    SplittableRandom rnd = new SplittableRandom(SEED);
    List<BufferedImage> images = new ArrayList<>();
    for (int i = 0; i < crops; i++) {
      int x = rnd.nextInt(tissue.getWidth() - CROP + 1);
      int y = rnd.nextInt(tissue.getHeight() - CROP + 1);
      BufferedImage crop = new BufferedImage(CROP, CROP, BufferedImage.TYPE_INT_RGB);
      crop.getGraphics().drawImage(tissue.getSubimage(x, y, CROP, CROP), 0, 0, null);
      images.add(transform(crop, rnd.nextInt(4), rnd.nextBoolean()));
    }
    try (FeatureExtractor backbone = Backbones.bundledDefault();
        PatchCoreModel model = PatchCore.builder().backbone(backbone).pretrainDimension(dim).targetDimension(dim)
            .sampler(Samplers.identity()).seed(SEED).build().fit(images)) {
      return model.memoryBank();
    }
  }

  /** Rotates by {@code quarterTurns} x 90 degrees and optionally mirrors. */
  private static BufferedImage transform(BufferedImage in, int quarterTurns, boolean flip) {
    AffineTransform t = new AffineTransform();
    t.translate(CROP / 2.0, CROP / 2.0);
    t.quadrantRotate(quarterTurns);
    if (flip) {
      t.scale(-1, 1);
    }
    t.translate(-CROP / 2.0, -CROP / 2.0);
    BufferedImage out = new BufferedImage(CROP, CROP, BufferedImage.TYPE_INT_RGB);
    new AffineTransformOp(t, AffineTransformOp.TYPE_NEAREST_NEIGHBOR).filter(in, out);
    return out;
  }

  private static void write(Path cache, float[] data) throws IOException {
    Files.createDirectories(cache.toAbsolutePath().getParent());
    Path tmp = cache.resolveSibling(cache.getFileName() + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer b = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
      for (int off = 0; off < data.length; ) {
        int n = Math.min(b.capacity() / Float.BYTES, data.length - off);
        b.clear();
        b.asFloatBuffer().put(data, off, n);
        b.limit(n * Float.BYTES);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        off += n;
      }
    }
    Files.move(tmp, cache, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
