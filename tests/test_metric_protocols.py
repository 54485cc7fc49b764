"""Each evaluation metric against a small independent transcription of the published arithmetic.

The transcriptions below restate, line by line, what the released code computes (file and line
cited; all are public repositories):

* BEAT/CaMN — PantoMatrix/PantoMatrix @ 3a7c079, ``scripts/BEAT_2022/utils/metric.py`` (classes
  ``alignment``, ``SRGR``, ``L1div``) and ``dataloaders/data_tools.py`` (``FIDCalculator``) as
  ``scripts/BEAT_2022/test.py`` calls them (75-77, 152-153, 188-190, 200-208, 214-220);
* EMAGE — the same commit, ``scripts/EMAGE_2024/utils/metric.py`` (class ``alignment``) as
  ``scripts/EMAGE_2024/test.py`` (145-146) and ``emage_trainer.py`` (776-780, 818) call it, and
  PantoMatrix @ 0bbb03d ``emage_evaltools/mertic.py`` (``LVDFace``, ``MSEFace``) and
  ``train_emage_audio.py`` (405-408);
* DiffSHEG — JeremyCJM/DiffSHEG @ 3ebf305, ``trainers/ddpm_beat_trainer.py`` 600-614 and
  ``AverageMeter`` 1498-1502;
* SAiD — yunik1004/SAiD @ bb7b180, ``said/metric/wind.py`` and ``script/test_evaluate.py`` 333-341.

They are written for clarity, loops included, and share no code with motiongen's metrics.
"""

import math

import numpy as np
import pytest
from scipy.signal import argrelextrema

from motiongen.evaluation import metrics as m
from motiongen.evaluation.positions import joint_euler, joint_positions
from motiongen.evaluation.scoring import Reference, ReferenceTake, beat_metrics

SR = 16_000


def _speech_like(seconds, seed):
    """Noise bursts of random loudness and length on a quiet floor (onsets at irregular times)."""
    rng = np.random.default_rng(seed)
    wave = 0.003 * rng.normal(size=int(seconds * SR))
    t = 0.2
    while t < seconds - 0.5:
        length = int(rng.uniform(0.08, 0.4) * SR)
        start = int(t * SR)
        envelope = np.exp(-np.arange(length) / (0.3 * length))
        wave[start:start + length] += rng.uniform(0.05, 0.6) * envelope * rng.normal(size=length)
        t += rng.uniform(0.15, 0.9)
    return wave.astype(np.float32)


def _beat_template():
    from motiongen.core.skeleton import SkeletonTemplate
    from motiongen.skeletons import load_joint_set
    from motiongen.skeletons import load_beat75_template

    return SkeletonTemplate.from_motion(load_beat75_template()), load_joint_set("beat47_upper")


