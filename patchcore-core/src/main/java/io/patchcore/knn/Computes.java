package io.patchcore.knn;

import io.patchcore.internal.knn.JblasCompute;
import io.patchcore.internal.knn.SearchOnlyCompute;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/** Factories of the built-in {@link Compute} back ends, and the default one. */
public final class Computes {
  private static final System.Logger LOG = System.getLogger(Computes.class.getName());
  private static volatile Compute defaultCompute;

  private Computes() {}

  /**
   * The CPU back end: chunked float32 GEMM through jblas, exact double-precision refinement.
   *
   * @return the shared jblas back end
   */
  public static Compute cpu() {
    return JblasCompute.INSTANCE;
  }

  /**
   * The fastest exact back end on the class path: the k-NN search of the {@link ComputeProvider}
   * with the highest priority that can run here (with patchcore-backbones, libtorch's), else
   * {@link #cpu()}; coreset updates always run in the portable jblas back end, so that fitted memory
   * banks are the same whichever back end is present. Chosen once per process and logged. Results
   * do not depend on the choice.
   *
   * @return the default back end (the same instance for the life of the process)
   */
  public static Compute defaultCompute() {
    Compute c = defaultCompute;
    if (c == null) {
      synchronized (Computes.class) {
        c = defaultCompute;
        if (c == null) {
          c = discover();
          defaultCompute = c;
        }
      }
    }
    return c;
  }

  /**
   * The back end named {@code name}: {@code "auto"} (the default back end), {@code "jblas"} or the
   * name of a {@link ComputeProvider} on the class path (e.g. {@code "torch"}). Case and
   * surrounding spaces are ignored.
   *
   * @param name the back end's name
   * @return the back end; a provider's is what its {@link ComputeProvider#create()} returns
   * @throws NullPointerException if {@code name} is null
   * @throws RuntimeException whatever the named provider's {@link ComputeProvider#create()} throws
   *     when its back end cannot run here
   * @throws IllegalArgumentException naming the value and the known names if there is no such back
   *     end
   */
  public static Compute named(String name) {
    String n = name.strip().toLowerCase(Locale.ROOT);
    if (n.equals("auto")) {
      return defaultCompute();
    }
    if (n.equals("jblas")) {
      return cpu();
    }
    List<String> known = new ArrayList<>(List.of("auto", "jblas"));
    for (ComputeProvider p : providers()) {
      if (p.name().equalsIgnoreCase(n)) {
        return p.create();
      }
      known.add(p.name());
    }
    throw new IllegalArgumentException("unknown compute back end '" + name + "'; known: " + String.join(", ", known));
  }

  private static List<ComputeProvider> providers() {
    List<ComputeProvider> out = new ArrayList<>();
    ServiceLoader.load(ComputeProvider.class, Computes.class.getClassLoader()).forEach(out::add);
    out.sort(Comparator.comparingInt(ComputeProvider::priority).reversed().thenComparing(ComputeProvider::name));
    return out;
  }

  private static Compute discover() {
    for (ComputeProvider p : providers()) {
      if (p.priority() <= 0) {
        continue;
      }
      try {
        Compute c = new SearchOnlyCompute(p.create());
        LOG.log(System.Logger.Level.INFO, "compute back end: {0} for the k-NN search (provider {1}, priority {2}),"
            + " jblas for coreset updates", c.name(), p.name(), p.priority());
        return c;
      } catch (RuntimeException | LinkageError e) {
        LOG.log(System.Logger.Level.WARNING, "compute back end {0} cannot run here ({1}); trying the next",
            p.name(), e.toString());
      }
    }
    LOG.log(System.Logger.Level.INFO, "compute back end: jblas (no faster provider on the class path)");
    return cpu();
  }
}
