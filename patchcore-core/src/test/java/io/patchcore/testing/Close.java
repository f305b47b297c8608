package io.patchcore.testing;

/** Element-wise closeness checks with messages that name the first failing index. */
public final class Close {
  private Close() {}

  /** Asserts |a - e| <= abs + rel * |e| for every element. */
  public static void assertClose(float[] actual, float[] expected, double abs, double rel, String what) {
    double[] a = new double[actual.length];
    double[] e = new double[expected.length];
    for (int i = 0; i < a.length; i++) {
      a[i] = actual[i];
    }
    for (int i = 0; i < e.length; i++) {
      e[i] = expected[i];
    }
    assertClose(a, e, abs, rel, what);
  }

  /** Asserts |a - e| <= abs + rel * |e| for every element. */
  public static void assertClose(double[] actual, double[] expected, double abs, double rel, String what) {
    if (actual.length != expected.length) {
      throw new AssertionError(what + ": length " + actual.length + " != expected " + expected.length);
    }
    double worst = 0;
    for (int i = 0; i < actual.length; i++) {
      double diff = Math.abs(actual[i] - expected[i]);
      if (!(diff <= abs + rel * Math.abs(expected[i]))) {
        throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]
            + " (diff " + diff + ", tolerance abs " + abs + " rel " + rel + ")");
      }
      worst = Math.max(worst, diff);
    }
  }
}
