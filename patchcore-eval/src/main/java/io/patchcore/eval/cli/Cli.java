package io.patchcore.eval.cli;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;

/**
 * The {@code patchcore} command line: {@code fit}, {@code evaluate}, {@code score}, {@code sweep},
 * {@code filter}, {@code demo} and {@code import-reference}.
 *
 * <p>Exit codes: 0 success, 2 usage error, 1 failure (a one-line message naming the file), 3 when
 * some inputs failed and the others were processed. The tool keeps DJL offline by itself: no
 * model download and no usage reporting, whatever the caller's environment.
 */
public final class Cli {

  /** Exit code when everything worked. */
  static final int OK = 0;
  /** Exit code of a failure. */
  static final int FAILURE = 1;
  /** Exit code of a usage error. */
  static final int USAGE = 2;
  /** Exit code when some inputs failed and the others were processed. */
  static final int PARTIAL = 3;

  private Cli() {}

  /** Keeps DJL offline and silent before any DJL class loads. */
  /**
   * The console shows our own lines only: progress, results and real warnings. DJL's start-up INFO
   * lines and its failed GPU probe on machines without CUDA (logged at WARN by DJL even when no GPU
   * was asked for) are hidden; a GPU that was asked for and is missing is still reported by our own
   * warning. {@code --quiet} keeps warnings and errors only, {@code --verbose} shows everything
   * with the logger names. Must run before the first logger is created; settings the user gave as
   * system properties win.
   */
  static void consoleLogging(java.util.List<String> args) {
    boolean quiet = args.contains("--quiet") || args.contains("-q");
    boolean verbose = args.contains("--verbose") || args.contains("-v");
    String prefix = "org.slf4j.simpleLogger.";
    setIfAbsent(prefix + "defaultLogLevel", quiet ? "warn" : verbose ? "debug" : "info");
    setIfAbsent(prefix + "showThreadName", String.valueOf(verbose));
    setIfAbsent(prefix + "showShortLogName", String.valueOf(verbose));
    setIfAbsent(prefix + "showLogName", "false");
    if (!verbose) {
      setIfAbsent(prefix + "log.ai.djl", "warn");
      setIfAbsent(prefix + "log.ai.djl.util.cuda.CudaUtils", "error");
    }
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  static void offline() {
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
    System.setProperty("java.awt.headless", System.getProperty("java.awt.headless", "true"));
  }

  /**
   * Runs the tool and exits the JVM with its exit code (see the class comment).
   *
   * @param args the command and its arguments, as {@code patchcore --help} lists them
   */
  public static void main(String[] args) {
    consoleLogging(java.util.Arrays.asList(args));
    System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }

  /** Runs the tool and returns its exit code. */
  static int run(PrintWriter out, PrintWriter err, String... args) {
    offline();
    CommandLine cmd = new CommandLine(new RootCommand());
    cmd.setOut(out);
    cmd.setErr(err);
    cmd.setExitCodeExceptionMapper(e -> e instanceof CommandLine.ParameterException ? USAGE : FAILURE);
    cmd.setParameterExceptionHandler((e, a) -> {
      err.println("patchcore: " + e.getMessage());
      CommandLine failed = e.getCommandLine();
      err.println("Run '" + failed.getCommandSpec().qualifiedName() + " --help' for usage.");
      return USAGE;
    });
    cmd.setExecutionExceptionHandler((e, c, parsed) -> {
      if (e instanceof UsageException) {
        err.println("patchcore: " + e.getMessage());
        return USAGE;
      }
      err.println("patchcore: " + oneLine(e));
      return FAILURE;
    });
    return cmd.execute(args);
  }

  /** A one-line description of a failure: its message, or its class when it has none. */
  static String oneLine(Throwable e) {
    Throwable t = e;
    if (t instanceof UncheckedIOException && t.getCause() != null) {
      t = t.getCause();
    }
    String m = t.getMessage();
    if (m == null || m.isBlank()) {
      m = t.getClass().getSimpleName();
    }
    return m.replace('\n', ' ').replace('\r', ' ');
  }

  /** A usage error found after parsing (exit code 2). */
  static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }
}
