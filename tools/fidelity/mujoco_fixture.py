#!/usr/bin/env python3
"""Writes tests/fixtures/mujoco_swimmer6.json: MuJoCo ground truth for nerve's
swimmer (dm_control's swimmer model with 6 bodies / 5 hinges).

Contents: model constants (option, joints, dofs, bodies, geoms, sites,
sensors, actuators, the generated XML), the qpos/qvel layout, the reset
states dm_control produces for seeds 0..9, and 6 test cases. Each case gives a
state (qpos, qvel) and ctrl; then, after mj_forward, qacc, the generalized
forces, the mass matrix, the constraint (joint limit) rows, per-body poses and
local velocities; and the state after 1 and after 10 control steps
(15 / 150 mj_step calls of 0.002 s) with ctrl held.

Usage: mujoco_fixture.py [--out PATH]
"""
import argparse
import json
import os

os.environ.setdefault("MUJOCO_GL", "egl")

import numpy as np  # noqa: E402
import mujoco  # noqa: E402
from dm_control.suite import swimmer  # noqa: E402

import dm_swimmer  # noqa: E402

N_LINKS = 6
N_SUB = 15  # 0.03 s control step / 0.002 s physics step
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "..", "tests", "fixtures",
                           "mujoco_swimmer6.json")


def L(a):
    return np.asarray(a, dtype=float).tolist()


def name(m, obj, i):
    return mujoco.mj_id2name(m, obj, i)


def model_facts(m, xml):
    O = mujoco.mjtObj
    joints = []
    for j in range(m.njnt):
        joints.append({
            "name": name(m, O.mjOBJ_JOINT, j),
            "type": mujoco.mjtJoint(m.jnt_type[j]).name,
            "body": name(m, O.mjOBJ_BODY, m.jnt_bodyid[j]),
            "qposadr": int(m.jnt_qposadr[j]),
            "dofadr": int(m.jnt_dofadr[j]),
            "pos": L(m.jnt_pos[j]),
            "axis": L(m.jnt_axis[j]),
            "limited": bool(m.jnt_limited[j]),
            "range": L(m.jnt_range[j]),
            "solref": L(m.jnt_solref[j]),
            "solimp": L(m.jnt_solimp[j]),
            "margin": float(m.jnt_margin[j]),
            "stiffness": float(m.jnt_stiffness[j]),
            "armature": float(m.dof_armature[m.jnt_dofadr[j]]),
            "damping": float(m.dof_damping[m.jnt_dofadr[j]]),
            "frictionloss": float(m.dof_frictionloss[m.jnt_dofadr[j]]),
        })
    bodies = []
    for b in range(1, m.nbody):
        bodies.append({
            "name": name(m, O.mjOBJ_BODY, b),
            "parent": name(m, O.mjOBJ_BODY, m.body_parentid[b]),
            "pos": L(m.body_pos[b]),
            "quat": L(m.body_quat[b]),
            "ipos": L(m.body_ipos[b]),
            "iquat": L(m.body_iquat[b]),
            "mass": float(m.body_mass[b]),
            "inertia": L(m.body_inertia[b]),
            "invweight0": L(m.body_invweight0[b]),
        })
    geoms = []
    for g in range(m.ngeom):
        geoms.append({
            "name": name(m, O.mjOBJ_GEOM, g),
            "body": name(m, O.mjOBJ_BODY, m.geom_bodyid[g]),
            "type": mujoco.mjtGeom(m.geom_type[g]).name,
            "size": L(m.geom_size[g]),
            "pos": L(m.geom_pos[g]),
            "quat": L(m.geom_quat[g]),
            "contype": int(m.geom_contype[g]),
            "conaffinity": int(m.geom_conaffinity[g]),
            "fluid_ellipsoid": float(m.geom_fluid[g, 0]),
        })
    sites = [{"name": name(m, O.mjOBJ_SITE, s),
              "body": name(m, O.mjOBJ_BODY, m.site_bodyid[s]),
              "pos": L(m.site_pos[s]), "quat": L(m.site_quat[s])}
             for s in range(m.nsite)]
    sensors = [{"name": name(m, O.mjOBJ_SENSOR, s),
                "type": mujoco.mjtSensor(m.sensor_type[s]).name,
                "objtype": mujoco.mjtObj(m.sensor_objtype[s]).name,
                "obj": name(m, mujoco.mjtObj(m.sensor_objtype[s]),
                            m.sensor_objid[s]),
                "adr": int(m.sensor_adr[s]), "dim": int(m.sensor_dim[s])}
               for s in range(m.nsensor)]
    actuators = [{"name": name(m, O.mjOBJ_ACTUATOR, a),
                  "joint": name(m, O.mjOBJ_JOINT, m.actuator_trnid[a, 0]),
                  "gear": float(m.actuator_gear[a, 0]),
                  "ctrlrange": L(m.actuator_ctrlrange[a]),
                  "ctrllimited": bool(m.actuator_ctrllimited[a]),
                  "gaintype": mujoco.mjtGain(m.actuator_gaintype[a]).name,
                  "biastype": mujoco.mjtBias(m.actuator_biastype[a]).name}
                 for a in range(m.nu)]
    opt = m.opt
    return {
        "timestep": float(opt.timestep),
        "integrator": mujoco.mjtIntegrator(opt.integrator).name,
        "solver": mujoco.mjtSolver(opt.solver).name,
        "cone": mujoco.mjtCone(opt.cone).name,
        "iterations": int(opt.iterations),
        "tolerance": float(opt.tolerance),
        "gravity": L(opt.gravity),
        "density": float(opt.density),
        "viscosity": float(opt.viscosity),
        "wind": L(opt.wind),
        "disableflags": int(opt.disableflags),
        "contact_disabled": bool(opt.disableflags
                                 & mujoco.mjtDisableBit.mjDSBL_CONTACT),
        "nq": int(m.nq), "nv": int(m.nv), "nu": int(m.nu),
        "joints": joints,
        "dof_invweight0": L(m.dof_invweight0),
        "bodies": bodies,
        "geoms": geoms,
        "sites": sites,
        "sensors": sensors,
        "actuators": actuators,
        "xml": xml.decode() if isinstance(xml, bytes) else xml,
    }


