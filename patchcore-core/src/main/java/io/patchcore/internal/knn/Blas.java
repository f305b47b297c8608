package io.patchcore.internal.knn;

import io.patchcore.PatchCoreModel;
import java.util.concurrent.locks.ReentrantLock;
import org.jblas.NativeBlas;

/**
 * The only door to jblas's native BLAS: every call goes through one process-wide lock.
 *
 * <p><b>Why the lock.</b> jblas 1.2.5 bundles (statically, in {@code libjblas.so}) an OpenBLAS
 * 0.3.x built single-threaded ({@code USE_THREAD=0}, no {@code USE_LOCKING}). In such a build
 * {@code blas_memory_alloc} hands out its packing buffers without any lock: it tests a slot's
 * {@code used} flag and sets it a few instructions later, so two threads that enter
 * {@code sgemm} at the same moment can take the same buffer and overwrite each other's packed
 * panels. The product then comes back wrong, silently. Evidence gathered when this was fixed:
 * <ul>
 *   <li>the library exports {@code blas_memory_alloc} but no {@code blas_thread_init} or
 *       {@code exec_blas}: it is not an SMP build, so the allocator's locks are compiled out;
 *   <li>a C program calling the bundled {@code sgemm_} from 2 threads (96x48x64, warm) got 6,436
 *       wrong products out of 200,000 calls, from 4 threads 52,648 of 800,000, from 1 thread none;
 *       16-32 threads released together at the first call printed OpenBLAS's "Bad memory
 *       unallocation" (two threads had claimed one slot) in one run of five;
 *   <li>{@code ConcurrentSearchStressTest} (8 threads, busy CPU) saw 4 to 26 wrong searches in
 *       every run before this lock, none after.
 * </ul>
 * That is the wrong-scores-under-load defect: {@code PatchCoreModel.score} searches query blocks
 * in parallel, and {@code patchcore score} under load gave an image a score 4x too high. Cold
 * starts made it likelier (many threads reaching their first GEMM together).
 *
 * <p>Since that OpenBLAS runs each call on one core anyway, serialising calls loses only the
 * overlap of GEMMs; the rest of the search (candidate selection, exact re-ranking) stays parallel.
 * Code elsewhere in the same JVM that calls jblas directly is not covered by this lock; see the
 * README's thread-safety section.
 */
public final class Blas {
  private static final ReentrantLock LOCK = new ReentrantLock();

  private static final System.Logger LOG = System.getLogger(Blas.class.getName());
  /** Whether jblas's native library loaded; when not, the pure-Java kernel runs. */
  private static final boolean NATIVE;

  static {
    // jblas logs every native-library step at INFO on stderr, including one "Deleting ..." line per
    // temporary file at every JVM exit; its warnings and errors still show.
    org.jblas.util.Logger.getLogger().setLevel(org.jblas.util.Logger.WARNING);
    NATIVE = !Boolean.getBoolean("patchcore.blas.java") && nativeWorks();
  }

