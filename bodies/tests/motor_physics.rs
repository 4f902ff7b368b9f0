//! DC drives against analytic cases: Ohm's law with the EMF at steady state, the locked rotor's
//! L/R time constant, the permanently excited motor's no-load speed u/ψ, the series motor's
//! torque ∝ i², and bad input.

use bodies::motor::converter::{Converter, ConverterAction, ConverterKind};
use bodies::motor::dc::{DcKind, DcMotorParams};
use bodies::motor::drive::{DcDrive, DcDriveParams};
use bodies::motor::load::Load;

fn drive(kind: DcKind, load: Load) -> DcDrive {
    let params = DcDriveParams { load, ..DcDriveParams::gem(kind, Converter::continuous(ConverterKind::FourQuadrant)) };
    DcDrive::new(params).unwrap()
}

fn hold(d: &mut DcDrive, duty: &[f64], steps: usize) {
    let actions: Vec<ConverterAction> = duty.chunks(1).map(ConverterAction::Duty).collect();
    for _ in 0..steps {
        d.step(&actions).unwrap();
    }
}

/// At a held speed ω, the permanently excited motor settles at i = (u − ψ_e ω)/r_a (Ohm's law
/// with the back-EMF), and its torque is ψ_e i.
#[test]
fn steady_state_current_is_ohms_law_with_the_emf() {
    let p = DcMotorParams::gem(DcKind::PermanentlyExcited);
    for (omega, duty) in [(100.0, 0.3), (50.0, 0.2), (-80.0, -0.25)] {
        let mut d = drive(DcKind::PermanentlyExcited, Load::ConstantSpeed { omega });
        hold(&mut d, &[duty], 200); // 20 ms ≈ 17 electrical time constants
        let u = duty * 60.0;
        let expected = (u - p.psi_e * omega) / p.r_a;
        assert!((d.currents()[0] - expected).abs() < 1e-6 * expected.abs().max(1.0), "ω = {omega}: i = {} A, Ohm's law {expected} A", d.currents()[0]);
        assert!((d.torque() - p.psi_e * d.currents()[0]).abs() < 1e-9);
        assert_eq!(d.omega(), omega, "a constant-speed load holds the shaft");
        assert!((d.voltages()[0] - u).abs() < 1e-12);
    }
}

/// A locked rotor (ω = 0) under a voltage step: i(t) = u/r·(1 − e^(−t r/L)), for the
/// permanently excited (L = l_a, r = r_a) and series (L = l_a + l_e, r = r_a + r_e) motors.
#[test]
fn a_locked_rotor_charges_with_the_electrical_time_constant() {
    for kind in [DcKind::PermanentlyExcited, DcKind::Series] {
        let p = DcMotorParams::gem(kind);
        let (l, r) = if kind == DcKind::Series { (p.l_a + p.l_e, p.r_a + p.r_e) } else { (p.l_a, p.r_a) };
        let mut d = drive(kind, Load::ConstantSpeed { omega: 0.0 });
        let u = 0.05 * 60.0;
        let mut worst: f64 = 0.0;
        for k in 1..=300 {
            hold(&mut d, &[0.05], 1);
            let t = k as f64 * 1e-4;
            let exact = u / r * (1.0 - (-t * r / l).exp());
            worst = worst.max((d.currents()[0] - exact).abs() / (u / r));
        }
        assert!(worst < 1e-6, "{kind:?}: largest error {worst:e} of the final current (RK4 at τ = 1e-4 s, L/R = {:.2e} s)", l / r);
    }
}

/// Without load torque the permanently excited motor runs up to ω = u/ψ_e, where the back-EMF
/// cancels the supply and the current vanishes.
#[test]
fn no_load_speed_is_u_over_psi() {
    let p = DcMotorParams::gem(DcKind::PermanentlyExcited);
    let mut d = drive(DcKind::PermanentlyExcited, Load::Polynomial { a: 0.0, b: 0.0, c: 0.0, j_load: 1e-5 });
    hold(&mut d, &[0.5], 20_000); // 2 s ≫ the mechanical time constant J r_a/ψ² ≈ 15 ms
    let expected = 0.5 * 60.0 / p.psi_e;
    assert!((d.omega() / expected - 1.0).abs() < 1e-6, "ω = {} rad/s, u/ψ = {expected}", d.omega());
    assert!(d.currents()[0].abs() < 1e-3);
}

