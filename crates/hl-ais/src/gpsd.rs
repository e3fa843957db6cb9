//! gpsd-compatible JSON (placeholder until the writer lands).
