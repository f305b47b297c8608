package io.patchcore.eval.cli;

import io.patchcore.PatchCore;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The top command, {@code patchcore}, whose subcommands do the work; see {@link Cli}. */
@Command(name = "patchcore", mixinStandardHelpOptions = true,
    versionProvider = RootCommand.Version.class,
    description = "PatchCore anomaly / out-of-distribution detection.",
    subcommands = {FitCommand.class, EvaluateCommand.class, ScoreCommand.class, SweepCommand.class,
        FilterCommand.class, DemoCommand.class, BenchmarkCommand.class, ImportReferenceCommand.class,
        picocli.AutoComplete.GenerateCompletion.class})
final class RootCommand implements Runnable {
  @Spec
  CommandSpec spec;

  /** Read before parsing by {@link Cli#consoleLogging}; declared here so every command accepts it. */
  @CommandLine.Option(names = {"-q", "--quiet"}, scope = CommandLine.ScopeType.INHERIT,
      description = "Print results and errors only: no progress, no informational lines.")
  boolean quiet;

  /** Read before parsing by {@link Cli#consoleLogging}; declared here so every command accepts it. */
  @CommandLine.Option(names = {"-v", "--verbose"}, scope = CommandLine.ScopeType.INHERIT,
      description = "Also print debug lines, with the thread and logger of each.")
  boolean verbose;

  /** Without a subcommand: a usage error. */
  @Override
  public void run() {
    if (quiet && verbose) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--quiet and --verbose exclude each other");
    }
    throw new CommandLine.ParameterException(spec.commandLine(),
        "a command is required: fit, evaluate, score, sweep, filter, demo or import-reference");
  }

  /** {@code patchcore --version}: the jar's implementation version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Cli.class.getPackage().getImplementationVersion();
      return new String[] {"patchcore " + (v == null ? "(development build)" : v)};
    }
  }
}
