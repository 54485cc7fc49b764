"""Padded clips (whole takes of different lengths in one batch): the denoiser hides each clip's
padding from its attention, so a clip's output on its own frames is the same alone or padded in a
batch with a longer clip — in the network, in the training module's forward and in sampling — and
nothing is NaN, even on padded frames whose whole attention window is padding."""

import pytest
import torch

from motiongen.core.motion_format import FRAME_MASK
from motiongen.model.denoiser import DenoiserConfig, UWPDenoiser

SHORT, LONG = 13, 40  # the long clip's padding covers whole windows (window 4, one block back and forward)


def sign_config(**changes) -> DenoiserConfig:
    settings = dict(blocks={"body": 12, "face": 7}, frame_conditions={}, category_conditions={"sign": 5, "speaker": 3},
                    seed_frames=0, latent_dim=32, feature_dim=8, seed_dim=8, num_layers=2, num_heads=4, ff_dim=48,
                    dropout=0.0, local_heads=2, window=4, frame_positions=True, guided=["sign"])
    settings.update(changes)
    return DenoiserConfig(**settings)


def padded_pair(cfg: DenoiserConfig, seed: int = 0):
    """``(x_t, t, cond)`` of a batch [short clip padded to LONG, long clip] and of the short clip alone."""
    g = torch.Generator().manual_seed(seed)
    x_t = torch.randn(2, LONG, cfg.motion_dim, generator=g, dtype=torch.float64)
    x_t[0, SHORT:] = 0.0
    t = torch.tensor([17, 60])
    cond = {"sign": torch.tensor([1, 3]), "speaker": torch.tensor([2, 0]),
            "seed": torch.zeros(2, 0, cfg.motion_dim, dtype=torch.float64),
            FRAME_MASK: (torch.arange(LONG) < torch.tensor([[SHORT], [LONG]])).double()}
    alone = {"sign": cond["sign"][:1], "speaker": cond["speaker"][:1], "seed": cond["seed"][:1]}
    return (x_t, t, cond), (x_t[:1, :SHORT], t[:1], alone)


@pytest.mark.parametrize("kernels", ["fast", "reference"])
@pytest.mark.parametrize("fusion", ["joint", "oneway"])
def test_a_clips_output_does_not_depend_on_the_padding_of_its_batch(kernels, fusion):
    torch.manual_seed(0)
    model = UWPDenoiser(sign_config(kernels=kernels, fusion=fusion, oneway_source="body")).double().eval()
    (x_t, t, cond), (x_alone, t_alone, cond_alone) = padded_pair(model.cfg)
    uncond = torch.tensor([False, True])
    for dropped in (None, uncond):
        batched = model(x_t, t, cond, dropped)
        alone = model(x_alone, t_alone, cond_alone, None if dropped is None else dropped[:1])
        torch.testing.assert_close(batched[0, :SHORT], alone[0], atol=1e-10, rtol=1e-8)
        assert torch.isfinite(batched).all()
    unmasked = model(x_t, t, {k: v for k, v in cond.items() if k != FRAME_MASK})
    assert not torch.allclose(unmasked[0, :SHORT], alone[0], atol=1e-4)  # without the mask the padding leaks in
    full = dict(cond, **{FRAME_MASK: torch.ones(2, LONG, dtype=torch.bool)})
    torch.testing.assert_close(model(x_t, t, full), unmasked)


def test_gradients_of_a_padded_batch_are_finite_and_do_not_reach_the_padding():
    torch.manual_seed(1)
    model = UWPDenoiser(sign_config()).double()
    (x_t, t, cond), _ = padded_pair(model.cfg)
    x_t.requires_grad_()
    out = model(x_t, t, cond)
    (out * cond[FRAME_MASK][..., None]).square().sum().backward()
    assert torch.isfinite(out).all()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    assert not x_t.grad[0, SHORT:].any() and x_t.grad[0, :SHORT].abs().sum() > 0


def test_a_frame_mask_must_fit_the_batch_and_leave_every_clip_a_frame():
    model = UWPDenoiser(sign_config()).double()
    (x_t, t, cond), _ = padded_pair(model.cfg)
    with pytest.raises(ValueError, match="frame_mask has shape"):
        model(x_t, t, dict(cond, **{FRAME_MASK: cond[FRAME_MASK][:, :-1]}))
    empty = cond[FRAME_MASK].clone()
    empty[0] = 0
    with pytest.raises(ValueError, match="no frame of some clip"):
        model(x_t, t, dict(cond, **{FRAME_MASK: empty}))


def test_the_training_module_passes_the_frame_mask_to_the_network():
    from training_helpers import SyntheticClips, description, tiny_overrides

    from motiongen.config import compose
    from motiongen.training.run import build_module

    module = build_module(compose("config", tiny_overrides("unused", "model.network.dropout=0.0")), description())
    module.model.double().eval()
    clips = SyntheticClips(2, LONG)
    items = [{k: v.double() if v.is_floating_point() else v for k, v in clips[i].items()} for i in range(2)]
    padded = {k: torch.stack([items[0][k], items[1][k]]) for k in items[0]}
    for name in ("gesture", "expression", "audio", "word"):
        padded[name][0, SHORT:] = 0.0
    padded[FRAME_MASK] = (torch.arange(LONG) < torch.tensor([[SHORT], [LONG]])).double()
    alone = {k: v[:1, :SHORT] if v.dim() > 1 else v[:1] for k, v in padded.items() if k != FRAME_MASK}
    t = torch.tensor([5, 50])
    outputs = []
    for batch, steps in ((padded, t), (alone, t[:1])):
        x0 = module.motion(batch)
        outputs.append(module.model(x0, steps, module.condition(batch, x0)))
    assert module.condition(padded, module.motion(padded))[FRAME_MASK] is padded[FRAME_MASK]
    torch.testing.assert_close(outputs[0][0, :SHORT], outputs[1][0], atol=1e-10, rtol=1e-8)