def _smooth_gesture(frames, joints, seed):
    """``(F, 3J)`` axis-angle radians: smooth random motion with pauses, as speech gestures have."""
    rng = np.random.default_rng(seed)
    knots = rng.normal(scale=0.35, size=(frames // 10 + 2, 3 * joints))
    t = np.arange(frames) / 10.0
    return np.stack([np.interp(t, np.arange(len(knots)), knots[:, c]) for c in range(3 * joints)], axis=1)


# ---------------------------------------------------------------- BEAT BeatAlign (transcription)

def beat_published_onsets(y, t_start=10, t_end=500, sr=SR):
    """metric.py 58-72 (``load_audio(without_file=True)``, test.py 152-153, 206) and 172 (``frames_to_time``)."""
    import librosa

    short_y = y[t_start * sr:t_end * sr]  # 63
    oenv = librosa.onset.onset_strength(y=short_y, sr=sr)  # 64
    onset_raw = librosa.onset.onset_detect(onset_envelope=oenv, backtrack=False)  # 67: no sr, no hop
    S = np.abs(librosa.stft(y=short_y))  # 69
    rms = librosa.feature.rms(S=S)  # 70
    onset_bt_rms = librosa.onset.onset_backtrack(onset_raw, rms[0])  # 71
    return librosa.frames_to_time(onset_bt_rms)  # 172: librosa's default sr


def beat_published_align(audio_bt, pose141, order=2, t_start=10, t_end=500, pose_fps=15, sigma=0.3):
    """metric.py 74-78, 88-89, 97, 100 (``load_pose(without_file=True)``), 144-160 (``GAHR``), 172-174."""
    data_each_file = np.array([np.concatenate([line[30:39], line[112:121]], 0) for line in pose141])  # 78, 88
    vel = data_each_file[1:, :] - data_each_file[:-1, :]  # 89
    vel_right_wrist = np.linalg.norm(np.array([vel[:, 6], vel[:, 7], vel[:, 8]]), axis=0)  # 97
    beat_right_wrist = argrelextrema(vel_right_wrist[t_start * pose_fps:t_end * pose_fps], np.less, order=order)  # 100
    pose_bt = beat_right_wrist[0] / pose_fps + 0  # 145, 173
    dis_all_b2a = 0  # GAHR(pose_bt, audio_bt, sigma), 149-160
    for b_each in audio_bt:
        l2_min = np.inf
        for a_each in pose_bt:
            if abs(a_each - b_each) < l2_min:
                l2_min = abs(a_each - b_each)
        dis_all_b2a += math.exp(-(l2_min ** 2) / (2 * sigma ** 2))
    return dis_all_b2a / len(audio_bt)


def test_beat_onsets_are_beats_published_onsets():
    wave = _speech_like(24.0, 0)
    ours = m.onset_frames_to_seconds(m.onset_frames_beat(wave, SR))
    np.testing.assert_allclose(ours, beat_published_onsets(wave), atol=1e-9)
    assert len(ours) > 10


def test_beat_onsets_on_real_beat_speech(sample_file):
    from motiongen.formats.audio import load_audio

    wave, rate = load_audio(sample_file("beat/2_scott_0_3_3.wav"), target_sr=SR)
    published = beat_published_onsets(np.asarray(wave, np.float32))
    np.testing.assert_allclose(m.onset_frames_to_seconds(m.onset_frames_beat(wave, rate)), published, atol=1e-9)


def test_beat_align_through_evaluate_equals_the_transcription_on_beats_141_channel_pose():
    template, joints = _beat_template()
    # BEAT reads pose[36:39] of CaMN's 141-value spine_neck_141 pose (data_tools.py 309-357): its 13th joint
    assert joints[12] == m.BEAT_ALIGN_JOINT == "RightHandRing2"
    fps, seconds = 30.0, 24.0
    wave = _speech_like(seconds, 1)
    gestures = [_smooth_gesture(int(seconds * fps), len(joints), seed) for seed in (2, 3)]
    takes = [ReferenceTake("t", len(g), g, None, m.onset_frames_beat(wave, SR), np.zeros(0), None, None)
             for g in gestures]
    reference = Reference(fps=fps, takes=takes, gesture_windows=None, face_windows=None, gesture_features=None,
                          face_features=None, gesture_normaliser=None, face_channels=(), beat_joint=m.BEAT_ALIGN_JOINT,
                          bc_joints=None, bc_mean_speed=None, wind_components=5, wind_repeats=10)
    row = beat_metrics(reference, list(zip(takes, gestures)), template, joints)
    audio_bt = beat_published_onsets(wave)
    expected = []
    for g in gestures:
        # the evaluated pose: 141 Euler-degree channels (BVH channel order) of the 47 joints, 15 fps
        pose141 = np.concatenate([joint_euler(template, joints, g, name) for name in joints], axis=1)[::2]
        expected.append(beat_published_align(audio_bt, pose141))
    assert row["beat_align"] == pytest.approx(np.mean(expected), abs=1e-9)  # test.py 206-208, 214
    assert 0.0 < row["beat_align"] < 1.0 and row["beat_align_16k"] != row["beat_align"]


def test_joint_euler_gives_the_bvh_channel_values(sample_file):
    from motiongen.core.skeleton import SkeletonTemplate
    from motiongen.formats.bvh import read_bvh
    from motiongen.formats.joint_sets import motion_to_axis_angle

    motion = read_bvh(sample_file("beat/2_scott_0_1_1.bvh"), allow_truncated=True)
    template, joints = _beat_template()
    skeleton = motion.skeleton
    axis_angle = motion_to_axis_angle(motion, joints)
    index = skeleton.names.index(m.BEAT_ALIGN_JOINT)
    in_file = motion.euler_deg[:, index]
    ours = joint_euler(SkeletonTemplate.from_motion(motion), joints, axis_angle, m.BEAT_ALIGN_JOINT)
    assert np.abs(in_file).max() < 90  # the ring phalanx stays in the principal range: channels comparable
    np.testing.assert_allclose(ours, in_file, atol=1e-3)


# ---------------------------------------------------------------- EMAGE BC (transcription)

def emage_published_onsets(y, t, sr_audio=SR):
    """emage_evaltools/mertic.py 135-145 called with train_emage_audio.py 406 (t frames at 30 fps)."""
    import librosa

    short_y = y[2 * 16000:int((t - 60) / 30 * 16000)].astype(np.float32)  # 142-143
    return librosa.onset.onset_detect(y=short_y, sr=sr_audio, hop_length=512, units="time")  # 144


def emage_published_bc(onset_bt, joints_rec, mmae, upper_body, align_mask=60, pose_fps=30, sigma=0.3, order=7,
                       threshold=0.3):
    """EMAGE_2024/utils/metric.py 78-127 (``load_pose(without_file=True)``), 200-216, 228-242; one take."""
    n = len(joints_rec)
    data_each_file = np.array([line for line in joints_rec])  # 81-82, 94
    joints = data_each_file.transpose(1, 0)  # 97
    dt = 1 / pose_fps
    init_vel = (joints[:, 1:2] - joints[:, :1]) / dt  # 100
    middle_vel = (joints[:, 2:] - joints[:, 0:-2]) / (2 * dt)  # 102
    final_vel = (joints[:, -1:] - joints[:, -2:-1]) / dt  # 104
    vel = np.concatenate([init_vel, middle_vel, final_vel], 1).transpose(1, 0).reshape(n, -1, 3)  # 106
    vel = np.linalg.norm(vel, axis=2) / mmae  # 109
    beat_vel_all = []
    for i in range(vel.shape[1]):  # 112-125
        vel_mask = np.where(vel[:, i] > threshold)
        beat_vel = argrelextrema(vel[align_mask:n - align_mask, i], np.less, order=order)
        beat_vel_all.append(np.array([j for j in beat_vel[0] if j in vel_mask[0]]))
    scores = []
    for its, beat_vel_each in enumerate(beat_vel_all):  # 231-238
        if its not in upper_body:
            continue
        pose_bt = beat_vel_each / pose_fps + 0
        total = 0
        for b_each in onset_bt:  # GAHR, 205-216
            l2_min = np.inf
            for a_each in pose_bt:
                l2_min = min(l2_min, abs(a_each - b_each))
            total += math.exp(-(l2_min ** 2) / (2 * sigma ** 2))
        scores.append(total / len(onset_bt))
    return sum(scores) / len(scores)  # 240


def test_emage_bc_through_evaluate_equals_the_transcription_and_weights_takes_by_trimmed_frames():
    template, joints = _beat_template()
    names = list(template.skeleton.names)
    bc_joints = m.upper_body_joints(names)
    assert bc_joints[0] == "Spine1" and bc_joints[-1] == "RightHand" and len(bc_joints) == 13  # test.py 145
    fps = 30.0
    lengths = (12.0, 9.0)
    waves = [_speech_like(s, 10 + i) for i, s in enumerate(lengths)]
    gestures = [_smooth_gesture(int(s * fps), len(joints), 20 + i) for i, s in enumerate(lengths)]
    mean_speed = np.linspace(15.0, 40.0, len(bc_joints))
    takes = [ReferenceTake("t", len(g), g, None, np.zeros(0, np.int64), m.onsets_emage(w, SR, fps, len(g)), None, None)
             for w, g in zip(waves, gestures)]
    reference = Reference(fps=fps, takes=takes, gesture_windows=None, face_windows=None, gesture_features=None,
                          face_features=None, gesture_normaliser=None, face_channels=(), beat_joint=None,
                          bc_joints=bc_joints, bc_mean_speed=mean_speed, wind_components=5, wind_repeats=10)
    row = beat_metrics(reference, list(zip(takes, gestures)), template, joints)

    align, total_length = 0.0, 0
    mmae = np.ones(len(names))
    upper_body = [names.index(name) for name in bc_joints]
    mmae[upper_body] = mean_speed
    for wave, g in zip(waves, gestures):
        n = len(g)
        onsets = emage_published_onsets(wave, n)
        np.testing.assert_allclose(m.onsets_emage(wave, SR, fps, n), onsets, atol=1e-9)
        every_joint = joint_positions(template, joints, g, names).reshape(n, -1)  # (n, 75 * 3) cm
        align += emage_published_bc(onsets, every_joint, mmae, upper_body) * (n - 2 * 60)  # emage_trainer.py 780
        total_length += n
    expected = align / (total_length - 2 * len(gestures) * 60)  # emage_trainer.py 818
    assert row["bc"] == pytest.approx(expected, abs=1e-9)
    assert 0.0 < row["bc"] < 1.0


def test_emage_upper_body_by_smplx_names():
    from motiongen.core.smplx_skeleton import SMPLX_JOINT_NAMES

    chosen = m.upper_body_joints(SMPLX_JOINT_NAMES)
    # EMAGE's upper_body indices, BC(...) in emage_evaltools/mertic.py 116 and test.py 145
    assert [SMPLX_JOINT_NAMES.index(n) for n in chosen] == [3, 6, 9, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]
    with pytest.raises(ValueError, match="Spine1"):
        m.upper_body_joints(["Hips", "Spine"])


# ---------------------------------------------------------------- EMAGE face MSE / LVD (transcription)

def test_face_mse_and_lvd_pool_every_take_as_emage_does():
    rng = np.random.default_rng(30)
    takes = [(rng.uniform(size=(t, 7)), rng.uniform(size=(t, 7))) for t in (40, 25, 61)]
    lvd_sum = lvd_counter = mse_sum = mse_counter = 0
    for pred_vertices, target_vertices in takes:
        t, c = pred_vertices.shape  # LVDFace.compute, mertic.py 19-26
        diff_pred = pred_vertices[1:, :] - pred_vertices[:-1, :]
        diff_target = target_vertices[1:, :] - target_vertices[:-1, :]
        lvd_sum += np.sum(np.abs(diff_pred - diff_target))
        lvd_counter += t * c
        mse_sum += np.sum(np.square(pred_vertices - target_vertices))  # MSEFace.compute, 41-45
        mse_counter += t * c
    generated, target = [p for p, _ in takes], [t for _, t in takes]
    assert m.face_lvd(generated, target) == pytest.approx(lvd_sum / lvd_counter, rel=1e-12)  # avg, 28-29
    assert m.face_mse(generated, target) == pytest.approx(mse_sum / mse_counter, rel=1e-12)  # 47-50


# ---------------------------------------------------------------- DiffSHEG diversity (transcription)

def diffsheg_published_diversity(batches):
    """ddpm_beat_trainer.py 600-614 over batches ``(B, seq, C//3, 3)``, AverageMeter 1498-1502."""
    total = count = 0
    for outputs in batches:
        B = outputs.shape[0]
        B_div = 50
        if B < B_div:
            B_div = B
        out_split = np.split(outputs, np.arange(B_div, B, B_div), axis=0)
        for idx in range(B // B_div):
            div_val = 0.0
            for ii in range(0, B_div):
                for jj in range(ii + 1, B_div):
                    div_val += np.mean(np.absolute(out_split[idx][ii] - out_split[idx][jj]))
            div_val = div_val * 2 / (B_div * (B_div - 1))
            total += div_val * B_div
            count += B_div
    return total / count


@pytest.mark.parametrize("chunks", [(7,), (50,), (120, 30)])
def test_chunked_diversity_is_diffshegs_grouped_average(chunks):
    rng = np.random.default_rng(sum(chunks))
    window, channels = 8, 6
    motions = [rng.normal(size=(count * window + 3, channels)) for count in chunks]  # a 3-frame tail is left out
    batches = [mo[: count * window].reshape(count, window, channels // 3, 3) for mo, count in zip(motions, chunks)]
    assert m.chunked_diversity(motions, window) == pytest.approx(diffsheg_published_diversity(batches), rel=1e-10)


# ---------------------------------------------------------------- SAiD WInD (transcription)

def said_published_wind(eval_latents, real_latents, num_clusters=5, seeds=range(10)):
    """test_evaluate.py 333-341 over wind.py 21-45 and 48-114; the LP of 73-112 (``≤`` marginals,
    Σπ = 1, π ≥ 0) solved with scipy instead of cvxopt/GLPK. SAiD's fits are unseeded; the k-th
    repetition here uses ``random_state=k`` as motiongen does, so the two are comparable."""
    from scipy.optimize import linprog
    from sklearn.mixture import GaussianMixture

    def stats(data, seed):  # wind.py 36-45
        gm = GaussianMixture(n_components=num_clusters, random_state=seed).fit(data)
        return [(gm.means_[c], gm.covariances_[c], gm.weights_[c]) for c in range(num_clusters)]

    def frechet(mu1, s1, mu2, s2):
        from scipy import linalg

        covmean = linalg.sqrtm(s1.dot(s2)).real
        return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))

    scores = []
    for seed in seeds:
        stats1, stats2 = stats(eval_latents, seed), stats(real_latents, seed)
        d = np.array([[frechet(a[0], a[1], b[0], b[1]) for b in stats2] for a in stats1])  # 66-72
        k = num_clusters
        rows = np.kron(np.eye(k), np.ones((1, k)))  # coeff_ineq1, 85-87: Σ_k π_jk ≤ w_j
        cols = np.kron(np.ones((1, k)), np.eye(k))  # coeff_ineq2, 88-92: Σ_j π_jk ≤ v_k
        h = np.concatenate([[s[2] for s in stats1], [s[2] for s in stats2]])  # 74-80
        result = linprog(d.reshape(-1), A_ub=np.vstack([rows, cols]), b_ub=h, A_eq=np.ones((1, k * k)), b_eq=[1.0],
                         bounds=(0, None), method="highs")  # 81-82, 104-112
        scores.append(result.fun)
    return float(np.mean(scores))


def test_wind_is_saids_mean_of_ten_five_component_fits():
    rng = np.random.default_rng(40)
    real = np.concatenate([rng.normal(loc=c, size=(60, 3)) for c in (0.0, 3.0, 6.0)])
    generated = np.concatenate([rng.normal(loc=c, scale=1.3, size=(50, 3)) for c in (0.5, 3.0, 7.0)])
    ours = m.wind(generated, real)  # defaults: K = 5, 10 repetitions
    assert ours == pytest.approx(said_published_wind(generated, real), rel=1e-6)
    assert ours != pytest.approx(m.wind(generated, real, components=5, repeats=1), rel=1e-3)


# ---------------------------------------------------------------- BEAT L1div, SRGR, Fréchet distance (transcription)

def test_l1div_and_srgr_are_beats_on_the_euler_pose():
    template, joints = _beat_template()
    rng = np.random.default_rng(50)
    takes = []
    for seed, frames in ((51, 90), (52, 70)):
        generated = _smooth_gesture(frames, len(joints), seed)
        target = generated + rng.normal(scale=0.03, size=generated.shape)  # radians: some joints within 4 degrees
        semantic = rng.uniform(size=frames) * (rng.uniform(size=frames) > 0.4)
        euler = lambda a: np.concatenate([joint_euler(template, joints, a, n) for n in joints], axis=1)  # noqa: E731
        takes.append((euler(generated), euler(target), semantic))  # BEAT's 141-value Euler-degree poses
    l1_sum = l1_counter = srgr_sum = srgr_counter = 0
    for results, targets, semantic in takes:
        results = results.copy()  # L1div.run, metric.py 16-22 (test.py 190 calls it per take)
        l1_counter += results.shape[0]
        mean = np.mean(results, 0)
        for i in range(results.shape[0]):
            results[i, :] = abs(results[i, :] - mean)
        l1_sum += np.sum(results)
    for results, targets, semantic in takes:  # SRGR(4, 47).run, metric.py 34-46 (test.py 76, 203)
        results = results.reshape(-1, 47, 3)
        targets = targets.reshape(-1, 47, 3)
        diff = np.sum(abs(results - targets), 2)
        success = np.where(diff < 4, 1.0, 0.0)
        for i in range(success.shape[0]):
            success[i, :] *= semantic[i] * (1 / 0.165)
        rate = np.sum(success) / (success.shape[0] * success.shape[1])
        srgr_counter += success.shape[0]
        srgr_sum += rate * success.shape[0]
    assert m.l1div([g for g, _, _ in takes]) == pytest.approx(l1_sum / l1_counter, rel=1e-12)  # avg, 23-24
    ours = m.srgr(np.concatenate([g.reshape(len(g), -1, 3) for g, _, _ in takes]),
                  np.concatenate([t.reshape(len(t), -1, 3) for _, t, _ in takes]),
                  np.concatenate([s for _, _, s in takes]))
    assert ours == pytest.approx(srgr_sum / srgr_counter, rel=1e-12)  # avg, 48-49
    assert 0.0 < ours


def test_frechet_distance_is_beats_pytorch_fid_form():
    from scipy import linalg

    rng = np.random.default_rng(60)
    a, b = rng.normal(size=(200, 5)), rng.normal(loc=0.3, scale=1.4, size=(150, 5)) @ rng.normal(size=(5, 5))
    mu1, sigma1 = np.mean(a, axis=0), np.cov(a, rowvar=False)  # data_tools.py 418-421
    mu2, sigma2 = np.mean(b, axis=0), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(sigma1.dot(sigma2))  # 464 (disp=False is scipy's behaviour now)
    covmean = covmean.real if np.iscomplexobj(covmean) else covmean  # 473-477
    diff = mu1 - mu2
    expected = diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)  # 479-482 (test.py 220)
    assert m.frechet_distance_of_features(a, b) == pytest.approx(expected, rel=1e-9)


def test_emage_bc_on_an_smplx_skeleton_uses_emages_own_joint_indices():
    from motiongen.core.smplx_skeleton import SMPLX_JOINT_NAMES
    from motiongen.datasets.beat2.format import smplx_skeleton_template

    template, names = smplx_skeleton_template(), list(SMPLX_JOINT_NAMES)
    fps, seconds = 30.0, 10.0
    wave = _speech_like(seconds, 70)
    gesture = _smooth_gesture(int(seconds * fps), len(names), 71)
    bc_joints = m.upper_body_joints(template.skeleton.names)
    mean_speed = np.linspace(10.0, 30.0, len(bc_joints))
    take = ReferenceTake("t", len(gesture), gesture, None, np.zeros(0, np.int64),
                         m.onsets_emage(wave, SR, fps, len(gesture)), None, None)
    reference = Reference(fps=fps, takes=[take], gesture_windows=None, face_windows=None, gesture_features=None,
                          face_features=None, gesture_normaliser=None, face_channels=(), beat_joint=None,
                          bc_joints=bc_joints, bc_mean_speed=mean_speed, wind_components=5, wind_repeats=10)
    upper_body = [3, 6, 9, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]  # EMAGE_2024 test.py 145
    mmae = np.ones(len(names))
    mmae[upper_body] = mean_speed
    joints_rec = joint_positions(template, names, gesture).reshape(len(gesture), -1)  # (n, 55 * 3)
    expected = emage_published_bc(emage_published_onsets(wave, len(gesture)), joints_rec, mmae, upper_body)
    assert beat_metrics(reference, [(take, gesture)], template, names)["bc"] == pytest.approx(expected, abs=1e-9)


def test_bc_mean_joint_speeds_are_emages_avg_vel():
    from motiongen.evaluation.positions import mean_joint_speed

    template, joints = _beat_template()
    names = m.upper_body_joints(template.skeleton.names)
    takes = [_smooth_gesture(frames, len(joints), seed) for seed, frames in ((80, 50), (81, 37))]
    all_list = []
    for g in takes:  # EMAGE_2024 dataloaders/beat_smplx2020.py 169-184, positions of the chosen joints
        joints_ = joint_positions(template, joints, g, names).reshape(len(g), -1).transpose(1, 0)
        dt = 1 / 30
        init_vel = (joints_[:, 1:2] - joints_[:, :1]) / dt
        middle_vel = (joints_[:, 2:] - joints_[:, 0:-2]) / (2 * dt)
        final_vel = (joints_[:, -1:] - joints_[:, -2:-1]) / dt
        vel_seq = np.concatenate([init_vel, middle_vel, final_vel], 1).transpose(1, 0).reshape(len(g), len(names), 3)
        all_list.append(np.linalg.norm(vel_seq, axis=2))
    avg_vel = np.mean(np.concatenate(all_list, axis=0), axis=0)  # 185
    np.testing.assert_allclose(mean_joint_speed(template, joints, takes, 30.0, names), avg_vel, rtol=1e-12)