def body_state(m, d):
    out = []
    v = np.zeros(6)
    for b in range(1, m.nbody):
        e = {"name": name(m, mujoco.mjtObj.mjOBJ_BODY, b),
             "xpos": L(d.xpos[b]), "xquat": L(d.xquat[b]),
             "xipos": L(d.xipos[b])}
        # mjOBJ_BODY: velocity at xipos (the COM) in the inertial frame ximat;
        # mjOBJ_XBODY: at xpos (the body frame origin) in xmat. Here COM =
        # origin and iquat = identity, so both agree. Layout [ang(3), lin(3)].
        mujoco.mj_objectVelocity(m, d, mujoco.mjtObj.mjOBJ_BODY, b, v, 1)
        e["local_angvel_com"] = L(v[:3])
        e["local_linvel_com"] = L(v[3:])
        mujoco.mj_objectVelocity(m, d, mujoco.mjtObj.mjOBJ_XBODY, b, v, 1)
        e["local_linvel_origin"] = L(v[3:])
        e["cvel"] = L(d.cvel[b])
        out.append(e)
    return out


def make_case(m, case, hinge_adr, hinge_rng):
    rs = np.random.RandomState(case)
    nh = len(hinge_adr)
    qpos = np.zeros(m.nq)
    qvel = np.zeros(m.nv)
    qpos[0:2] = rs.uniform(-1.0, 1.0, 2)          # rootx, rooty (m)
    qpos[2] = rs.uniform(-np.pi, np.pi)           # rootz (rad)
    qpos[hinge_adr] = rs.uniform(-0.9, 0.9, nh) * hinge_rng
    beyond = []
    if case >= 2:  # cases 2..5: some hinges past the limit (soft limit active)
        k = 1 if case < 4 else 3
        idx = rs.choice(nh, size=k, replace=False)
        for i in sorted(idx):
            sign = rs.choice([-1.0, 1.0])
            over = rs.uniform(0.05, 0.2)
            qpos[hinge_adr[i]] = sign * (hinge_rng[i] + over)
            beyond.append({"hinge": int(i), "past_limit_rad": float(over),
                           "side": int(sign)})
    qvel[0:2] = rs.normal(0.0, 0.1, 2)            # root x/y speed (m/s)
    qvel[2] = rs.normal(0.0, 1.0)                 # root yaw rate
    qvel[3:] = rs.normal(0.0, 1.0, m.nv - 3)      # hinge rates
    ctrl = rs.uniform(-1.0, 1.0, m.nu)
    return qpos, qvel, ctrl, beyond


def efc_J_dense(m, d):
    nefc = int(d.nefc)
    J = np.zeros((nefc, m.nv))
    if nefc == 0:
        return J
    if mujoco.mj_isSparse(m):
        for r in range(nefc):
            a, n = d.efc_J_rowadr[r], d.efc_J_rownnz[r]
            J[r, d.efc_J_colind[a:a + n]] = d.efc_J[a:a + n]
    else:
        J[:] = np.asarray(d.efc_J).reshape(-1)[:nefc * m.nv].reshape(nefc, m.nv)
    return J


