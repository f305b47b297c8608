package io.patchcore.torch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.patchcore.internal.knn.SearchSteps;
import io.patchcore.knn.Compute;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.concurrent.Executor;

/**
 * The libtorch k-NN search as it was before the screened index (float32 bank on the device, float32
 * GEMM, {@code topK} of k + 8 per query, exact re-ranking of those), kept for {@link KnnSpeedTest}.
 */
final class LegacyIndex implements Compute.NeighbourIndex {
  static final int REFINE_EXTRA = 8;
  private final float[] bank;
  private final int rows;
  private final int dim;
  private final int queryBlock;
  private final NDManager manager;
  private final DjlCompute.DeviceMatrix matrix;

  LegacyIndex(float[] bank, int rows, int dim) {
    DjlCompute compute = new DjlCompute(Device.cpu());
    this.bank = bank;
    this.rows = rows;
    this.dim = dim;
    this.queryBlock = 128;
    this.manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    this.matrix = compute.new DeviceMatrix(manager, bank, rows, dim,
        compute.chunkRows(rows, dim, Math.max(1, (1L << 21) / queryBlock)));
  }

  @Override
  public int rows() {
    return rows;
  }

  @Override
  public int dimension() {
    return dim;
  }

  @Override
  public void search(float[] queries, int count, int k, float[] distances, int[] indices, Executor executor) {
    SearchSteps.checkSearch(rows, dim, queries, count, k, distances, indices);
    ByteBuffer scratch = DjlCompute.direct((long) queryBlock * (dim + 1));
    for (int from = 0; from < count; from += queryBlock) {
      searchBlock(scratch, queries, from, Math.min(count, from + queryBlock), k, distances, indices);
    }
  }

  private void searchBlock(ByteBuffer scratch, float[] queries, int from, int to, int k, float[] distances,
      int[] indices) {
    int nq = to - from;
    int keep = Math.min(rows, k + REFINE_EXTRA);
    float[] candDist = new float[nq * keep];
    int[] candIdx = new int[nq * keep];
    int[] candCount = new int[nq];
    try (NDManager scope = manager.newSubManager()) {
      NDArray q = DjlCompute.upload(scope, scratch, 0, queries, from * dim, nq * dim, new Shape(nq, dim));
      float[] qNorm = DjlCompute.rowNorms(queries, from, to, dim);
      NDArray qn = DjlCompute.upload(scope, scratch, queryBlock * dim, qNorm, 0, nq, new Shape(nq, 1));
      for (int c = 0; c < matrix.chunks(); c++) {
        int start = matrix.start(c);
        try (NDArray d = q.matMul(matrix.transposed.get(c))) { // -2 q.m, nq x m
          d.addi(qn).addi(matrix.norms.get(c));
          int m = (int) d.getShape().get(1);
          int kc = Math.min(keep, m);
          try (NDList top = d.topK(kc, 1, false, false)) {
            FloatBuffer v = top.get(0).toByteBuffer(true).asFloatBuffer();
            LongBuffer ix = top.get(1).toByteBuffer(true).asLongBuffer();
            for (int i = 0; i < nq; i++) {
              for (int j = 0; j < kc; j++) {
                candCount[i] = insert(candDist, candIdx, i * keep, candCount[i], keep, v.get(i * kc + j),
                    start + (int) ix.get(i * kc + j));
              }
            }
          }
        }
      }
    }
    for (int i = 0; i < nq; i++) {
      SearchSteps.rerankExactly(queries, (from + i) * dim, bank, dim, candIdx, i * keep, keep, k, distances, indices,
          (from + i) * k);
    }
  }

  private static int insert(float[] dist, int[] idx, int base, int n, int keep, float d, int index) {
    if (n == keep && !before(d, index, dist[base + n - 1], idx[base + n - 1])) {
      return n;
    }
    int pos = n < keep ? n : keep - 1;
    while (pos > 0 && before(d, index, dist[base + pos - 1], idx[base + pos - 1])) {
      dist[base + pos] = dist[base + pos - 1];
      idx[base + pos] = idx[base + pos - 1];
      pos--;
    }
    dist[base + pos] = d;
    idx[base + pos] = index;
    return n < keep ? n + 1 : n;
  }

  private static boolean before(float d, int index, float otherD, int otherIndex) {
    int c = Float.compare(d, otherD);
    return c < 0 || (c == 0 && index < otherIndex);
  }

  @Override
  public void close() {
    manager.close();
  }
}
