//! Policies and learner state in safetensors files.
//!
//! * `policy.safetensors`: the trained policy, tensor `params` (f32, flat), with metadata
//!   naming the format, the env id and the policy (name and parameter count), so that loading
//!   it for another env or architecture is an error, not a silent mismatch.
//! * `checkpoint.safetensors`: everything a learner needs to resume: named f32 tensors
//!   (parameters, optimiser moments, the replay buffer) plus one U8 tensor `state`, the
//!   learner's own serde struct in CBOR (counters, random generators, f64 normalisers, the env
//!   snapshots; CBOR keeps every f64 bit, ±∞ included, which JSON does not). One file, written
//!   atomically, so a resumable state is never half-written.

use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::optim::adam::{FlatAdam, TensorAdam};
use serde::de::DeserializeOwned;
use serde::Serialize;

use controllers::TrainedParameters;

use crate::run::write_atomic;
use crate::AgentError;

pub const POLICY_FORMAT: &str = "nerve-policy-v1";
pub const CHECKPOINT_FORMAT: &str = "nerve-checkpoint-v2";

/// What a saved policy is: enough to refuse a mismatched load.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyHeader {
    pub env: String,
    pub policy: String,
    pub n_params: usize,
}

/// A tensor's contents.
enum Data<'a> {
    F32(&'a [f32]),
    U8(&'a [u8]),
}

/// Writes named tensors with string metadata, atomically.
fn write_tensors(path: &Path, tensors: &[(&str, Data)], metadata: HashMap<String, String>) -> Result<(), AgentError> {
    let bytes: Vec<std::borrow::Cow<[u8]>> = tensors
        .iter()
        .map(|(_, d)| match d {
            Data::F32(v) => std::borrow::Cow::Owned(v.iter().flat_map(|x| x.to_le_bytes()).collect()),
            Data::U8(v) => std::borrow::Cow::Borrowed(*v),
        })
        .collect();
    let views = tensors
        .iter()
        .zip(&bytes)
        .map(|((name, d), b)| {
            let (dtype, len) = match d {
                Data::F32(v) => (Dtype::F32, v.len()),
                Data::U8(v) => (Dtype::U8, v.len()),
            };
            Ok((name.to_string(), TensorView::new(dtype, vec![len], b)?))
        })
        .collect::<Result<Vec<_>, safetensors::SafeTensorError>>()
        .map_err(|e| AgentError::invalid(format!("{}: {e}", path.display())))?;
    let data = safetensors::serialize(views, Some(metadata)).map_err(|e| AgentError::invalid(format!("{}: {e}", path.display())))?;
    write_atomic(path, &data)
}

/// Writes named f32 vectors with string metadata, atomically.
pub fn save_tensors(path: &Path, tensors: &[(&str, &[f32])], metadata: HashMap<String, String>) -> Result<(), AgentError> {
    let tensors: Vec<(&str, Data)> = tensors.iter().map(|(n, v)| (*n, Data::F32(v))).collect();
    write_tensors(path, &tensors, metadata)
}

/// A safetensors file's f32 tensors, U8 tensors and metadata.
struct Contents {
    f32s: HashMap<String, Vec<f32>>,
    u8s: HashMap<String, Vec<u8>>,
    metadata: HashMap<String, String>,
}

/// Reads a safetensors file; errors name the file and say what is wrong with it (truncated,
/// not safetensors, a dtype other than F32 or U8).
fn read_tensors(path: &Path) -> Result<Contents, AgentError> {
    let bytes = std::fs::read(path).map_err(|e| AgentError::io(path, e))?;
    let corrupt = |e: safetensors::SafeTensorError| {
        AgentError::invalid(format!("{}: not a readable safetensors file ({e:?}); it may be truncated or corrupt", path.display()))
    };
    let (_, meta) = SafeTensors::read_metadata(&bytes).map_err(corrupt)?;
    let st = SafeTensors::deserialize(&bytes).map_err(corrupt)?;
    let (mut f32s, mut u8s) = (HashMap::new(), HashMap::new());
    for name in st.names() {
        let view = st.tensor(name).map_err(corrupt)?;
        match view.dtype() {
            Dtype::F32 => {
                let values = view.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
                f32s.insert(name.to_string(), values);
            }
            Dtype::U8 => {
                u8s.insert(name.to_string(), view.data().to_vec());
            }
            other => return Err(AgentError::invalid(format!("{}: tensor `{name}` is {other:?}, expected F32 or U8", path.display()))),
        }
    }
    Ok(Contents { f32s, u8s, metadata: meta.metadata().clone().unwrap_or_default() })
}

/// Reads every f32 tensor and the metadata of a safetensors file.
pub fn load_tensors(path: &Path) -> Result<(HashMap<String, Vec<f32>>, HashMap<String, String>), AgentError> {
    let c = read_tensors(path)?;
    Ok((c.f32s, c.metadata))
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

/// Loads a policy's parameters and buffers (by name, without the `buffer.` prefix), refusing a
/// file made for another env or architecture.
pub fn load_policy(path: &Path, expected: &PolicyHeader) -> Result<TrainedParameters, AgentError> {
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
    Ok(TrainedParameters { params, buffers })
}

/// Writes a learner's resumable state: named f32 tensors plus `state`, any serde struct
/// (stored as CBOR in the U8 tensor `state`).
pub fn save_learner<S: Serialize>(path: &Path, agent: &str, tensors: &[(&str, &[f32])], state: &S) -> Result<(), AgentError> {
    let meta = HashMap::from([("format".to_string(), CHECKPOINT_FORMAT.to_string()), ("agent".to_string(), agent.to_string())]);
    let mut encoded = Vec::new();
    ciborium::into_writer(state, &mut encoded).map_err(|e| AgentError::invalid(format!("{}: encoding the learner state: {e}", path.display())))?;
    let mut all: Vec<(&str, Data)> = tensors.iter().map(|(n, v)| (*n, Data::F32(v))).collect();
    all.push(("state", Data::U8(&encoded)));
    write_tensors(path, &all, meta)
}

/// Reads a learner's resumable state, refusing another learner's checkpoint or another format.
pub fn load_learner<S: DeserializeOwned>(path: &Path, agent: &str) -> Result<(HashMap<String, Vec<f32>>, S), AgentError> {
    let mut c = read_learner(path, agent)?;
    let encoded = c.u8s.remove("state").ok_or_else(|| AgentError::invalid(format!("{}: no learner `state` tensor", path.display())))?;
    let state = ciborium::from_reader(encoded.as_slice())
        .map_err(|e| AgentError::invalid(format!("{}: the learner state is unreadable ({e}); the file may be corrupt", path.display())))?;
    Ok((c.f32s, state))
}

/// Checks, before anything is written, that `path` is a readable checkpoint of `agent`.
pub fn check_learner(path: &Path, agent: &str) -> Result<(), AgentError> {
    let c = read_learner(path, agent)?;
    match c.u8s.contains_key("state") {
        true => Ok(()),
        false => Err(AgentError::invalid(format!("{}: no learner `state` tensor", path.display()))),
    }
}

fn read_learner(path: &Path, agent: &str) -> Result<Contents, AgentError> {
    let c = read_tensors(path)?;
    let field = |k: &str| c.metadata.get(k).cloned().unwrap_or_default();
    if field("format") != CHECKPOINT_FORMAT {
        return Err(AgentError::invalid(format!(
            "{}: not a {CHECKPOINT_FORMAT} checkpoint (format `{}`); it was written by another version of nerve, or is not a checkpoint",
            path.display(),
            field("format")
        )));
    }
    if field("agent") != agent {
        return Err(AgentError::invalid(format!("{}: a checkpoint of agent `{}`, not `{agent}`", path.display(), field("agent"))));
    }
    Ok(c)
}

/// The named f32 tensors a learner checkpoints (borrowed where they are large, such as a replay
/// buffer): what [`Tensors`] takes back out on resume.
#[derive(Default)]
pub struct TensorList<'a> {
    entries: Vec<(String, std::borrow::Cow<'a, [f32]>)>,
}

impl<'a> TensorList<'a> {
    /// Tensor `name`, borrowed.
    pub fn add(&mut self, name: &str, values: &'a [f32]) -> &mut Self {
        self.entries.push((name.to_string(), std::borrow::Cow::Borrowed(values)));
        self
    }

    /// The variables `vars` as one flat tensor `name` (the layout [`Tensors::take_vars`] reads).
    pub fn vars(&mut self, name: &str, vars: &[candle_core::Var]) -> Result<&mut Self, AgentError> {
        self.entries.push((name.to_string(), std::borrow::Cow::Owned(crate::nets::mlp::flatten(vars)?)));
        Ok(self)
    }

    /// An Adam's moments as tensors `{prefix}.m` and `{prefix}.v` (read by [`Tensors::take_adam`]).
    pub fn adam(&mut self, prefix: &str, adam: &TensorAdam) -> Result<&mut Self, AgentError> {
        let (m, v) = adam.moments()?;
        self.entries.push((format!("{prefix}.m"), std::borrow::Cow::Owned(m)));
        self.entries.push((format!("{prefix}.v"), std::borrow::Cow::Owned(v)));
        Ok(self)
    }

    /// A [`FlatAdam`]'s moments as tensors `{prefix}.m` and `{prefix}.v` (the layout of
    /// [`TensorList::adam`], so that either optimiser resumes from the other's checkpoint).
    pub fn flat_adam(&mut self, prefix: &str, adam: &'a FlatAdam) -> &mut Self {
        self.entries.push((format!("{prefix}.m"), std::borrow::Cow::Borrowed(&adam.m)));
        self.entries.push((format!("{prefix}.v"), std::borrow::Cow::Borrowed(&adam.v)));
        self
    }

    /// Tensor `name`, owned.
    pub fn owned(&mut self, name: &str, values: Vec<f32>) -> &mut Self {
        self.entries.push((name.to_string(), std::borrow::Cow::Owned(values)));
        self
    }

    pub fn extend(&mut self, tensors: impl IntoIterator<Item = (&'static str, &'a [f32])>) -> &mut Self {
        self.entries.extend(tensors.into_iter().map(|(n, v)| (n.to_string(), std::borrow::Cow::Borrowed(v))));
        self
    }

    pub fn as_refs(&self) -> Vec<(&str, &[f32])> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v.as_ref())).collect()
    }
}

