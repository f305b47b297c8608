/**
 * Internal: readers for what the Python reference saves (faiss {@code IndexFlatL2} files and a
 * minimal pickle reader that executes nothing), used by {@link io.patchcore.ReferenceImport}. Not
 * API.
 */
package io.patchcore.internal.interop;
