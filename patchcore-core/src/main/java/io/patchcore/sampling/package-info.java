/**
 * Memory-bank samplers: identity, random, approximate greedy and exact greedy coresets, built by
 * {@link io.patchcore.sampling.Samplers} and described by a round-tripping
 * {@link io.patchcore.sampling.SamplerSpec}. {@link io.patchcore.sampling.Sampler#select} runs a
 * sampler on a feature matrix.
 */
package io.patchcore.sampling;