/// A loaded checkpoint's f32 tensors, taken out by name with their expected sizes.
pub struct Tensors {
    tensors: HashMap<String, Vec<f32>>,
    path: std::path::PathBuf,
}

impl Tensors {
    pub fn new(tensors: HashMap<String, Vec<f32>>, path: std::path::PathBuf) -> Self {
        Self { tensors, path }
    }

    /// Removes tensor `name`, which must hold `len` values.
    pub fn take(&mut self, name: &str, len: usize) -> Result<Vec<f32>, AgentError> {
        take_tensor(&mut self.tensors, name, len, &self.path)
    }

    /// Overwrites `vars` from tensor `name` (the layout of [`crate::nets::mlp::flatten`]).
    pub fn take_vars(&mut self, name: &str, vars: &[candle_core::Var]) -> Result<(), AgentError> {
        let len = vars.iter().map(|v| v.elem_count()).sum();
        Ok(crate::nets::mlp::unflatten(vars, &self.take(name, len)?)?)
    }

    /// Restores a [`TensorAdam`]'s moments from tensors `{prefix}.m` and `{prefix}.v`, and its step count `t`.
    pub fn take_adam(&mut self, prefix: &str, adam: &mut TensorAdam, t: u64) -> Result<(), AgentError> {
        let len = adam.n_values();
        let m = self.take(&format!("{prefix}.m"), len)?;
        let v = self.take(&format!("{prefix}.v"), len)?;
        adam.set_moments(&m, &v)?;
        adam.t = t;
        Ok(())
    }

