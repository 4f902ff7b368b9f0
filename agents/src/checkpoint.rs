//! Policies and learner state in safetensors files.
//!
//! * `policy.safetensors`: the trained policy, tensor `params` (f32, flat), with metadata
//!   naming the format, the env id and the policy (name and parameter count), so that loading
//!   it for another env or architecture is an error, not a silent mismatch.
//! * `checkpoint.safetensors`: everything a learner needs to resume, as named f32 tensors
//!   (parameters, optimiser moments) plus the learner's counters as JSON in the metadata.
//!   One file, written atomically, so a resumable state is never half-written.

use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::fsutil::write_atomic;
use crate::AgentError;

pub const POLICY_FORMAT: &str = "nerve-policy-v1";
pub const CHECKPOINT_FORMAT: &str = "nerve-checkpoint-v1";

/// What a saved policy is: enough to refuse a mismatched load.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyHeader {
    pub env: String,
    pub policy: String,
    pub n_params: usize,
}

/// Writes named f32 vectors with string metadata, atomically.
pub fn save_tensors(path: &Path, tensors: &[(&str, &[f32])], metadata: HashMap<String, String>) -> Result<(), AgentError> {
    let bytes: Vec<Vec<u8>> = tensors.iter().map(|(_, v)| v.iter().flat_map(|x| x.to_le_bytes()).collect()).collect();
    let views = tensors
        .iter()
        .zip(&bytes)
        .map(|((name, v), b)| Ok((name.to_string(), TensorView::new(Dtype::F32, vec![v.len()], b)?)))
        .collect::<Result<Vec<_>, safetensors::SafeTensorError>>()
        .map_err(|e| AgentError::invalid(format!("{}: {e}", path.display())))?;
    let data = safetensors::serialize(views, Some(metadata)).map_err(|e| AgentError::invalid(format!("{}: {e}", path.display())))?;
    write_atomic(path, &data)
}

/// Reads every f32 tensor and the metadata of a safetensors file; errors name the file and
/// say what is wrong with it (truncated, not safetensors, wrong dtype).
pub fn load_tensors(path: &Path) -> Result<(HashMap<String, Vec<f32>>, HashMap<String, String>), AgentError> {
    let bytes = std::fs::read(path).map_err(|e| AgentError::io(path, e))?;
    let corrupt = |e: safetensors::SafeTensorError| {
        AgentError::invalid(format!("{}: not a readable safetensors file ({e:?}); it may be truncated or corrupt", path.display()))
    };
    let (_, meta) = SafeTensors::read_metadata(&bytes).map_err(corrupt)?;
    let st = SafeTensors::deserialize(&bytes).map_err(corrupt)?;
    let mut tensors = HashMap::new();
    for name in st.names() {
        let view = st.tensor(name).map_err(corrupt)?;
        if view.dtype() != Dtype::F32 {
            return Err(AgentError::invalid(format!("{}: tensor `{name}` is {:?}, expected F32", path.display(), view.dtype())));
        }
        let values = view.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        tensors.insert(name.to_string(), values);
    }
    Ok((tensors, meta.metadata().clone().unwrap_or_default()))
}

/// Saves a policy: its flat parameters, and its buffers as tensors `buffer.NAME`.
pub fn save_policy(path: &Path, header: &PolicyHeader, params: &[f32], buffers: &[(&str, Vec<f32>)]) -> Result<(), AgentError> {
    let meta = HashMap::from([
        ("format".to_string(), POLICY_FORMAT.to_string()),
        ("env".to_string(), header.env.clone()),
        ("policy".to_string(), header.policy.clone()),
        ("n_params".to_string(), params.len().to_string()),
    ]);
    let names: Vec<String> = buffers.iter().map(|(n, _)| format!("buffer.{n}")).collect();
    let mut tensors: Vec<(&str, &[f32])> = vec![("params", params)];
    tensors.extend(names.iter().zip(buffers).map(|(n, (_, v))| (n.as_str(), v.as_slice())));
    save_tensors(path, &tensors, meta)
}

