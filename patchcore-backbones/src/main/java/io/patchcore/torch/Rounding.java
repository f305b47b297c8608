package io.patchcore.torch;

/** Rounding of doubles to the narrow formats the screened search uploads. */
final class Rounding {
  /** Smallest positive normal float32 (and bfloat16) number. */
  static final double MIN_NORMAL = 0x1p-126;

  private Rounding() {}

  /**
   * Finite {@code x} rounded directly (no intermediate float) to {@code bits} significant bits, to
   * nearest with ties to even, and flushed to zero when its magnitude is below 2^-126. With
   * {@code bits} 8 the result is a bfloat16 number, with 24 a float32 number, with 11 a TF32 one,
   * as long as it stays below 2^128 in magnitude. Not for NaN or infinities.
   *
   * @param bits 1 to 52
   */
  static double round(double x, int bits) {
    long b = Double.doubleToRawLongBits(x);
    int drop = 53 - bits; // low mantissa bits to clear
    b += ((1L << (drop - 1)) - 1) + ((b >>> drop) & 1L); // a carry out of the mantissa bumps the exponent
    b &= -(1L << drop);
    return Math.abs(x) >= MIN_NORMAL ? Double.longBitsToDouble(b) : 0.0;
  }

  /** The bfloat16 number nearest to {@code x} (see {@link #round}). */
  static double bf16(double x) {
    return round(x, 8);
  }

  /** The smallest float not below {@code x} ({@code +Infinity} above the float range). */
  static float floatUp(double x) {
    float f = (float) x;
    return f < x ? Math.nextUp(f) : f;
  }
}