    /// Restores a [`FlatAdam`]'s moments from tensors `{prefix}.m` and `{prefix}.v`, and its step count `t`.
    pub fn take_flat_adam(&mut self, prefix: &str, adam: &mut FlatAdam, t: u64) -> Result<(), AgentError> {
        let len = adam.m.len();
        adam.m = self.take(&format!("{prefix}.m"), len)?;
        adam.v = self.take(&format!("{prefix}.v"), len)?;
        adam.t = t;
        Ok(())
    }

    /// Overwrites `values` from tensor `name` (of the same length).
    pub fn take_into(&mut self, name: &str, values: &mut [f32]) -> Result<(), AgentError> {
        let v = self.take(name, values.len())?;
        values.copy_from_slice(&v);
        Ok(())
    }

    /// The checkpoint file, for error messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The remaining tensors (e.g. for a replay buffer's restore).
    pub fn map(&mut self) -> &mut HashMap<String, Vec<f32>> {
        &mut self.tensors
    }
}

/// Removes tensor `name` of length `len` from a loaded checkpoint.
pub fn take_tensor(tensors: &mut HashMap<String, Vec<f32>>, name: &str, len: usize, path: &Path) -> Result<Vec<f32>, AgentError> {
    tensors
        .remove(name)
        .filter(|t| t.len() == len)
        .ok_or_else(|| AgentError::invalid(format!("{}: tensor `{name}` missing or not {len} long", path.display())))
}
