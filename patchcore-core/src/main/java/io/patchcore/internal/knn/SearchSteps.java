package io.patchcore.internal.knn;

import io.patchcore.knn.Compute;

/**
 * The steps every {@link Compute} implementation shares, so that all agree: the argument check of
 * a search and the exact double-precision re-ranking of candidates.
 */
public final class SearchSteps {
  private SearchSteps() {}

  /**
   * Checks the arguments of {@link Compute.NeighbourIndex#search} against an index of {@code rows x dim};
   * every implementation calls it first, so all fail alike.
   *
   * @param rows the index's bank rows
   * @param dim the index's row length
   * @param queries the queries, which must hold {@code count * dim} values
   * @param count the number of queries
   * @param k the number of neighbours, which must be in {@code 1 .. rows}
   * @param distances the distance output, at least {@code count * k} long
   * @param indices the index output, at least {@code count * k} long
   * @throws IllegalArgumentException naming the bad value
   */
  public static void checkSearch(int rows, int dim, float[] queries, int count, int k, float[] distances, int[] indices) {
    checkQueries(rows, dim, queries, count, k);
    if (distances.length < (long) count * k || indices.length < (long) count * k) {
      throw new IllegalArgumentException("output arrays need " + (long) count * k + " entries, got "
          + distances.length + " and " + indices.length);
    }
  }

  private static void checkQueries(int rows, int dim, float[] queries, int count, int k) {
    if (k < 1 || k > rows) {
      throw new IllegalArgumentException("k must be in 1.." + rows + " (bank rows), got " + k);
    }
    if ((long) count * dim != queries.length) {
      throw new IllegalArgumentException("queries of " + count + "x" + dim + " need " + (long) count * dim
          + " values, got " + queries.length);
    }
  }

  /**
   * The mean of {@code k} distances from {@code distances[from]}, summed in double and rounded to
   * float: a patch score, and what {@link io.patchcore.knn.Compute.NeighbourIndex#upperBounds}
   * bounds.
   *
   * @param distances the distances
   * @param from the first of them
   * @param k how many
   * @return their mean
   */
  public static float mean(float[] distances, int from, int k) {
    double s = 0;
    for (int j = 0; j < k; j++) {
      s += distances[from + j];
    }
    return (float) (s / k);
  }

  /**
   * Checks the arguments of {@link io.patchcore.knn.Compute.NeighbourIndex#upperBounds}.
   *
   * @param rows the index's bank rows
   * @param dim the index's row length
   * @param queries the queries
   * @param count the number of queries
   * @param k the number of neighbours, which must be in {@code 1 .. rows}
   * @param bounds the output, at least {@code count} long
   * @throws IllegalArgumentException naming the bad value
   */
  public static void checkBounds(int rows, int dim, float[] queries, int count, int k, float[] bounds) {
    checkQueries(rows, dim, queries, count, k);
    if (bounds.length < count) {
      throw new IllegalArgumentException("bounds holds " + bounds.length + " values, " + count + " needed");
    }
  }