/// The series motor's field is its armature current: torque = l_e′ i², whatever the current's sign.
#[test]
fn series_torque_goes_as_the_current_squared() {
    let p = DcMotorParams::gem(DcKind::Series);
    let mut d = drive(DcKind::Series, Load::ConstantSpeed { omega: 20.0 });
    for duty in [0.1, 0.2, 0.4, -0.2] {
        hold(&mut d, &[duty], 50);
        let i = d.currents()[0];
        assert!((d.torque() - p.l_e_prime * i * i).abs() < 1e-9 * d.torque().abs().max(1.0));
        assert!(d.torque() >= 0.0);
    }
    // Doubling the steady current quadruples the torque (at a held speed the current is linear in u).
    let steady = |duty: f64| {
        let mut d = drive(DcKind::Series, Load::ConstantSpeed { omega: 20.0 });
        hold(&mut d, &[duty], 2000);
        (d.currents()[0], d.torque())
    };
    let ((i1, t1), (i2, t2)) = (steady(0.1), steady(0.2));
    assert!((i2 / i1 - 2.0).abs() < 1e-6 && (t2 / t1 - 4.0).abs() < 1e-5, "i {i1} → {i2}, T {t1} → {t2}");
}

/// The externally excited motor takes one action per winding; the shunt motor's two windings
/// share one converter and draw i_a + i_e from it.
#[test]
fn externally_excited_and_shunt_windings() {
    let p = DcMotorParams::gem(DcKind::ExternallyExcited);
    let mut d = drive(DcKind::ExternallyExcited, Load::ConstantSpeed { omega: 0.0 });
    hold(&mut d, &[0.1, 0.5], 20_000); // 2 s: the field winding's l_e/r_e is 34 ms
    let [i_a, i_e] = d.currents();
    assert!((i_a - 6.0 / p.r_a).abs() < 1e-6 * i_a && (i_e - 30.0 / p.r_e).abs() < 1e-6 * i_e);
    assert!((d.torque() - p.l_e_prime * i_a * i_e).abs() < 1e-9 * d.torque());
    let mut s = drive(DcKind::Shunt, Load::ConstantSpeed { omega: 0.0 });
    hold(&mut s, &[0.1], 2000);
    let [i_a, i_e] = s.currents();
    assert!((s.input_power() - 6.0 * (i_a + i_e)).abs() < 1e-9 * s.input_power());
}

