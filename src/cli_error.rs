use std::fmt;

/// A user-facing error: one message that says what was wrong and with what.
#[derive(Debug)]
pub struct CliError(pub String);

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CliError {}

macro_rules! impl_from {
    ($($t:ty),*) => {$(
        impl From<$t> for CliError {
            fn from(e: $t) -> Self {
                CliError(e.to_string())
            }
        }
    )*};
}
impl_from!(envs::EnvError, controllers::PolicyError, agents::AgentError, std::io::Error, serde_json::Error);

/// Reads a TOML table from `path`; errors name the file.
pub fn read_toml_table(path: &std::path::Path) -> Result<toml::Table, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError(format!("{}: {e}", path.display())))?;
    text.parse::<toml::Table>().map_err(|e| CliError(format!("{}: {}", path.display(), e.to_string().trim_end())))
}
