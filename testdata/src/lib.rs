//! Test data generator.
