/**
 * Internal: image decoding with content sniffing and decompression-bomb guards, shared by the
 * backbones and the command line. Not API.
 */
package io.patchcore.internal.image;
