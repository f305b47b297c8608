package io.patchcore.internal.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.common.base.Ascii;
import io.patchcore.ModelFormatException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * One JSON object of a container header, read through typed, range-checked accessors. Every
 * problem is a {@link ModelFormatException} that names the file and the field (by its path from
 * the header's root, such as {@code bank.rows} or {@code members[0].scale}) and shows the bad
 * value, abbreviated.
 *
 * <p>A wrong value reads {@code <field> must be <expectation>, got <value>}; how a field is named,
 * and how a missing one is reported, is the format's {@link Style}.
 */
public final class HeaderFields {
  private static final int SHOWN_CHARS = 80;

  /** How messages name a field. */
  public enum Style {
    /** {@code header field 'bank.rows' must be ...}; a missing field "is missing". */
    QUOTED,
    /** {@code members[0].scale must be ...}; a missing field is "got nothing". */
    PLAIN
  }

  private final JsonNode node;
  private final String path;
  private final Style style;
  private final String file;

  HeaderFields(JsonNode node, String path, Style style, String file) {
    this.node = node;
    this.path = path;
    this.style = style;
    this.file = file;
  }

  /**
   * The file, as messages name it.
   *
   * @return the file's name
   */
  public String file() {
    return file;
  }

  /**
   * This object's path from the header's root ({@code ""} for the root itself).
   *
   * @return the path, such as {@code bank} or {@code members[0]}
   */
  public String path() {
    return path;
  }

  /**
   * Whether the field is present (a JSON {@code null} counts as present).
   *
   * @param key the field's name in this object
   * @return true if this object has the field
   */
  public boolean has(String key) {
    return node.has(key);
  }

  /**
   * A nested object.
   *
   * @param key the field's name in this object
   * @return the nested object, its fields named from this object's path
   * @throws ModelFormatException if the field is missing or not an object (the message names the
   *     field by its path and shows the value)
   */
  public HeaderFields object(String key) throws ModelFormatException {
    JsonNode n = require(key, "an object");
    if (!n.isObject()) {
      throw wrong(key, "an object", n);
    }
    return new HeaderFields(n, path(key), style, file);
  }

  /**
   * A nested object, or {@code null} where the field is JSON {@code null}.
   *
   * @param key the field's name in this object
   * @return the nested object, or null
   * @throws ModelFormatException if the field is missing or neither null nor an object (the message
   *     names the field by its path and shows the value)
   */
  public HeaderFields objectOrNull(String key) throws ModelFormatException {
    JsonNode n = require(key, "null or an object");
    if (n.isNull()) {
      return null;
    }
    if (!n.isObject()) {
      throw wrong(key, "null or an object", n);
    }
    return new HeaderFields(n, path(key), style, file);
  }

  /**
   * An array of {@code min} to {@code max} objects; the elements are named {@code key[i]}.
   *
   * @param key the field's name in this object
   * @param min the fewest elements allowed
   * @param max the most elements allowed
   * @return the elements, in order
   * @throws ModelFormatException if the field is missing or not an array, has too few or too many
   *     elements, or an element is not an object (the message names the field by its path and shows
   *     the value)
   */
  public List<HeaderFields> objects(String key, int min, int max) throws ModelFormatException {
    String expected = "an array of " + min + " to " + max + " objects";
    JsonNode n = require(key, expected);
    if (!n.isArray()) {
      throw wrong(key, expected, n);
    }
    if (n.size() < min || n.size() > max) {
      throw invalid(key, "must be " + expected + ", got " + n.size() + " entries");
    }
    List<HeaderFields> out = new ArrayList<>(n.size());
    for (int i = 0; i < n.size(); i++) {
      String element = key + "[" + i + "]";
      if (!n.get(i).isObject()) {
        throw wrong(element, "an object", n.get(i));
      }
      out.add(new HeaderFields(n.get(i), path(element), style, file));
    }
    return out;
  }

  /**
   * A string that is not blank.
   *
   * @param key the field's name in this object
   * @return the string
   * @throws ModelFormatException if the field is missing or not a non-blank string (the message
   *     names the field by its path and shows the value)
   */
  public String text(String key) throws ModelFormatException {
    JsonNode n = require(key, "a non-blank string");
    if (!n.isTextual() || n.textValue().isBlank()) {
      throw wrong(key, "a non-blank string", n);
    }
    return n.textValue();
  }

  /**
   * A string, possibly empty or blank.
   *
   * @param key the field's name in this object
   * @return the string
   * @throws ModelFormatException if the field is missing or not a string (the message names the
   *     field by its path and shows the value)
   */
  public String anyText(String key) throws ModelFormatException {
    JsonNode n = require(key, "a string");
    if (!n.isTextual()) {
      throw wrong(key, "a string", n);
    }
    return n.textValue();
  }

  /**
   * One of the {@code allowed} strings.
   *
   * @param key the field's name in this object
   * @param allowed the strings the field may hold
   * @return the string
   * @throws ModelFormatException if the field is missing or not one of the allowed strings (the
   *     message names the field by its path and shows the value)
   */
  public String oneOf(String key, Collection<String> allowed) throws ModelFormatException {
    String expected = "one of " + allowed;
    JsonNode n = require(key, expected);
    if (!n.isTextual() || !allowed.contains(n.textValue())) {
      throw wrong(key, expected, n);
    }
    return n.textValue();
  }

  /**
   * An ISO-8601 instant such as {@code "2025-01-01T00:00:00Z"}.
   *
   * @param key the field's name in this object
   * @return the instant
   * @throws ModelFormatException if the field is missing or not a string that {@link Instant#parse}
   *     reads (the message names the field by its path and shows the value)
   */
  public Instant instant(String key) throws ModelFormatException {
    JsonNode n = require(key, "an ISO-8601 instant");
    if (n.isTextual()) {
      try {
        return Instant.parse(n.textValue());
      } catch (DateTimeParseException e) {
        // reported below
      }
    }
    throw wrong(key, "an ISO-8601 instant", n);
  }

  /**
   * An integer in [{@code min}, {@code max}].
   *
   * @param key the field's name in this object
   * @param min the smallest value allowed
   * @param max the largest value allowed
   * @return the integer
   * @throws ModelFormatException if the field is missing or not an integer in the range (the
   *     message names the field by its path and shows the value)
   */
  public int integer(String key, int min, int max) throws ModelFormatException {
    return (int) longInteger(key, min, max);
  }

  /**
   * A 64-bit integer in [{@code min}, {@code max}].
   *
   * @param key the field's name in this object
   * @param min the smallest value allowed
   * @param max the largest value allowed
   * @return the integer
   * @throws ModelFormatException if the field is missing or not an integer in the range (the
   *     message names the field by its path and shows the value)
   */
  public long longInteger(String key, long min, long max) throws ModelFormatException {
    String expected = min == Long.MIN_VALUE && max == Long.MAX_VALUE ? "a 64-bit integer"
        : "an integer in [" + min + ", " + max + "]";
    JsonNode n = require(key, expected);
    if (!isInteger(n, min, max)) {
      throw wrong(key, expected, n);
    }
    return n.longValue();
  }

  /**
   * A number in [{@code min}, {@code max}] (so never NaN or infinite where the bounds are finite).
   *
   * @param key the field's name in this object
   * @param min the smallest value allowed
   * @param max the largest value allowed
   * @return the number
   * @throws ModelFormatException if the field is missing or not a number in the range (the message
   *     names the field by its path and shows the value)
   */
  public double number(String key, double min, double max) throws ModelFormatException {
    return number(key, min, max, "a number in [" + min + ", " + max + "]");
  }

  /**
   * A finite number.
   *
   * @param key the field's name in this object
   * @return the number
   * @throws ModelFormatException if the field is missing or not a finite number (the message names
   *     the field by its path and shows the value)
   */
  public double finiteNumber(String key) throws ModelFormatException {
    return number(key, -Double.MAX_VALUE, Double.MAX_VALUE, "a finite number");
  }

  /**
   * An array of integers, each in [{@code min}, {@code max}]; the elements are named {@code key[i]}.
   *
   * @param key the field's name in this object
   * @param min the smallest value allowed for each element
   * @param max the largest value allowed for each element
   * @return the integers, in order (possibly none)
   * @throws ModelFormatException if the field is missing or not an array, or an element is not an
   *     integer in the range (the message names the field by its path and shows the value)
   */
  public int[] integers(String key, int min, int max) throws ModelFormatException {
    String expected = "an integer in [" + min + ", " + max + "]";
    JsonNode n = require(key, "an array");
    if (!n.isArray()) {
      throw wrong(key, "an array", n);
    }
    int[] out = new int[n.size()];
    for (int i = 0; i < out.length; i++) {
      if (!isInteger(n.get(i), min, max)) {
        throw wrong(key + "[" + i + "]", expected, n.get(i));
      }
      out[i] = n.get(i).intValue();
    }
    return out;
  }

  /**
   * An array of {@code min} to {@code max} distinct, non-blank names ({@code noun} says of what,
   * for messages: "layer").
   *
   * @param key the field's name in this object
   * @param noun what the names name, singular, for messages
   * @param min the fewest names allowed
   * @param max the most names allowed
   * @return the names, in order (unmodifiable)
   * @throws ModelFormatException if the field is missing or not an array, has too few or too many
   *     names, or holds a name that is not a non-blank string or is repeated (the message names the
   *     field by its path and shows the value)
   */
  public List<String> names(String key, String noun, int min, int max) throws ModelFormatException {
    JsonNode n = require(key, "an array of " + noun + " names");
    if (!n.isArray()) {
      throw wrong(key, "an array of " + noun + " names", n);
    }
    if (n.size() < min || n.size() > max) {
      throw invalid(key, "must list " + min + " to " + max + " " + noun + "s, got " + n.size());
    }
    List<String> out = new ArrayList<>(n.size());
    Set<String> seen = new HashSet<>();
    for (JsonNode e : n) {
      if (!e.isTextual() || e.textValue().isBlank()) {
        throw invalid(key, "has a bad " + noun + " name " + show(e));
      }
      if (!seen.add(e.textValue())) {
        throw invalid(key, "names " + noun + " " + show(e) + " twice");
      }
      out.add(e.textValue());
    }
    return List.copyOf(out);
  }

  /**
   * An object whose fields are all strings, as an unmodifiable map sorted by key.
   *
   * @param key the field's name in this object
   * @return the fields of the object
   * @throws ModelFormatException if the field is missing or not an object, or one of its fields is
   *     not a string (the message names the field by its path and shows the value)
   */
  public Map<String, String> textMap(String key) throws ModelFormatException {
    JsonNode n = require(key, "an object");
    if (!n.isObject()) {
      throw wrong(key, "an object", n);
    }
    Map<String, String> out = new TreeMap<>();
    for (Map.Entry<String, JsonNode> e : n.properties()) {
      if (!e.getValue().isTextual()) {
        throw wrong(key + "." + e.getKey(), "a string", e.getValue());
      }
      out.put(e.getKey(), e.getValue().textValue());
    }
    return Collections.unmodifiableMap(out);
  }

  /**
   * A problem with field {@code key}: {@code problem} follows the field's name.
   *
   * @param key the field's name in this object
   * @param problem what is wrong, such as {@code "must be positive, got 0"}
   * @return the exception to throw, naming the file and the field (by its path, in this format's
   *     {@link Style})
   */
  public ModelFormatException invalid(String key, String problem) {
    return bad(label(key) + " " + problem);
  }

  /**
   * A problem with the file.
   *
   * @param message what is wrong
   * @return the exception to throw, naming the file
   */
  public ModelFormatException bad(String message) {
    return new ModelFormatException(file, message);
  }

  private double number(String key, double min, double max, String expected) throws ModelFormatException {
    JsonNode n = require(key, expected);
    if (!n.isNumber() || !(n.doubleValue() >= min && n.doubleValue() <= max)) {
      throw wrong(key, expected, n);
    }
    return n.doubleValue();
  }

  private static boolean isInteger(JsonNode n, long min, long max) {
    return n.isIntegralNumber() && n.canConvertToLong() && n.longValue() >= min && n.longValue() <= max;
  }

  private JsonNode require(String key, String expected) throws ModelFormatException {
    Objects.requireNonNull(key, "key");
    JsonNode n = node.get(key);
    if (n == null) {
      throw style == Style.QUOTED ? invalid(key, "is missing") : wrong(key, expected, null);
    }
    return n;
  }

  private ModelFormatException wrong(String key, String expected, JsonNode got) {
    return invalid(key, "must be " + expected + ", got " + show(got));
  }

  private String path(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  private String label(String key) {
    return style == Style.QUOTED ? "header field '" + path(key) + "'" : path(key);
  }

  private static String show(JsonNode n) {
    return n == null ? "nothing" : abbreviate(n.toString());
  }

  static String abbreviate(String s) {
    return Ascii.truncate(s, SHOWN_CHARS, "...");
  }
}
