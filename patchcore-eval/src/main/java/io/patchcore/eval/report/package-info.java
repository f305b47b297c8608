/**
 * Evaluation results and the report that shows them, kept apart: results are computed, files are
 * written, and the page is rendered by separate classes.
 *
 * <ul>
 *   <li>Results: {@link io.patchcore.eval.report.EvaluationResults} computes one {@link
 *       io.patchcore.eval.report.DatasetResult} per dataset (and their mean) from {@link
 *       io.patchcore.eval.report.ScoredSample}s; it writes nothing.
 *   <li>Files: {@link io.patchcore.eval.report.ReportFiles} writes {@code scores.csv}, {@code
 *       scores.json}, {@code results.csv}, the plots and the map pictures, each atomically.
 *   <li>Page: {@code HtmlReport} renders a planned page ({@code ReportPage}: which figures, under
 *       which file names and captions) as an HTML string, without I/O.
 * </ul>
 *
 * <p>{@link io.patchcore.eval.report.EvaluationReport} ties them together: its builder takes the
 * options and {@code write(dir)} produces the whole folder.
 *
 * <p>For library users: {@code EvaluationReport}, {@code EvaluationResults}, {@code
 * DatasetResult}, {@code ScoredSample} and the two public methods of {@code ReportFiles}. Internal,
 * public only because other packages of this module use it: {@link
 * io.patchcore.eval.report.AtomicFiles} (the demo data and the command line write files with it).
 * Everything else here is package-private.
 */
package io.patchcore.eval.report;
