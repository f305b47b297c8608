package io.patchcore.eval.report;

import static com.google.common.base.Preconditions.checkArgument;

import java.util.Objects;

/**
 * AUROC against the values of a swept parameter, checked: as many AUROCs as values, values
 * finite, AUROCs in [0, 1] or NaN. The arrays are copies and are not changed.
 */
record SweepCurve(String parameter, double[] values, double[] aurocs) {

  /** Checks and copies; the messages name the parameter and the bad value. */
  static SweepCurve of(String parameter, double[] values, double[] aurocs) {
    Objects.requireNonNull(parameter, "parameter");
    checkArgument(values.length > 0 && values.length == aurocs.length,
        "sweep of %s needs one AUROC per value, got %s values and %s AUROCs", parameter,
        values.length, aurocs.length);
    for (int i = 0; i < values.length; i++) {
      checkArgument(Double.isFinite(values[i]), "sweep of %s: value %s is not finite: %s",
          parameter, i, values[i]);
      checkArgument(Double.isNaN(aurocs[i]) || (aurocs[i] >= 0 && aurocs[i] <= 1),
          "sweep of %s: AUROC at %s must be in [0, 1] or NaN, got %s", parameter, values[i],
          aurocs[i]);
    }
    return new SweepCurve(parameter, values.clone(), aurocs.clone());
  }
}
