/**
 * JMH benchmarks of the k-NN search and the coreset samplers, written against the public API only.
 */
package io.patchcore.bench;
