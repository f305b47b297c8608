/**
 * The {@code patchcore} command line: {@link io.patchcore.eval.cli.Cli#main} and its subcommands
 * ({@code fit}, {@code evaluate}, {@code score}, {@code sweep}, {@code filter}, {@code demo},
 * {@code import-reference}), built with picocli.
 *
 * <p>The commands share their options through mixins ({@code BackboneOptions}, {@code
 * PatchCoreOptions}, {@code RunOptions}), find and score their inputs with {@code Inputs} and
 * report progress with {@code ConsoleProgress}. They use the other packages of this module only
 * through their public API: datasets from {@code io.patchcore.eval.data}, thresholds from {@code
 * io.patchcore.eval.metrics}, results and files from {@code io.patchcore.eval.report}.
 *
 * <p>Only {@code Cli.main} is public; everything else here is package-private.
 */
package io.patchcore.eval.cli;
