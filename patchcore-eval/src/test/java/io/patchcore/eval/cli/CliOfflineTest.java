package io.patchcore.eval.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.patchcore.eval.data.DemoData;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line keeps DJL offline by itself: run in a fresh JVM whose environment has no DJL or
 * tracking variable and whose HTTP(S) proxy is a local socket that counts connections, a full
 * {@code fit} (which starts the PyTorch engine) must not open any connection. (A direct socket
 * that ignores the proxy settings would escape this trap; the CLI also sets {@code ai.djl.offline}
 * and {@code OPT_OUT_TRACKING} itself, see {@link Cli#offline()}, which {@link #cliSetsTheFlags}
 * checks.)
 */
class CliOfflineTest {

  @TempDir
  Path tmp;

  static String classPath() {
    String cp = System.getProperty("surefire.test.class.path");
    return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
  }

  static Process start(List<String> javaArgs, Path proxyLog, int proxyPort, String... cliArgs) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Dhttp.proxyHost=127.0.0.1");
    cmd.add("-Dhttp.proxyPort=" + proxyPort);
    cmd.add("-Dhttps.proxyHost=127.0.0.1");
    cmd.add("-Dhttps.proxyPort=" + proxyPort);
    cmd.add("-Dhttp.nonProxyHosts=");
    cmd.addAll(javaArgs);
    cmd.add("-cp");
    cmd.add(classPath());
    cmd.add(Cli.class.getName());
    cmd.addAll(List.of(cliArgs));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(proxyLog.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("DJL") || k.equals("OPT_OUT_TRACKING")
        || k.equals("ENGINE_CACHE_DIR") || k.startsWith("PYTORCH"));
    // a cache under the test folder, so the user's home is not touched
    pb.environment().put("HOME", Files.createDirectories(Path.of(System.getProperty("user.dir"), "target",
        "offline-home")).toString());
    return pb.start();
  }

  @Test
  void fit_opensNoNetworkConnection_withoutAnyDjlSetting() throws Exception {
    Path data = tmp.resolve("data");
    DemoData.copyBundled(data);
    AtomicInteger connections = new AtomicInteger();
    try (ServerSocket proxy = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor = new Thread(() -> {
        while (!proxy.isClosed()) {
          try (Socket s = proxy.accept()) {
            connections.incrementAndGet();
          } catch (IOException e) {
            return;
          }
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      Path log = tmp.resolve("cli.log");
      Process p = start(List.of(), log, proxy.getLocalPort(), "fit", data.toString(), "--out",
          tmp.resolve("m.patchcore").toString(), "--pretrain-dim", "32", "--target-dim", "32");
      assertThat(p.waitFor(240, TimeUnit.SECONDS)).as("the CLI finished").isTrue();
      String output = Files.readString(log, StandardCharsets.UTF_8);
      assertThat(p.exitValue()).as(output).isZero();
      assertThat(tmp.resolve("m.patchcore")).exists();
      assertThat(connections.get()).as("connections to the proxy; output:%n%s", output).isZero();
      assertThat(output).doesNotContainIgnoringCase("download");
    }
  }

  @Test
  void cliSetsTheFlags() {
    Cli.run(new java.io.PrintWriter(java.io.Writer.nullWriter()), new java.io.PrintWriter(java.io.Writer.nullWriter()),
        "--version");
    assertThat(System.getProperty("ai.djl.offline")).isEqualTo("true");
    assertThat(System.getProperty("OPT_OUT_TRACKING")).isEqualTo("true");
  }

  /** The proxy trap works: a plain URL fetch in such a JVM does reach it. */
  @Test
  void proxyTrap_catchesAnHttpConnection() throws Exception {
    AtomicInteger connections = new AtomicInteger();
    try (ServerSocket proxy = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor = new Thread(() -> {
        try (Socket s = proxy.accept()) {
          connections.incrementAndGet();
        } catch (IOException e) {
          // closed
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      System.setProperty("http.proxyHost", "127.0.0.1");
      System.setProperty("http.proxyPort", Integer.toString(proxy.getLocalPort()));
      try {
        var conn = new java.net.URL("http://djl.ai/").openConnection();
        conn.setConnectTimeout(2000);
        conn.setReadTimeout(500);
        try {
          conn.getInputStream().close();
        } catch (IOException expected) {
          // the trap answers nothing
        }
      } finally {
        System.clearProperty("http.proxyHost");
        System.clearProperty("http.proxyPort");
      }
      acceptor.join(5000);
      assertThat(connections.get()).isEqualTo(1);
    }
  }
}
