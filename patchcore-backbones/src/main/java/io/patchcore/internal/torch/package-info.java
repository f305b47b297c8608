/**
 * Internal: the libtorch engine, device choice and offline settings shared by the backbones and
 * the libtorch compute back end. Not API.
 */
package io.patchcore.internal.torch;
