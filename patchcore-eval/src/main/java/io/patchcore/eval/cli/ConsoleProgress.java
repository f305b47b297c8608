package io.patchcore.eval.cli;

import com.google.common.base.Stopwatch;
import com.google.common.base.Ticker;
import io.patchcore.ProgressListener;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ProgressListener} for command-line tools. On an interactive terminal ({@link
 * System#console()} is not null) it redraws one progress bar line per stage on standard error,
 * such as {@code score [########------------]  40%  400/1000  12.5/s  ETA 48s}; otherwise (output
 * redirected to a file or a CI log) it logs (SLF4J, level INFO) a line when a stage starts, then
 * one with the rate and the estimated time left at most every {@value
 * #DEFAULT_LOG_INTERVAL_SECONDS} seconds, and one when the stage completes. A stage starts anew
 * when its name changes or its count goes back. Thread-safe.
 */
final class ConsoleProgress implements ProgressListener {

  /** Seconds between two log lines of the same stage, when not on a terminal. */
  static final int DEFAULT_LOG_INTERVAL_SECONDS = 5;

  private static final Logger LOG = LoggerFactory.getLogger(ConsoleProgress.class);
  private static final int BAR = 30;
  private static final long REDRAW_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private final boolean bar;
  private final PrintStream barOut;
  private final Consumer<String> logOut;
  private final Ticker clock;
  private final long logIntervalNanos;

  private String stage;
  private Stopwatch stageTime;
  private long firstDone;
  private long lastDone = -1;
  private long lastPrinted;
  private boolean lineOpen;
  private int lastLength;

  /** A progress bar on an interactive terminal, log lines otherwise. */
  ConsoleProgress() {
    this(System.console() != null, System.err, LOG::info, Ticker.systemTicker(),
        TimeUnit.SECONDS.toNanos(DEFAULT_LOG_INTERVAL_SECONDS));
  }

  /**
   * For tests.
   *
   * @param bar draw a bar (else log lines)
   * @param barOut where the bar goes
   * @param logOut where log lines go
   * @param clock the time source of the rates, durations and intervals
   * @param logIntervalNanos least time between two log lines of a stage
   */
  ConsoleProgress(boolean bar, PrintStream barOut, Consumer<String> logOut, Ticker clock,
      long logIntervalNanos) {
    this.bar = bar;
    this.barOut = Objects.requireNonNull(barOut, "barOut");
    this.logOut = Objects.requireNonNull(logOut, "logOut");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.logIntervalNanos = logIntervalNanos;
  }

  @Override
  public synchronized void onProgress(String stageName, long done, long total) {
    long now = clock.read();
    String name = stageName == null ? "progress" : stageName;
    boolean restart = !name.equals(stage) || done < lastDone;
    if (restart) {
      if (bar && lineOpen) {
        barOut.println();
        lineOpen = false;
      }
      stage = name;
      stageTime = Stopwatch.createStarted(clock);
      firstDone = done;
      lastPrinted = now;
    }
    boolean complete = total > 0 && done >= total;
    boolean wasComplete = !restart && total > 0 && lastDone >= total;
    lastDone = done;
    if (wasComplete) {
      return;
    }
    if (bar) {
      if (complete || restart || now - lastPrinted >= REDRAW_NANOS) {
        String line = barLine(done, total);
        int pad = Math.max(0, lastLength - line.length());
        barOut.print("\r" + line + " ".repeat(pad));
        lastLength = line.length();
        lineOpen = true;
        if (complete) {
          barOut.println();
          lineOpen = false;
          lastLength = 0;
        }
        barOut.flush();
        lastPrinted = now;
      }
    } else if (restart || complete || now - lastPrinted >= logIntervalNanos) {
      logOut.accept(logLine(done, total));
      lastPrinted = now;
    }
  }

  private String barLine(long done, long total) {
    StringBuilder s = new StringBuilder(stage).append(' ');
    if (total > 0) {
      double f = Math.min(1.0, Math.max(0.0, done / (double) total));
      int filled = (int) Math.round(f * BAR);
      s.append('[').append("#".repeat(filled)).append("-".repeat(BAR - filled)).append("] ")
          .append(String.format(Locale.ROOT, "%3d%%", (int) Math.floor(f * 100))).append("  ")
          .append(done).append('/').append(total);
    } else {
      s.append(done);
    }
    appendRate(s, done, total);
    return s.toString();
  }

  private String logLine(long done, long total) {
    StringBuilder s = new StringBuilder(stage).append(": ").append(done);
    if (total > 0) {
      s.append('/').append(total).append(String.format(Locale.ROOT, " (%.1f%%)",
          Math.min(100.0, 100.0 * done / total)));
    }
    if (total > 0 && done >= total) {
      s.append(", done in ").append(duration(seconds()));
      double rate = rate(done);
      if (rate > 0) {
        s.append(String.format(Locale.ROOT, " (%s/s)", rateText(rate)));
      }
      return s.toString();
    }
    appendRate(s, done, total);
    return s.toString();
  }

  private void appendRate(StringBuilder s, long done, long total) {
    double rate = rate(done);
    if (rate > 0) {
      s.append(bar ? "  " : ", ").append(rateText(rate)).append("/s");
      if (total > 0 && done < total) {
        s.append(bar ? "  ETA " : ", ETA ").append(duration((total - done) / rate));
      } else if (total > 0 && bar) {
        s.append("  ").append(duration(seconds()));
      }
    }
  }

  /** Seconds since the stage's first report. */
  private double seconds() {
    return stageTime.elapsed(TimeUnit.NANOSECONDS) / 1e9;
  }

  /** Units per second since the stage's first report, 0 when not yet known. */
  private double rate(long done) {
    double seconds = seconds();
    long units = done - firstDone;
    return seconds > 0 && units > 0 ? units / seconds : 0;
  }

  private static String rateText(double rate) {
    return rate >= 100 ? String.format(Locale.ROOT, "%.0f", rate)
        : rate >= 10 ? String.format(Locale.ROOT, "%.1f", rate)
        : String.format(Locale.ROOT, "%.2f", rate);
  }

  /** {@code 48s}, {@code 3m05s}, {@code 2h01m}. */
  static String duration(double seconds) {
    long s = Math.round(Math.max(0, seconds));
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
    return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
  }
}
