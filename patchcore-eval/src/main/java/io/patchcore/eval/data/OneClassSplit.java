package io.patchcore.eval.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The one-class protocol of the image-level benchmark: for class c, {@code train} seeded images of
 * class c from the training split; as test set, {@code normal} seeded images of class c and
 * {@code anomalous} seeded images of the other classes from the test split. In the validation
 * variant every image comes from the training split (the test images are disjoint from the training
 * images), so settings can be chosen without looking at the test split.
 *
 * <p>Draws: the indices of a pool are shuffled (Fisher-Yates) with
 * {@code new SplittableRandom(seed * 1_000_003 + c)} and the first ones taken, in the order drawn:
 * first the training images, then the normal test images, then the anomalous ones.
 *
 * @param trainIndices indices into the training split
 * @param normalIndices indices of the normal test images (into the test split, or the training
 *     split for validation)
 * @param anomalousIndices indices of the anomalous test images, likewise
 */
public record OneClassSplit(List<Integer> trainIndices, List<Integer> normalIndices, List<Integer> anomalousIndices) {
  /**
   * Draws a split.
   *
   * @param train the training split
   * @param test the test split
   * @param c the normal class
   * @param trainCount training images
   * @param normalCount normal test images
   * @param anomalousCount anomalous test images
   * @param seed the seed
   * @param validation whether the test images come from the training split too
   * @return the split
   * @throws IllegalArgumentException if a pool holds fewer images than asked for (the message
   *     names the counts)
   */
  public static OneClassSplit draw(IdxImages train, IdxImages test, int c, int trainCount, int normalCount,
      int anomalousCount, long seed, boolean validation) {
    SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + c);
    List<Integer> trainPool = shuffled(pool(train, c, true), rnd);
    need(trainPool, trainCount + (validation ? normalCount : 0), "class " + c + " images in the training split");
    List<Integer> trainIdx = trainPool.subList(0, trainCount);
    List<Integer> normal;
    List<Integer> anomalous;
    if (validation) {
      normal = trainPool.subList(trainCount, trainCount + normalCount);
      List<Integer> others = shuffled(pool(train, c, false), rnd);
      need(others, anomalousCount, "images of other classes in the training split");
      anomalous = others.subList(0, anomalousCount);
    } else {
      List<Integer> same = shuffled(pool(test, c, true), rnd);
      need(same, normalCount, "class " + c + " images in the test split");
      normal = same.subList(0, normalCount);
      List<Integer> others = shuffled(pool(test, c, false), rnd);
      need(others, anomalousCount, "images of other classes in the test split");
      anomalous = others.subList(0, anomalousCount);
    }
    return new OneClassSplit(List.copyOf(trainIdx), List.copyOf(normal), List.copyOf(anomalous));
  }

  private static List<Integer> pool(IdxImages split, int c, boolean same) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < split.count(); i++) {
      if ((split.label(i) == c) == same) {
        out.add(i);
      }
    }
    return out;
  }

  private static List<Integer> shuffled(List<Integer> pool, SplittableRandom rnd) {
    for (int i = pool.size() - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      Integer t = pool.get(i);
      pool.set(i, pool.get(j));
      pool.set(j, t);
    }
    return pool;
  }

  private static void need(List<Integer> pool, int count, String what) {
    if (pool.size() < count) {
      throw new IllegalArgumentException("need " + count + " " + what + ", there are " + pool.size());
    }
  }
}
