//! An evolved spiking network as the speed loop of an electric drive (`snn` and `snn-pd` on the
//! motor speed tasks, `Dc…Speed-v0` and `PmsmSpeed-v0`; train with `--agent mimic-pid`).
//!
//! The speed loop of [`crate::cascaded_pi`] (or [`crate::foc`] for the PMSM) is what the network
//! replaces; the inner current loops stay the cascade's PIs, which run at the drive's 10 kHz
//! control rate against electrical time constants of 1.2 ms (permanently excited DC) to 85 ms
//! (series DC); a spiking current loop is not attempted here. Per control step:
//!
//! 1. input: the speed error in units of the error that saturates the PI's proportional term,
//!    `e = (ω* − ω)·K_p/T_max` (so that `|e| ≥ 1` asks for full torque), and no rate input (the
//!    speed PI has no derivative; the network's rate weights `c` see 0);
//! 2. the networks of [`crate::snn`] (PD-like: the P term; integral-like: the I term), output
//!    `u = clamp(u_pd + u_i, −1, 1)`;
//! 3. torque reference `u·T_max`, the cascade's torque limit, into the inner loops.
//!
//! [`SpeedLoop::teacher_terms`] gives the teacher's terms in the same units (`K_p e_ω/T_max`
//! clamped to [−1, 1], and the integral over `T_max`), which `mimic-pid` fits the networks to.
//! The student's cascade is `cascaded-pi` with its default options, and so is `mimic-pid`'s teacher.

use envs::EnvSpec;

use crate::cascaded_pi::{CascadedPi, CascadedPiConfig};
use crate::foc::FieldOrientedPi;
use crate::policy::{Activity, Policy, PolicyError, Work};
use crate::snn::{SnnConfig, SnnController};
use crate::speed_loop::SpeedLoop;

/// The cascaded PI of a DC motor or the PMSM, seen as a speed loop over inner torque loops.
#[derive(Debug, Clone)]
pub enum SpeedCascade {
    Dc(CascadedPi),
    Pmsm(FieldOrientedPi),
}

impl SpeedCascade {
    /// The env's drive's cascade (refused for an env without a motor).
    pub fn new(spec: &EnvSpec, config: &CascadedPiConfig) -> Result<Self, PolicyError> {
        if spec.attr("psi_p").is_some() {
            Ok(Self::Pmsm(FieldOrientedPi::new(spec, config)?))
        } else {
            Ok(Self::Dc(CascadedPi::new(spec, config)?))
        }
    }

    /// Whether `spec` is a motor task (the spiking controllers then drive it through a cascade).
    pub fn is_motor(spec: &EnvSpec) -> bool {
        spec.attr("dc_kind").is_some() || spec.attr("psi_p").is_some()
    }

    /// The whole cascade as a controller.
    pub fn policy(&mut self) -> &mut dyn Policy {
        match self {
            Self::Dc(c) => c,
            Self::Pmsm(c) => c,
        }
    }

    /// The outer (speed) loop.
    pub fn speed_loop(&self) -> &SpeedLoop {
        match self {
            Self::Dc(c) => c.speed_loop(),
            Self::Pmsm(c) => c.speed_loop(),
        }
    }

    /// Whether every measurement the cascade reads in `obs` is finite.
    pub fn measurements_finite(&self, obs: &[f32]) -> bool {
        match self {
            Self::Dc(c) => c.measurements_finite(obs),
            Self::Pmsm(c) => c.measurements_finite(obs),
        }
    }

    /// The inner loops' action for torque reference `torque_ref` (N·m).
    pub fn drive_torque(&mut self, torque_ref: f64, obs: &[f32], action: &mut [f32]) {
        match self {
            Self::Dc(c) => c.drive_torque(torque_ref, obs, action),
            Self::Pmsm(c) => c.drive_torque(torque_ref, obs, action),
        }
    }

    /// The inner loops' MACs per step (the whole cascade's less its speed PI's 5).
    fn inner_macs(&mut self) -> u64 {
        self.policy().work().map_or(0, |w| w.macs.saturating_sub(5))
    }
}

/// `snn`/`snn-pd` on a motor speed task: a spiking speed loop over the cascade's current loops.
#[derive(Debug, Clone)]
pub struct SpikingCascade {
    snn: SnnController,
    cascade: SpeedCascade,
    inner_macs: u64,
}

impl SpikingCascade {
    pub fn new(name: &str, spec: &EnvSpec, config: SnnConfig) -> Result<Self, PolicyError> {
        let mut cascade = SpeedCascade::new(spec, &CascadedPiConfig::default()).map_err(|e| match e {
            PolicyError::Incompatible { env, reason, .. } => PolicyError::Incompatible { controller: name.into(), env, reason },
            other => other,
        })?;
        let inner_macs = cascade.inner_macs();
        Ok(Self { snn: SnnController::detached(name, spec.dt, config)?, cascade, inner_macs })
    }
}

impl Policy for SpikingCascade {
    fn name(&self) -> &str {
        self.snn.name()
    }

    fn reset(&mut self, seed: Option<u64>) {
        self.snn.reset(seed);
        self.cascade.policy().reset(seed);
    }

    /// A non-finite measurement holds the last command, the network's state and the loops'.
    fn act(&mut self, obs: &[f32], action: &mut [f32]) {
        if !self.cascade.measurements_finite(obs) {
            return;
        }
        let speed = self.cascade.speed_loop();
        let (e, torque_limit) = (speed.network_input(obs), speed.torque_limit());
        let u = self.snn.command(e, 0.0) as f64;
        self.cascade.drive_torque(u * torque_limit, obs, action);
    }

    fn parameters(&self) -> Option<&[f32]> {
        self.snn.parameters()
    }

    fn set_parameters(&mut self, params: &[f32]) -> Result<(), PolicyError> {
        self.snn.set_parameters(params)
    }

    fn parameter_names(&self) -> Vec<String> {
        self.snn.parameter_names()
    }

    fn activity(&self) -> Option<Activity<'_>> {
        self.snn.activity()
    }

    /// The network's spikes, synaptic operations and MACs, plus the inner loops' MACs.
    fn work(&self) -> Option<Work> {
        self.snn.work().map(|w| Work { macs: w.macs + self.inner_macs, ..w })
    }
}
