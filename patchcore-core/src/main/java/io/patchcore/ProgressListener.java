package io.patchcore;

/**
 * Receives progress of long operations (feature extraction, coreset selection, scoring). Called
 * from worker threads; implementations must be thread-safe and fast.
 */
@FunctionalInterface
public interface ProgressListener {
  /** A listener that ignores everything. */
  ProgressListener NONE = (stage, done, total) -> {};

  /**
   * @param stage a short name such as {@code "extract"}, {@code "coreset"} or {@code "score"}
   * @param done units finished so far
   * @param total units in all
   */
  void onProgress(String stage, long done, long total);
}