  /**
   * The final step of every implementation's search, so that all agree: re-measures the candidate
   * bank rows of one query exactly (in double precision) and writes the {@code k} nearest in
   * ascending order, ties to the lower row index, to {@code distances[outOffset ..]} and
   * {@code indices[outOffset ..]}.
   *
   * @param queries the queries, row-major
   * @param queryOffset where the query starts in {@code queries}
   * @param bank the memory bank, row-major
   * @param dim the row length of queries and bank
   * @param candidates row indices of {@code bank}, at least {@code k} of them from
   *     {@code candidates[candidateOffset]}
   * @param candidateOffset where the query's candidates start in {@code candidates}
   * @param candidateCount the number of candidates, at least {@code k}
   * @param k the number of neighbours to write
   * @param distances receives the {@code k} exact squared distances, rounded to float
   * @param indices receives the {@code k} bank row indices
   * @param outOffset where the query's output starts in {@code distances} and {@code indices}
   * @throws IllegalArgumentException if {@code k} exceeds {@code candidateCount} (the message gives
   *     both)
   */
  public static void rerankExactly(float[] queries, int queryOffset, float[] bank, int dim, int[] candidates,
      int candidateOffset, int candidateCount, int k, float[] distances, int[] indices, int outOffset) {
    if (k > candidateCount) {
      throw new IllegalArgumentException("k=" + k + " exceeds the " + candidateCount + " candidates");
    }
    double[] exact = new double[candidateCount];
    int[] order = new int[candidateCount];
    for (int c = 0; c < candidateCount; c++) {
      exact[c] = exactSquared(queries, queryOffset, bank, candidates[candidateOffset + c] * dim, dim);
      order[c] = c;
    }
    // insertion sort by (exact distance, index): the lists are short (k + a few)
    for (int a = 1; a < candidateCount; a++) {
      int cur = order[a];
      int b = a - 1;
      while (b >= 0 && (exact[order[b]] > exact[cur] || (exact[order[b]] == exact[cur]
          && candidates[candidateOffset + order[b]] > candidates[candidateOffset + cur]))) {
        order[b + 1] = order[b];
        b--;
      }
      order[b + 1] = cur;
    }
    for (int c = 0; c < k; c++) {
      distances[outOffset + c] = (float) exact[order[c]];
      indices[outOffset + c] = candidates[candidateOffset + order[c]];
    }
  }

  /**
   * Exact k-NN of one query by brute force in double precision: every bank row is measured with
   * {@link #exactSquared}; the {@code k} nearest are written in ascending order, ties to the lower
   * row index, as {@link #rerankExactly} writes them.
   *
   * @param queries the queries, row-major
   * @param queryOffset where the query starts in {@code queries}
   * @param bank the memory bank, row-major
   * @param rows the bank rows
   * @param dim the row length
   * @param k the number of neighbours, in {@code 1 .. rows}
   * @param distances receives the {@code k} exact squared distances, rounded to float
   * @param indices receives the {@code k} bank row indices
   * @param outOffset where the query's output starts in {@code distances} and {@code indices}
   */
  public static void bruteForce(float[] queries, int queryOffset, float[] bank, int rows, int dim, int k,
      float[] distances, int[] indices, int outOffset) {
    double[] best = new double[k];
    int[] bestIdx = new int[k];
    int n = 0;
    for (int r = 0; r < rows; r++) {
      double d = exactSquared(queries, queryOffset, bank, r * dim, dim);
      if (n < k || d < best[n - 1]) {
        int pos = n < k ? n : k - 1;
        // rows arrive in increasing order, so an equal distance stays after the earlier row
        while (pos > 0 && best[pos - 1] > d) {
          best[pos] = best[pos - 1];
          bestIdx[pos] = bestIdx[pos - 1];
          pos--;
        }
        best[pos] = d;
        bestIdx[pos] = r;
        if (n < k) {
          n++;
        }
      }
    }
    for (int c = 0; c < k; c++) {
      distances[outOffset + c] = (float) best[c];
      indices[outOffset + c] = bestIdx[c];
    }
  }

  /**
   * Exact squared distance in double precision.
   *
   * @param a the array holding the first vector
   * @param aOff where the first vector starts in {@code a}
   * @param b the array holding the second vector
   * @param bOff where the second vector starts in {@code b}
   * @param dim the vector length
   * @return the squared L2 distance, summed in double
   */
  public static double exactSquared(float[] a, int aOff, float[] b, int bOff, int dim) {
    // four independent sums: the loop is bound by the latency of the additions otherwise (every
    // back end re-ranks with this one function, so the order of summation is the same for all)
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int j = 0;
    for (; j + 3 < dim; j += 4) {
      double d0 = (double) a[aOff + j] - b[bOff + j];
      double d1 = (double) a[aOff + j + 1] - b[bOff + j + 1];
      double d2 = (double) a[aOff + j + 2] - b[bOff + j + 2];
      double d3 = (double) a[aOff + j + 3] - b[bOff + j + 3];
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    for (; j < dim; j++) {
      double d = (double) a[aOff + j] - b[bOff + j];
      s0 += d * d;
    }
    return (s0 + s1) + (s2 + s3);
  }
}