#[test]
fn bad_input_is_named_and_changes_nothing() {
    let mut d = drive(DcKind::PermanentlyExcited, Load::GEM_DEFAULT);
    let err = |d: &mut DcDrive, a: &[ConverterAction]| d.step(a).unwrap_err().to_string();
    assert!(err(&mut d, &[ConverterAction::Duty(&[f64::NAN])]).contains("finite duty"));
    assert!(err(&mut d, &[ConverterAction::Switch(1)]).contains("continuous"));
    assert!(err(&mut d, &[ConverterAction::Duty(&[0.1]), ConverterAction::Duty(&[0.1])]).contains("1 for a PermanentlyExcited"));
    assert_eq!((d.time(), d.currents()), (0.0, [0.0; 2]));
    let bad = |params: DcDriveParams| DcDrive::new(params).unwrap_err().to_string();
    let base = DcDriveParams::gem(DcKind::PermanentlyExcited, Converter::continuous(ConverterKind::FourQuadrant));
    assert!(bad(DcDriveParams { motor: DcMotorParams { r_a: -1.0, ..base.motor }, ..base }).contains("`r_a`"));
    assert!(bad(DcDriveParams { motor: DcMotorParams { j_rotor: 0.0, ..base.motor }, ..base }).contains("`j_rotor`"));
    assert!(bad(DcDriveParams { converter: Converter::continuous(ConverterKind::B6Bridge), ..base }).contains("DC converter"));
    let mut f = DcDrive::new(DcDriveParams::gem(DcKind::PermanentlyExcited, Converter::finite(ConverterKind::FourQuadrant))).unwrap();
    assert!(f.step(&[ConverterAction::Switch(9)]).unwrap_err().to_string().contains("0..4"));
    // A parameter name that does not exist is refused when read.
    let err = serde_json::from_str::<DcMotorParams>(r#"{"r_a":1,"l_a":1,"r_e":1,"l_e":1,"l_e_prime":1,"psi_e":1,"j_rotor":1,"r_x":1}"#).unwrap_err().to_string();
    assert!(err.contains("r_x"), "{err}");
}

/// The PMSM at a held speed under a B6 bridge: in steady state (with the dq voltage held over
/// each short period) the currents satisfy the dq equations with di/dt = 0, and the reported phase
/// currents are the dq currents transformed at the period's start angle.
#[test]
fn pmsm_at_held_speed_reaches_the_dq_steady_state() {
    use bodies::motor::drive::{PmsmDrive, PmsmDriveParams};
    use bodies::motor::transforms::{abc_to_dq, dq_to_abc};
    let params = PmsmDriveParams { load: Load::ConstantSpeed { omega: 0.0 }, ..PmsmDriveParams::gem(Converter::continuous(ConverterKind::B6Bridge)) };
    let mut d = PmsmDrive::new(params).unwrap();
    // Locked rotor: a fixed abc action is a fixed dq voltage; the currents settle at u/r_s per axis.
    let action = dq_to_abc([0.0, 0.01], 0.0);
    for _ in 0..20_000 {
        d.step(ConverterAction::Duty(&action)).unwrap();
    }
    let u_dq = d.u_dq();
    let r_s = params.motor.r_s;
    assert!((d.i_dq()[0] - u_dq[0] / r_s).abs() < 1e-6 * (u_dq[1] / r_s).abs() && (d.i_dq()[1] - u_dq[1] / r_s).abs() < 1e-6 * (u_dq[1] / r_s).abs(), "i_dq {:?}, u_dq/r {:?}", d.i_dq(), u_dq.map(|u| u / r_s));
    // The bridge's legs give ±u_sup/2 around the midpoint: the abc duty 0.01·(0, √3/2, −√3/2) is
    // u_abc = 150·that, whose dq at ε = 0 is (0, 1.5) V.
    assert!((u_dq[1] - 1.5).abs() < 1e-9 && u_dq[0].abs() < 1e-9, "{u_dq:?}");
    let back = abc_to_dq(d.i_abc(), d.epsilon());
    assert!((back[0] - d.i_dq()[0]).abs() < 1e-9 && (back[1] - d.i_dq()[1]).abs() < 1e-9);
    assert!((d.torque() - 1.5 * 3.0 * (0.066 + (0.37e-3 - 1.2e-3) * d.i_dq()[0]) * d.i_dq()[1]).abs() < 1e-9);
    // Spinning: ε advances by p·ω·τ per period and is reported wrapped.
    let spinning = PmsmDriveParams { load: Load::ConstantSpeed { omega: 100.0 }, ..params };
    let mut s = PmsmDrive::new(spinning).unwrap();
    for _ in 0..100 {
        s.step(ConverterAction::Duty(&[0.0; 3])).unwrap();
    }
    let expected = (3.0 * 100.0 * 100.0 * 1e-4_f64 + std::f64::consts::PI).rem_euclid(std::f64::consts::TAU) - std::f64::consts::PI;
    assert!((s.epsilon() - expected).abs() < 1e-9, "{} vs {expected}", s.epsilon());
    assert!(PmsmDrive::new(PmsmDriveParams { converter: Converter::continuous(ConverterKind::FourQuadrant), ..params }).unwrap_err().to_string().contains("B6"));
}
