package io.patchcore;

import io.patchcore.feature.FeatureMaps;
import io.patchcore.internal.Parallel;
import io.patchcore.internal.feature.Embedder;
import io.patchcore.internal.feature.FeatureStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The fit pipeline of one {@link PatchCore} configuration: feature maps of the training items,
 * embedded in parallel batches (in input order), collected into the candidate bank, reduced by the
 * sampler to the memory bank.
 */
final class FitPipeline {
  private final PatchCore config;
  private final Executor executor;

  FitPipeline(PatchCore config) {
    this.config = config;
    this.executor = config.executor;
  }

  /** Where one training item's feature maps come from. */
  interface Source<T> {
    Supplier<FeatureMaps> of(T item);
  }

  <T> PatchCoreModel run(Iterable<T> items, Source<T> source) {
    Objects.requireNonNull(items, "images");
    long total = items instanceof Collection<?> c ? c.size() : -1;
    Iterator<T> it = items.iterator();
    if (!it.hasNext()) {
      throw new IllegalArgumentException("no training images: the training set is empty");
    }
    int batch = Math.max(1, Parallel.helpers(executor) + 1) * 2;
    FeatureStore store = null;
    try {
      Embedder embedder = null;
      long done = 0;
      List<T> batchItems = new ArrayList<>(batch);
      List<Supplier<FeatureMaps>> pending = new ArrayList<>(batch);
      while (it.hasNext()) {
        batchItems.clear();
        pending.clear();
        while (it.hasNext() && pending.size() < batch) {
          T item = it.next();
          batchItems.add(item);
          pending.add(source.of(item));
        }
        if (embedder == null) {
          FeatureMaps first;
          try {
            first = pending.get(0).get();
          } catch (RuntimeException ex) {
            throw trainingFailure(done, batchItems.get(0), ex);
          }
          embedder = config.embedderFor(first);
          pending.set(0, () -> first);
          store = new FeatureStore(embedder.dimension(), config.featureBudgetBytes(), config.featureCacheDirectory());
        }
        Embedder.Embedding[] out = new Embedder.Embedding[pending.size()];
        Embedder e = embedder;
        long base = done;
        Parallel.forEach(executor, pending.size(), Parallel.helpers(executor), i -> {
          try {
            out[i] = e.embed(pending.get(i).get());
          } catch (RuntimeException ex) {
            throw trainingFailure(base + i, batchItems.get(i), ex);
          }
        });
        for (Embedder.Embedding emb : out) {
          store.append(emb.data());
        }
        done += pending.size();
        config.progress.onProgress("extract", done, total < 0 ? done : total);
      }
      store.finish();
      return select(embedder, store);
    } finally {
      if (store != null) {
        store.close(); // deletes the feature cache file, on failure too
      }
    }
  }

  private PatchCoreModel select(Embedder embedder, FeatureStore store) {
    int dim = embedder.dimension();
    int rows = store.rows();
    int keep = config.sampler.sampleSize(rows);
    if (keep < config.neighbours) {
      throw new IllegalArgumentException("sampler " + config.sampler.description() + " keeps " + keep + " of " + rows
          + " patches, fewer than neighbours k=" + config.neighbours + "; use more images or a larger fraction");
    }
    if (config.scoring == ImageScoring.REWEIGHTED && keep < config.reweightingNeighbours) {
      throw new IllegalArgumentException("memory bank of " + keep + " rows is smaller than the re-weighting "
          + "neighbours b=" + config.reweightingNeighbours);
    }
    if ((long) keep * dim > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("memory bank of " + keep + "x" + dim + " exceeds one Java array; use a "
          + "smaller coreset fraction or target dimension");
    }
    int[] selected = config.sampler.select(store, config.seed, config.compute, executor, config.progress);
    float[] memory;
    if (selected.length == rows && isIdentity(selected)) {
      memory = store.toArray();
    } else {
      memory = new float[selected.length * dim];
      for (int i = 0; i < selected.length; i++) {
        store.read(selected[i], 1, memory, i * dim);
      }
    }
    return new PatchCoreModel(config, embedder, memory, selected.length, rows);
  }

  /**
   * The failure of one training image, numbered from 0 and, for files, naming the file (unless
   * the cause already does): an {@link IllegalStateException} (a closed backbone) stays one, any
   * other failure becomes an {@link IllegalArgumentException}.
   */
  private static RuntimeException trainingFailure(long index, Object item, RuntimeException cause) {
    String message = String.valueOf(cause.getMessage());
    String file = item instanceof Path p && !message.contains(p.toString()) ? " (" + p + ")" : "";
    String text = "training image " + index + file + ": " + message;
    return cause instanceof IllegalStateException ? new IllegalStateException(text, cause)
        : new IllegalArgumentException(text, cause);
  }

  private static boolean isIdentity(int[] idx) {
    for (int i = 0; i < idx.length; i++) {
      if (idx[i] != i) {
        return false;
      }
    }
    return true;
  }
}
