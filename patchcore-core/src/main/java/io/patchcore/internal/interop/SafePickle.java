package io.patchcore.internal.interop;

import io.patchcore.ModelFormatException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A reader of Python pickles (protocols 2 to 5) that holds only plain data: a dict of strings,
 * ints, floats, booleans, None, lists, tuples and dicts. It interprets the opcodes itself and
 * knows no classes, functions or modules: any opcode that would import, call or build an object
 * ({@code GLOBAL}, {@code STACK_GLOBAL}, {@code REDUCE}, {@code BUILD}, {@code INST}, {@code OBJ},
 * {@code NEWOBJ}, {@code PERSID}, extension codes ...) and any other opcode outside that plain
 * subset is refused, naming the opcode and its offset. Nothing in the input is executed.
 *
 * <p>Sizes are checked against the bytes that remain before anything is allocated; containers may
 * nest {@link #MAX_DEPTH} deep; a memo entry that holds a list or dict cannot be fetched again,
 * so the result is a tree (no shared or cyclic containers).
 *
 * <p>Results: {@link String}, {@link Long} (or {@link BigInteger} beyond 64 bits), {@link Double},
 * {@link Boolean}, {@code null} for None, unmodifiable {@link List}s for lists and tuples, and
 * unmodifiable insertion-ordered {@link Map}s for dicts.
 */
public final class SafePickle {
  /** Deepest container nesting accepted. */
  public static final int MAX_DEPTH = 32;

  private static final Object MARK = new Object();

  private final byte[] data;
  private final String name;
  private int pos;
  private final List<Object> stack = new ArrayList<>();
  private final List<Integer> marks = new ArrayList<>();
  private final Map<Long, Object> memo = new HashMap<>();

  private SafePickle(byte[] data, String name) {
    this.data = data;
    this.name = name;
  }

  /**
   * Reads a pickle whose top-level value is a dict.
   *
   * @param data the whole pickle
   * @param name the file, used in messages
   * @return the dict, unmodifiable and in insertion order, holding only plain data (see the class
   *     description)
   * @throws ModelFormatException naming the file and the offset of the problem, or if the
   *     top-level value is not a dict
   */
  public static Map<Object, Object> readDict(byte[] data, String name) throws ModelFormatException {
    Object v = new SafePickle(data, name).run();
    if (!(v instanceof Map<?, ?> m)) {
      throw new ModelFormatException(name, "the pickle holds " + describe(v) + ", expected a dict");
    }
    @SuppressWarnings("unchecked")
    Map<Object, Object> dict = (Map<Object, Object>) m;
    return dict;
  }

  /** A list being filled, with the depth of its nesting. */
  private static final class Seq {
    final ArrayList<Object> items = new ArrayList<>();
    int depth = 1;
  }

  /** A dict being filled, with the depth of its nesting. */
  private static final class Dict {
    final LinkedHashMap<Object, Object> items = new LinkedHashMap<>();
    int depth = 1;
  }

  /** A tuple: immutable; usable as a dict key when it holds only scalars. */
  private record Tuple(List<Object> items, int depth, boolean immutable) {}

  private ModelFormatException bad(int offset, String message) {
    return new ModelFormatException(name, "pickle offset " + offset + ": " + message);
  }

  private Object run() throws ModelFormatException {
    if (data.length < 2 || (data[0] & 0xff) != 0x80) {
      throw bad(0, "not a pickle of protocol 2 or later: it does not start with the PROTO opcode (0x80), got "
          + (data.length == 0 ? "an empty file" : String.format("0x%02x", data[0] & 0xff)));
    }
    while (true) {
      if (pos >= data.length) {
        throw bad(pos, "truncated: the pickle ends without the STOP opcode");
      }
      int at = pos;
      int op = data[pos++] & 0xff;
      switch (op) {
        case 0x80 -> { // PROTO
          int v = u8(at);
          if (v < 2 || v > 5) {
            throw bad(at, "pickle protocol " + v + " is not supported (2 to 5 are)");
          }
        }
        case 0x95 -> { // FRAME: a length prefix only; the bytes that follow are read as usual
          long n = u64(at);
          if (Long.compareUnsigned(n, data.length - pos) > 0) {
            throw bad(at, "FRAME of " + Long.toUnsignedString(n) + " bytes, but only " + (data.length - pos)
                + " remain (truncated or damaged)");
          }
        }
        case 0x2e -> { // STOP
          if (!marks.isEmpty()) {
            throw bad(at, "STOP with an unclosed MARK");
          }
          if (stack.size() != 1) {
            throw bad(at, "STOP with " + stack.size() + " values on the stack, expected 1");
          }
          if (pos != data.length) {
            throw bad(at, (data.length - pos) + " bytes follow the STOP opcode");
          }
          return freeze(stack.get(0), new IdentityHashMap<>());
        }
        case 0x28 -> { // MARK
          marks.add(stack.size());
          stack.add(MARK);
        }
        case 0x4e -> push(null); // NONE
        case 0x88 -> push(Boolean.TRUE); // NEWTRUE
        case 0x89 -> push(Boolean.FALSE); // NEWFALSE
        case 0x4b -> push((long) u8(at)); // BININT1
        case 0x4d -> push((long) (u8(at) | u8(at) << 8)); // BININT2
        case 0x4a -> push((long) bytes(at, 4, "BININT").order(ByteOrder.LITTLE_ENDIAN).getInt()); // BININT
        case 0x8a -> push(long1(at)); // LONG1
        case 0x47 -> push(bytes(at, 8, "BINFLOAT").order(ByteOrder.BIG_ENDIAN).getDouble()); // BINFLOAT
        case 0x8c -> push(text(at, u8(at), "SHORT_BINUNICODE")); // SHORT_BINUNICODE
        case 0x58 -> push(text(at, u32(at), "BINUNICODE")); // BINUNICODE
        case 0x7d -> push(new Dict()); // EMPTY_DICT
        case 0x5d -> push(new Seq()); // EMPTY_LIST
        case 0x29 -> push(new Tuple(List.of(), 1, true)); // EMPTY_TUPLE
        case 0x85, 0x86, 0x87 -> { // TUPLE1, TUPLE2, TUPLE3
          int n = op - 0x84;
          push(tuple(at, pop(at, n, opName(op))));
        }
        case 0x74 -> push(tuple(at, popMark(at, "TUPLE"))); // TUPLE
        case 0x61 -> { // APPEND
          List<Object> item = pop(at, 1, "APPEND");
          append(at, item, "APPEND");
        }
        case 0x65 -> { // APPENDS
          List<Object> items = popMark(at, "APPENDS");
          append(at, items, "APPENDS");
        }
        case 0x73 -> { // SETITEM
          List<Object> kv = pop(at, 2, "SETITEM");
          setItems(at, kv, "SETITEM");
        }
        case 0x75 -> { // SETITEMS
          List<Object> kv = popMark(at, "SETITEMS");
          if (kv.size() % 2 != 0) {
            throw bad(at, "SETITEMS with an odd number (" + kv.size() + ") of keys and values");
          }
          setItems(at, kv, "SETITEMS");
        }
        case 0x94 -> memoPut(at, memo.size()); // MEMOIZE
        case 0x71 -> memoPut(at, u8(at)); // BINPUT
        case 0x72 -> memoPut(at, u32(at)); // LONG_BINPUT
        case 0x68 -> memoGet(at, u8(at)); // BINGET
        case 0x6a -> memoGet(at, u32(at)); // LONG_BINGET
        default -> throw bad(at, "opcode " + opName(op) + " is not allowed: only plain dicts of strings, numbers,"
            + " booleans, None, lists and tuples are read (nothing in the file is imported or executed)");
      }
    }
  }

  // ---------------------------------------------------------------- operands

  private int u8(int at) throws ModelFormatException {
    if (pos >= data.length) {
      throw bad(at, "truncated: the operand of " + opName(data[at] & 0xff) + " is missing");
    }
    return data[pos++] & 0xff;
  }

  private ByteBuffer bytes(int at, int n, String op) throws ModelFormatException {
    if (data.length - pos < n) {
      throw bad(at, "truncated: " + op + " needs " + n + " bytes, " + (data.length - pos) + " remain");
    }
    ByteBuffer b = ByteBuffer.wrap(data, pos, n).slice();
    pos += n;
    return b;
  }

  private long u32(int at) throws ModelFormatException {
    return Integer.toUnsignedLong(bytes(at, 4, opName(data[at] & 0xff)).order(ByteOrder.LITTLE_ENDIAN).getInt());
  }

  private long u64(int at) throws ModelFormatException {
    return bytes(at, 8, opName(data[at] & 0xff)).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  private Object long1(int at) throws ModelFormatException {
    int n = u8(at);
    ByteBuffer b = bytes(at, n, "LONG1");
    if (n == 0) {
      return 0L;
    }
    byte[] be = new byte[n]; // two's complement, little-endian in the pickle
    for (int i = 0; i < n; i++) {
      be[i] = b.get(n - 1 - i);
    }
    BigInteger v = new BigInteger(be);
    return v.bitLength() < 64 ? (Object) v.longValue() : v;
  }

  private String text(int at, long n, String op) throws ModelFormatException {
    if (n > data.length - pos) {
      throw bad(at, op + " declares a string of " + n + " bytes, but only " + (data.length - pos)
          + " bytes remain (truncated or damaged)");
    }
    ByteBuffer b = bytes(at, (int) n, op);
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(b).toString();
    } catch (CharacterCodingException e) {
      throw bad(at, op + " string is not valid UTF-8");
    }
  }

  // ---------------------------------------------------------------- stack

  private void push(Object v) {
    stack.add(v);
  }

  private List<Object> pop(int at, int n, String op) throws ModelFormatException {
    int base = marks.isEmpty() ? 0 : marks.get(marks.size() - 1) + 1;
    if (stack.size() - base < n) {
      throw bad(at, op + " needs " + n + " values on the stack, found " + (stack.size() - base));
    }
    List<Object> sub = stack.subList(stack.size() - n, stack.size());
    List<Object> out = new ArrayList<>(sub);
    sub.clear();
    return out;
  }

  private List<Object> popMark(int at, String op) throws ModelFormatException {
    if (marks.isEmpty()) {
      throw bad(at, op + " without a MARK");
    }
    int m = marks.remove(marks.size() - 1);
    List<Object> sub = stack.subList(m + 1, stack.size());
    List<Object> out = new ArrayList<>(sub);
    stack.subList(m, stack.size()).clear();
    return out;
  }

  private Object top(int at, String op) throws ModelFormatException {
    int base = marks.isEmpty() ? 0 : marks.get(marks.size() - 1) + 1;
    if (stack.size() <= base) {
      throw bad(at, op + " needs a value on the stack, found none");
    }
    return stack.get(stack.size() - 1);
  }

  private static int depth(Object v) {
    if (v instanceof Seq s) {
      return s.depth;
    }
    if (v instanceof Dict d) {
      return d.depth;
    }
    if (v instanceof Tuple t) {
      return t.depth;
    }
    return 0;
  }

  private int nested(int at, int depth) throws ModelFormatException {
    if (depth > MAX_DEPTH) {
      throw bad(at, "containers nested " + depth + " deep, more than the limit of " + MAX_DEPTH);
    }
    return depth;
  }

  private Tuple tuple(int at, List<Object> items) throws ModelFormatException {
    int d = 0;
    boolean immutable = true;
    for (Object item : items) {
      d = Math.max(d, depth(item));
      immutable &= immutable(item);
    }
    return new Tuple(Collections.unmodifiableList(items), nested(at, d + 1), immutable);
  }

  private void append(int at, List<Object> items, String op) throws ModelFormatException {
    Object target = top(at, op);
    if (!(target instanceof Seq s)) {
      throw bad(at, op + " to " + describe(target) + ", expected a list");
    }
    for (Object item : items) {
      s.depth = Math.max(s.depth, nested(at, depth(item) + 1));
      s.items.add(item);
    }
  }

  private void setItems(int at, List<Object> kv, String op) throws ModelFormatException {
    Object target = top(at, op);
    if (!(target instanceof Dict d)) {
      throw bad(at, op + " to " + describe(target) + ", expected a dict");
    }
    for (int i = 0; i < kv.size(); i += 2) {
      Object key = kv.get(i);
      if (!(scalar(key) || key instanceof Tuple t && t.depth() == 1)) {
        throw bad(at, op + " with the key " + describe(key) + ": only strings, numbers, booleans, None and tuples"
            + " of those are supported as dict keys");
      }
      d.depth = Math.max(d.depth, nested(at, depth(kv.get(i + 1)) + 1));
      d.items.put(key, kv.get(i + 1));
    }
  }

  private static boolean scalar(Object v) {
    return v == null || v instanceof String || v instanceof Long || v instanceof BigInteger || v instanceof Double
        || v instanceof Boolean;
  }

  /** True for values that hold no list or dict (those may be fetched from the memo again). */
  private static boolean immutable(Object v) {
    if (v instanceof Tuple t) {
      return t.immutable();
    }
    return scalar(v);
  }

  private void memoPut(int at, long index) throws ModelFormatException {
    Object v = top(at, opName(data[at] & 0xff));
    memo.put(index, v);
  }

  private void memoGet(int at, long index) throws ModelFormatException {
    if (!memo.containsKey(index)) {
      throw bad(at, opName(data[at] & 0xff) + " of memo entry " + index + ", which was never stored");
    }
    Object v = memo.get(index);
    if (!immutable(v)) {
      throw bad(at, opName(data[at] & 0xff) + " of memo entry " + index + " (" + describe(v)
          + "): shared or recursive lists and dicts are not supported");
    }
    push(v);
  }

  // ---------------------------------------------------------------- results

  /**
   * Converts the builders into unmodifiable lists and maps. The recursion is at most MAX_DEPTH
   * deep; tuples shared through the memo are converted once (no exponential walk).
   */
  private static Object freeze(Object v, Map<Object, Object> done) {
    if (!(v instanceof Seq || v instanceof Tuple || v instanceof Dict)) {
      return v;
    }
    Object ready = done.get(v);
    if (ready != null) {
      return ready;
    }
    Object out;
    if (v instanceof Dict d) {
      Map<Object, Object> m = new LinkedHashMap<>();
      for (Map.Entry<Object, Object> e : d.items.entrySet()) {
        m.put(freeze(e.getKey(), done), freeze(e.getValue(), done));
      }
      out = Collections.unmodifiableMap(m);
    } else {
      List<Object> items = v instanceof Seq s ? s.items : ((Tuple) v).items();
      List<Object> l = new ArrayList<>(items.size());
      for (Object item : items) {
        l.add(freeze(item, done));
      }
      out = Collections.unmodifiableList(l);
    }
    done.put(v, out);
    return out;
  }

  /**
   * A short description of a value for messages (at most about 80 characters).
   *
   * @param v a value as this reader returns it, or one being built
   * @return a Python-like rendering, such as {@code 'text'}, {@code None}, {@code [1, 2]} or
   *     {@code a dict of 3 items}, cut to 80 characters
   */
  public static String describe(Object v) {
    StringBuilder sb = new StringBuilder();
    describe(v, sb, 0);
    return sb.length() <= 80 ? sb.toString() : sb.substring(0, 77) + "...";
  }

  private static void describe(Object v, StringBuilder sb, int depth) {
    if (sb.length() > 80) {
      return;
    }
    if (v == null) {
      sb.append("None");
    } else if (v instanceof String s) {
      sb.append('\'').append(s.length() > 80 ? s.substring(0, 80) : s).append('\'');
    } else if (v instanceof Boolean b) {
      sb.append(b ? "True" : "False");
    } else if (v instanceof Seq || v instanceof Tuple || v instanceof List<?>) {
      List<?> items = v instanceof Seq s ? s.items : v instanceof Tuple t ? t.items() : (List<?>) v;
      boolean tuple = v instanceof Tuple;
      sb.append(tuple ? '(' : '[');
      for (int i = 0; i < items.size() && sb.length() <= 80 && depth < MAX_DEPTH; i++) {
        if (i > 0) {
          sb.append(", ");
        }
        describe(items.get(i), sb, depth + 1);
      }
      sb.append(tuple ? ')' : ']');
    } else if (v instanceof Dict || v instanceof Map<?, ?>) {
      Map<?, ?> m = v instanceof Dict d ? d.items : (Map<?, ?>) v;
      sb.append("a dict of ").append(m.size()).append(m.size() == 1 ? " item" : " items");
    } else if (v == MARK) {
      sb.append("a MARK");
    } else {
      sb.append(v);
    }
  }

  /**
   * The pickle opcode's name (from Python's pickletools) and its code.
   *
   * @param op the opcode byte, 0 to 255
   * @return the name and code, such as {@code "REDUCE (0x52)"}, or {@code "unknown (0x..)"}
   */
  public static String opName(int op) {
    String n = switch (op) {
      case 0x28 -> "MARK";
      case 0x2e -> "STOP";
      case 0x30 -> "POP";
      case 0x31 -> "POP_MARK";
      case 0x32 -> "DUP";
      case 0x46 -> "FLOAT";
      case 0x49 -> "INT";
      case 0x4a -> "BININT";
      case 0x4b -> "BININT1";
      case 0x4c -> "LONG";
      case 0x4d -> "BININT2";
      case 0x4e -> "NONE";
      case 0x50 -> "PERSID";
      case 0x51 -> "BINPERSID";
      case 0x52 -> "REDUCE";
      case 0x53 -> "STRING";
      case 0x54 -> "BINSTRING";
      case 0x55 -> "SHORT_BINSTRING";
      case 0x56 -> "UNICODE";
      case 0x58 -> "BINUNICODE";
      case 0x61 -> "APPEND";
      case 0x62 -> "BUILD";
      case 0x63 -> "GLOBAL";
      case 0x64 -> "DICT";
      case 0x7d -> "EMPTY_DICT";
      case 0x65 -> "APPENDS";
      case 0x67 -> "GET";
      case 0x68 -> "BINGET";
      case 0x69 -> "INST";
      case 0x6a -> "LONG_BINGET";
      case 0x6c -> "LIST";
      case 0x5d -> "EMPTY_LIST";
      case 0x6f -> "OBJ";
      case 0x70 -> "PUT";
      case 0x71 -> "BINPUT";
      case 0x72 -> "LONG_BINPUT";
      case 0x73 -> "SETITEM";
      case 0x74 -> "TUPLE";
      case 0x29 -> "EMPTY_TUPLE";
      case 0x75 -> "SETITEMS";
      case 0x47 -> "BINFLOAT";
      case 0x80 -> "PROTO";
      case 0x81 -> "NEWOBJ";
      case 0x82 -> "EXT1";
      case 0x83 -> "EXT2";
      case 0x84 -> "EXT4";
      case 0x85 -> "TUPLE1";
      case 0x86 -> "TUPLE2";
      case 0x87 -> "TUPLE3";
      case 0x88 -> "NEWTRUE";
      case 0x89 -> "NEWFALSE";
      case 0x8a -> "LONG1";
      case 0x8b -> "LONG4";
      case 0x42 -> "BINBYTES";
      case 0x43 -> "SHORT_BINBYTES";
      case 0x8c -> "SHORT_BINUNICODE";
      case 0x8d -> "BINUNICODE8";
      case 0x8e -> "BINBYTES8";
      case 0x8f -> "EMPTY_SET";
      case 0x90 -> "ADDITEMS";
      case 0x91 -> "FROZENSET";
      case 0x92 -> "NEWOBJ_EX";
      case 0x93 -> "STACK_GLOBAL";
      case 0x94 -> "MEMOIZE";
      case 0x95 -> "FRAME";
      case 0x96 -> "BYTEARRAY8";
      case 0x97 -> "NEXT_BUFFER";
      case 0x98 -> "READONLY_BUFFER";
      default -> null;
    };
    String code = String.format("0x%02x", op);
    return n == null ? "unknown (" + code + ")" : n + " (" + code + ")";
  }
}
