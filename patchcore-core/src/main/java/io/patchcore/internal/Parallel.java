package io.patchcore.internal;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * Runs numbered blocks of work on an executor with the calling thread taking part. Blocks are
 * claimed from a shared counter, so the call completes even if the executor never runs a task
 * (busy or saturated pool, or a pool thread calling back into the library): no deadlock.
 */
public final class Parallel {
  private Parallel() {}

  /**
   * Runs {@code body} once for each block number in {@code [0, blocks)} and returns when all have
   * run. Up to {@code helpers} tasks are submitted to {@code executor} (fewer if it rejects them)
   * and the calling thread works too; with one block, no helpers or no executor, every block runs
   * on the calling thread in order. After a block fails the remaining blocks are skipped, and the
   * first failure is rethrown once every claimed block has finished.
   *
   * @param executor where helper tasks run; null runs everything on the calling thread
   * @param blocks the number of blocks; nothing runs if it is 0 or less
   * @param helpers the most helper tasks to submit (see {@link #helpers})
   * @param body the work of one block, given its number
   * @throws RuntimeException the first runtime exception a block threw
   * @throws Error the first error a block threw
   */
  public static void forEach(Executor executor, int blocks, int helpers, IntConsumer body) {
    if (blocks <= 0) {
      return;
    }
    if (blocks == 1 || helpers <= 0 || executor == null) {
      for (int b = 0; b < blocks; b++) {
        body.accept(b);
      }
      return;
    }
    AtomicInteger next = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(blocks);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Runnable worker = () -> {
      int b;
      while ((b = next.getAndIncrement()) < blocks) {
        try {
          if (failure.get() == null) {
            body.accept(b);
          }
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        } finally {
          done.countDown();
        }
      }
    };
    int extra = Math.min(helpers, blocks - 1);
    for (int i = 0; i < extra; i++) {
      try {
        executor.execute(worker);
      } catch (RejectedExecutionException e) {
        break; // the calling thread does the rest
      }
    }
    worker.run();
    boolean interrupted = false;
    while (true) {
      try {
        done.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    rethrow(failure.get());
  }

  /**
   * Rethrows a failure caught on another thread: a runtime exception or an error as itself,
   * anything else wrapped; nothing if {@code t} is null.
   *
   * @param t the failure, or null
   * @throws RuntimeException {@code t} itself, or an {@link IllegalStateException} wrapping a
   *     checked one
   * @throws Error {@code t} itself
   */
  public static void rethrow(Throwable t) {
    if (t instanceof RuntimeException re) {
      throw re;
    }
    if (t instanceof Error err) {
      throw err;
    }
    if (t != null) {
      throw new IllegalStateException(t);
    }
  }

  /**
   * Number of helper tasks worth submitting to an executor.
   *
   * @param executor the executor, may be null
   * @return 0 for null; the maximum pool size of a {@link java.util.concurrent.ThreadPoolExecutor};
   *     the parallelism of a {@link java.util.concurrent.ForkJoinPool}; otherwise one less than the
   *     available processors
   */
  public static int helpers(Executor executor) {
    if (executor == null) {
      return 0;
    }
    if (executor instanceof java.util.concurrent.ThreadPoolExecutor pool) {
      return pool.getMaximumPoolSize();
    }
    if (executor instanceof java.util.concurrent.ForkJoinPool pool) {
      return pool.getParallelism();
    }
    return Math.max(0, Runtime.getRuntime().availableProcessors() - 1);
  }
}
