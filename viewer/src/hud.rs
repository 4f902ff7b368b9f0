//! What the HUD shows, computed without Bevy: the text lines, the action bars, the circuit's
//! activity per joint (NCAP's dorsal/ventral B-neurons and muscles, head to tail), and a
//! scrolling spike raster for spiking controllers. Bevy only copies these numbers into nodes.

use std::collections::VecDeque;

use controllers::{Activity, ActivityKind};

use crate::sim::Simulation;

/// One hinge's slice of a segmented circuit such as NCAP: values in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct JointActivity {
    pub b_dorsal: f32,
    pub b_ventral: f32,
    pub muscle_dorsal: f32,
    pub muscle_ventral: f32,
}

/// A circuit's activity, laid out the way the HUD draws it.
#[derive(Debug, Clone, PartialEq)]
pub enum CircuitView {
    /// Per joint, head to tail (labels `joint_{j}.b_dorsal|b_ventral|m_dorsal|m_ventral`).
    Segmented(Vec<JointActivity>),
    /// Any other graded activity: one bar per labelled value.
    Graded(Vec<(String, f32)>),
    /// Spikes: shown by the [`SpikeRaster`].
    Spikes,
}

impl CircuitView {
    /// Reads `activity`'s labels: joint-segmented when every label is `joint_{j}.{role}` with
    /// NCAP's four roles, else plain graded bars.
    pub fn from_activity(activity: &Activity) -> Self {
        if activity.kind == ActivityKind::Spikes {
            return CircuitView::Spikes;
        }
        let mut joints: Vec<JointActivity> = Vec::new();
        for (label, &value) in activity.labels.iter().zip(activity.values) {
            let parsed = label.strip_prefix("joint_").and_then(|rest| rest.split_once('.')).and_then(|(j, role)| Some((j.parse::<usize>().ok()?, role)));
            let Some((j, role)) = parsed else {
                return Self::graded(activity);
            };
            if joints.len() <= j {
                joints.resize(j + 1, JointActivity::default());
            }
            let slot = match role {
                "b_dorsal" => &mut joints[j].b_dorsal,
                "b_ventral" => &mut joints[j].b_ventral,
                "m_dorsal" => &mut joints[j].muscle_dorsal,
                "m_ventral" => &mut joints[j].muscle_ventral,
                _ => return Self::graded(activity),
            };
            *slot = value;
        }
        CircuitView::Segmented(joints)
    }

    fn graded(activity: &Activity) -> Self {
        CircuitView::Graded(activity.labels.iter().cloned().zip(activity.values.iter().copied()).collect())
    }
}

/// The HUD's text: env, time, reward, return, playback state.
pub fn status_lines(sim: &Simulation) -> Vec<String> {
    let spec = sim.env().spec();
    let mut lines = vec![
        format!("{} - {}", spec.id, sim.policy().name()),
        format!("episode {}  t = {:6.2} s  step {}", sim.episode(), sim.episode_time(), sim.episode_steps),
        format!("reward {:+.3}   return {:8.2}", sim.step_reward, sim.episode_return),
    ];
    if let Some((ret, reason)) = &sim.last_episode {
        lines.push(format!("last episode {ret:.2} ({reason})"));
    }
    let state = if sim.paused { "paused".to_string() } else { format!("x{}", sim.speed()) };
    lines.push(format!("{state}  space pause, . step, [ ] speed, r reset"));
    lines
}

/// Each action entry as a bar in [−1, 1]: its value scaled by the action box (centre 0).
pub fn action_bars(sim: &Simulation) -> Vec<f32> {
    let action = sim.action();
    match sim.env().spec().action_space.as_box() {
        Some(b) => action
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let (lo, hi) = (b.low[i], b.high[i]);
                if lo.is_finite() && hi.is_finite() && hi > lo {
                    (2.0 * (x - lo) / (hi - lo) - 1.0).clamp(-1.0, 1.0)
                } else {
                    x.clamp(-1.0, 1.0)
                }
            })
            .collect(),
        None => action.iter().map(|x| x.clamp(-1.0, 1.0)).collect(),
    }
}

/// A scrolling spike raster: one row per neuron, one column per step, newest on the right.
#[derive(Debug, Clone)]
pub struct SpikeRaster {
    neurons: usize,
    columns: usize,
    history: VecDeque<Vec<bool>>,
}

