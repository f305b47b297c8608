package io.patchcore.sampling;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The parameters that rebuild a built-in {@link Sampler}, with one text form used by model files
 * and the command line alike: {@code identity}, {@code random(p=0.1)},
 * {@code approx-greedy(p=0.1, projection=128, starts=10)} or {@code greedy(p=0.1, starts=10)}.
 * {@link #parse} reads what {@link #toString} writes; omitted parameters take the defaults
 * (fraction 0.1, {@link Samplers#DEFAULT_PROJECTION}, {@link Samplers#DEFAULT_STARTS}).
 *
 * @param kind one of {@code identity, random, approx-greedy, greedy}
 * @param fraction the fraction of rows kept, in (0, 1]; 1 for identity
 * @param projection the projection dimension of approx-greedy, 0 otherwise
 * @param starts the number of random starting points of the greedy samplers, 0 otherwise
 */
public record SamplerSpec(String kind, double fraction, int projection, int starts) {
  /** The fraction a spec without {@code p=} gets. */
  public static final double DEFAULT_FRACTION = 0.1;

  /**
   * Checks the values: the spec must describe a sampler that {@link Samplers} can build.
   *
   * @param kind one of {@code identity, random, approx-greedy, greedy}
   * @param fraction the fraction of rows kept, in (0, 1]; 1 for identity
   * @param projection the projection dimension of approx-greedy (at least 1), ignored otherwise
   * @param starts the number of random starting points of the greedy samplers (at least 1),
   *     ignored otherwise
   * @throws IllegalArgumentException naming the bad kind or value
   */
  public SamplerSpec {
    if (kind == null) {
      throw new IllegalArgumentException("sampler kind is missing");
    }
    toSampler(kind, fraction, projection, starts);
  }

  /**
   * The spec of a sampler from {@link Samplers}.
   *
   * @param sampler the sampler
   * @return its spec, as {@link Sampler#spec()} gives it
   * @throws NullPointerException if {@code sampler} is null
   */
  public static SamplerSpec of(Sampler sampler) {
    return sampler.spec();
  }

  /**
   * Reads the text form. Kind and keys are case-insensitive and spaces around them are ignored.
   *
   * @param text the text form, such as {@code approx-greedy(p=0.1, projection=128, starts=10)}
   * @return the spec, with defaults for omitted parameters
   * @throws NullPointerException if {@code text} is null
   * @throws IllegalArgumentException naming the text and what is wrong with it
   */
  public static SamplerSpec parse(String text) {
    String t = text.strip().toLowerCase(Locale.ROOT);
    int open = t.indexOf('(');
    String kind = open < 0 ? t : t.substring(0, open).strip();
    Map<String, String> params = new LinkedHashMap<>();
    if (open >= 0) {
      if (!t.endsWith(")")) {
        throw new IllegalArgumentException("sampler '" + text + "': missing ')'");
      }
      String inner = t.substring(open + 1, t.length() - 1).strip();
      for (String part : inner.isEmpty() ? new String[0] : inner.split(",")) {
        String[] kv = part.split("=", -1);
        if (kv.length != 2 || kv[0].isBlank() || kv[1].isBlank()) {
          throw new IllegalArgumentException("sampler '" + text + "': expected key=value, got '" + part.strip() + "'");
        }
        if (params.put(kv[0].strip(), kv[1].strip()) != null) {
          throw new IllegalArgumentException("sampler '" + text + "': '" + kv[0].strip() + "' given twice");
        }
      }
    }
    boolean greedy = kind.equals("approx-greedy") || kind.equals("greedy");
    double fraction = kind.equals("identity") ? 1.0 : number(text, params.remove("p"), DEFAULT_FRACTION);
    int projection = kind.equals("approx-greedy")
        ? (int) number(text, params.remove("projection"), Samplers.DEFAULT_PROJECTION) : 0;
    int starts = greedy ? (int) number(text, params.remove("starts"), Samplers.DEFAULT_STARTS) : 0;
    if (!params.isEmpty()) {
      throw new IllegalArgumentException("sampler '" + text + "': unknown parameter(s) " + params.keySet()
          + " for kind '" + kind + "'");
    }
    try {
      return new SamplerSpec(kind, fraction, projection, starts);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("sampler '" + text + "': " + e.getMessage(), e);
    }
  }

  private static double number(String text, String value, double fallback) {
    if (value == null) {
      return fallback;
    }
    try {
      return Double.parseDouble(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("sampler '" + text + "': '" + value + "' is not a number", e);
    }
  }

  /**
   * This spec with another fraction (identity stays identity).
   *
   * @param fraction the new fraction, in (0, 1]
   * @return a spec that differs from this one only in its fraction, or this identity spec
   * @throws IllegalArgumentException if this is not the identity spec and {@code fraction} is out
   *     of range (the message gives it)
   */
  public SamplerSpec withFraction(double fraction) {
    return kind.equals("identity") ? this : new SamplerSpec(kind, fraction, projection, starts);
  }

  /**
   * The sampler this spec describes.
   *
   * @return a sampler whose {@link Sampler#spec()} equals this spec
   */
  public Sampler toSampler() {
    return toSampler(kind, fraction, projection, starts);
  }

  private static Sampler toSampler(String kind, double fraction, int projection, int starts) {
    switch (kind) {
      case "identity":
        if (fraction != 1.0) {
          throw new IllegalArgumentException("identity sampler needs fraction 1.0, got " + fraction);
        }
        return Samplers.identity();
      case "random":
        return Samplers.random(fraction);
      case "approx-greedy":
        return Samplers.approximateGreedy(fraction, projection, starts);
      case "greedy":
        return Samplers.greedy(fraction, starts);
      default:
        throw new IllegalArgumentException("unknown sampler kind '" + kind
            + "' (known: identity, random, approx-greedy, greedy)");
    }
  }

  /** The text form, which {@link #parse} reads back to an equal spec. */
  @Override
  public String toString() {
    switch (kind) {
      case "identity":
        return "identity";
      case "random":
        return "random(p=" + fraction + ")";
      case "approx-greedy":
        return "approx-greedy(p=" + fraction + ", projection=" + projection + ", starts=" + starts + ")";
      default:
        return "greedy(p=" + fraction + ", starts=" + starts + ")";
    }
  }
}
