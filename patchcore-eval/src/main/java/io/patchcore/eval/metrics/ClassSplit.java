package io.patchcore.eval.metrics;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Scores split by class, each sorted ascending, with -0.0 normalised to +0.0: the validated input
 * of every ranking metric. Built from image scores and labels, or from the pixels of anomaly maps
 * and their masks.
 */
final class ClassSplit {
  /** Scores of the positive (anomalous) samples, ascending. */
  final double[] pos;
  /** Scores of the negative (normal) samples, ascending. */
  final double[] neg;

  private ClassSplit(double[] pos, double[] neg) {
    Arrays.sort(pos);
    Arrays.sort(neg);
    this.pos = pos;
    this.neg = neg;
  }

  /** Checks and splits image scores; labels must be 0 or 1. */
  static ClassSplit of(double[] scores, int[] labels) {
    Objects.requireNonNull(scores, "scores");
    Objects.requireNonNull(labels, "labels");
    checkArgument(scores.length == labels.length, "scores has length %s but labels has length %s",
        scores.length, labels.length);
    int p = 0;
    for (int i = 0; i < labels.length; i++) {
      checkArgument(!Double.isNaN(scores[i]), "scores[%s] is NaN", i);
      checkArgument(labels[i] == 0 || labels[i] == 1, "labels[%s] is %s; expected 0 or 1", i,
          labels[i]);
      p += labels[i];
    }
    double[] pos = new double[p];
    double[] neg = new double[labels.length - p];
    int a = 0;
    int b = 0;
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] == 1) {
        pos[a++] = scores[i] + 0.0;
      } else {
        neg[b++] = scores[i] + 0.0;
      }
    }
    return new ClassSplit(pos, neg);
  }

  /** Checks and pools the pixels of maps and masks (nonzero mask byte = anomalous pixel). */
  static ClassSplit ofPixels(List<float[]> maps, List<byte[]> masks) {
    checkPairs(maps, masks);
    long p = 0;
    long n = 0;
    for (int i = 0; i < maps.size(); i++) {
      float[] m = maps.get(i);
      byte[] g = masks.get(i);
      checkArgument(m.length == g.length, "maps[%s] has %s pixels but masks[%s] has %s", i,
          m.length, i, g.length);
      for (int j = 0; j < m.length; j++) {
        checkArgument(!Float.isNaN(m[j]), "maps[%s][%s] is NaN", i, j);
        if (g[j] != 0) {
          p++;
        } else {
          n++;
        }
      }
    }
    checkArgument(p <= Integer.MAX_VALUE - 8 && n <= Integer.MAX_VALUE - 8,
        "too many pixels: %s", p + n);
    double[] pos = new double[(int) p];
    double[] neg = new double[(int) n];
    int a = 0;
    int b = 0;
    for (int i = 0; i < maps.size(); i++) {
      float[] m = maps.get(i);
      byte[] g = masks.get(i);
      for (int j = 0; j < m.length; j++) {
        if (g[j] != 0) {
          pos[a++] = m[j] + 0.0;
        } else {
          neg[b++] = m[j] + 0.0;
        }
      }
    }
    return new ClassSplit(pos, neg);
  }

  /** Checks that maps and masks are non-null lists of the same size without null elements. */
  static void checkPairs(List<float[]> maps, List<byte[]> masks) {
    Objects.requireNonNull(maps, "maps");
    Objects.requireNonNull(masks, "masks");
    checkArgument(maps.size() == masks.size(), "got %s maps but %s masks", maps.size(),
        masks.size());
    for (int i = 0; i < maps.size(); i++) {
      Objects.requireNonNull(maps.get(i), "maps[" + i + "]");
      Objects.requireNonNull(masks.get(i), "masks[" + i + "]");
    }
  }

  void requireBothClasses(String what) {
    checkArgument(pos.length > 0 && neg.length > 0,
        "%s needs both classes; got %s positive (anomalous) and %s negative (normal) samples", what,
        pos.length, neg.length);
  }

  void requirePositives(String what) {
    checkArgument(pos.length > 0,
        "%s needs a positive (anomalous) sample; got 0 positive and %s negative samples", what,
        neg.length);
  }
}