impl SpikeRaster {
    pub fn new(neurons: usize, columns: usize) -> Self {
        Self { neurons, columns, history: VecDeque::with_capacity(columns) }
    }

    /// Appends one step's spikes (values > 0.5 are spikes).
    pub fn push(&mut self, spikes: &[f32]) {
        if self.history.len() == self.columns {
            self.history.pop_front();
        }
        self.history.push_back((0..self.neurons).map(|i| spikes.get(i).is_some_and(|&s| s > 0.5)).collect());
    }

    /// RGBA8 pixels, `columns × neurons`, row-major from the first neuron: spikes white on black.
    pub fn rgba(&self) -> Vec<u8> {
        let mut px = vec![0u8; self.columns * self.neurons * 4];
        let offset = self.columns - self.history.len();
        for (c, column) in self.history.iter().enumerate() {
            for (n, &spike) in column.iter().enumerate() {
                let k = (n * self.columns + offset + c) * 4;
                let v = if spike { 255 } else { 0 };
                px[k..k + 4].copy_from_slice(&[v, v, v, 255]);
            }
        }
        for alpha in px.iter_mut().skip(3).step_by(4) {
            *alpha = 255;
        }
        px
    }

    pub fn size(&self) -> (usize, usize) {
        (self.columns, self.neurons)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ncap_activity_lays_out_per_joint_head_to_tail() {
        let env = envs::make("Swimmer6-v0").unwrap();
        let mut ncap = controllers::make("ncap", env.spec(), None).unwrap();
        ncap.reset(Some(0));
        let mut action = vec![0.0; 5];
        // Head hinge bent dorsally: its ventral B-neuron (stretch receptor of the other side)
        // and the oscillator drive the first joint; the rest follow their predecessors.
        let mut obs = vec![0.0; env.spec().obs_dim()];
        obs[0] = 0.5;
        ncap.act(&obs, &mut action);
        let activity = ncap.activity().unwrap();
        let CircuitView::Segmented(joints) = CircuitView::from_activity(&activity) else { panic!("NCAP is segmented") };
        assert_eq!(joints.len(), 5);
        for (j, joint) in joints.iter().enumerate() {
            let k = 4 * j;
            assert_eq!(
                [joint.b_dorsal, joint.b_ventral, joint.muscle_dorsal, joint.muscle_ventral],
                [activity.values[k], activity.values[k + 1], activity.values[k + 2], activity.values[k + 3]]
            );
        }
    }

    #[test]
    fn unknown_labels_fall_back_to_bars() {
        let labels = vec!["joint_0.b_dorsal".to_string(), "speed_integral".to_string()];
        let activity = Activity { labels: &labels, values: &[0.2, 0.7], kind: ActivityKind::Graded, potentials: None };
        assert_eq!(CircuitView::from_activity(&activity), CircuitView::Graded(vec![("joint_0.b_dorsal".into(), 0.2), ("speed_integral".into(), 0.7)]));
    }

    #[test]
    fn the_raster_scrolls_left_with_the_newest_step_on_the_right() {
        let mut raster = SpikeRaster::new(2, 3);
        raster.push(&[1.0, 0.0]);
        raster.push(&[0.0, 1.0]);
        let px = raster.rgba();
        let at = |n: usize, c: usize| px[(n * 3 + c) * 4];
        assert_eq!([at(0, 0), at(0, 1), at(0, 2)], [0, 255, 0]);
        assert_eq!([at(1, 0), at(1, 1), at(1, 2)], [0, 0, 255]);
        raster.push(&[1.0, 1.0]);
        raster.push(&[0.0, 0.0]);
        let px = raster.rgba();
        let at = |n: usize, c: usize| px[(n * 3 + c) * 4];
        assert_eq!([at(0, 0), at(0, 1), at(0, 2)], [0, 255, 0]);
        assert_eq!([at(1, 0), at(1, 1), at(1, 2)], [255, 255, 0]);
    }

    #[test]
    fn action_bars_map_the_box_to_minus_one_one() {
        let env = envs::make("Pendulum-v1").unwrap();
        let policy = controllers::make("zero", env.spec(), None).unwrap();
        let sim = Simulation::new(env, policy, 0).unwrap();
        assert_eq!(action_bars(&sim), vec![0.0]);
    }
}
