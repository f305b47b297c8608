package io.patchcore.backbones;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.engine.EngineException;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import io.patchcore.feature.FeatureExtractor;
import io.patchcore.feature.FeatureMaps;
import io.patchcore.internal.torch.TorchRuntime;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TorchScript module run by DJL's PyTorch engine on the CPU or a CUDA GPU. Its forward takes one float tensor
 * {@code (1, 3, H, W)} and returns a tuple or list of outputs named by position, or a dict selected
 * by key: 4-D maps {@code (1, C, h, w)}, or tokens {@code (1, T, C)} for layers declared as tokens
 * (see {@link ModelOutputs}).
 *
 * <p>Thread-safe: each call borrows a {@link Predictor} from a small pool (one is created when
 * none is idle) and does all its tensor work in its own {@link NDManager}, closed before the call
 * returns, so no native array outlives a call. {@link #close()} waits for calls in flight.
 */
final class TorchScriptExtractor implements FeatureExtractor {
  private static final Logger LOG = LoggerFactory.getLogger(TorchScriptExtractor.class);

  static {
    // No network at run time: keep DJL from downloading engines or calling home unless the
    // application decided otherwise. Both are read by DJL as system properties as well as
    // environment variables.
    TorchRuntime.keepOffline();
    // TorchScript's profiling graph executor re-optimises a module during the first calls of every
    // thread (the setting is thread-local in libtorch), which costs time on each new thread and is
    // not needed for inference. (It was once suspected of the wrong-scores-under-load defect; the
    // cause was jblas's allocator, see io.patchcore.internal.knn.Blas.) DJL applies this property on every
    // forward call.
    if (System.getProperty("ai.djl.pytorch.graph_optimizer") == null) {
      System.setProperty("ai.djl.pytorch.graph_optimizer", "false");
    }
  }

  private final String source;
  private final String id;
  private final List<String> layerNames;
  private final ModelOutputs outputs;
  private final Preprocessing preprocessing;
  /** The smallest model input side the module accepts; 0 when unknown (a user's file). */
  private final int minimumSide;
  private final ZooModel<NDList, NDList> model;
  private final ConcurrentLinkedDeque<Predictor<NDList, NDList>> idle = new ConcurrentLinkedDeque<>();
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private boolean closed; // guarded by lock

  private TorchScriptExtractor(String source, String id, List<String> layerNames, Map<String, Integer> prefixTokens,
      Preprocessing preprocessing, int minimumSide, ZooModel<NDList, NDList> model) {
    this.source = source;
    this.id = id;
    this.layerNames = List.copyOf(layerNames);
    this.outputs = new ModelOutputs(source, layerNames, prefixTokens);
    this.preprocessing = preprocessing;
    this.minimumSide = minimumSide;
    this.model = model;
  }

  /**
   * Loads {@code file}.
   *
   * @param source how errors name the model (its path, or the bundled resource)
   * @param id the value of {@link #id()}
   * @param prefixTokens the layers that are token outputs, with their prefix token counts
   * @param minimumSide the smallest input height and width the module accepts, 0 if unknown
   * @param device where the module runs (inputs are created on the same device)
   * @throws UncheckedIOException naming the file if it cannot be read
   * @throws IllegalArgumentException naming the file if it is not a loadable TorchScript module
   */
  static TorchScriptExtractor load(Path file, String source, String id, List<String> layerNames,
      Map<String, Integer> prefixTokens, Preprocessing preprocessing, int minimumSide, Device device) {
    long start = System.nanoTime();
    Criteria<NDList, NDList> criteria = Criteria.builder()
        .setTypes(NDList.class, NDList.class)
        .optEngine("PyTorch")
        .optDevice(device)
        // the directory plus the exact file name: DJL then loads that file whatever its extension
        // (and does not warn about a repository that is a single file)
        .optModelPath(file.toAbsolutePath().getParent())
        .optModelName(file.getFileName().toString())
        .optTranslator(new NoopTranslator())
        .build();
    ZooModel<NDList, NDList> model;
    try {
      model = criteria.loadModel();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read TorchScript model " + source + ": " + e.getMessage(), e);
    } catch (ModelNotFoundException | MalformedModelException | EngineException e) {
      throw new IllegalArgumentException("cannot load TorchScript model " + source + ": " + e.getMessage(), e);
    }
    LOG.debug("loaded TorchScript model {} (layers {}, {}) in {} ms", source, layerNames, preprocessing,
        (System.nanoTime() - start) / 1_000_000);
    return new TorchScriptExtractor(source, id, layerNames, prefixTokens, preprocessing, minimumSide, model);
  }

  /**
   * Runs the model once on a zero input of {@code height x width} and checks its outputs against
   * the declared layers; on failure closes this extractor.
   *
   * @throws IllegalArgumentException naming the model if the forward pass fails or the outputs do
   *     not match the layers
   */
  void checkOutputs(int height, int width) {
    try {
      run(new Preprocessing.Chw(height, width, new float[3 * height * width]));
    } catch (IllegalArgumentException e) {
      close();
      throw new IllegalArgumentException(e.getMessage() + " (found by the check at build time, on a zero input of "
          + height + "x" + width + " (HxW); Builder.inputSize sets that size)", e);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private volatile Map<String, String> configuration = Map.of();

  /**
   * Records the spec this extractor was built from; {@link #configuration()} is then its {@link
   * BackboneSpec#toConfiguration()}.
   */
  TorchScriptExtractor describedBy(BackboneSpec spec) {
    this.configuration = spec.toConfiguration();
    return this;
  }

  @Override
  public Map<String, String> configuration() {
    return configuration;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public List<String> layerNames() {
    return layerNames;
  }

  @Override
  public FeatureMaps extract(BufferedImage image) {
    Objects.requireNonNull(image, "image");
    ensureOpen();
    Preprocessing.Chw input = preprocessing.apply(image);
    return run(input);
  }

  /**
   * Runs the model on an already preprocessed input.
   *
   * @throws IllegalArgumentException naming the size if the input is smaller than the model's
   *     known minimum, or naming the model and the input shape if the forward pass fails
   */
  FeatureMaps run(Preprocessing.Chw input) {
    if (input.height < minimumSide || input.width < minimumSide) {
      boolean resized = preprocessing.resize != Preprocessing.OFF || preprocessing.crop != Preprocessing.OFF;
      throw new IllegalArgumentException("image " + input.width + "x" + input.height + " (WxH"
          + (resized ? ", after " + preprocessing : "") + ") is smaller than the backbone's minimum input of "
          + minimumSide + "x" + minimumSide + " (" + source + "); use larger images or configure a resize");
    }
    lock.readLock().lock();
    try {
      ensureOpen();
      Predictor<NDList, NDList> predictor = idle.pollFirst();
      if (predictor == null) {
        predictor = model.newPredictor();
      }
      try (NDManager manager = model.getNDManager().newSubManager()) {
        NDArray x = manager.create(input.data, new Shape(1, 3, input.height, input.width));
        NDList out;
        try {
          out = predictor.predict(new NDList(x));
        } catch (TranslateException | EngineException e) {
          throw new IllegalArgumentException("TorchScript model " + source + " failed on an input of shape (1, 3, "
              + input.height + ", " + input.width + "): " + summary(e), e);
        }
        out.attach(manager);
        return outputs.toFeatureMaps(out, input.height, input.width);
      } finally {
        idle.offerFirst(predictor);
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * The gist of an engine failure: libtorch puts a TorchScript traceback before the error itself
   * (its last line, e.g. {@code RuntimeError: ... Kernel size can't be greater than actual input
   * size}); the whole text stays in the exception's cause.
   */
  static String summary(Exception e) {
    String m = String.valueOf(e.getMessage()).strip();
    if (!m.contains("Traceback")) {
      return m;
    }
    String last = m.substring(m.lastIndexOf('\n') + 1).strip();
    return last.isEmpty() ? m : last;
  }

  private void ensureOpen() {
    lock.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException("TorchScript backbone " + source + " is closed");
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      for (Predictor<NDList, NDList> p; (p = idle.pollFirst()) != null; ) {
        closeQuietly(p);
      }
      closeQuietly(model);
    } finally {
      lock.writeLock().unlock();
    }
  }

  private void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      LOG.warn("error closing TorchScript model {}: {}", source, e.toString());
    }
  }

  @Override
  public String toString() {
    return "TorchScriptExtractor[" + source + ", layers " + layerNames + ", " + preprocessing + "]";
  }
}
