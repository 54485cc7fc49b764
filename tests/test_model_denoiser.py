"""UWPDenoiser: shapes, condition dropout, task fusion (joint vs one-way), any declared blocks and
streams (including none per frame), input validation."""

import pytest
import torch

from motiongen.core.errors import ConfigError
from motiongen.model.denoiser import DenoiserConfig, UWPDenoiser

B, N, S = 3, 24, 6


def tiny(**changes) -> DenoiserConfig:
    settings = dict(blocks={"gesture": 9, "expression": 52}, frame_conditions={"audio": 11, "word": 5},
                    category_conditions={"speaker": 3}, seed_frames=S, latent_dim=32, feature_dim=8, seed_dim=8,
                    num_layers=2, num_heads=4, ff_dim=48, dropout=0.0, local_heads=2, window=4)
    settings.update(changes)
    return DenoiserConfig(**settings)


def inputs(cfg: DenoiserConfig, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    cond = {name: torch.randn(B, N, width, generator=g) for name, width in cfg.frame_conditions.items()}
    cond.update({name: torch.arange(B) % size for name, size in cfg.category_conditions.items()})
    cond["seed"] = torch.randn(B, cfg.seed_frames, cfg.motion_dim, generator=g)
    return torch.randn(B, N, cfg.motion_dim, generator=g), torch.tensor([0, 10, 999]), cond


def test_paper_default_dimensions():
    """Blocks and streams come from the motion format (no default names them); the hyper-parameter
    defaults are the paper's."""
    from motiongen.datasets.beat.format import paper_motion_format
    from motiongen.training.run import network_kwargs

    streams = network_kwargs({"tasks": None, "emotion_condition": False}, paper_motion_format())
    with pytest.raises(TypeError, match="blocks"):
        DenoiserConfig()
    cfg = DenoiserConfig(**streams)
    assert cfg.motion_dim == 193 and cfg.token_dim == 384 + 96 + 96 + 384
    assert cfg.block_slices() == {"gesture": slice(0, 141), "expression": slice(141, 193)}
    model = UWPDenoiser(DenoiserConfig(**streams, num_layers=1))
    assert model.features.in_features == 1133 + 301 and model.features.out_features == 96
    assert model.categories["speaker"].embedding_dim == 384 and model.seed_in["gesture"].in_features == 30 * 141


@pytest.mark.parametrize("changes", [
    {}, {"fusion": "oneway", "oneway_source": "expression"}, {"blocks": {"gesture": 9}}, {"blocks": {"expression": 52}},
    {"category_conditions": {"speaker": 3, "emotion": 8}},
    {"blocks": {"body": 12, "hands": 30, "face": 7}, "frame_conditions": {}, "category_conditions": {"sign": 5}},
])
def test_output_has_the_shape_of_the_noisy_motion(changes):
    cfg = tiny(**changes)
    x_t, t, cond = inputs(cfg)
    out = UWPDenoiser(cfg)(x_t, t, cond, torch.tensor([False, True, False]))
    assert out.shape == (B, N, cfg.motion_dim) and torch.isfinite(out).all()


def test_without_per_frame_streams_no_feature_encoder_is_built():
    cfg = tiny(frame_conditions={}, category_conditions={"sign": 4, "speaker": 2})
    model = UWPDenoiser(cfg)
    assert model.features is None and cfg.token_dim == 2 * 32 + 8
    assert set(model.categories) == {"sign", "speaker"}


def test_dropped_rows_ignore_every_condition_stream():
    cfg = tiny(category_conditions={"speaker": 3, "emotion": 8})
    model = UWPDenoiser(cfg).eval()
    x_t, t, cond = inputs(cfg)
    other = dict(cond, audio=torch.randn_like(cond["audio"]), word=torch.randn_like(cond["word"]),
                 speaker=torch.tensor([2, 0, 1]), emotion=torch.tensor([5, 5, 5]))
    dropped = torch.ones(B, dtype=torch.bool)
    assert torch.allclose(model(x_t, t, cond, dropped), model(x_t, t, other, dropped))
    kept = torch.zeros(B, dtype=torch.bool)
    assert not torch.allclose(model(x_t, t, cond, kept), model(x_t, t, other, kept))
    assert torch.allclose(model(x_t, t, cond, kept), model(x_t, t, cond, None))


def gesture_noise_changes_expression(cfg) -> bool:
    torch.manual_seed(0)
    model = UWPDenoiser(cfg).eval()
    x_t, t, cond = inputs(cfg)
    other = x_t.clone()
    other[..., :9] = torch.randn(B, N, 9)
    return not torch.allclose(model(x_t, t, cond)[..., 9:], model(other, t, cond)[..., 9:])


def test_one_way_flow_is_from_the_source_block_only():
    assert gesture_noise_changes_expression(tiny(fusion="joint"))
    assert not gesture_noise_changes_expression(tiny(fusion="oneway", oneway_source="expression"))
    torch.manual_seed(0)
    model = UWPDenoiser(tiny(fusion="oneway", oneway_source="expression"))
    x_t, t, cond = inputs(model.cfg)
    model(x_t, t, cond)[..., :9].square().mean().backward()
    expression_grads = [p.grad for p in model.task_trunks["expression"].parameters()]
    assert all(g is None or not g.any() for g in expression_grads), "gesture loss must not train the expression trunk"
    assert model.from_source["gesture"].weight.grad.abs().sum() > 0


def test_bad_inputs_and_configs_fail_loudly():
    cfg = tiny()
    model = UWPDenoiser(cfg)
    x_t, t, cond = inputs(cfg)
    with pytest.raises(ValueError, match="channels"):
        model(x_t[..., :-1], t, cond)
    with pytest.raises(ValueError, match="seed"):
        model(x_t, t, dict(cond, seed=cond["seed"][:, :-1]))
    with pytest.raises(ValueError, match="missing"):
        model(x_t, t, {k: v for k, v in cond.items() if k != "word"})
    with pytest.raises(ConfigError):
        tiny(fusion="sideways")
    with pytest.raises(ConfigError, match="oneway_source"):
        tiny(fusion="oneway", blocks={"gesture": 9})
    with pytest.raises(ConfigError, match="oneway_source"):
        tiny(fusion="oneway", oneway_source="face")
    with pytest.raises(ConfigError, match="guided must be null or a non-empty subset"):
        tiny(guided=["sign"])
    with pytest.raises(ConfigError, match="category_vectors"):
        tiny(category_vectors={"sign": 4})
    with pytest.raises(ConfigError, match="seed_frames must be >= 0"):
        tiny(seed_frames=-1)


def test_frame_positions_place_every_frame_of_a_sign_clip():
    cfg = tiny(blocks={"body": 12, "face": 7}, frame_conditions={}, category_conditions={"sign": 5}, frame_positions=True)
    model = UWPDenoiser(cfg)
    assert UWPDenoiser(tiny()).frame_position is None
    x_t, t, cond = inputs(cfg)
    model(x_t, t, cond).square().mean().backward()
    assert model.frame_position.weight.grad.abs().sum() > 0
    with torch.no_grad():
        before = model(x_t, t, cond)
        model.frame_position.bias.add_(1.0)
        assert not torch.allclose(model(x_t, t, cond), before)


SIGN = dict(blocks={"body": 12, "face": 7}, frame_conditions={}, category_conditions={"sign": 5, "speaker": 3})


def test_guidance_on_the_label_keeps_the_signer():
    torch.manual_seed(0)
    model = UWPDenoiser(tiny(**SIGN, guided=["sign"])).eval()
    x_t, t, cond = inputs(model.cfg)
    dropped = torch.ones(B, dtype=torch.bool)
    other_sign = dict(cond, sign=(cond["sign"] + 1) % 5)
    other_signer = dict(cond, speaker=(cond["speaker"] + 1) % 3)
    assert torch.allclose(model(x_t, t, cond, dropped), model(x_t, t, other_sign, dropped))
    assert not torch.allclose(model(x_t, t, cond, dropped), model(x_t, t, other_signer, dropped))
    frames = UWPDenoiser(tiny(guided=["word"])).eval()
    x_t, t, cond = inputs(frames.cfg)
    other_word, other_audio = dict(cond, word=torch.randn_like(cond["word"])), dict(cond, audio=torch.randn_like(cond["audio"]))
    assert torch.allclose(frames(x_t, t, cond, dropped), frames(x_t, t, other_word, dropped))
    assert not torch.allclose(frames(x_t, t, cond, dropped), frames(x_t, t, other_audio, dropped))


def test_class_vectors_condition_beside_the_learned_embedding():
    torch.manual_seed(0)
    model = UWPDenoiser(tiny(**SIGN, category_vectors={"sign": 4})).eval()
    x_t, t, cond = inputs(model.cfg)
    before = model(x_t, t, cond)
    model.set_class_vectors("sign", torch.randn(5, 4))
    assert not torch.allclose(model(x_t, t, cond), before)
    assert "class_vectors.sign.table" in model.state_dict()
    with pytest.raises(ConfigError, match=r"must be \(5, 4\)"):
        model.set_class_vectors("sign", torch.randn(4, 4))


def test_a_model_without_seed_frames():
    cfg = tiny(**SIGN, seed_frames=0)
    model = UWPDenoiser(cfg)
    assert cfg.token_dim == 2 * 32 and len(model.seed_in) == 0
    x_t, t, cond = inputs(cfg)
    assert cond["seed"].shape == (B, 0, 19)
    out = model(x_t, t, cond, torch.tensor([False, True, False]))
    assert out.shape == (B, N, 19) and torch.isfinite(out).all()
