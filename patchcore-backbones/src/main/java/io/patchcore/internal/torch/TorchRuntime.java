package io.patchcore.internal.torch;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The libtorch engine and device choice shared by the backbones and the libtorch compute back end. */
public final class TorchRuntime {
  private static final Logger LOG = LoggerFactory.getLogger(TorchRuntime.class);
  private static final String ENGINE = "PyTorch";

  private TorchRuntime() {}

  /**
   * No network at run time: keeps DJL from downloading engines or reporting usage unless the
   * application decided otherwise (DJL reads both as system properties and environment variables).
   * Called before any DJL engine class is used.
   */
  public static void keepOffline() {
    setIfAbsent("ai.djl.offline", "true");
    setIfAbsent("OPT_OUT_TRACKING", "true");
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null && System.getenv(key) == null) {
      System.setProperty(key, value);
    }
  }

  /**
   * CUDA device {@code index}, or the CPU with a logged warning when libtorch sees no GPU;
   * {@code index < 0} means the CPU.
   *
   * @param index the CUDA device index, or a negative number for the CPU
   * @param what how the fallback warning names what would have run on the GPU
   * @return {@link Device#gpu(int) Device.gpu(index)}, or {@link Device#cpu()} when {@code index}
   *     is negative or no GPU is visible
   * @throws IllegalArgumentException if GPUs are visible but {@code index} is not one of them
   * @throws IllegalStateException if {@code index} is 0 or more and the PyTorch engine cannot be
   *     loaded
   */
  public static Device device(int index, String what) {
    if (index < 0) {
      return Device.cpu();
    }
    int count = engine().getGpuCount();
    if (count == 0) {
      LOG.warn("no GPU visible to the PyTorch engine; {} falls back to the CPU", what);
      return Device.cpu();
    }
    if (index >= count) {
      throw new IllegalArgumentException("GPU index " + index + " is out of range: " + count + " GPU(s) visible");
    }
    return Device.gpu(index);
  }

  /**
   * The DJL PyTorch engine, loaded on first use.
   *
   * @return the engine
   * @throws IllegalStateException naming the cause if the engine cannot be loaded
   */
  public static Engine engine() {
    try {
      return Engine.getEngine(ENGINE);
    } catch (EngineException | IllegalArgumentException e) {
      throw new IllegalStateException("the DJL " + ENGINE + " engine cannot be loaded: " + e.getMessage(), e);
    }
  }
}