  /**
   * Whether jblas's native BLAS loads and multiplies correctly here. jblas ships no native library
   * for some platforms (macOS on arm64, for one); there the pure-Java kernel runs instead.
   */
  private static boolean nativeWorks() {
    try {
      float[] c = new float[1];
      NativeBlas.sgemm('T', 'N', 1, 1, 2, 1f, new float[] {1f, 2f}, 0, 2, new float[] {3f, 4f}, 0, 2, 0f, c, 0, 1);
      if (c[0] == 11f) {
        return true;
      }
      LOG.log(System.Logger.Level.WARNING, "jblas's native sgemm gave a wrong product; using the pure-Java kernel");
    } catch (LinkageError | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "jblas's native BLAS is not available here ({0}); using the pure-Java"
          + " kernel, which is slower", e.toString());
    }
    return false;
  }

  /**
   * {@code "jblas"} when the native BLAS runs, {@code "java"} when the pure-Java kernel does.
   *
   * @return the name of the kernel {@link #sgemm} runs
   */
  public static String implementation() {
    return NATIVE ? "jblas" : "java";
  }

  private Blas() {}

  /**
   * {@code c = alpha * op(a) * op(b) + beta * c} in column-major storage, as BLAS {@code sgemm},
   * under the process-wide lock. Where the native BLAS is unavailable (or the system property
   * {@code patchcore.blas.java} is true) a pure-Java kernel runs instead, which supports only
   * {@code transA = 'T'}, {@code transB = 'N'}.
   *
   * @param transA {@code 'N'} for {@code op(a) = a}, {@code 'T'} for its transpose
   * @param transB {@code 'N'} for {@code op(b) = b}, {@code 'T'} for its transpose
   * @param m the rows of {@code op(a)} and {@code c}
   * @param n the columns of {@code op(b)} and {@code c}
   * @param k the columns of {@code op(a)} and rows of {@code op(b)}
   * @param alpha the factor of the product
   * @param a the first matrix, column-major
   * @param aOffset where {@code a} starts in its array
   * @param lda the leading dimension of {@code a}
   * @param b the second matrix, column-major
   * @param bOffset where {@code b} starts in its array
   * @param ldb the leading dimension of {@code b}
   * @param beta the factor of the previous {@code c}; with 0, {@code c} is only written
   * @param c the result matrix, column-major, updated in place
   * @param cOffset where {@code c} starts in its array
   * @param ldc the leading dimension of {@code c}
   * @throws UnsupportedOperationException if the pure-Java kernel runs and the transposition flags
   *     are not {@code ('T', 'N')}
   */
  public static void sgemm(char transA, char transB, int m, int n, int k, float alpha, float[] a, int aOffset, int lda,
      float[] b, int bOffset, int ldb, float beta, float[] c, int cOffset, int ldc) {
    if (!NATIVE) {
      javaSgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
      return;
    }
    LOCK.lock();
    try {
      NativeBlas.sgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
    } finally {
      LOCK.unlock();
    }
  }

  /**
   * The float dot product of {@code a[aOff ..]} and {@code b[bOff ..]} over {@code n} values, with
   * four partial sums (lets the JIT pipeline the loop). The pure-Java sgemm and the coreset kernel
   * share it, so both round alike.
   *
   * @param a first vector's array
   * @param aOff its first value
   * @param b second vector's array
   * @param bOff its first value
   * @param n length
   * @return the dot product, {@code (s0 + s1) + (s2 + s3)}
   */
  static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
    float s0 = 0;
    float s1 = 0;
    float s2 = 0;
    float s3 = 0;
    int j = 0;
    for (; j + 3 < n; j += 4) {
      s0 += a[aOff + j] * b[bOff + j];
      s1 += a[aOff + j + 1] * b[bOff + j + 1];
      s2 += a[aOff + j + 2] * b[bOff + j + 2];
      s3 += a[aOff + j + 3] * b[bOff + j + 3];
    }
    for (; j < n; j++) {
      s0 += a[aOff + j] * b[bOff + j];
    }
    return (s0 + s1) + (s2 + s3);
  }

  /**
   * The pure-Java kernel of the one form the library uses, {@code transA = 'T'}, {@code transB =
   * 'N'}: {@code c[i + j*ldc] = alpha * (row i of a) . (row j of b) + beta * c[..]}, each dot
   * product accumulated in float with four partial sums.
   *
   * @throws UnsupportedOperationException for other transposition flags
   */
  static void javaSgemm(char transA, char transB, int m, int n, int k, float alpha, float[] a, int aOffset,
      int lda, float[] b, int bOffset, int ldb, float beta, float[] c, int cOffset, int ldc) {
    if (transA != 'T' || transB != 'N') {
      throw new UnsupportedOperationException("the pure-Java sgemm supports only ('T', 'N'), got ('" + transA
          + "', '" + transB + "')");
    }
    for (int j = 0; j < n; j++) {
      int bo = bOffset + j * ldb;
      for (int i = 0; i < m; i++) {
        float dot = dot(a, aOffset + i * lda, b, bo, k);
        int ci = cOffset + i + j * ldc;
        c[ci] = beta == 0f ? alpha * dot : alpha * dot + beta * c[ci];
      }
    }
  }
}
