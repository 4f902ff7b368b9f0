use std::fmt;

/// A body's parameters were invalid: names the parameter, its value and what was expected.
#[derive(Debug, Clone, PartialEq)]
pub struct BodyError {
    /// The parameter's name, as in the parameter struct (and its serde key).
    pub parameter: &'static str,
    /// The offending value, formatted.
    pub value: String,
    /// What was expected.
    pub expected: String,
}

impl BodyError {
    pub fn new(parameter: &'static str, value: impl fmt::Display, expected: impl Into<String>) -> Self {
        Self { parameter, value: value.to_string(), expected: expected.into() }
    }
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid `{}` = {}: expected {}", self.parameter, self.value, self.expected)
    }
}

impl std::error::Error for BodyError {}

/// `Ok` if `value` is finite and > 0; else an error naming the parameter.
pub(crate) fn positive(parameter: &'static str, value: f64) -> Result<(), BodyError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(BodyError::new(parameter, value, "a finite number > 0"))
    }
}

/// `Ok` if `value` is finite and ≥ 0; else an error naming the parameter.
pub(crate) fn non_negative(parameter: &'static str, value: f64) -> Result<(), BodyError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(BodyError::new(parameter, value, "a finite number ≥ 0"))
    }
}

/// A snapshot could not be read or belongs to another body: says which and why.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotError {
    pub message: String,
}

impl SnapshotError {
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into() }
    }
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "snapshot: {}", self.message)
    }
}

impl std::error::Error for SnapshotError {}