def run_case(m, case, hinge_adr, hinge_rng):
    d = mujoco.MjData(m)
    qpos, qvel, ctrl, beyond = make_case(m, case, hinge_adr, hinge_rng)
    d.qpos[:] = qpos
    d.qvel[:] = qvel
    d.ctrl[:] = ctrl
    mujoco.mj_forward(m, d)
    M = np.zeros((m.nv, m.nv))
    mujoco.mj_fullM(m, d, M)
    nefc = int(d.nefc)
    efc = {
        "nefc": nefc,
        "n_active": int(np.sum(d.efc_state[:nefc]
                               != mujoco.mjtConstraintState.mjCNSTRSTATE_SATISFIED)),
        "type": [mujoco.mjtConstraint(t).name for t in d.efc_type[:nefc]],
        "id": [name(m, mujoco.mjtObj.mjOBJ_JOINT, i) for i in d.efc_id[:nefc]],
        "state": [mujoco.mjtConstraintState(s).name
                  for s in d.efc_state[:nefc]],
        "pos": L(d.efc_pos[:nefc]),
        "margin": L(d.efc_margin[:nefc]),
        "vel": L(d.efc_vel[:nefc]),
        "D": L(d.efc_D[:nefc]),
        "R": L(d.efc_R[:nefc]),
        "KBIP": L(d.efc_KBIP[:nefc]),
        "diagA": L(d.efc_diagA[:nefc]),
        "aref": L(d.efc_aref[:nefc]),
        "force": L(d.efc_force[:nefc]),
        "J": L(efc_J_dense(m, d)),
    }
    out = {
        "case": case,
        "beyond_limit": beyond,
        "qpos": L(qpos), "qvel": L(qvel), "ctrl": L(ctrl),
        "after_forward": {
            "qacc": L(d.qacc),
            "qacc_smooth": L(d.qacc_smooth),
            "qfrc_passive": L(d.qfrc_passive),
            "qfrc_fluid": L(d.qfrc_fluid),
            "qfrc_spring": L(d.qfrc_spring),
            "qfrc_damper": L(d.qfrc_damper),
            "qfrc_actuator": L(d.qfrc_actuator),
            "qfrc_bias": L(d.qfrc_bias),
            "qfrc_constraint": L(d.qfrc_constraint),
            "qM_full": L(M),
            "efc": efc,
            "sensordata": L(d.sensordata),
            "bodies": body_state(m, d),
        },
    }
    mujoco.mj_step(m, d, N_SUB)
    out["after_1_control_step"] = {"qpos": L(d.qpos), "qvel": L(d.qvel),
                                   "time": float(d.time)}
    mujoco.mj_step(m, d, 9 * N_SUB)
    out["after_10_control_steps"] = {"qpos": L(d.qpos), "qvel": L(d.qvel),
                                     "time": float(d.time)}
    return out


def dm_resets(n_seeds=10):
    """qpos right after dm_control's reset with task random = seed."""
    env = dm_swimmer.make_env(N_LINKS)
    out = []
    for s in range(n_seeds):
        env.task._random = np.random.RandomState(s)
        env.reset()
        out.append({"seed": s, "qpos": L(env.physics.data.qpos),
                    "qvel": L(env.physics.data.qvel)})
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=DEFAULT_OUT)
    a = p.parse_args()
    xml, assets = swimmer.get_model_and_assets(N_LINKS)
    physics = swimmer.Physics.from_xml_string(xml, assets=assets)
    m = physics.model.ptr
    hinge_adr, hinge_rng = dm_swimmer.hinge_qpos_adr(physics)
    qpos_names = [name(m, mujoco.mjtObj.mjOBJ_JOINT, j) for j in range(m.njnt)]
    fixture = {
        "source": {"mujoco": mujoco.__version__,
                   "generator": "tools/fidelity/mujoco_fixture.py",
                   "model": f"dm_control.suite.swimmer.get_model_and_assets({N_LINKS})"},
        "notes": [
            "qpos == qvel layout (nq = nv = 8): [rootx, rooty, rootz, joint_0..joint_4]; "
            "rootx/rooty are world-axis slides (m), rootz is the head yaw (rad); "
            "joint_0 is the hinge between head and segment_0.",
            "All joints, including the root slides and rootz, sit at pos (0,-0.05,0) in "
            "their body's frame: the proximal (nose-side) end of the link. The body frame "
            "origin is the link centre and equals the COM (ipos 0, iquat identity). "
            "Head origin in world = (x - 0.05 sin th, y - 0.05 + 0.05 cos th, 0.05); "
            "qvel[0:2] is the world velocity of the head's pivot point (y=-0.05 local).",
            "Each child body is at pos (0, 0.1, 0) in its parent: its hinge is at the "
            "parent's distal end (parent-local y=+0.05).",
            "local_*vel_com: mj_objectVelocity(mjOBJ_BODY, flg_local=1): at xipos (COM) in "
            "the inertial frame; local_linvel_origin: mjOBJ_XBODY, at xpos in xmat. "
            "Identical here. cvel is MuJoCo's [ang, lin] at the root subtree COM, world axes.",
            "head velocity for the reward: velocimeter 'head_vel' on site 'head' "
            "(head body, pos 0 => link centre/COM); v_fwd = -head_vel[1].",
            "after_1_control_step / after_10_control_steps: 15 / 150 calls of mj_step "
            "(Euler, 0.002 s) from the case state with ctrl held.",
        ],
        "qpos_names": qpos_names,
        "qvel_names": qpos_names,
        "model": model_facts(m, xml),
        "head_velocity": {"sensor": "head_vel", "type": "velocimeter",
                          "site": "head", "body": "head",
                          "site_pos_in_body": L(m.site_pos[0]),
                          "forward_axis": "-y"},
        "dm_control_resets": dm_resets(),
        "cases": [run_case(m, c, hinge_adr, hinge_rng) for c in range(6)],
    }
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.abspath(a.out)}")


if __name__ == "__main__":
    main()
