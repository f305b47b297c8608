/**
 * Internal: shared helpers (parallel loops, seeded draws). Not API; may change in any release.
 */
package io.patchcore.internal;
