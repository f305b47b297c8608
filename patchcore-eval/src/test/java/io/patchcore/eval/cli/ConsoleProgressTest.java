package io.patchcore.eval.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.base.Ticker;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ConsoleProgressTest {

  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  @Test
  void logLinesAreRateLimitedWithRateAndEta() {
    AtomicLong clock = new AtomicLong();
    List<String> lines = new ArrayList<>();
    PrintStream unused = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    ConsoleProgress p = new ConsoleProgress(false, unused, lines::add, ticker(clock), 5 * SECOND);
    for (int i = 1; i <= 100; i++) {
      clock.set(i * SECOND / 2); // 2 images a second
      p.onProgress("score", i, 100);
    }
    // first report, then every 5 s (10 reports), then the completion
    assertThat(lines).hasSize(1 + 9 + 1);
    assertThat(lines.get(0)).startsWith("score: 1/100 (1.0%)");
    assertThat(lines.get(1)).isEqualTo("score: 11/100 (11.0%), 2.00/s, ETA 45s");
    assertThat(lines.get(lines.size() - 1)).isEqualTo("score: 100/100 (100.0%), done in 50s (2.00/s)");
    // a repeated completion prints nothing; a new stage starts anew
    p.onProgress("score", 100, 100);
    p.onProgress("coreset", 1, 1);
    assertThat(lines).hasSize(12);
    assertThat(lines.get(11)).startsWith("coreset: 1/1 (100.0%), done in 0s");
  }

  @Test
  void barRedrawsOneLineAndEndsItWhenDone() {
    AtomicLong clock = new AtomicLong();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    List<String> lines = new ArrayList<>();
    ConsoleProgress p = new ConsoleProgress(true, out, lines::add, ticker(clock), 5 * SECOND);
    for (int i = 1; i <= 10; i++) {
      clock.set(i * SECOND);
      p.onProgress("extract", i, 10);
    }
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertThat(lines).isEmpty();
    assertThat(text).startsWith("\rextract [");
    assertThat(text).contains("  50%  5/10  1.00/s  ETA 5s");
    // the last redraw pads over the longer previous line, then ends the line
    assertThat(text).endsWith("] 100%  10/10  1.00/s  9s   " + System.lineSeparator());
    assertThat(text.split(System.lineSeparator())).hasSize(1);
  }

  /** A clock the test sets by hand. */
  private static Ticker ticker(AtomicLong clock) {
    return new Ticker() {
      @Override
      public long read() {
        return clock.get();
      }
    };
  }

  @Test
  void durationsReadWell() {
    assertThat(ConsoleProgress.duration(48.4)).isEqualTo("48s");
    assertThat(ConsoleProgress.duration(185)).isEqualTo("3m05s");
    assertThat(ConsoleProgress.duration(7260)).isEqualTo("2h01m");
  }
}
