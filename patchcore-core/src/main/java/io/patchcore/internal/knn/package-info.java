/**
 * Internal: the jblas CPU back end of {@link io.patchcore.knn.Compute}, the one lock that every
 * jblas call goes through ({@code Blas}, see its documentation for why) and the search steps every
 * back end shares. Not API.
 */
package io.patchcore.internal.knn;
