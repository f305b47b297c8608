package io.patchcore.backbones;

import io.patchcore.feature.FeatureExtractor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The image preprocessing in front of a backbone: an optional resize of the shorter side, an
 * optional centre crop and a {@link Normalization}, applied in that order after conversion to RGB
 * in [0, 1] (see {@link Backbones}). Immutable; equal specs give equal text and configuration.
 *
 * <h2>Text form</h2>
 *
 * <p>Comma-separated {@code key=value} items, in any order, each key at most once; whitespace
 * around items and values is ignored:
 *
 * <pre>
 * resize=N                     shorter side to N pixels (N &gt;= 1); absent: no resize
 * crop=N                       centre crop N x N (N &gt;= 1), after the resize; absent: no crop
 * normalize=none|imagenet|he   the named statistics ({@link Normalization#NONE}, {@link
 *                              Normalization#IMAGENET}, {@link Normalization#HNE}); absent: none
 * normalize=custom,mean=[R,G,B],std=[R,G,B]   custom statistics (both lists required)
 * </pre>
 *
 * <p>For example {@code resize=256,crop=224,normalize=imagenet} or {@code
 * normalize=custom,mean=[0.5,0.5,0.5],std=[0.25,0.25,0.25]}. {@link #toString()} writes the items in
 * the order above, leaves out an absent resize or crop and always writes {@code normalize} (so no
 * spec is empty text); custom statistics equal to a named set are written by that name, numbers
 * as {@link Float#toString(float)} writes them. {@link #parse} reads it back to an equal spec, and
 * reads empty text as {@link #NONE}.
 *
 * <h2>Configuration entries</h2>
 *
 * <p>In a backbone's {@code FeatureExtractor.configuration()} map (as saved in model files) the same
 * keys hold the same values, except that {@code mean} and {@code std} are three comma-separated
 * numbers without brackets ({@code mean=0.5,0.5,0.5}). {@link #toConfiguration()} always writes
 * {@code normalize}; {@link #fromConfiguration} also accepts a map without it (no normalisation).
 *
 * @param resize the shorter side images are resized to, or empty for no resize
 * @param crop the side of the centred square cut after the resize, or empty for no crop
 * @param normalization the normalisation of the [0, 1] RGB values
 */
public record PreprocessingSpec(OptionalInt resize, OptionalInt crop, Normalization normalization) {
  /** No resize, no crop, no normalisation: the backbone sees the image's RGB values in [0, 1]. */
  public static final PreprocessingSpec NONE =
      new PreprocessingSpec(OptionalInt.empty(), OptionalInt.empty(), Normalization.NONE);

  static final String RESIZE = "resize";
  static final String CROP = "crop";
  static final String NORMALIZE = "normalize";
  static final String MEAN = "mean";
  static final String STD = "std";
  /** The configuration keys this spec reads and writes, in text order. */
  static final List<String> KEYS = List.of(RESIZE, CROP, NORMALIZE, MEAN, STD);
  /** The keys whose text values are bracketed lists. */
  static final Set<String> LIST_KEYS = Set.of(MEAN, STD);

  private static final String CUSTOM = "custom";
  private static final Map<String, Normalization> NAMED = namedNormalizations();

  private static Map<String, Normalization> namedNormalizations() {
    Map<String, Normalization> m = new LinkedHashMap<>();
    m.put("none", Normalization.NONE);
    m.put("imagenet", Normalization.IMAGENET);
    m.put("he", Normalization.HNE);
    return m;
  }

  /**
   * Checks the values.
   *
   * @param resize the shorter side images are resized to, at least 1, or empty for no resize
   * @param crop the side of the centred square cut after the resize, at least 1, or empty for no
   *     crop
   * @param normalization the normalisation of the [0, 1] RGB values
   * @throws NullPointerException if a component is null
   * @throws IllegalArgumentException naming the value if a resize or crop is below 1
   */
  public PreprocessingSpec {
    Objects.requireNonNull(resize, "resize");
    Objects.requireNonNull(crop, "crop");
    Objects.requireNonNull(normalization, "normalization");
    if (resize.isPresent() && resize.getAsInt() < 1) {
      throw new IllegalArgumentException("resize must be positive, got " + resize.getAsInt());
    }
    if (crop.isPresent() && crop.getAsInt() < 1) {
      throw new IllegalArgumentException("centre crop must be positive, got " + crop.getAsInt());
    }
  }

  /**
   * This spec with images resized to shorter side {@code shorterSide}.
   *
   * @param shorterSide the length of the shorter side after the resize, in pixels
   * @return a new spec, equal to this one but for the resize
   * @throws IllegalArgumentException naming the value if it is below 1
   */
  public PreprocessingSpec withResize(int shorterSide) {
    return new PreprocessingSpec(OptionalInt.of(shorterSide), crop, normalization);
  }

  /**
   * This spec with a centre crop of {@code size x size} after any resize.
   *
   * @param size the side of the square, in pixels
   * @return a new spec, equal to this one but for the crop
   * @throws IllegalArgumentException naming the value if it is below 1
   */
  public PreprocessingSpec withCrop(int size) {
    return new PreprocessingSpec(resize, OptionalInt.of(size), normalization);
  }

  /**
   * This spec with {@code normalization} instead of its own.
   *
   * @param normalization the new normalisation, {@link Normalization#NONE} for none
   * @return a new spec, equal to this one but for the normalisation
   * @throws NullPointerException if {@code normalization} is null
   */
  public PreprocessingSpec withNormalization(Normalization normalization) {
    return new PreprocessingSpec(resize, crop, normalization);
  }

  /**
   * The normalisation called {@code name} in the text and configuration: {@code none}, {@code
   * imagenet} or {@code he} (for H&amp;E, {@link Normalization#HNE}).
   *
   * @param name the name, lower case
   * @return {@link Normalization#NONE}, {@link Normalization#IMAGENET} or {@link Normalization#HNE}
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalArgumentException naming the value if it is none of these ({@code custom}
   *     statistics need their numbers: use {@link Normalization#of})
   */
  public static Normalization normalization(String name) {
    Normalization n = NAMED.get(Objects.requireNonNull(name, "name"));
    if (n == null) {
      throw new IllegalArgumentException("'" + NORMALIZE + "' must be none, imagenet or he, got '" + name + "'"
          + (name.equals(CUSTOM) ? " (custom statistics need mean and std)" : ""));
    }
    return n;
  }

  /**
   * Reads the text form (see the class description).
   *
   * @param text the text form, such as {@code resize=256,crop=224,normalize=imagenet}; empty text
   *     is {@link #NONE}
   * @return the spec {@code text} describes
   * @throws NullPointerException if {@code text} is null
   * @throws IllegalArgumentException naming the text and the bad item or value
   */
  public static PreprocessingSpec parse(String text) {
    Objects.requireNonNull(text, "text");
    try {
      Map<String, String> entries = SpecText.entries(SpecText.items(text), LIST_KEYS);
      PreprocessingSpec spec = take(entries);
      if (!entries.isEmpty()) {
        throw new IllegalArgumentException("unknown key(s) " + entries.keySet() + " (known: "
            + String.join(", ", KEYS) + ")");
      }
      return spec;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("preprocessing '" + text + "': " + e.getMessage(), e);
    }
  }

  /**
   * Reads this spec's entries ({@code resize}, {@code crop}, {@code normalize}, {@code mean},
   * {@code std}) from a backbone configuration; other keys are ignored.
   *
   * @param configuration a backbone configuration, such as {@code FeatureExtractor.configuration()};
   *     not modified
   * @return the spec its entries describe (equal to {@link #NONE} if it has none of them)
   * @throws NullPointerException if {@code configuration} is null
   * @throws IllegalArgumentException naming the key and value that are invalid
   */
  public static PreprocessingSpec fromConfiguration(Map<String, String> configuration) {
    Objects.requireNonNull(configuration, "configuration");
    Map<String, String> mine = new HashMap<>();
    for (String key : KEYS) {
      String value = configuration.get(key);
      if (value != null) {
        mine.put(key, value);
      }
    }
    try {
      return take(mine);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("backbone configuration: " + e.getMessage(), e);
    }
  }

  /**
   * This spec's entries of a backbone configuration: {@code resize} and {@code crop} when set,
   * {@code normalize} always, {@code mean} and {@code std} for custom statistics. Read back by
   * {@link #fromConfiguration}.
   *
   * @return a new modifiable map
   */
  public Map<String, String> toConfiguration() {
    Map<String, String> c = new LinkedHashMap<>();
    resize.ifPresent(r -> c.put(RESIZE, Integer.toString(r)));
    crop.ifPresent(s -> c.put(CROP, Integer.toString(s)));
    String name = name(normalization);
    c.put(NORMALIZE, name);
    if (name.equals(CUSTOM)) {
      c.put(MEAN, floats(normalization.mean()));
      c.put(STD, floats(normalization.std()));
    }
    return c;
  }

  /** The text form, which {@link #parse} reads back to an equal spec (see the class description). */
  @Override
  public String toString() {
    return String.join(",", textItems());
  }

  /** The items of the text form, in order; {@code normalize=none} included. */
  List<String> textItems() {
    List<String> items = new ArrayList<>();
    toConfiguration().forEach((key, value) ->
        items.add(key + "=" + (LIST_KEYS.contains(key) ? SpecText.list(value) : value)));
    return items;
  }

  /**
   * Removes this spec's entries from {@code entries} (configuration form) and reads them.
   *
   * @throws IllegalArgumentException naming the key and value that are missing or invalid
   */
  static PreprocessingSpec take(Map<String, String> entries) {
    String resize = entries.remove(RESIZE);
    String crop = entries.remove(CROP);
    String norm = entries.remove(NORMALIZE);
    String mean = entries.remove(MEAN);
    String std = entries.remove(STD);
    Normalization normalization;
    if (CUSTOM.equals(norm)) {
      normalization = Normalization.of(triple(MEAN, mean), triple(STD, std));
    } else {
      normalization = norm == null ? Normalization.NONE : normalization(norm);
      if (mean != null || std != null) {
        throw new IllegalArgumentException("'" + (mean != null ? MEAN : STD) + "' is only for normalize=custom, got "
            + (norm == null ? "no normalize" : "normalize=" + norm));
      }
    }
    return new PreprocessingSpec(
        resize == null ? OptionalInt.empty() : OptionalInt.of(integer(RESIZE, resize, 1)),
        crop == null ? OptionalInt.empty() : OptionalInt.of(integer(CROP, crop, 1)),
        normalization);
  }

  /** The name of {@code n} in text and configuration: none, imagenet, he or custom. */
  private static String name(Normalization n) {
    for (Map.Entry<String, Normalization> e : NAMED.entrySet()) {
      if (e.getValue().equals(n)) {
        return e.getKey();
      }
    }
    return CUSTOM;
  }

  /**
   * An integer of at least {@code min}.
   *
   * @throws IllegalArgumentException naming the key and value otherwise
   */
  static int integer(String key, String value, int min) {
    try {
      int v = Integer.parseInt(value.strip());
      if (v >= min) {
        return v;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw new IllegalArgumentException("'" + key + "' must be an integer >= " + min + ", got '" + value + "'");
  }

  private static float[] triple(String key, String value) {
    if (value == null) {
      throw new IllegalArgumentException("'" + key + "' is missing: normalize=custom needs mean and std, three "
          + "numbers each (R, G, B)");
    }
    String[] parts = value.split(",", -1);
    if (parts.length != 3) {
      throw new IllegalArgumentException("'" + key + "' must be three numbers (R, G, B), got '" + value + "'");
    }
    float[] out = new float[3];
    for (int i = 0; i < 3; i++) {
      try {
        out[i] = Float.parseFloat(parts[i].strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + key + "' has a bad number '" + parts[i] + "' in '" + value + "'");
      }
    }
    return out;
  }

  private static String floats(float[] v) {
    StringBuilder b = new StringBuilder();
    for (float f : v) {
      b.append(b.length() == 0 ? "" : ",").append(f);
    }
    return b.toString();
  }
}
