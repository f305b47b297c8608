/**
 * Datasets of images to fit on and to evaluate: where they are on disk and what their labels are.
 *
 * <p>{@link io.patchcore.eval.data.Datasets} finds the images of a dataset in one of three
 * layouts (real/synthetic, MVTec AD, a plain folder) and subsamples them; each image is a {@link
 * io.patchcore.eval.data.Sample} (path, group, label, mask) and a dataset a {@link
 * io.patchcore.eval.data.Dataset} (training and test samples). {@link
 * io.patchcore.eval.data.DemoData} generates, or copies from the class path, the small bundled
 * demo dataset, whose files are the resources {@code io/patchcore/eval/data/demo-data/} (made
 * from {@code io/patchcore/eval/data/demo/ihc.png}).
 *
 * <p>Every public type here is meant for library users. Nothing here reads pixels except {@code
 * DemoData}; the images are decoded by whoever scores them.
 */
package io.patchcore.eval.data;
