package io.patchcore.internal;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The library's worker thread pools. */
public final class WorkerPools {
  private static volatile Executor shared;

  private WorkerPools() {}

  /**
   * The pool of every core shared by configurations that set neither threads nor an executor.
   *
   * @return the shared pool, created on first use with one thread per available processor
   */
  public static Executor shared() {
    Executor e = shared;
    if (e == null) {
      synchronized (WorkerPools.class) {
        e = shared;
        if (e == null) {
          e = newPool(Runtime.getRuntime().availableProcessors());
          shared = e;
        }
      }
    }
    return e;
  }

  /**
   * A pool of {@code threads} daemon threads that die when idle, so an unused configuration leaks nothing.
   *
   * @param threads the number of threads, at least 1
   * @return a new pool whose threads are named {@code patchcore-N} and end after 10 idle seconds
   * @throws IllegalArgumentException if {@code threads} is below 1
   */
  public static Executor newPool(int threads) {
    AtomicInteger n = new AtomicInteger();
    ThreadFactory factory = r -> {
      Thread t = new Thread(r, "patchcore-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(threads, threads, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), factory);
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }
}
