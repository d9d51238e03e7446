//! Policy evaluator (pure).
