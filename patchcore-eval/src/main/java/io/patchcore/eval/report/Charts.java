package io.patchcore.eval.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BoxAndWhiskerRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.statistics.DefaultBoxAndWhiskerCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The JFreeChart plots of a report, written as PNG (atomically); helper of {@link ReportFiles}. */
final class Charts {

  /** Size of every plot, in pixels. */
  static final int WIDTH = 800;

  static final int HEIGHT = 500;

  private Charts() {}

  /** A ROC curve with the name shown in the legend. */
  record NamedCurve(String name, double[] fpr, double[] tpr) {}

  /**
   * Box-and-whisker plot of the raw scores per group, with an optional horizontal threshold line.
   *
   * @param scoresByGroup the scores of each group, in display order; groups without scores are
   *     left out
   * @param threshold the threshold to draw, or NaN for none
   * @param thresholdLabel the label of the threshold line
   */
  static void writeScoreDistribution(Path png, String title, Map<String, List<Double>> scoresByGroup,
      double threshold, String thresholdLabel) throws IOException {
    DefaultBoxAndWhiskerCategoryDataset data = new DefaultBoxAndWhiskerCategoryDataset();
    double lo = Double.isNaN(threshold) ? Double.POSITIVE_INFINITY : threshold;
    double hi = Double.isNaN(threshold) ? Double.NEGATIVE_INFINITY : threshold;
    for (Map.Entry<String, List<Double>> e : scoresByGroup.entrySet()) {
      if (!e.getValue().isEmpty()) {
        data.add(new ArrayList<>(e.getValue()), "scores", e.getKey() + " (n=" + e.getValue().size()
            + ")");
        for (double v : e.getValue()) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    }
    JFreeChart chart = ChartFactory.createBoxAndWhiskerChart(title, "group", "raw score", data,
        false);
    CategoryPlot plot = chart.getCategoryPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    BoxAndWhiskerRenderer renderer = (BoxAndWhiskerRenderer) plot.getRenderer();
    renderer.setMeanVisible(false);
    renderer.setMaximumBarWidth(0.12);
    renderer.setSeriesPaint(0, new Color(0x4f81bd));
    if (hi >= lo) {
      double pad = Math.max((hi - lo) * 0.08, Math.max(Math.abs(hi), 1.0) * 1e-6);
      plot.getRangeAxis().setRange(lo - pad, hi + pad);
    }
    if (!Double.isNaN(threshold)) {
      ValueMarker marker = new ValueMarker(threshold, Color.RED, new BasicStroke(2f));
      marker.setLabel(thresholdLabel);
      marker.setLabelPaint(Color.RED);
      marker.setLabelAnchor(RectangleAnchor.TOP_LEFT);
      marker.setLabelTextAnchor(TextAnchor.BOTTOM_LEFT);
      plot.addRangeMarker(marker);
    }
    write(png, chart);
  }

  /** ROC curves of several datasets, with the chance diagonal. */
  static void writeRoc(Path png, String title, List<NamedCurve> curves) throws IOException {
    XYSeriesCollection data = new XYSeriesCollection();
    for (NamedCurve c : curves) {
      XYSeries s = new XYSeries(c.name(), false, true);
      for (int i = 0; i < c.fpr().length; i++) {
        s.add(c.fpr()[i], c.tpr()[i]);
      }
      data.addSeries(s);
    }
    XYSeries chance = new XYSeries("chance", false, true);
    chance.add(0, 0);
    chance.add(1, 1);
    data.addSeries(chance);
    JFreeChart chart = ChartFactory.createXYLineChart(title, "false positive rate",
        "true positive rate", data, PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    whiteBackground(plot);
    plot.getDomainAxis().setRange(0, 1);
    plot.getRangeAxis().setRange(0, 1.02);
    XYLineAndShapeRenderer renderer = (XYLineAndShapeRenderer) plot.getRenderer();
    int last = data.getSeriesCount() - 1;
    for (int i = 0; i < last; i++) {
      renderer.setSeriesStroke(i, new BasicStroke(2f));
    }
    renderer.setSeriesPaint(last, Color.GRAY);
    renderer.setSeriesStroke(last, new BasicStroke(1f, BasicStroke.CAP_BUTT,
        BasicStroke.JOIN_MITER, 10f, new float[] {6f, 6f}, 0f));
    write(png, chart);
  }

  /** AUROC against the values of a swept parameter; NaN AUROCs are left out. */
  static void writeSweep(Path png, String parameter, double[] values, double[] aurocs)
      throws IOException {
    XYSeries s = new XYSeries("AUROC", true, true);
    for (int i = 0; i < values.length; i++) {
      if (!Double.isNaN(aurocs[i])) {
        s.add(values[i], aurocs[i]);
      }
    }
    JFreeChart chart = ChartFactory.createXYLineChart("AUROC against " + parameter, parameter,
        "AUROC", new XYSeriesCollection(s), PlotOrientation.VERTICAL, false, false, false);
    XYPlot plot = chart.getXYPlot();
    whiteBackground(plot);
    XYLineAndShapeRenderer renderer = (XYLineAndShapeRenderer) plot.getRenderer();
    renderer.setDefaultShapesVisible(true);
    renderer.setSeriesStroke(0, new BasicStroke(2f));
    ((NumberAxis) plot.getDomainAxis()).setAutoRangeIncludesZero(false);
    ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
    write(png, chart);
  }

  private static void whiteBackground(XYPlot plot) {
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
  }

  static String format(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }

  private static void write(Path png, JFreeChart chart) throws IOException {
    chart.setBackgroundPaint(Color.WHITE);
    AtomicFiles.write(png, out -> ChartUtils.writeChartAsPNG(out, chart, WIDTH, HEIGHT));
  }
}
