package io.patchcore.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * Threads that keep CPU cores busy until closed, so that stress tests run on a loaded machine (the
 * condition under which timing-dependent defects show).
 */
public final class Busy implements AutoCloseable {
  private volatile boolean stop;
  private final List<Thread> threads = new ArrayList<>();
  /** Written so the spinning loop is not optimised away. */
  public static volatile long sink;

  private Busy() {}

  /** Starts {@code count} spinning daemon threads. */
  public static Busy start(int count) {
    Busy b = new Busy();
    for (int i = 0; i < count; i++) {
      Thread t = new Thread(() -> {
        long x = 1;
        while (!b.stop) {
          for (int j = 0; j < 10_000; j++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
          }
        }
        sink = x;
      }, "busy-" + i);
      t.setDaemon(true);
      t.start();
      b.threads.add(t);
    }
    return b;
  }

  @Override
  public void close() throws InterruptedException {
    stop = true;
    for (Thread t : threads) {
      t.join(10_000);
    }
  }
}
