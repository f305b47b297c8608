/**
 * Internal: atomic file writing and the checked container format of model and ensemble files. Not
 * API.
 */
package io.patchcore.internal.io;
