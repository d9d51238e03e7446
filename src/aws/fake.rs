//! In-memory fake of the aws traits (tests, benchmarks).
