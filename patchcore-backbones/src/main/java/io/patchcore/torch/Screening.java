package io.patchcore.torch;

/**
 * The precision of the device product with which {@link ScreenedIndex} screens the bank before the
 * exact re-ranking. Either way the bank is stored on the device in bfloat16 and the candidate set
 * provably contains the exact k nearest rows; the precision only changes the speed and how many
 * candidates are re-ranked.
 */
enum Screening {
  /**
   * Queries rounded to bfloat16, a bfloat16 product (float32 accumulation) rounded to bfloat16:
   * fast on CPUs with bfloat16 dot-product or matrix units (AVX512-BF16, AMX).
   */
  BF16,
  /**
   * The bfloat16 bank widened to float32 on the device (exact) and a float32 product; queries
   * rounded to float32 on the CPU, and to 11 significant bits on a GPU, where libtorch may run a
   * float32 product on TF32 tensor cores (those queries are exact in TF32). No output rounding.
   */
  FLOAT32
}
