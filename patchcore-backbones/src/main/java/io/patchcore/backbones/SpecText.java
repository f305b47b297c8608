package io.patchcore.backbones;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The lexical layer of the text forms of {@link PreprocessingSpec} and {@link BackboneSpec}: items
 * separated by commas, each {@code key=value} or a bare value, where a value is a word, a
 * double-quoted string or a bracketed list of words and quoted strings. It knows no keys; a list
 * becomes its elements joined by commas, which is how the configuration map holds lists, so both
 * forms are read by the same code.
 *
 * <ul>
 *   <li>A word is any text without {@code , [ ] "}; whitespace around it is dropped. A word may
 *       contain {@code =}: an item's key ends at its first {@code =}.
 *   <li>A quoted string is taken verbatim between double quotes; inside it {@code \"} is a quote and
 *       {@code \\} a backslash. Outside quotes a backslash is an ordinary character.
 * </ul>
 */
final class SpecText {
  private SpecText() {}

  /**
   * One item: {@code key} is null for a bare value; {@code value} is the unquoted text, or a list's
   * elements joined by commas; {@code list} says it was written in brackets; {@code quoted} says a
   * bare value was written in quotes.
   */
  record Item(String key, String value, boolean list, boolean quoted) {}

  /**
   * Splits {@code text} into items.
   *
   * @throws IllegalArgumentException naming the position and what was expected
   */
  static List<Item> items(String text) {
    return new Lexer(text).items();
  }

  /**
   * The {@code key=value} items as configuration entries, in order.
   *
   * @param listKeys the keys whose values may be written as lists
   * @throws IllegalArgumentException naming the item if one is bare, a key is given twice, or a list
   *     is given for a key not in {@code listKeys}
   */
  static Map<String, String> entries(List<Item> items, Set<String> listKeys) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Item item : items) {
      if (item.key() == null) {
        throw new IllegalArgumentException("'" + item.value() + "' is not a key=value item");
      }
      if (item.list() && !listKeys.contains(item.key())) {
        throw new IllegalArgumentException("'" + item.key() + "' takes one value, got the list [" + item.value()
            + "]");
      }
      if (out.put(item.key(), item.value()) != null) {
        throw new IllegalArgumentException("'" + item.key() + "' given twice");
      }
    }
    return out;
  }

  /** {@code value} as a word if it reads back as itself as a value or list element, else quoted. */
  static String word(String value) {
    return quoteUnless(value, ",[]\"");
  }

  /** {@code value} as a word if it reads back as itself as a bare item (no {@code =}), else quoted. */
  static String bare(String value) {
    return quoteUnless(value, "=,[]\"");
  }

  private static String quoteUnless(String value, String special) {
    boolean plain = !value.isEmpty() && value.strip().equals(value);
    for (int i = 0; plain && i < value.length(); i++) {
      plain = special.indexOf(value.charAt(i)) < 0;
    }
    if (plain) {
      return value;
    }
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\');
      }
      b.append(c);
    }
    return b.append('"').toString();
  }

  /** A comma-separated configuration value as a bracketed list, each element a {@link #word}. */
  static String list(String commaSeparated) {
    StringBuilder b = new StringBuilder("[");
    for (String element : commaSeparated.split(",", -1)) {
      b.append(b.length() == 1 ? "" : ",").append(word(element));
    }
    return b.append(']').toString();
  }

  private static final class Lexer {
    private final String text;
    private int pos;

    Lexer(String text) {
      this.text = text;
    }

    List<Item> items() {
      List<Item> out = new ArrayList<>();
      if (text.isBlank()) {
        return out;
      }
      while (true) {
        out.add(item());
        skipSpace();
        if (pos == text.length()) {
          return out;
        }
        expect(',');
      }
    }

    private Item item() {
      skipSpace();
      if (peek() == '"') {
        return new Item(null, quoted(), false, true);
      }
      int start = pos;
      while (pos < text.length() && "=,[]\"".indexOf(text.charAt(pos)) < 0) {
        pos++;
      }
      String head = text.substring(start, pos).strip();
      if (peek() != '=') {
        if (pos < text.length() && text.charAt(pos) != ',') {
          throw error("unexpected '" + text.charAt(pos) + "'");
        }
        if (head.isEmpty()) {
          throw error("empty item");
        }
        return new Item(null, head, false, false);
      }
      pos++; // '='
      if (head.isEmpty()) {
        throw error("a key is missing before '='");
      }
      skipSpace();
      if (peek() == '[') {
        pos++;
        List<String> elements = new ArrayList<>();
        skipSpace();
        if (peek() == ']') {
          pos++;
          return new Item(head, "", true, false);
        }
        while (true) {
          String element = value(",]");
          if (element.contains(",")) {
            throw error("list element '" + element + "' of '" + head + "' contains a comma");
          }
          elements.add(element);
          skipSpace();
          if (peek() == ']') {
            pos++;
            return new Item(head, String.join(",", elements), true, false);
          }
          expect(',');
        }
      }
      return new Item(head, value(","), false, false);
    }

    /** A quoted string or a word ending before one of {@code stops}. */
    private String value(String stops) {
      skipSpace();
      if (peek() == '"') {
        return quoted();
      }
      int start = pos;
      while (pos < text.length() && stops.indexOf(text.charAt(pos)) < 0) {
        char c = text.charAt(pos);
        if (c == '[' || c == ']' || c == '"') {
          throw error("unexpected '" + c + "' (quote values that contain , [ ] or \")");
        }
        pos++;
      }
      return text.substring(start, pos).strip();
    }

    private String quoted() {
      int open = pos;
      pos++; // '"'
      StringBuilder b = new StringBuilder();
      while (pos < text.length()) {
        char c = text.charAt(pos++);
        if (c == '"') {
          return b.toString();
        }
        if (c == '\\' && pos < text.length() && (text.charAt(pos) == '"' || text.charAt(pos) == '\\')) {
          c = text.charAt(pos++);
        }
        b.append(c);
      }
      pos = open;
      throw error("the quote is not closed");
    }

    private void skipSpace() {
      while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
        pos++;
      }
    }

    private int peek() {
      return pos < text.length() ? text.charAt(pos) : -1;
    }

    private void expect(char c) {
      if (peek() != c) {
        throw error(pos == text.length() ? "'" + c + "' expected at the end"
            : "'" + c + "' expected, got '" + text.charAt(pos) + "'");
      }
      pos++;
    }

    private IllegalArgumentException error(String what) {
      return new IllegalArgumentException(what + " at position " + (pos + 1));
    }
  }
}