/// A loaded policy: parameters and buffers (by name, without the `buffer.` prefix).
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedPolicy {
    pub params: Vec<f32>,
    pub buffers: Vec<(String, Vec<f32>)>,
}

impl LoadedPolicy {
    /// Puts the parameters and buffers into `policy` (built with the same architecture).
    pub fn apply(&self, policy: &mut dyn controllers::Policy) -> Result<(), AgentError> {
        policy.set_parameters(&self.params)?;
        for (name, values) in &self.buffers {
            policy.set_buffer(name, values)?;
        }
        Ok(())
    }
}

/// Loads a policy, refusing a file made for another env or architecture.
pub fn load_policy(path: &Path, expected: &PolicyHeader) -> Result<LoadedPolicy, AgentError> {
    let (mut tensors, meta) = load_tensors(path)?;
    let field = |k: &str| meta.get(k).cloned().unwrap_or_default();
    if field("format") != POLICY_FORMAT {
        return Err(AgentError::invalid(format!("{}: not a nerve policy (format `{}`)", path.display(), field("format"))));
    }
    if field("env") != expected.env {
        return Err(AgentError::invalid(format!(
            "{}: this policy was trained on {}, not {}",
            path.display(),
            field("env"),
            expected.env
        )));
    }
    if field("policy") != expected.policy {
        return Err(AgentError::invalid(format!(
            "{}: this checkpoint holds a `{}` policy, not `{}`",
            path.display(),
            field("policy"),
            expected.policy
        )));
    }
    let params = tensors.remove("params").ok_or_else(|| AgentError::invalid(format!("{}: no `params` tensor", path.display())))?;
    if params.len() != expected.n_params {
        return Err(AgentError::invalid(format!(
            "{}: {} parameters, but this `{}` policy has {}: its architecture differs",
            path.display(),
            params.len(),
            expected.policy,
            expected.n_params
        )));
    }
    if let Some(i) = params.iter().position(|p| !p.is_finite()) {
        return Err(AgentError::invalid(format!("{}: parameter {i} is not finite", path.display())));
    }
    let mut buffers: Vec<(String, Vec<f32>)> =
        tensors.into_iter().filter_map(|(k, v)| k.strip_prefix("buffer.").map(|n| (n.to_string(), v))).collect();
    buffers.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(LoadedPolicy { params, buffers })
}

/// Writes a learner's resumable state: named f32 tensors plus its counters as JSON.
pub fn save_learner(path: &Path, agent: &str, tensors: &[(&str, &[f32])], state_json: &str) -> Result<(), AgentError> {
    let meta = HashMap::from([
        ("format".to_string(), CHECKPOINT_FORMAT.to_string()),
        ("agent".to_string(), agent.to_string()),
        ("state".to_string(), state_json.to_string()),
    ]);
    save_tensors(path, tensors, meta)
}

/// Reads a learner's resumable state, refusing another learner's checkpoint.
pub fn load_learner(path: &Path, agent: &str) -> Result<(HashMap<String, Vec<f32>>, String), AgentError> {
    let (tensors, meta) = load_tensors(path)?;
    let field = |k: &str| meta.get(k).cloned().unwrap_or_default();
    if field("format") != CHECKPOINT_FORMAT {
        return Err(AgentError::invalid(format!("{}: not a nerve checkpoint", path.display())));
    }
    if field("agent") != agent {
        return Err(AgentError::invalid(format!("{}: a checkpoint of agent `{}`, not `{agent}`", path.display(), field("agent"))));
    }
    Ok((tensors, field("state")))
}

/// Removes tensor `name` of length `len` from a loaded checkpoint.
pub fn take_tensor(tensors: &mut HashMap<String, Vec<f32>>, name: &str, len: usize, path: &Path) -> Result<Vec<f32>, AgentError> {
    tensors
        .remove(name)
        .filter(|t| t.len() == len)
        .ok_or_else(|| AgentError::invalid(format!("{}: tensor `{name}` missing or not {len} long", path.display())))
}
