package io.patchcore;

import io.patchcore.feature.FeatureMaps;
import io.patchcore.internal.Parallel;
import io.patchcore.internal.feature.Embedder;
import io.patchcore.internal.feature.FeatureStore;
import io.patchcore.internal.feature.GlobalDescriptor;
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
  /** The global descriptor of new fits. */
  static final GlobalDescriptor DESCRIPTOR = GlobalDescriptor.parse(GlobalDescriptor.DEFAULT_SPEC);

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
    List<String> labels = new ArrayList<>();
    List<int[]> grids = new ArrayList<>();
    List<float[]> globals = new ArrayList<>();
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
        float[][] descriptors = new float[pending.size()][];
        Embedder e = embedder;
        long base = done;
        Parallel.forEach(executor, pending.size(), Parallel.helpers(executor), i -> {
          try {
            FeatureMaps maps = pending.get(i).get();
            out[i] = e.embed(maps);
            descriptors[i] = DESCRIPTOR.describe(maps, e.layers());
          } catch (RuntimeException ex) {
            throw trainingFailure(base + i, batchItems.get(i), ex);
          }
        });
        for (int i = 0; i < out.length; i++) {
          Embedder.Embedding emb = out[i];
          if (!globals.isEmpty() && descriptors[i].length != globals.get(0).length) {
            throw trainingFailure(base + i, batchItems.get(i), new IllegalArgumentException("its feature maps have "
                + "other channel counts than the first image's"));
          }
          store.append(emb.data());
          labels.add(label(batchItems.get(i), base + i));
          grids.add(new int[] {emb.gridH(), emb.gridW()});
          globals.add(descriptors[i]);
        }
        done += pending.size();
        config.progress.onProgress("extract", done, total < 0 ? done : total);
      }
      store.finish();
      return select(embedder, store, labels, grids, globals);
    } finally {
      if (store != null) {
        store.close(); // deletes the feature cache file, on failure too
      }
    }
  }

  private PatchCoreModel select(Embedder embedder, FeatureStore store, List<String> labels, List<int[]> grids,
      List<float[]> globals) {
    int dim = embedder.dimension();
    int rows = store.rows();
    int n = labels.size();
    if (config.scoring == ImageScoring.COMBINED && n < CombinedScoring.MIN_TRAINING_IMAGES) {
      throw new IllegalArgumentException("COMBINED scoring needs at least " + CombinedScoring.MIN_TRAINING_IMAGES
          + " training images (each is scored leaving itself out), got " + n);
    }
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
    int[] starts = new int[n + 1];
    int[] gridSizes = new int[2 * n];
    for (int i = 0; i < n; i++) {
      int[] g = grids.get(i);
      starts[i + 1] = starts[i] + g[0] * g[1];
      gridSizes[2 * i] = g[0];
      gridSizes[2 * i + 1] = g[1];
    }
    int[] origins = new int[3 * selected.length];
    for (int i = 0; i < selected.length; i++) {
      int image = java.util.Arrays.binarySearch(starts, selected[i]); // starts strictly increase: grids are >= 1x1
      image = image >= 0 ? image : -image - 2;
      int local = selected[i] - starts[image];
      origins[3 * i] = image;
      origins[3 * i + 1] = local / gridSizes[2 * image + 1];
      origins[3 * i + 2] = local % gridSizes[2 * image + 1];
    }
    int globalDim = globals.get(0).length;
    float[] descriptors = new float[n * globalDim];
    for (int i = 0; i < n; i++) {
      System.arraycopy(globals.get(i), 0, descriptors, i * globalDim, globalDim);
    }
    Provenance provenance = new Provenance(labels, gridSizes, origins, descriptors, globalDim, DESCRIPTOR);
    PatchCoreModel model = new PatchCoreModel(config, embedder, memory, selected.length, rows, provenance, null);
    if (config.scoring != ImageScoring.COMBINED) {
      return model;
    }
    try {
      CombinedScoring combined = new Calibrator(model, store, starts).calibrate(config.seed, config.combinedWeights,
          executor, config.progress);
      return new PatchCoreModel(model, combined);
    } catch (RuntimeException | Error e) {
      model.close();
      throw e;
    }
  }

  /**
   * The failure of one training image, numbered from 0 and, for files, naming the file (unless
   * the cause already does): an {@link IllegalStateException} (a closed backbone) stays one, any
   * other failure becomes an {@link IllegalArgumentException}.
   */
  private static RuntimeException trainingFailure(long index, Object item, RuntimeException cause) {
    String message = String.valueOf(cause.getMessage());
    String name = item instanceof Path p ? p.toString()
        : item instanceof PatchCore.LabelledImage li ? li.label() : null;
    String file = name != null && !message.contains(name) ? " (" + name + ")" : "";
    String text = "training image " + index + file + ": " + message;
    return cause instanceof IllegalStateException ? new IllegalStateException(text, cause)
        : new IllegalArgumentException(text, cause);
  }

  /** What explanations call a training item: its path or label, else {@code "image N"}. */
  private static String label(Object item, long index) {
    if (item instanceof Path path) {
      return path.toString();
    }
    if (item instanceof PatchCore.LabelledImage li) {
      return li.label();
    }
    return "image " + index;
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
