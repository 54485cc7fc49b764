"""Per-frame observed flags of motion blocks (mask groups): declared in the format, stored by the
cache, expanded to channels by the dataset and respected by the loss."""

import numpy as np
import pytest
import torch

from motiongen.core.motion_format import FormatError, MotionBlock, Representation, mask_array_name
from motiongen.model.uncertainty import task_losses


def _hands_block():
    names = [f"{side}.p{i}" for side in ("left", "right") for i in range(2)]
    return MotionBlock("hands", Representation.LANDMARKS_3D, names, mask_groups=(("left", 0, 6), ("right", 6, 12)))


def test_mask_groups_round_trip_and_expand_to_channels():
    block = _hands_block()
    assert block.mask_name == mask_array_name("hands") == "hands_mask"
    assert MotionBlock.from_dict(block.to_dict()) == block
    flags = np.array([[1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_array_equal(block.channel_mask(flags), [[1] * 6 + [0] * 6, [0] * 6 + [1] * 6])
    plain = MotionBlock("face", Representation.ARKIT_WEIGHTS, ["jawOpen"])
    assert plain.mask_name is None and MotionBlock.from_dict({**plain.to_dict(), "mask_groups": []}) == plain
    with pytest.raises(FormatError, match="outside its 12 channels"):
        MotionBlock("hands", Representation.LANDMARKS_3D, block.names, mask_groups=(("left", 0, 13),))


def test_loss_ignores_unobserved_values():
    torch.manual_seed(0)
    prediction, target = torch.randn(2, 5, 12), torch.randn(2, 5, 12)
    weights = torch.ones(2, 5, 12)
    weights[:, 2:, 6:] = 0  # the right hand unseen on frames 2-4
    slices = {"hands": slice(0, 12)}
    masked = task_losses(prediction, target, slices, weights={"hands": weights})["hands"]
    changed = target.clone()
    changed[:, 2:, 6:] += 100.0
    assert task_losses(prediction, changed, slices, weights={"hands": weights})["hands"] == pytest.approx(float(masked))
    elementwise = torch.nn.functional.huber_loss(prediction, target, reduction="none")
    assert float(masked) == pytest.approx(float(elementwise[weights.bool()].mean()), rel=1e-6)
    assert task_losses(prediction, target, slices)["hands"] == pytest.approx(float(elementwise.mean()), rel=1e-6)



def test_loss_weights_combine_observed_flags_and_padding():
    from training_helpers import tiny_overrides

    from motiongen.config import compose
    from motiongen.datasets.beat.format import paper_motion_format
    from motiongen.training.run import build_module

    module = build_module(compose("config", tiny_overrides("unused")), paper_motion_format())
    frames = (torch.arange(20) < 12).float().expand(2, -1)  # a 12-frame take padded to 20
    observed = torch.ones(2, 20, 141)
    observed[:, :5, :3] = 0  # e.g. a part the detector missed on frames 0-4
    weights = module.loss_weights({"frame_mask": frames, "gesture_mask": observed})
    assert set(weights) == {"gesture", "expression"}
    assert weights["expression"].shape == (2, 20, 52) and weights["expression"][:, :12].all()
    assert not weights["expression"][:, 12:].any() and not weights["gesture"][:, 12:].any()
    np.testing.assert_array_equal(weights["gesture"][:, :12].numpy(), observed[:, :12].numpy())
    assert module.loss_weights({}) == {}
