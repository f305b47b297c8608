package io.patchcore;

import java.util.ArrayList;
import java.util.List;

/**
 * What a fitted model remembers of its training set: a label and patch-grid size per training
 * image, the training image and grid position of every memory-bank row, and every training image's
 * global descriptor ({@link io.patchcore.internal.feature.GlobalDescriptor}). Immutable once built
 * (the arrays are never handed out).
 */
final class Provenance {
  final List<String> labels;
  /** Per training image: patch-grid height and width. */
  final int[] grids;
  /** Per bank row: training image, grid row, grid column. */
  final int[] origins;
  /** Per training image: its global descriptor, {@code globalDimension} floats. */
  final float[] globals;
  final int globalDimension;
  /** How the descriptors were computed. */
  final io.patchcore.internal.feature.GlobalDescriptor descriptor;

  Provenance(List<String> labels, int[] grids, int[] origins, float[] globals, int globalDimension,
      io.patchcore.internal.feature.GlobalDescriptor descriptor) {
    this.descriptor = java.util.Objects.requireNonNull(descriptor, "descriptor");
    this.labels = List.copyOf(labels);
    this.grids = grids;
    this.origins = origins;
    this.globals = globals;
    this.globalDimension = globalDimension;
    int n = labels.size();
    if (grids.length != 2 * n || globals.length != (long) n * globalDimension || origins.length % 3 != 0) {
      throw new IllegalArgumentException("provenance of " + n + " images has " + grids.length / 2 + " grids, "
          + globals.length + " descriptor values for dimension " + globalDimension + " and " + origins.length
          + " origin values");
    }
  }

  int images() {
    return labels.size();
  }

  /** The training patch bank row {@code row} was taken from, at squared distance {@code distance}. */
  Explanation.TrainingPatch patch(int row, double distance) {
    int image = origins[3 * row];
    return new Explanation.TrainingPatch(image, labels.get(image), origins[3 * row + 1], origins[3 * row + 2],
        grids[2 * image], grids[2 * image + 1], distance);
  }

  /** The training image bank row {@code row} was taken from. */
  int imageOf(int row) {
    return origins[3 * row];
  }

  /** The global descriptor of an image's feature maps, checked against the training images'. */
  float[] describe(io.patchcore.feature.FeatureMaps maps, List<String> layers) {
    float[] d = descriptor.describe(maps, layers);
    if (d.length != globalDimension) {
      throw new IllegalArgumentException("the feature maps give a global descriptor of " + d.length
          + " values, the training images' have " + globalDimension + " (other channel counts?)");
    }
    return d;
  }

  /**
   * Euclidean distances (double) from {@code descriptor} to every training image's descriptor;
   * image {@code exclude} (or none if negative) gets positive infinity.
   */
  double[] globalDistances(float[] descriptor, int exclude) {
    int n = images();
    int d = globalDimension;
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      if (i == exclude) {
        out[i] = Double.POSITIVE_INFINITY;
        continue;
      }
      double s = 0;
      for (int j = 0, o = i * d; j < d; j++) {
        double v = (double) descriptor[j] - globals[o + j];
        s += v * v;
      }
      out[i] = Math.sqrt(s);
    }
    return out;
  }

  /**
   * Indices of the {@code count} smallest finite distances, ascending (ties: lower index first): an
   * insertion into a short sorted list, O(n * count), nothing boxed.
   */
  static int[] nearest(double[] distances, int count) {
    int[] best = new int[Math.max(0, Math.min(count, distances.length))];
    if (best.length == 0) {
      return best;
    }
    int size = 0;
    for (int i = 0; i < distances.length; i++) {
      double d = distances[i];
      if (!Double.isFinite(d) || (size == best.length && d >= distances[best[size - 1]])) {
        continue; // not better than the current last (an equal distance keeps the lower index)
      }
      int j = size < best.length ? size++ : size - 1;
      while (j > 0 && distances[best[j - 1]] > d) {
        best[j] = best[j - 1];
        j--;
      }
      best[j] = i;
    }
    return java.util.Arrays.copyOf(best, size);
  }

  /** The mean of the {@code k} smallest finite distances. */
  static double meanOfNearest(double[] distances, int k) {
    int[] near = nearest(distances, k);
    double s = 0;
    for (int i : near) {
      s += distances[i];
    }
    return s / near.length;
  }

  /** The training images nearest to {@code descriptor}, nearest first. */
  List<Explanation.TrainingImage> nearestImages(double[] distances, int count) {
    List<Explanation.TrainingImage> out = new ArrayList<>();
    for (int i : nearest(distances, count)) {
      out.add(new Explanation.TrainingImage(i, labels.get(i), distances[i]));
    }
    return out;
  }
}
