//! The actors of the gradient learners: an MLP whose output is squashed into the action box
//! (the architecture of [`MlpPolicy`], which runs it after training), or the NCAP circuit
//! ([`NcapModule`]), whose mean is the circuit's torque command on the raw hinge angles and
//! each sample's oscillator phase.

use candle_core::{DType, Device, Tensor, Var};
use controllers::ncap::NcapConfig;
use controllers::{Ncap, Policy};
use envs::{BoxSpace, EnvSpec};
use rand::rngs::Xoshiro256PlusPlus;

use controllers::{MlpConfig, MlpPolicy};

use crate::nets::mlp::{fast_tanh, Mlp};
use crate::nets::ncap::NcapModule;
use crate::AgentError;

pub enum Actor {
    Mlp { net: Mlp, config: MlpConfig, low: Tensor, half_range: Tensor },
    /// An MLP giving the logits of a categorical distribution over `Discrete(n)` actions (PPO).
    Categorical { net: Mlp, config: MlpConfig },
    Ncap { module: NcapModule, config: NcapConfig, n_joints: usize, range: f32 },
}

impl Actor {
    /// Builds policy `policy` (`mlp` or an `ncap` variant) for `spec`, options from `config`;
    /// an MLP's weights are orthogonal from `rng` (output gain 0.01), NCAP starts from its prior.
    pub fn build(agent: &str, policy: &str, config: Option<&toml::Table>, spec: &EnvSpec, action_box: &BoxSpace, rng: &mut Xoshiro256PlusPlus) -> Result<Self, AgentError> {
        let dev = Device::Cpu;
        match policy {
            "mlp" => {
                let config = MlpConfig::parse(config)?;
                let (d, a) = (spec.obs_dim(), spec.act_dim());
                let mut sizes = vec![d];
                sizes.extend(&config.hidden);
                sizes.push(a);
                let net = Mlp::new(&sizes, config.activation, 0.01, rng, &dev)?;
                let half: Vec<f32> = action_box.low.iter().zip(&action_box.high).map(|(l, h)| (h - l) / 2.0).collect();
                let low = Tensor::from_slice(&action_box.low, a, &dev)?;
                Ok(Actor::Mlp { net, config, low, half_range: Tensor::from_slice(&half, a, &dev)? })
            }
            name if name.starts_with("ncap") => {
                let config = controllers::ncap_config(name, config)?;
                let (n_joints, range) = controllers::ncap_dimensions(name, spec)?;
                let init = Ncap::new(n_joints, range, config.clone())?.parameters().map(|p| p.to_vec()).unwrap_or_default();
                let module = NcapModule::new(&config, n_joints, range as f64, &init, DType::F32, &dev)?;
                Ok(Actor::Ncap { module, config, n_joints, range })
            }
            other => Err(AgentError::invalid(format!("agent `{agent}` trains `mlp` or `ncap` policies, not `{other}`"))),
        }
    }

    /// An `mlp` policy's logits over a `Discrete(n)` action space (PPO's categorical policy); the
    /// output layer's gain 0.01 starts it near uniform.
    pub fn build_categorical(agent: &str, policy: &str, config: Option<&toml::Table>, spec: &EnvSpec, n: usize, rng: &mut Xoshiro256PlusPlus) -> Result<Self, AgentError> {
        if policy != "mlp" {
            return Err(AgentError::invalid(format!("agent `{agent}` trains `mlp` policies on discrete actions ({}), not `{policy}`", spec.id)));
        }
        if n < 2 {
            return Err(AgentError::invalid(format!("{}: a Discrete({n}) action space leaves nothing to choose", spec.id)));
        }
        let config = MlpConfig::parse(config)?;
        let mut sizes = vec![spec.obs_dim()];
        sizes.extend(&config.hidden);
        sizes.push(n);
        let net = Mlp::new(&sizes, config.activation, 0.01, rng, &Device::Cpu)?;
        Ok(Actor::Categorical { net, config })
    }

    /// Whether the actor gives categorical logits rather than a continuous action.
    pub fn is_categorical(&self) -> bool {
        matches!(self, Actor::Categorical { .. })
    }

    /// The action (mean) for a batch (a categorical actor: the logits `[B, n]`): the MLP reads `obs` (normalised or not, as the learner
    /// chose), NCAP the raw hinge angles in `obs_raw` and the oscillator drive `[B]`.
    pub fn forward(&self, obs: &Tensor, obs_raw: &Tensor, osc_d: &Tensor, osc_v: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Actor::Mlp { net, low, half_range, .. } => (fast_tanh(&net.forward(obs)?)? + 1.0)?.broadcast_mul(half_range)?.broadcast_add(low),
            Actor::Categorical { net, .. } => net.forward(obs),
            Actor::Ncap { module, n_joints, .. } => module.forward(&obs_raw.narrow(1, 0, *n_joints)?, osc_d, osc_v),
        }
    }

    pub fn vars(&self) -> Vec<Var> {
        match self {
            Actor::Mlp { net, .. } | Actor::Categorical { net, .. } => net.vars(),
            Actor::Ncap { module, .. } => module.vars().to_vec(),
        }
    }

    /// Trainable parameter count.
    pub fn n_params(&self) -> usize {
        self.vars().iter().map(|v| v.elem_count()).sum()
    }

    /// The oscillator period (control steps) NCAP runs with; unused by an MLP.
    pub fn oscillator_period(&self) -> usize {
        match self {
            Actor::Ncap { config, .. } => config.oscillator_period,
            Actor::Mlp { .. } | Actor::Categorical { .. } => NcapConfig::default().oscillator_period,
        }
    }

    /// A copy with its own variables (a target network).
    pub fn deep_copy(&self) -> candle_core::Result<Self> {
        Ok(match self {
            Actor::Mlp { net, config, low, half_range } => Actor::Mlp { net: net.deep_copy()?, config: config.clone(), low: low.clone(), half_range: half_range.clone() },
            Actor::Categorical { net, config } => Actor::Categorical { net: net.deep_copy()?, config: config.clone() },
            Actor::Ncap { module, config, n_joints, range } => Actor::Ncap { module: module.deep_copy()?, config: config.clone(), n_joints: *n_joints, range: *range },
        })
    }

    /// The trained actor as an evaluation-time policy, with its flat parameters and buffers;
    /// `obs_normalizer` (mean, std, clip) is what an MLP actor's inputs were normalised with.
    pub fn to_policy(&self, spec: &EnvSpec, obs_normalizer: Option<(Vec<f32>, Vec<f32>, f32)>) -> Result<(Box<dyn Policy>, Vec<f32>, Vec<(&'static str, Vec<f32>)>), AgentError> {
        match self {
            Actor::Mlp { net, config, .. } | Actor::Categorical { net, config } => {
                let mut p = MlpPolicy::new(spec, config)?;
                let flat = net.flat()?;
                p.set_parameters(&flat)?;
                if let Some((mean, std, clip)) = obs_normalizer {
                    p.set_buffer("obs_mean", &mean)?;
                    p.set_buffer("obs_std", &std)?;
                    p.set_buffer("obs_clip", &[clip])?;
                }
                let buffers = p.buffers();
                Ok((Box::new(p), flat, buffers))
            }
            Actor::Ncap { module, config, n_joints, range } => {
                let mut p = Ncap::new(*n_joints, *range, config.clone())?;
                let flat = module.flat_parameters()?;
                p.set_parameters(&flat)?;
                Ok((Box::new(p), flat, Vec::new()))
            }
        }
    }
}
