package io.patchcore.internal.io;

import java.io.IOException;

/**
 * A consumer that may throw {@link IOException}: what writes a file's content, a payload and the
 * like.
 *
 * @param <T> what it consumes
 */
@FunctionalInterface
public interface IoConsumer<T> {
  /**
   * Consumes {@code value}.
   *
   * @param value what to consume
   * @throws IOException if it cannot be consumed
   */
  void accept(T value) throws IOException;
}
