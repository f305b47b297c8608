/**
 * Internal: the reference's feature pipeline (patchify with zero padding, bilinear alignment of
 * deeper layers, adaptive average pooling, aggregation: {@code Embedder}), the anomaly-map blur and
 * growable feature storage. Matched stage by stage against the golden vectors. Not API.
 */
package io.patchcore.internal.feature;