def test_sampling_a_padded_batch_gives_each_clip_what_it_gets_alone():
    from motiongen.diffusion.samplers import SamplerSettings, sample_network
    from motiongen.diffusion.schedule import NoiseSchedule

    torch.manual_seed(2)
    model = UWPDenoiser(sign_config()).eval()
    schedule = NoiseSchedule(num_steps=50, beta_start=2e-3, beta_end=0.2)
    (_, _, cond), (_, _, cond_alone) = padded_pair(model.cfg)
    cond = {k: v.float() if v.is_floating_point() else v for k, v in cond.items()}
    cond_alone = {k: v.float() if v.is_floating_point() else v for k, v in cond_alone.items()}
    noise = torch.randn(2, LONG, model.cfg.motion_dim, generator=torch.Generator().manual_seed(3))
    for guidance in (1.0, 2.5):
        settings = SamplerSettings(steps=6, guidance=guidance)
        with torch.inference_mode():
            batched = sample_network(model, schedule, cond, noise.shape, settings, torch.Generator(), x_T=noise)
            alone = sample_network(model, schedule, cond_alone, (1, SHORT, noise.shape[2]), settings, torch.Generator(),
                                   x_T=noise[:1, :SHORT])
        assert torch.isfinite(batched).all()
        torch.testing.assert_close(batched[0, :SHORT], alone[0], atol=1e-4, rtol=1e-4)


def test_a_window_of_a_long_take_keeps_its_frame_positions():
    """A window cut from a long take at frame f (``first_frame`` f) gets the position codes of
    frames f.. of the take: its tokens equal the whole take's tokens on those frames."""
    from motiongen.core.motion_format import FIRST_FRAME

    torch.manual_seed(3)
    model = UWPDenoiser(sign_config()).double().eval()
    (x_t, _, cond), _ = padded_pair(model.cfg)
    t = torch.tensor([17, 17])
    take = {k: v for k, v in cond.items() if k != FRAME_MASK}
    captured = []
    hook = model.cross_local.register_forward_pre_hook(lambda module, args: captured.append(args[0]))
    model(x_t, t, take)
    model(x_t[:, 9:30], t, dict(take, **{FIRST_FRAME: torch.tensor([9, 9])}))
    model(x_t[:, 9:30], t, take)
    hook.remove()
    whole, window, restarted = captured
    torch.testing.assert_close(window, whole[:, 9:30])
    assert not torch.allclose(restarted, whole[:, 9:30])
    with pytest.raises(ValueError, match="first_frame must be"):
        model(x_t, t, dict(take, **{FIRST_FRAME: torch.tensor([-1, 0])}))


def test_the_length_of_a_sign_is_capped_at_the_window_only_for_a_model_without_seed_frames():
    """One rule for ``generate --sign`` and the sign evaluation (SlovoCorpus.generation_frames)."""
    from omegaconf import OmegaConf

    from motiongen.datasets.slovo import SlovoCorpus

    corpus = SlovoCorpus(OmegaConf.create({"name": "slovo", "root": "."}))
    typical = {"sign": {"да": 70, "долго": 150}}

    def frames(label, requested=None, seed_frames=0):
        return corpus.generation_frames({"sign": label}, requested, typical, 120, seed_frames)

    assert frames("да") == (70, None)  # the median of the label's training takes
    assert frames("нет") == (120, None)  # a checkpoint without recorded lengths: one window
    length, note = frames("долго")
    assert length == 120 and "150 frames (the median of its training takes), longer than the model's 120-frame window" in note
    assert frames("долго", seed_frames=8) == (150, None)  # seed frames: window after window, no cap
    assert frames("да", requested=200, seed_frames=8) == (200, None)
    length, note = frames("да", requested=200)
    assert length == 120 and "200 frames (asked)" in note


def test_a_corpus_without_a_length_rule_generates_the_request_else_one_window():
    from types import SimpleNamespace

    from motiongen.datasets.recorded import recorded_corpus
    from motiongen.generation.labels import label_frames

    corpus = recorded_corpus({"name": "old"})  # recorded before data configs named their corpus class
    assets = SimpleNamespace(label_frames={"sign": {"да": 70}}, window_frames=120, seed_frames=0)
    assert label_frames(corpus, assets, {"sign": "да"}, None) == (120, None)
    assert label_frames(corpus, assets, {"sign": "да"}, 30) == (30, None)


def test_label_frames_record_the_whole_length_of_long_takes():
    from types import SimpleNamespace

    from motiongen.core.motion_format import ConditionKind
    from motiongen.training.bundle import label_frames

    takes = [SimpleNamespace(num_frames=n, categories={"sign": label}) for n, label in ((200, "a"), (300, "a"), (50, "b"))]
    info = SimpleNamespace(format=SimpleNamespace(conditions_of=lambda kind: [SimpleNamespace(name="sign")]
                                                  if kind == ConditionKind.TEXT_LABEL else []),
                           takes_in=lambda split: takes)
    assert label_frames(info) == {"sign": {"a": 250, "b": 50}}
