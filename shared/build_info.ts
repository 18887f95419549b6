/** @module Build-time values; scripts/build_info.ts rewrites this file for release builds. */
export const BUILD = Object.freeze({ version: "dev", commit: "unknown", date: "unknown" });
